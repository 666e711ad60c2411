# shellcheck shell=bash
# A fresh demo server for a script that runs something against it; sourced
# (never run) by examples/typescript/run-against-demo.sh (make example-ts)
# and tools/http-audit/run-against-demo.sh (make http-audit), after their
# `set -euo pipefail`, with root set to the repository's root.
#
# Sourcing it checks that go, node and npm are there, makes a temporary
# directory ($tmp) and installs the EXIT trap: the server is stopped and
# its files removed in every case, and on a failure the last lines of its
# log are printed. It defines step (a message), wait_for and
# demo_server_start, and sets started (for the timings the scripts print).
#
# demo_server_start [NAME=VALUE...] builds ./server, starts it in demo mode
# on a free port with a temporary SQLite database (plus the settings given,
# docs/configuration.md), waits for /healthz and takes the demo token from
# its log: it sets url (http://127.0.0.1:PORT), token and server_pid.

for tool in go node npm; do
  command -v "$tool" >/dev/null || { echo "run-against-demo: $tool is required" >&2; exit 1; }
done

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
  status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$tmp/server.log" ]; then
    echo "run-against-demo: failed; the server's last log lines:" >&2
    tail -n 30 "$tmp/server.log" >&2
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo "run-against-demo: $*"; }
started=$SECONDS

# wait_for DESCRIPTION SECONDS COMMAND...: runs COMMAND every second until it
# succeeds; fails after SECONDS, or at once when the server has exited.
wait_for() {
  local what="$1" limit="$2"
  shift 2
  for _ in $(seq 1 "$limit"); do
    kill -0 "$server_pid" 2>/dev/null || { echo "run-against-demo: the server exited while waiting for $what" >&2; return 1; }
    if "$@"; then return 0; fi
    sleep 1
  done
  echo "run-against-demo: no $what within $limit s" >&2
  return 1
}

healthy() { node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url/healthz"; }
token_in_log() { grep 'demo token' "$tmp/server.log" | grep -o 'token=lg_[A-Za-z0-9_]*' | tail -n 1 | cut -d= -f2; }
has_token() { [ -n "$(token_in_log)" ]; }

demo_server_start() {
  step "building the server"
  (cd "$root" && go build -o "$tmp/leasegraph" ./server)

  # A free port, chosen by the kernel (the server takes a fixed PORT).
  local port
  port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  url="http://127.0.0.1:$port"

  step "starting the demo server on $url"
  env LEASEGRAPH_DEMO=1 PORT="$port" DATABASE_URL="sqlite:$tmp/demo.db" LOG_FORMAT=text "$@" \
    "$tmp/leasegraph" >"$tmp/server.log" 2>&1 &
  server_pid=$!

  wait_for "healthy server ($url/healthz)" 60 healthy
  wait_for "demo token in the server's log" 30 has_token
  token="$(token_in_log)"
}

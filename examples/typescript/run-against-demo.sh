#!/usr/bin/env bash
# Runs the typed client example against a fresh demo server, as CI does
# (make example-ts): builds the server, starts it in demo mode on a free
# port with a temporary SQLite database, waits for /healthz, takes the demo
# token from its log, waits until the demo's leases have synced, then runs
# npm ci, npm run codegen (from the served schema) and npm start. Exits
# non-zero on any failure, or when the example saw no data; the server is
# stopped and its files removed in every case.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

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

step "building the server"
(cd "$root" && go build -o "$tmp/leasegraph" ./server)

# A free port, chosen by the kernel (the server takes a fixed PORT).
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
url="http://127.0.0.1:$port"

step "starting the demo server on $url"
env LEASEGRAPH_DEMO=1 PORT="$port" DATABASE_URL="sqlite:$tmp/demo.db" LOG_FORMAT=text \
  "$tmp/leasegraph" >"$tmp/server.log" 2>&1 &
server_pid=$!

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
wait_for "healthy server ($url/healthz)" 60 healthy

token_in_log() { grep 'demo token' "$tmp/server.log" | grep -o 'token=lg_[A-Za-z0-9_]*' | tail -n 1 | cut -d= -f2; }
has_token() { [ -n "$(token_in_log)" ]; }
wait_for "demo token in the server's log" 30 has_token
token="$(token_in_log)"

# The demo's leases arrive through a simulated Propexo sync shortly after
# start: wait until the move-ins window has some.
has_move_ins() {
  node -e '
    const [url, token] = process.argv.slice(1);
    const query = `{ leases(first: 1, moving: {kinds: [MOVE_IN], from: "2020-01-01", to: "2030-12-31"}) { totalCount } }`;
    fetch(url + "/graphql", {method: "POST", headers: {"Content-Type": "application/json", Authorization: "Bearer " + token}, body: JSON.stringify({query})})
      .then(r => r.json()).then(b => process.exit(b?.data?.leases?.totalCount > 0 ? 0 : 1), () => process.exit(1));
  ' "$url" "$token"
}
wait_for "move-ins synced from the simulated Propexo" 90 has_move_ins
step "server ready after $((SECONDS - started)) s"

cd "$here"
export API_URL="$url" API_TOKEN="$token"
unset API_SCHEMA_FILE # generate from the served schema, never a file
npm_started=$SECONDS
step "npm ci"
npm ci --no-audit --no-fund
step "npm run codegen (from $url/schema.graphql)"
rm -rf src/gql
npm run codegen
step "npm start"
npm start
step "passed: npm ci, codegen and the example took $((SECONDS - npm_started)) s (all: $((SECONDS - started)) s)"

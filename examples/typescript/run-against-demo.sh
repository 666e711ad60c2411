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

# The server's start and its cleanup, shared with make http-audit.
# shellcheck source=../../tools/demo-server.sh
source "$root/tools/demo-server.sh"
demo_server_start

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

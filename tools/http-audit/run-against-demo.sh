#!/usr/bin/env bash
# Runs graphql-http's own GraphQL-over-HTTP server audit (audit.mjs) against
# a fresh demo server, as CI does (make http-audit): builds the server,
# starts it in demo mode on a free port with a temporary SQLite database and
# the per-token rate limit raised (the audit sends its requests at once),
# waits for /healthz, takes the demo token from its log, then runs npm ci
# and node audit.mjs. Exits non-zero on any failure, on an audit whose
# status is error, or when too few audits passed; the server is stopped and
# its files removed in every case.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# The server's start and its cleanup, shared with make example-ts.
# shellcheck source=../demo-server.sh
source "$root/tools/demo-server.sh"
# The audit's 61 requests leave together, above the default burst of 40
# (LEASEGRAPH_TOKEN_RATE and LEASEGRAPH_TOKEN_BURST, docs/configuration.md):
# a 429 would fail an audit for a reason that is not GraphQL over HTTP.
demo_server_start LEASEGRAPH_TOKEN_RATE=1000 LEASEGRAPH_TOKEN_BURST=1000
step "server ready after $((SECONDS - started)) s"

cd "$here"
export API_URL="$url/graphql" API_TOKEN="$token"
audit_started=$SECONDS
step "npm ci"
npm ci --no-audit --no-fund
step "node audit.mjs ($API_URL)"
node audit.mjs
step "passed: npm ci and the audit took $((SECONDS - audit_started)) s (all: $((SECONDS - started)) s)"

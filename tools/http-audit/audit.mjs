// graphql-http's own GraphQL-over-HTTP server audit (graphql-http 1.23.1,
// pinned in package.json) against a leasegraph server: every audit of
// serverAudits(), run together by auditServer(), with the API token on each
// request. One line per audit (status, id, name; for the others than ok the
// reason and what the server answered), then the count of each status.
//
//   API_URL=http://127.0.0.1:8080/graphql API_TOKEN=lg_... node audit.mjs
//
// Exits 1 when an audit's status is error (a MUST of the audit's reading of
// the GraphQL-over-HTTP spec failed), or when fewer than MIN_OK audits are
// ok: a server that refuses every request (a bad token: 401; a rate limit:
// 429) passes the audits that expect a 4xx, and would otherwise pass with
// warnings. Warnings (SHOULD) and notices (MAY) do not fail it: audit 1.23.1
// predates parts of the current draft (https://graphql.github.io/graphql-over-http/draft/),
// which the server follows, so some of them are expected where the two
// disagree (for example 422, not 400, for a request that is not a
// well-formed GraphQL-over-HTTP request or fails validation).
import { auditServer } from 'graphql-http';

// 61 audits in 1.23.1: against the demo server 39 are ok; one that refuses every
// request (a wrong token) leaves 8.
const MIN_OK = 30;
// A request that takes longer is a fatal error, not a wait without end.
const REQUEST_TIMEOUT_MS = 30_000;

const url = process.env.API_URL;
const token = process.env.API_TOKEN;
if (!url || !token) {
  console.error('audit: set API_URL (the /graphql URL) and API_TOKEN');
  process.exit(2);
}

// fetchFn: fetch with the token's Authorization header on every request
// (the audits call it with a URL and, mostly, an init whose headers are a
// plain object; some GETs pass no init at all).
function authorizedFetch(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, {
    ...init,
    headers,
    signal: init.signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

// What the server answered, for an audit that is not ok: status, media type
// and the start of the body.
async function answered(res) {
  if (!res) return '';
  let body = '';
  try {
    body = (await res.text()).replace(/\s+/g, ' ').trim();
  } catch {
    body = '(body already read)';
  }
  if (body.length > 200) body = `${body.slice(0, 200)}...`;
  const type = res.headers.get('content-type') ?? '(no content-type)';
  return ` [got ${res.status} ${type}: ${body}]`;
}

let results;
try {
  results = await auditServer({ url, fetchFn: authorizedFetch });
} catch (err) {
  // auditServer throws only when an audit could not run at all (the
  // server is unreachable, a request timed out).
  console.error(`audit: an audit could not run: ${err?.cause ?? err}`);
  process.exit(1);
}

const statuses = ['ok', 'notice', 'warn', 'error'];
const counts = Object.fromEntries(statuses.map((s) => [s, 0]));
for (const r of results) {
  counts[r.status]++;
  let line = `${r.status.padEnd(6)} ${r.id} ${r.name}`;
  if (r.status !== 'ok') {
    line += `: ${r.reason}${await answered(r.response)}`;
  }
  console.log(line);
}

console.log(
  `audit: ${results.length} audits: ` +
    statuses.map((s) => `${counts[s]} ${s}`).join(', '),
);
let failed = false;
if (counts.error > 0) {
  console.error(`audit: FAILED: ${counts.error} audit(s) with status error (a MUST the server does not meet)`);
  failed = true;
}
if (counts.ok < MIN_OK) {
  console.error(
    `audit: FAILED: only ${counts.ok} audits ok, fewer than ${MIN_OK}: does the server refuse the requests (token, rate limit)?`,
  );
  failed = true;
}
if (!failed) {
  console.log('audit: passed (no error; warnings and notices are where the audit asks for more than, or other than, the server does)');
}
// Exit at once: idle keep-alive connections need not hold the process.
process.exit(failed ? 1 : 0);

// A typed leasegraph client: every document below goes through graphql()
// from src/gql, which `npm run codegen` generates from the server's
// schema, so a field the server lacks, or a result used as the wrong type,
// is a compile error (`npm start` type-checks before it runs).
//
// It lists move-ins with their tenants, creates a prospect and follows its
// delivery to Propexo until it succeeds. It exits non-zero on any error, or
// when it saw no data (no move-ins, no prospect id from Propexo).
//
//   API_URL    the server (default http://localhost:8080)
//   API_TOKEN  a token with the write scope (make run prints one)
import { graphql } from "./gql";
import type { TypedDocumentString } from "./gql/graphql";

const url = (process.env.API_URL ?? "http://localhost:8080").replace(/\/+$/, "");
const token = process.env.API_TOKEN ?? "";
const deliveryTimeoutMs = Number(process.env.DELIVERY_TIMEOUT_MS ?? 60_000);

// execute sends one typed document: its variables and its result have the
// types codegen generated for it.
async function execute<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  ...[variables]: TVariables extends Record<string, never> ? [] : [TVariables]
): Promise<TResult> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json",
      Authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query: document.toString(), variables }),
  });
  const body = (await response.json().catch(() => null)) as {
    data?: TResult;
    errors?: { message: string; extensions?: { code?: string } }[];
  } | null;
  if (!response.ok || !body || body.errors?.length || !body.data) {
    const errors = body?.errors?.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("; ");
    throw new Error(`HTTP ${response.status} (request ${response.headers.get("X-Request-Id")}): ${errors ?? "no data"}`);
  }
  return body.data;
}

const MoveIns = graphql(`
  query MoveIns($from: Date!, $to: Date!) {
    leases(first: 10, moving: { kinds: [MOVE_IN], from: $from, to: $to }) {
      totalCount
      edges {
        node {
          id
          status
          moveInDate
          tenants {
            firstName
            lastName
            email
            previousAddress {
              street
              city
              state
              zip
            }
          }
        }
      }
    }
  }
`);

const CreateProspect = graphql(`
  mutation CreateProspect($input: CreateProspectInput!) {
    createProspect(input: $input) {
      id
      firstName
      lastName
      integrationJobs {
        edges {
          node {
            id
            kind
            status
          }
        }
      }
    }
  }
`);

const ProspectDelivery = graphql(`
  query ProspectDelivery($id: ID!) {
    node(id: $id) {
      ... on Prospect {
        propexoProspectID
        integrationJobs {
          edges {
            node {
              id
              kind
              status
              attempts
              lastError
            }
          }
        }
      }
    }
  }
`);

async function listMoveIns(): Promise<number> {
  const { leases } = await execute(MoveIns, { from: "2020-01-01", to: "2030-12-31" });
  console.log(`move-ins: ${leases.totalCount} in total, the first ${leases.edges?.length ?? 0}:`);
  for (const edge of leases.edges ?? []) {
    const lease = edge?.node;
    if (!lease) continue;
    const tenants = (lease.tenants ?? [])
      .map((t) => {
        const from = t.previousAddress ? ` from ${t.previousAddress.city}, ${t.previousAddress.state}` : "";
        return `${t.firstName} ${t.lastName} <${t.email}>${from}`;
      })
      .join("; ");
    console.log(`  ${lease.moveInDate ?? "?"} ${lease.status} ${lease.id}: ${tenants || "no tenants"}`);
  }
  return leases.totalCount;
}

// createAndFollowProspect creates a prospect, then asks for it by id until
// its delivery to Propexo has succeeded; it throws when the delivery failed
// or was held, or after deliveryTimeoutMs.
async function createAndFollowProspect(): Promise<string> {
  const stamp = Date.now();
  const { createProspect: prospect } = await execute(CreateProspect, {
    input: {
      firstName: "Ada",
      lastName: `Example${stamp}`,
      phone1: "(512) 555-0100",
      email1: `ada.${stamp}@example.com`,
      notes: "Created by examples/typescript",
    },
  });
  const jobs = prospect.integrationJobs.edges?.flatMap((e) => (e?.node ? [e.node] : [])) ?? [];
  console.log(`prospect ${prospect.id} (${prospect.firstName} ${prospect.lastName}) created; deliveries: ${jobs.map((j) => `${j.kind} ${j.status}`).join(", ") || "none yet"}`);

  const deadline = Date.now() + deliveryTimeoutMs;
  let last = "";
  for (;;) {
    const { node } = await execute(ProspectDelivery, { id: prospect.id });
    if (!node || !("propexoProspectID" in node)) throw new Error(`node(id: ${prospect.id}) is not a Prospect`);
    const deliveries = node.integrationJobs.edges?.flatMap((e) => (e?.node ? [e.node] : [])) ?? [];
    const states = deliveries.map((j) => `${j.kind} ${j.status} (attempts ${j.attempts})`).join(", ");
    if (states !== last) console.log(`  delivery: ${states || "none yet"}`);
    last = states;
    const bad = deliveries.find((j) => j.status !== "QUEUED" && j.status !== "SENT" && j.status !== "SUCCEEDED");
    if (bad) throw new Error(`delivery ${bad.id} is ${bad.status}: ${bad.lastError || "no error given"}`);
    if (deliveries.length > 0 && deliveries.every((j) => j.status === "SUCCEEDED")) {
      if (!node.propexoProspectID) throw new Error("delivered, yet no propexoProspectID");
      console.log(`prospect delivered: Propexo's id ${node.propexoProspectID}`);
      return node.propexoProspectID;
    }
    if (Date.now() > deadline) throw new Error(`no delivery succeeded within ${deliveryTimeoutMs / 1000} s: ${states || "none"}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function main(): Promise<void> {
  if (!token) throw new Error("API_TOKEN is not set (make run logs a demo token)");
  const moveIns = await listMoveIns();
  if (moveIns === 0) throw new Error("no move-ins: nothing to show");
  await createAndFollowProspect();
  console.log(`ok: ${moveIns} move-ins listed, one prospect created and delivered`);
}

main().catch((error: unknown) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

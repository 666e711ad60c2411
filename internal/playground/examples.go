package playground

// Example is one tab the playground opens with: a document (one operation
// or several, each named), runnable as is with the demo token. The tests
// run every operation of every example against the demo data, so an
// example that stops matching the schema fails them. Values are written
// into the documents: GraphiQL (4.1) opens a default tab without its
// variables.
type Example struct {
	Query string `json:"query"`
}

// Examples are the playground's first tabs, in order: what a CRM vendor
// asks first (who moves in and out, with their addresses), then the two
// writes integrators make (a prospect pushed to Propexo and followed; a
// screening ordered through SmartMove).
var Examples = []Example{
	{
		Query: `# Who moves in or out in a window: each lease with its unit and its
# tenants, where they come from (previousAddress) and where they go
# (forwardingAddress). Press run (Ctrl-Enter). Docs: the book icon, left.
query MovesInWindow {
  leases(first: 10, moving: {kinds: [MOVE_IN, MOVE_OUT], from: "2020-01-01", to: "2030-12-31"}) {
    totalCount
    edges {
      node {
        id status moveInDate moveOutDate
        unitAddress { street apt city state zip }
        tenants {
          firstName lastName email cellPhone
          previousAddress { street apt city state zip }
          forwardingAddress { street apt city state zip }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`,
	},
	{
		Query: `# A prospect is stored at once and delivered to Propexo in the background.
# Run CreateProspect, then FollowDeliveries (the run button asks which):
# its delivery goes QUEUED, SENT, then SUCCEEDED (or FAILED with lastError).
mutation CreateProspect {
  createProspect(input: {firstName: "Ada", lastName: "Lovelace", phone1: "(512) 555-0100",
      email1: "ada@example.com", notes: "Asked for a 2-bedroom, moving in June"}) {
    id firstName
    integrationJobs { edges { node { id kind status } } }
  }
}

query FollowDeliveries {
  integrationJobs(first: 5, orderBy: {field: CREATED_AT, direction: DESC},
      where: {kindIn: [PROPEXO_CREATE_PROSPECT, PROPEXO_UPDATE_PROSPECT]}) {
    edges {
      node {
        id kind status attempts lastError failedFields candidates
        prospect { id firstName propexoProspectID }
      }
    }
  }
}
`,
	},
	{
		Query: `# A tenant screening through SmartMove: the landlord finishes the order
# at completionLink, then each applicant is emailed. Run OrderScreening
# (a new idempotencyKey orders again), then Screenings.
mutation OrderScreening {
  createScreeningApplication(idempotencyKey: "playground-example-1",
      input: {applicants: ["applicant@example.com"]}) {
    completionLink
    application { id status orderStatus }
  }
}

query Screenings {
  screeningApplications(first: 5, orderBy: {field: CREATED_AT, direction: DESC}) {
    edges { node { id kind status orderStatus applicants(first: 10) { edges { node { email status } } } } }
  }
}
`,
	},
}

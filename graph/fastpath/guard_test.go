package fastpath_test

import (
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/leasegraph/leasegraph/graph"
	"github.com/leasegraph/leasegraph/graph/fastpath"
)

// The real schema and generated code agree with the whitelist, and the
// extension's Validate is the same check.
func TestCheckAcceptsTheSchema(t *testing.T) {
	es := graph.NewSchema(nil, graph.Services{})
	if err := fastpath.Check(es); err != nil {
		t.Fatal(err)
	}
	if err := (&fastpath.Extension{}).Validate(es); err != nil {
		t.Fatal(err)
	}
	// @deprecated changes nothing gqlgen answers.
	deprecated := editedSchema(t, edit{"type Tenant ", "\thomePhone: String!\n", "\thomePhone: String! @deprecated(reason: \"gone\")\n"})
	if err := fastpath.Check(withSchema{es, deprecated}); err != nil {
		t.Errorf("a deprecated field: %v", err)
	}
}

// Every way the schema can drift from the whitelist stops the fast path:
// each edit is what a change to a .graphqls file (or ent's schema) would
// make of it.
func TestCheckRefusesSchemaDrift(t *testing.T) {
	es := graph.NewSchema(nil, graph.Services{})
	cases := []struct {
		name  string
		edits []edit
		want  string
	}{
		{"a field dropped", []edit{{"type Tenant ", "\temail: String!\n", ""}}, "Tenant.email is missing"},
		{"an address field dropped", []edit{{"type Address ", "\tzip: String!\n", ""}}, "Address.zip is missing"},
		{"a type changed", []edit{{"type Lease ", "\tstatus: String!", "\tstatus: LeaseSource!"}},
			"Lease.status is LeaseSource!; the fast path writes it as String!"},
		{"a list changed", []edit{{"type Lease ", "\ttenants: [Tenant!]", "\ttenants: [Tenant!]!"}}, "Lease.tenants is [Tenant!]!"},
		{"made nullable", []edit{{"type Tenant ", "\tfirstName: String!", "\tfirstName: String"}}, "Tenant.firstName is String;"},
		{"made non-null", []edit{{"type Lease ", "\tmoveInDate: Date\n", "\tmoveInDate: Date!\n"}}, "Lease.moveInDate is Date!;"},
		{"a connection field nullable", []edit{{"type LeaseConnection ", "\ttotalCount: Int!", "\ttotalCount: Int"}}, "LeaseConnection.totalCount is Int;"},
		{"another object", []edit{{"type Tenant ", "\tpreviousAddress: Address", "\tpreviousAddress: Property"}},
			"Tenant.previousAddress is a Property; the fast path writes it as a Address"},
		{"the root's type", []edit{{"type Query ", "): LeaseConnection!\n", "): LeaseConnection\n"}}, "Query.leases is LeaseConnection;"},
		{"a directive", []edit{{"", "", "directive @mask on FIELD_DEFINITION"}, {"type Tenant ", "\temail: String!", "\temail: String! @mask"}},
			"Tenant.email has directive @mask"},
		{"a forced resolver", []edit{{"type Lease ", "\tstatus: String!", "\tstatus: String! @goField(forceResolver: true)"}},
			"Lease.status has directive @goField"},
		{"an argument", []edit{{"type Tenant ", "\temail: String!", "\temail(masked: Boolean = true): String!"}},
			"Tenant.email takes arguments (masked)"},
		{"a directive on the type", []edit{{"", "", "directive @audited on OBJECT"}, {"type Address ", "type Address {", "type Address @audited {"}},
			"Address has directive @audited"},
		{"another interface", []edit{{"", "", "interface Record { sourceID: String! }"}, {"type Lease ", "implements Node {", "implements Node & Record {"}},
			"Lease satisfies [Lease Node Record]"},
		{"a union", []edit{{"", "", "union Resident = Tenant | Client"}}, "Tenant satisfies [Node Resident Tenant]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := fastpath.Check(withSchema{es, editedSchema(t, c.edits...)})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Check: %v, want an error saying %q", err, c.want)
			}
			// The extension refuses it too, which makes gqlgen's Use panic.
			if (&fastpath.Extension{}).Validate(withSchema{es, editedSchema(t, c.edits...)}) == nil {
				t.Fatal("Validate accepted it")
			}
		})
	}
}

// A resolver or a method that gqlgen.yml, @goField or a model method
// would give a whitelisted field leaves the schema as it was: the guard
// finds it in the FieldContext gqlgen's generated code builds.
func TestCheckRefusesResolvers(t *testing.T) {
	es := graph.NewSchema(nil, graph.Services{})
	cases := []struct {
		name string
		es   graphql.ExecutableSchema
		want string
	}{
		{"a resolver that changes nothing", generatedAs{ExecutableSchema: es, field: "Tenant.email", resolver: true},
			"Tenant.email has a resolver"},
		{"a resolver that masks", generatedAs{ExecutableSchema: es, field: "Tenant.cellPhone", resolver: true, method: true,
			resolve: func(any) any { return "***" }}, "Tenant.cellPhone has a resolver"},
		{"a method", generatedAs{ExecutableSchema: es, field: "Lease.status", method: true}, "Lease.status is read through a method"},
		{"an address resolver", generatedAs{ExecutableSchema: es, field: "Address.street", resolver: true}, "Address.street has a resolver"},
		{"a connection resolver", generatedAs{ExecutableSchema: es, field: "LeaseConnection.totalCount", resolver: true},
			"LeaseConnection.totalCount has a resolver"},
		{"the tenants edge no longer ent's method", generatedAs{ExecutableSchema: es, field: "Lease.tenants"},
			"Lease.tenants is no longer read through the model's method"},
		{"the tenants edge a resolver", generatedAs{ExecutableSchema: es, field: "Lease.tenants", method: true, resolver: true},
			"Lease.tenants has a resolver"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := fastpath.Check(c.es)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Check: %v, want an error saying %q", err, c.want)
			}
		})
	}
}

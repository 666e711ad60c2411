package handler_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
)

// TestSchemaIsDocumented: the playground is the documentation for CRM
// vendors, so every type, field, argument, input field and enum value the
// API exposes carries a description.
func TestSchemaIsDocumented(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("Docs")
		var out struct {
			Schema struct {
				Types []struct {
					Name        string
					Description *string
					Fields      []struct {
						Name        string
						Description *string
						Args        []struct {
							Name        string
							Description *string
						}
					}
					InputFields []struct {
						Name        string
						Description *string
					}
					EnumValues []struct {
						Name        string
						Description *string
					}
				}
			} `json:"__schema"`
		}
		e.MustGQL(token, `{ __schema { types {
			name description
			fields { name description args { name description } }
			inputFields { name description }
			enumValues { name description } } } }`, nil, &out)
		var missing []string
		blank := func(s *string) bool { return s == nil || strings.TrimSpace(*s) == "" }
		for _, ty := range out.Schema.Types {
			if strings.HasPrefix(ty.Name, "__") {
				continue
			}
			if blank(ty.Description) {
				missing = append(missing, ty.Name)
			}
			for _, f := range ty.Fields {
				if blank(f.Description) {
					missing = append(missing, ty.Name+"."+f.Name)
				}
				for _, a := range f.Args {
					if blank(a.Description) {
						missing = append(missing, ty.Name+"."+f.Name+"("+a.Name+")")
					}
				}
			}
			for _, f := range ty.InputFields {
				if blank(f.Description) {
					missing = append(missing, ty.Name+"."+f.Name)
				}
			}
			for _, v := range ty.EnumValues {
				if blank(v.Description) {
					missing = append(missing, ty.Name+"."+v.Name)
				}
			}
		}
		if len(out.Schema.Types) < 20 {
			t.Fatalf("introspection returned only %d types", len(out.Schema.Types))
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%d schema elements have no description:\n%s", len(missing), strings.Join(missing, "\n"))
		}
	})
}

// TestSchemaClientType: a tenant organisation is a Client in the API, as
// its queries and mutations say (clients, clientId, createClient); the ent
// schema's name, Company, appears nowhere. node(id:) resolves a client's id
// to a Client whose fields a fragment on Client loads (ent's field
// collection selects columns by the GraphQL type name).
func TestSchemaClientType(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		id, token := e.NewClient("Acme Homes")
		var types struct {
			Client, Company *struct{ Name string }
			Connection      *struct{ Name string } `json:"connection"`
			Where           *struct{ Name string } `json:"where"`
		}
		e.MustGQL(token, `{
			Client: __type(name: "Client") { name }
			Company: __type(name: "Company") { name }
			connection: __type(name: "ClientConnection") { name }
			where: __type(name: "ClientWhereInput") { name } }`, nil, &types)
		if types.Client == nil || types.Connection == nil || types.Where == nil || types.Company != nil {
			t.Fatalf("types Client %v, ClientConnection %v, ClientWhereInput %v, Company %v: want the Client ones only",
				types.Client, types.Connection, types.Where, types.Company)
		}
		type client struct {
			Typename       string `json:"__typename"`
			ID, Name       string
			MoveInStatuses []string
		}
		var out struct {
			Node    client
			Nodes   []client
			Clients struct{ Edges []struct{ Node client } }
		}
		e.MustGQL(token, `query($id: ID!) {
			node(id: $id) { __typename id ... on Client { name moveInStatuses } }
			nodes(ids: [$id]) { __typename id ... on Client { name moveInStatuses } }
			clients(where: {name: "Acme Homes"}) { edges { node { __typename id name moveInStatuses } } } }`,
			map[string]any{"id": apptest.Itoa(id)}, &out)
		if len(out.Nodes) != 1 || len(out.Clients.Edges) != 1 {
			t.Fatalf("nodes %+v, clients %+v: want the client once each", out.Nodes, out.Clients.Edges)
		}
		for what, c := range map[string]client{"node": out.Node, "nodes": out.Nodes[0], "clients": out.Clients.Edges[0].Node} {
			if c.Typename != "Client" || c.ID != apptest.Itoa(id) || c.Name != "Acme Homes" || len(c.MoveInStatuses) == 0 {
				t.Errorf("%s: %+v, want the Client %d with its name and status set", what, c, id)
			}
		}
	})
}

package properties_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/properties"
	"github.com/leasegraph/leasegraph/viewer"
)

// Properties managed through GraphQL: create, update, the bulk upsert by
// tag, each scoped to the caller's client; the showing mode set here
// decides the next registration and survives lease imports.

const (
	upsertPropertiesMutation = `mutation($in: [UpsertPropertyInput!]!) { upsertProperties(input: $in) { created updated properties { ` +
		apptest.PropertyFields + ` } } }`
)

// propertiesOf lists a client's properties as stored, "tag name mode" each,
// sorted.
func propertiesOf(t *testing.T, e *apptest.Env, clientID int) []string {
	t.Helper()
	ps, err := e.Client.Property.Query().Where(property.ClientID(clientID)).All(e.Sys())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%s|%s|%s", p.Tag, p.Name, p.ShowingMode))
	}
	slices.Sort(out)
	return out
}

// wantError checks that a GraphQL answer is exactly one error with code and
// the input field path, and no data.
func wantError(t *testing.T, r apptest.GQLResponse, code string, field ...string) {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("errors %+v, want one %s", r.Errors, code)
	}
	e := r.Errors[0]
	if e.Code() != code {
		t.Errorf("code %q (%s), want %s", e.Code(), e.Message, code)
	}
	if field != nil {
		var got []string
		if f, ok := e.Extensions["field"].([]any); ok {
			for _, x := range f {
				got = append(got, fmt.Sprint(x))
			}
		}
		if !slices.Equal(got, field) {
			t.Errorf("extensions.field %q, want %q (%s)", got, field, e.Message)
		}
	}
	if len(r.Errors) > 0 && strings.TrimSpace(e.Message) == "" {
		t.Error("an error without a message")
	}
	if s := string(r.Data); s != "" && s != "null" {
		t.Errorf("data %s with an error", s)
	}
}

func TestPropertyMutations(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		a, tokenA := e.NewClient("A")
		b, tokenB := e.NewClient("B")
		readA := e.Token(a, viewer.ScopeRead)

		var created struct{ CreateProperty apptest.GQLProperty }
		e.MustGQL(tokenA, apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{
			"tag": " P-1 ", "name": "Tower One", "address": map[string]any{"street": "1 Main St", "city": "Austin", "state": "TX", "zip": "78701"},
		}}, &created)
		p := created.CreateProperty
		if p.Tag != "P-1" || p.Name != "Tower One" || p.ShowingMode != "SELF_SHOWING" || p.Address == nil || p.Address.City != "Austin" {
			t.Fatalf("created %+v", p)
		}
		var bProp struct{ CreateProperty apptest.GQLProperty }
		e.MustGQL(tokenB, apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": "P-1", "showingMode": "PRELEASE"}}, &bProp)

		var updated struct{ UpdateProperty apptest.GQLProperty }
		e.MustGQL(tokenA, apptest.UpdatePropertyMutation, map[string]any{"id": p.ID, "in": map[string]any{
			"tag": "P-1A", "name": "Tower One East", "showingMode": "INACTIVE", "clearAddress": true}}, &updated)
		if u := updated.UpdateProperty; u.ID != p.ID || u.Tag != "P-1A" || u.Name != "Tower One East" || u.ShowingMode != "INACTIVE" || u.Address != nil {
			t.Fatalf("updated %+v", u)
		}
		// Omitted fields are unchanged.
		e.MustGQL(tokenA, apptest.UpdatePropertyMutation, map[string]any{"id": p.ID, "in": map[string]any{"showingMode": "PRELEASE"}}, &updated)
		if u := updated.UpdateProperty; u.Tag != "P-1A" || u.Name != "Tower One East" || u.ShowingMode != "PRELEASE" {
			t.Fatalf("partial update %+v", u)
		}

		t.Run("another client's property is invisible and unwritable", func(t *testing.T) {
			before := propertiesOf(t, e, b)
			r := e.GQL(tokenA, apptest.UpdatePropertyMutation, map[string]any{"id": bProp.CreateProperty.ID, "in": map[string]any{"showingMode": "INACTIVE"}})
			wantError(t, r, "NOT_FOUND")
			if strings.Contains(r.Errors[0].Message, "B") {
				t.Errorf("the error names the other client: %s", r.Errors[0].Message)
			}
			// An upsert by B's tag creates A's own property, and leaves B's alone.
			var up struct {
				UpsertProperties struct{ Created, Updated int }
			}
			r = e.GQL(tokenA, upsertPropertiesMutation, map[string]any{"in": []any{map[string]any{"tag": "P-1", "showingMode": "INACTIVE"}}})
			if len(r.Errors) != 0 {
				t.Fatal(r.Errors)
			}
			if err := json.Unmarshal(r.Data, &up); err != nil || up.UpsertProperties.Created != 1 {
				t.Fatalf("upsert of B's tag as A: %s (%v)", r.Data, err)
			}
			if after := propertiesOf(t, e, b); !slices.Equal(after, before) {
				t.Errorf("B's properties %v, then %v", before, after)
			}
			// And A's list holds only A's.
			var list struct {
				Properties struct {
					Edges []struct{ Node apptest.GQLProperty }
				}
			}
			e.MustGQL(tokenA, `{ properties { edges { node { id tag } } } }`, nil, &list)
			for _, ed := range list.Properties.Edges {
				if ed.Node.ID == bProp.CreateProperty.ID {
					t.Errorf("A sees B's property %+v", ed.Node)
				}
			}
			if len(list.Properties.Edges) != 2 {
				t.Errorf("A sees %d properties, want 2", len(list.Properties.Edges))
			}
			// Clean up for the cases below: A's P-1 goes back to the mode it had.
			e.MustGQL(tokenA, upsertPropertiesMutation, map[string]any{"in": []any{map[string]any{"tag": "P-1", "showingMode": "SELF_SHOWING"}}}, &up)
		})

		t.Run("a read token is refused", func(t *testing.T) {
			before := propertiesOf(t, e, a)
			wantError(t, e.GQL(readA, apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": "R-1"}}), "FORBIDDEN")
			wantError(t, e.GQL(readA, apptest.UpdatePropertyMutation, map[string]any{"id": p.ID, "in": map[string]any{"showingMode": "INACTIVE"}}), "FORBIDDEN")
			wantError(t, e.GQL(readA, upsertPropertiesMutation, map[string]any{"in": []any{map[string]any{"tag": "R-2"}}}), "FORBIDDEN")
			if after := propertiesOf(t, e, a); !slices.Equal(after, before) {
				t.Errorf("properties %v, then %v", before, after)
			}
		})

		t.Run("bad input", func(t *testing.T) {
			before := propertiesOf(t, e, a)
			cases := []struct {
				name, query string
				vars        map[string]any
				code        string
				field       []string
			}{
				{"empty tag", apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": "  "}}, "BAD_USER_INPUT", []string{"input", "tag"}},
				{"long tag", apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": strings.Repeat("t", 101)}}, "BAD_USER_INPUT", []string{"input", "tag"}},
				{"long name", apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": "N-1", "name": strings.Repeat("n", 201)}}, "BAD_USER_INPUT", []string{"input", "name"}},
				{"long city", apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": "N-2", "address": map[string]any{"city": strings.Repeat("c", 201)}}}, "BAD_USER_INPUT", []string{"input", "address", "city"}},
				{"unknown mode", apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": "N-3", "showingMode": "OPEN_HOUSE"}}, "BAD_USER_INPUT", []string{"in", "showingMode"}}, // gqlgen's check of the variable
				{"tag taken", apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": "P-1A"}}, "CONFLICT", []string{"input", "tag"}},
				{"renamed onto a taken tag", apptest.UpdatePropertyMutation, map[string]any{"id": p.ID, "in": map[string]any{"tag": "P-1"}}, "CONFLICT", []string{"input", "tag"}},
				{"address and clearAddress", apptest.UpdatePropertyMutation, map[string]any{"id": p.ID, "in": map[string]any{"address": map[string]any{"city": "X"}, "clearAddress": true}}, "BAD_USER_INPUT", []string{"input", "clearAddress"}},
				{"unknown id", apptest.UpdatePropertyMutation, map[string]any{"id": "999999", "in": map[string]any{"name": "X"}}, "NOT_FOUND", nil},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					wantError(t, e.GQL(tokenA, c.query, c.vars), c.code, c.field...)
				})
			}
			if after := propertiesOf(t, e, a); !slices.Equal(after, before) {
				t.Errorf("properties %v, then %v", before, after)
			}
		})

		t.Run("bulk upsert", func(t *testing.T) {
			var up struct {
				UpsertProperties struct {
					Created, Updated int
					Properties       []apptest.GQLProperty
				}
			}
			e.MustGQL(tokenA, upsertPropertiesMutation, map[string]any{"in": []any{
				map[string]any{"tag": "U-1", "name": "Upsert One", "showingMode": "PRELEASE"},
				map[string]any{"tag": "P-1A", "name": "Tower One East (renamed)"},
				map[string]any{"tag": "U-2"},
			}}, &up)
			r := up.UpsertProperties
			if r.Created != 2 || r.Updated != 1 || len(r.Properties) != 3 {
				t.Fatalf("upsert: %+v", r)
			}
			if got := []string{r.Properties[0].Tag, r.Properties[1].Tag, r.Properties[2].Tag}; !slices.Equal(got, []string{"U-1", "P-1A", "U-2"}) {
				t.Errorf("properties in order %v", got)
			}
			// The existing one keeps what was not sent (its mode).
			if p1 := r.Properties[1]; p1.ID != p.ID || p1.Name != "Tower One East (renamed)" || p1.ShowingMode != "PRELEASE" {
				t.Errorf("matched %+v", p1)
			}
			if u2 := r.Properties[2]; u2.ShowingMode != "SELF_SHOWING" || u2.Name != "" {
				t.Errorf("created with defaults %+v", u2)
			}

			// A refused entry writes none, whichever it is.
			before := propertiesOf(t, e, a)
			for _, c := range []struct {
				name  string
				in    []any
				field []string
			}{
				{"bad last entry", []any{map[string]any{"tag": "U-3"}, map[string]any{"tag": "U-1", "showingMode": "INACTIVE"}, map[string]any{"tag": ""}}, []string{"input", "2", "tag"}},
				{"tag twice", []any{map[string]any{"tag": "U-4"}, map[string]any{"tag": "U-1", "showingMode": "INACTIVE"}, map[string]any{"tag": " U-4"}}, []string{"input", "2", "tag"}},
				{"too many", tooMany(), []string{"input"}},
			} {
				t.Run(c.name, func(t *testing.T) {
					wantError(t, e.GQL(tokenA, upsertPropertiesMutation, map[string]any{"in": c.in}), "BAD_USER_INPUT", c.field...)
				})
			}
			// An upsert that succeeded is rolled back with the operation whose
			// other field failed.
			t.Run("operation fails after the upsert", func(t *testing.T) {
				r := e.GQL(tokenA, `mutation($in: [UpsertPropertyInput!]!, $c: CreatePropertyInput!) {
					upsertProperties(input: $in) { created } createProperty(input: $c) { id } }`,
					map[string]any{"in": []any{map[string]any{"tag": "U-5"}, map[string]any{"tag": "U-1", "showingMode": "INACTIVE"}}, "c": map[string]any{"tag": "P-1A"}})
				wantError(t, r, "CONFLICT", "input", "tag")
			})
			if after := propertiesOf(t, e, a); !slices.Equal(after, before) {
				t.Errorf("a refused upsert wrote: %v, then %v", before, after)
			}
			// At the bound, the upsert is taken.
			var full []any
			for i := range properties.MaxUpsert {
				full = append(full, map[string]any{"tag": "BULK-" + strconv.Itoa(i)})
			}
			e.MustGQL(tokenA, upsertPropertiesMutation, map[string]any{"in": full}, &up)
			if up.UpsertProperties.Created != properties.MaxUpsert {
				t.Errorf("%d created at the bound", up.UpsertProperties.Created)
			}
		})
	})
}

func tooMany() []any {
	var in []any
	for i := range properties.MaxUpsert + 1 {
		in = append(in, map[string]any{"tag": "MANY-" + strconv.Itoa(i)})
	}
	return in
}

// TestPropertyModeDecidesRegistration: a mode changed through GraphQL
// decides the next registration at once, and a later lease import that
// mentions the property (with another name) keeps the mode.
func TestPropertyModeDecidesRegistration(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("A")
		var created struct{ CreateProperty apptest.GQLProperty }
		e.MustGQL(token, apptest.CreatePropertyMutation, map[string]any{"in": map[string]any{"tag": "HOUSE-9", "name": "Nine Elms"}}, &created)
		id := created.CreateProperty.ID

		register := func(phone string) string {
			t.Helper()
			var out apptest.RegisterResult
			e.MustGQL(token, apptest.RegisterMutation, map[string]any{"in": map[string]any{"propertyTag": "HOUSE-9", "mobilePhone": phone}}, &out)
			return out.RegisterProspect.Status
		}
		if s := register("512-555-0181"); s != "invited" {
			t.Fatalf("SELF_SHOWING: %s", s)
		}
		var updated struct{ UpdateProperty apptest.GQLProperty }
		e.MustGQL(token, apptest.UpdatePropertyMutation, map[string]any{"id": id, "in": map[string]any{"showingMode": "PRELEASE"}}, &updated)
		if s := register("512-555-0182"); s != "prelease" {
			t.Fatalf("after the change to PRELEASE: %s", s)
		}

		// A lease import mentions the property, with a name of its own.
		feed := `[{"id": "L-9", "property_id": "HOUSE-9", "property_name": "Nine Elms (feed)", "status": "approved", "lease_start_date": "2025-01-01"},
			{"id": "L-10", "property_id": "HOUSE-10", "property_name": "Ten Elms", "status": "approved", "lease_start_date": "2025-01-01"}]`
		var imp apptest.ImportResult
		e.MustGQL(token, apptest.ImportMutation, map[string]any{"f": "JSON", "d": feed, "dry": false}, &imp)
		if r := imp.ImportLeases; !r.Applied || r.PropertiesCreated != 1 {
			t.Fatalf("import: %+v", r)
		}
		var list struct {
			Properties struct {
				Edges []struct{ Node apptest.GQLProperty }
			}
		}
		e.MustGQL(token, `{ properties(orderBy: {field: TAG}) { edges { node { `+apptest.PropertyFields+` } } } }`, nil, &list)
		got := map[string]apptest.GQLProperty{}
		for _, ed := range list.Properties.Edges {
			got[ed.Node.Tag] = ed.Node
		}
		if p := got["HOUSE-9"]; p.ShowingMode != "PRELEASE" || p.Name != "Nine Elms" {
			t.Errorf("after the import HOUSE-9 is %+v: the import changed what the API set", p)
		}
		// A property the import creates takes the default mode.
		if p := got["HOUSE-10"]; p.ShowingMode != "SELF_SHOWING" || p.Name != "Ten Elms" {
			t.Errorf("the import created %+v", p)
		}
		if s := register("512-555-0183"); s != "prelease" {
			t.Fatalf("after the import: %s", s)
		}
		e.MustGQL(token, apptest.UpdatePropertyMutation, map[string]any{"id": id, "in": map[string]any{"showingMode": "INACTIVE"}}, &updated)
		if s := register("512-555-0184"); s != "incomplete" {
			t.Fatalf("after the change to INACTIVE: %s", s)
		}
	})
}

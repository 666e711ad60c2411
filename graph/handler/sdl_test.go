package handler_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leasegraph/leasegraph/internal/apptest"
)

// TestSchemaFile: GET /schema.graphql answers, without a token, the
// committed schema.graphql byte for byte (so a stale file fails here as
// well as in make check-generated), with descriptions, every type that
// introspection lists, and a revalidating ETag.
func TestSchemaFile(t *testing.T) {
	committed, err := os.ReadFile("../../schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		res, body := e.GetWith("/schema.graphql", nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("HTTP %d %s", res.StatusCode, body)
		}
		if !bytes.Equal(body, committed) {
			t.Errorf("the served SDL differs from the committed schema.graphql (run make generate): served %d bytes, committed %d", len(body), len(committed))
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/graphql; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("Cache-Control %q", cc)
		}
		// Descriptions of a hand-written field and of an ent type.
		for _, want := range []string{
			"\"\"\"\nA bearer token for the API. Only its prefix and metadata are readable; the secret is shown once at creation.\n\"\"\"\ntype APIToken implements Node {",
			"directive @partner on FIELD_DEFINITION",
		} {
			if !strings.Contains(string(body), want) {
				t.Errorf("the SDL lacks %q", want)
			}
		}
		// gqlgen's code-generation directives stay out: they name our Go packages.
		if strings.Contains(string(body), "@goModel") || strings.Contains(string(body), "github.com/") {
			t.Error("the SDL carries gqlgen's code-generation directives")
		}
		// The file is a schema of its own, and it is the whole one.
		schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(body)})
		if gerr != nil {
			t.Fatalf("the served SDL does not load: %v", gerr)
		}
		var printed []string
		for name, def := range schema.Types {
			if !def.BuiltIn {
				printed = append(printed, name)
			}
		}
		_, token := e.NewClient("Docs")
		var out struct {
			Schema struct{ Types []struct{ Name string } } `json:"__schema"`
		}
		e.MustGQL(token, `{ __schema { types { name } } }`, nil, &out)
		var introspected []string
		for _, ty := range out.Schema.Types {
			if !strings.HasPrefix(ty.Name, "__") && schema.Types[ty.Name] != nil && !schema.Types[ty.Name].BuiltIn {
				introspected = append(introspected, ty.Name)
			} else if schema.Types[ty.Name] == nil {
				introspected = append(introspected, ty.Name+" (missing from the SDL)")
			}
		}
		sort.Strings(printed)
		sort.Strings(introspected)
		if strings.Join(printed, " ") != strings.Join(introspected, " ") {
			t.Errorf("types in the SDL:\n%v\nintrospection lists:\n%v", printed, introspected)
		}

		again, body := e.GetWith("/schema.graphql", map[string]string{"If-None-Match": res.Header.Get("ETag")})
		if res.Header.Get("ETag") == "" || again.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Errorf("revalidating with ETag %q: HTTP %d, %d bytes", res.Header.Get("ETag"), again.StatusCode, len(body))
		}
	})
}

// TestSchemaFileRefusedWithIntrospection: switched off, introspection's
// code refuses the route too, in the JSON error shape of the REST routes.
func TestSchemaFileRefusedWithIntrospection(t *testing.T) {
	off := func(t *testing.T, s *apptest.Settings) { s.Config.GraphQL.NoIntrospection = true }
	apptest.EachDBSetup(t, off, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("Acme")
		for _, tok := range []string{"", token} {
			var header map[string]string
			if tok != "" {
				header = map[string]string{"Authorization": "Bearer " + tok}
			}
			res, body := e.GetWith("/schema.graphql", header)
			var got struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(body, &got); err != nil || res.StatusCode != http.StatusForbidden || got.Error.Code != "INTROSPECTION_DISABLED" {
				t.Errorf("token %q: HTTP %d %s", tok, res.StatusCode, body)
			}
			if strings.Contains(string(body), "type Query") {
				t.Errorf("the refusal carries the schema: %s", body)
			}
		}
	})
}

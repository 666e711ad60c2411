package fastpath_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/leasegraph/leasegraph/graph"
)

// withSchema is the generated executable schema answering Schema() with
// another schema: what a changed .graphqls file would give the guard,
// without generating code.
type withSchema struct {
	graphql.ExecutableSchema
	schema *ast.Schema
}

func (w withSchema) Schema() *ast.Schema { return w.schema }

// editedSchema loads the real schema's SDL (gqlparser's formatter, without
// descriptions) with each edit applied to the definition whose first line
// starts with its head ("type Lease ", "type Query ", or "" for the end of
// the document): old replaced once by new.
func editedSchema(t *testing.T, edits ...edit) *ast.Schema {
	t.Helper()
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithoutDescription()).FormatSchema(graph.NewSchema(nil, graph.Services{}).Schema())
	sdl := b.String()
	for _, e := range edits {
		if e.head == "" {
			sdl += "\n" + e.new + "\n"
			continue
		}
		start := strings.Index(sdl, "\n"+e.head)
		if start < 0 {
			t.Fatalf("no definition %q in the schema", e.head)
		}
		end := start + strings.Index(sdl[start:], "\n}\n") + 1
		def := sdl[start:end]
		if strings.Count(def, e.old) != 1 {
			t.Fatalf("%q is not once in %q", e.old, e.head)
		}
		sdl = sdl[:start] + strings.Replace(def, e.old, e.new, 1) + sdl[end:]
	}
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "edited.graphqls", Input: sdl})
	if err != nil {
		t.Fatalf("the edited schema does not load: %v", err)
	}
	return s
}

type edit struct{ head, old, new string }

// generatedAs is the generated executable schema as if gqlgen had
// generated one field differently: a resolver or a method where the
// fast path reads a struct field, or no method where it expects one. The
// field's FieldContext gets the flags gqlgen's generated fieldContext_*
// constructor would set, and its value is what resolve makes of the
// model's (nil: the same value, a resolver that changes nothing). That is
// all the generated code would change for the executor and the guard.
type generatedAs struct {
	graphql.ExecutableSchema
	field            string // "Type.field"
	method, resolver bool
	resolve          func(any) any
}

func (g generatedAs) Exec(ctx context.Context) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	inner := oc.ResolverMiddleware
	oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		if fc.Object+"."+fc.Field.Name == g.field {
			fc.IsMethod, fc.IsResolver = g.method, g.resolver
			if g.resolve != nil {
				model := next
				next = func(ctx context.Context) (any, error) {
					v, err := model(ctx)
					return g.resolve(v), err
				}
			}
		}
		return inner(ctx, next)
	}
	return g.ExecutableSchema.Exec(ctx)
}

package handler

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/internal/httpjson"
)

// SchemaPath is where the schema's SDL is served; the repository keeps the
// same text in schema.graphql (make generate writes it with
// tools/printschema, and a test compares the two byte for byte).
const SchemaPath = "/schema.graphql"

// SDL is the schema as clients see it, printed by gqlparser's formatter:
// every type, ent's generated ones included, with descriptions and
// @deprecated reasons, built-in types and directives left out (every
// GraphQL tool knows them), and so are gqlgen's own directives (below).
// The formatter sorts types and directives by name, so the same schema
// prints the same bytes.
func SDL(es graphql.ExecutableSchema) []byte {
	var buf bytes.Buffer
	formatter.NewFormatter(&buf, formatter.WithIndent("  ")).FormatSchema(withoutCodegen(es.Schema()))
	return buf.Bytes()
}

// codegenDirectives configure gqlgen's code generation (which Go type or
// field a GraphQL one binds to): they mean nothing to a client, do not
// exist at run time, and would print our Go package paths in the SDL.
var codegenDirectives = map[string]bool{"goModel": true, "goField": true, "goTag": true, "goExtraField": true, "goEnum": true}

// withoutCodegen copies s without codegenDirectives, neither their
// definitions nor their uses. A copy: s is the schema gqlgen executes
// against, shared by every request.
func withoutCodegen(s *ast.Schema) *ast.Schema {
	c := *s
	c.Directives = make(map[string]*ast.DirectiveDefinition, len(s.Directives))
	for name, d := range s.Directives {
		if !codegenDirectives[name] {
			c.Directives[name] = d
		}
	}
	c.Types = make(map[string]*ast.Definition, len(s.Types))
	for name, def := range s.Types {
		d := *def
		d.Directives = withoutCodegenUses(def.Directives)
		d.Fields = make(ast.FieldList, len(def.Fields))
		for i, f := range def.Fields {
			ff := *f
			ff.Directives = withoutCodegenUses(f.Directives)
			ff.Arguments = make(ast.ArgumentDefinitionList, len(f.Arguments))
			for j, a := range f.Arguments {
				aa := *a
				aa.Directives = withoutCodegenUses(a.Directives)
				ff.Arguments[j] = &aa
			}
			d.Fields[i] = &ff
		}
		d.EnumValues = make(ast.EnumValueList, len(def.EnumValues))
		for i, v := range def.EnumValues {
			vv := *v
			vv.Directives = withoutCodegenUses(v.Directives)
			d.EnumValues[i] = &vv
		}
		c.Types[name] = &d
	}
	return &c
}

func withoutCodegenUses(list ast.DirectiveList) ast.DirectiveList {
	var out ast.DirectiveList
	for _, d := range list {
		if !codegenDirectives[d.Name] {
			out = append(out, d)
		}
	}
	return out
}

// SchemaFile serves GET /schema.graphql: the SDL printed once at start
// (the schema is compiled in and never changes while the process runs).
// It needs no token, as introspection needs none beyond the one /graphql
// asks for anyway: the schema is the API's public documentation. When
// introspection is switched off, the route is refused with the same code,
// since the SDL tells exactly what introspection would.
type SchemaFile struct {
	sdl  []byte
	etag string
	off  bool
}

// NewSchemaFile prints es once and serves it unless cfg switches
// introspection off.
func NewSchemaFile(es graphql.ExecutableSchema, cfg config.GraphQL) *SchemaFile {
	sdl := SDL(es)
	sum := sha256.Sum256(sdl)
	return &SchemaFile{sdl: sdl, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, off: cfg.NoIntrospection}
}

// ServeHTTP answers the SDL as application/graphql (the extension's type
// by convention: tools that fetch a schema by URL read the text whatever
// the type, and a browser offers it as a file rather than rendering it).
// Cache-Control no-cache with a strong ETag: a cache keeps the text but
// asks again each time, and a deploy that changes the schema changes the
// ETag, so nobody reads an old schema and an unchanged one costs a 304.
func (s *SchemaFile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// On the refusal too: switching introspection back on must not wait
	// for a cached 403 to expire.
	h.Set("Cache-Control", "no-cache")
	if s.off {
		httpjson.Error(w, &apperr.Error{Code: codeIntrospectionDisabled,
			Message: "introspection is switched off on this server, and with it " + SchemaPath}, http.StatusForbidden)
		return
	}
	h.Set("Content-Type", "application/graphql; charset=utf-8")
	h.Set("ETag", s.etag)
	// ServeContent answers If-None-Match with 304 and HEAD without a body.
	http.ServeContent(w, r, "schema.graphql", time.Time{}, bytes.NewReader(s.sdl))
}

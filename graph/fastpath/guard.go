package fastpath

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	gqlexecutor "github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/tenant"
	"github.com/leasegraph/leasegraph/types"
)

// Check refuses an executable schema the fast path would answer wrongly:
// one where its whitelist no longer describes what gqlgen does for a
// whitelisted field. The writer reads the ent model directly, so anything
// gqlgen would do between the model and the answer (a resolver masking an
// email, a directive checking a scope, a field turned nullable) would be
// skipped without a sound. Check sees two things:
//
//   - the schema (es.Schema()): every whitelisted type is an object that
//     satisfies exactly the interfaces and unions its fragments may name;
//     every whitelisted field exists with the GraphQL type the writer
//     assumes, nullability included, takes no argument (a default would
//     reach gqlgen's resolver and never the writer), and carries no
//     directive but @deprecated (gqlgen runs a field definition's
//     directives around its resolver; @deprecated only shows in
//     introspection). Query.leases must exist and be a LeaseConnection!;
//     its arguments and directives are gqlgen's, since the fast path keeps
//     whatever the field's whole chain returned;
//   - the generated code: a resolver configured in gqlgen.yml (or forced by
//     @goField, or a model method gqlgen binds to) leaves the schema as it
//     was and shows only in the FieldContext gqlgen's generated code builds
//     for the field (IsResolver, IsMethod). Those constructors are
//     unexported, so Check runs gqlgen's executor once over a made-up page
//     selecting every whitelisted field, with an interceptor that records
//     each field's context and stands in for the leases resolver and the
//     tenants edge (no database, no viewer). A whitelisted field must be
//     neither a resolver nor, but for those marked method, a method.
//
// What it cannot see is a changed marshaler behind the same scalar name
// (a new Go binding of Time in gqlgen.yml), or a field middleware that
// graph/handler adds around every field: the differential test
// (differential_test.go) compares the written bytes with gqlgen's, whose
// side runs both.
func Check(es graphql.ExecutableSchema) error {
	if err := checkSchema(es.Schema()); err != nil {
		return fmt.Errorf("leases fast path: the schema disagrees with its whitelist (graph/fastpath):\n%w", err)
	}
	if err := checkResolution(es); err != nil {
		return fmt.Errorf("leases fast path: gqlgen's generated code disagrees with its whitelist (graph/fastpath):\n%w", err)
	}
	return nil
}

// whitelisted returns the object types the fast path writes, each once, in
// a fixed order (for messages and the probe's query).
func whitelisted() []*objectType {
	var out []*objectType
	var walk func(t *objectType)
	walk = func(t *objectType) {
		if slices.Contains(out, t) {
			return
		}
		out = append(out, t)
		for _, name := range fieldNames(t) {
			if child := t.children[t.fields[name].kind]; child != nil {
				walk(child)
			}
		}
	}
	walk(connectionType)
	return out
}

func fieldNames(t *objectType) []string {
	names := make([]string, 0, len(t.fields))
	for name := range t.fields {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func checkSchema(s *ast.Schema) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if s == nil || s.Query == nil {
		return errors.New("the schema has no Query type")
	}
	if f := s.Query.Fields.ForName("leases"); f == nil {
		bad("Query.leases is missing")
	} else if got := f.Type.String(); got != rootType {
		bad("Query.leases is %s; the fast path expects %s", got, rootType)
	}
	for _, t := range whitelisted() {
		def := s.Types[t.name]
		if def == nil || def.Kind != ast.Object {
			bad("%s is not an object type of the schema", t.name)
			continue
		}
		// gqlgen's generated code may run an object's directives on every
		// value of it; the writer would not.
		for _, d := range def.Directives {
			bad("%s has directive @%s, which the fast path would bypass", t.name, d.Name)
		}
		// Fragments on a type the writer does not know it satisfies would
		// be dropped by its CollectFields and kept by gqlgen's.
		have := []string{def.Name}
		for _, d := range s.GetImplements(def) {
			have = append(have, d.Name)
		}
		if !sameSet(have, t.implements) {
			sort.Strings(have)
			want := slices.Clone(t.implements)
			sort.Strings(want)
			bad("%s satisfies %v; the fast path collects fragments on %v", t.name, have, want)
		}
		for _, name := range fieldNames(t) {
			fd := t.fields[name]
			f := def.Fields.ForName(name)
			if f == nil {
				bad("%s.%s is missing", t.name, name)
				continue
			}
			if got := f.Type.String(); got != fd.typ {
				bad("%s.%s is %s; the fast path writes it as %s", t.name, name, got, fd.typ)
			}
			if child := t.children[fd.kind]; child != nil && f.Type.Name() != child.name {
				bad("%s.%s is a %s; the fast path writes it as a %s", t.name, name, f.Type.Name(), child.name)
			}
			if len(f.Arguments) > 0 {
				args := make([]string, len(f.Arguments))
				for i, a := range f.Arguments {
					args[i] = a.Name
				}
				bad("%s.%s takes arguments (%s), which the fast path would ignore", t.name, name, strings.Join(args, ", "))
			}
			for _, d := range f.Directives {
				if d.Name != "deprecated" {
					bad("%s.%s has directive @%s, which the fast path would bypass", t.name, name, d.Name)
				}
			}
		}
	}
	return errors.Join(errs...)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// resolution is how gqlgen's generated code resolves a field.
type resolution struct{ method, resolver bool }

func checkResolution(es graphql.ExecutableSchema) error {
	seen, failed, err := probe(es)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range whitelisted() {
		for _, name := range fieldNames(t) {
			fd := t.fields[name]
			r, ok := seen[t.name+"."+name]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s.%s was not resolved by gqlgen's executor", t.name, name))
			case r.resolver:
				errs = append(errs, fmt.Errorf("%s.%s has a resolver, which the fast path would bypass", t.name, name))
			case r.method && !fd.method:
				errs = append(errs, fmt.Errorf("%s.%s is read through a method of the model, which the fast path would bypass", t.name, name))
			case !r.method && fd.method:
				errs = append(errs, fmt.Errorf("%s.%s is no longer read through the model's method the fast path re-implements", t.name, name))
			}
		}
	}
	// A field the probe did not run (a resolver, a method) leaves a null
	// gqlgen complains of: its errors say something new only when every
	// field was as expected.
	if len(errs) == 0 && len(failed) > 0 {
		return fmt.Errorf("gqlgen failed on the probe page: %w", failed)
	}
	return errors.Join(errs...)
}

// probeQuery selects every whitelisted field once.
func probeQuery() string {
	var b strings.Builder
	var sel func(t *objectType)
	sel = func(t *objectType) {
		b.WriteString("{")
		for _, name := range fieldNames(t) {
			b.WriteString(" " + name)
			if child := t.children[t.fields[name].kind]; child != nil {
				b.WriteString(" ")
				sel(child)
			}
		}
		b.WriteString(" }")
	}
	b.WriteString("query LeasesFastPathProbe { leases ")
	sel(connectionType)
	b.WriteString(" }")
	return b.String()
}

// probe runs the probe query through gqlgen's executor and returns how
// each field was resolved, by "Type.field", and the errors of the answer.
func probe(es graphql.ExecutableSchema) (map[string]resolution, gqlerror.List, error) {
	p := &prober{seen: map[string]resolution{}}
	exec := gqlexecutor.New(es)
	exec.Use(p)
	exec.SetRecoverFunc(func(_ context.Context, v any) error { return fmt.Errorf("panic: %v", v) })
	ctx := graphql.StartOperationTrace(context.Background())
	oc, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: probeQuery()})
	if errs != nil {
		return nil, nil, fmt.Errorf("gqlgen refused the probe query: %w", errs)
	}
	h, ctx := exec.DispatchOperation(ctx, oc)
	resp := h(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if resp == nil {
		return nil, nil, errors.New("gqlgen gave no answer to the probe query")
	}
	return p.seen, resp.Errors, nil
}

// prober records each field's resolution and stands in for what would
// need a database: the leases resolver, the tenants edge, and any
// resolver or method (never run at start-up: it may want a viewer too).
type prober struct {
	mu   sync.Mutex
	seen map[string]resolution
}

func (*prober) ExtensionName() string                   { return "LeasesFastPathProbe" }
func (*prober) Validate(graphql.ExecutableSchema) error { return nil }

func (p *prober) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	p.mu.Lock()
	p.seen[fc.Object+"."+fc.Field.Name] = resolution{method: fc.IsMethod, resolver: fc.IsResolver}
	p.mu.Unlock()
	switch {
	case fc.Object == "Query" && fc.Field.Name == "leases":
		return probePage(), nil
	case fc.Object == "Lease" && fc.Field.Name == "tenants":
		return []*ent.Tenant{probeTenant()}, nil
	case fc.IsResolver || fc.IsMethod:
		return nil, nil
	}
	return next(ctx)
}

// probePage is a page of one lease with every whitelisted value set, so
// that gqlgen reaches every field and has no null to complain of.
func probePage() *ent.LeaseConnection {
	l := &ent.Lease{ID: 1, CreatedAt: probeTime, UpdatedAt: probeTime, SourceID: "L", Status: "approved",
		UseType: "residential", LeaseStartDate: probeTime, LeaseEndDate: &probeTime, MoveInDate: &probeTime,
		MoveOutDate: &probeTime, UnitAddress: probeAddress(), PreviousAddress: probeAddress(), ForwardingAddress: probeAddress()}
	cursor := ent.Cursor{ID: l.ID}
	return &ent.LeaseConnection{
		Edges:      []*ent.LeaseEdge{{Node: l, Cursor: cursor}},
		PageInfo:   ent.PageInfo{StartCursor: &cursor, EndCursor: &cursor},
		TotalCount: 1,
	}
}

func probeTenant() *ent.Tenant {
	g := tenant.GenderFEMALE
	return &ent.Tenant{ID: 2, CreatedAt: probeTime, UpdatedAt: probeTime, SourceID: "T", FirstName: "A", LastName: "B",
		Gender: &g, PreviousAddress: probeAddress(), ForwardingAddress: probeAddress()}
}

var probeTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func probeAddress() *types.Address {
	return &types.Address{Street: "1 Main St", City: "Austin", State: "TX", Zip: "78701"}
}

package cost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// introspectionQuery is GraphiQL's (graphql-js getIntrospectionQuery with
// every option on), with a deeper TypeRef than it has, to leave a margin.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    description
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL
  fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } } }`

// fragmentBomb is n fragments, each spreading the next twice: 2^n fields
// once expanded, in a few hundred bytes.
func fragmentBomb(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
	return b.String()
}

// fields is n distinct fields, each with the selection set.
func fields(prefix string, n int, set string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s%d %s ", prefix, i, set)
	}
	return b.String()
}

func nest(field string, levels int, leaf string) string {
	return strings.Repeat(field+" { ", levels) + leaf + strings.Repeat(" }", levels)
}

func TestCheckDocument(t *testing.T) {
	l := DefaultLimits()
	for _, ok := range []string{
		introspectionQuery,
		`{ leases(first: 10) { totalCount edges { node { id tenants { firstName email } } } pageInfo { hasNextPage endCursor } } }`,
		`query A { clients { totalCount } } query B { leases { totalCount } }`,
		"{ " + nest("a", l.MaxDepth-1, "b") + " }",
		"{ " + strings.Repeat("id ", l.MaxRepeats) + "}",
		fragmentBomb(5),
		`{ ...Cycle } fragment Cycle on Query { ...Cycle }`, // the validator reports it
		`{ syntax error`, // gqlgen's parser reports it
	} {
		if err := l.CheckDocument(ok); err != nil {
			t.Errorf("%.60q: refused: %v %v", ok, err.Message, err.Extensions)
		}
	}
	var vars, frags strings.Builder
	for i := range l.MaxVariables + 1 {
		fmt.Fprintf(&vars, "$v%d: Int ", i)
	}
	for i := range l.MaxFragments + 1 {
		fmt.Fprintf(&frags, "fragment F%d on Query { __typename }\n", i)
	}
	aliases := func(n int, field string) string {
		var b strings.Builder
		b.WriteString("{ ")
		for i := range n {
			fmt.Fprintf(&b, "a%d: %s ", i, field)
		}
		return b.String() + "}"
	}
	for _, c := range []struct {
		name, query, code, limit string
	}{
		{"tokens", "{ " + strings.Repeat("__typename ", l.MaxTokens) + "}", CodeTooLarge, "tokens"},
		{"fragment bomb", fragmentBomb(26), CodeTooDeep, "fragmentDepth"},
		{"wide fragment bomb", `{ ...A } fragment A on Query { ` + fields("a", 10, "{ ...B }") + ` }
			fragment B on T { ` + fields("b", 10, "{ ...C }") + ` }
			fragment C on T { ` + fields("c", 10, "{ ...D }") + ` }
			fragment D on T { ` + fields("d", 10, "") + ` }`, CodeTooLarge, "selections"},
		{"unused fragment bomb", "{ __typename } " + strings.TrimPrefix(fragmentBomb(8), "{ ...F0 }"), CodeTooLarge, "repeats"},
		{"repeats", "{ " + strings.Repeat("leases { totalCount } ", l.MaxRepeats+1) + "}", CodeTooLarge, "repeats"},
		{"repeats through fragments", "{ leases { ...X ...Y } } fragment X on LeaseConnection { " + strings.Repeat("totalCount ", 30) +
			"} fragment Y on LeaseConnection { " + strings.Repeat("totalCount ", 30) + "}", CodeTooLarge, "repeats"},
		{"aliases", "{ x " + aliases(l.MaxAliases+1, "__typename") + " }", CodeTooLarge, "aliases"},
		{"root fields", "{ " + fields("f", l.MaxRootFields+1, "") + " }", CodeTooLarge, "rootFields"},
		{"depth", "{ " + nest("a", l.MaxDepth, "b") + " }", CodeTooDeep, "depth"},
		{"depth through fragments", "{ a { ...F } } fragment F on A { " + nest("b", l.MaxDepth, "c") + " }", CodeTooDeep, "depth"},
		{"variables", "query(" + vars.String() + ") { __typename }", CodeTooLarge, "variables"},
		{"fragments", "{ __typename } " + frags.String(), CodeTooLarge, "fragments"},
	} {
		err := l.CheckDocument(c.query)
		if err == nil {
			t.Errorf("%s: not refused", c.name)
			continue
		}
		if err.Extensions["code"] != c.code || err.Extensions["limit"] != c.limit {
			t.Errorf("%s: %v %v, want %s %s", c.name, err.Message, err.Extensions, c.code, c.limit)
		}
	}
}

// The walk stops at the bound: a bomb of 2^40 selections is refused after
// at most MaxSelections steps, with the nesting limit raised so that the
// size is what stops it.
func TestCheckDocumentStopsAtTheBound(t *testing.T) {
	l := DefaultLimits()
	l.MaxFragmentDepth, l.MaxRepeats = 100, 1<<30
	err := l.CheckDocument(fragmentBomb(40))
	if err == nil || err.Extensions["limit"] != "selections" {
		t.Fatalf("got %v", err)
	}
}

// Root fields count by response name: a repeated root field runs once.
func TestRootFieldsByResponseName(t *testing.T) {
	l := DefaultLimits()
	if err := l.CheckDocument("{ " + strings.Repeat("leases { totalCount } ", l.MaxRootFields+1) + "}"); err != nil {
		t.Fatal(err)
	}
}

// A request's partner calls past the cap wait, and give up with the
// request's context.
func TestAcquirePartner(t *testing.T) {
	e := &Extension{Limits: Limits{PartnerConcurrency: 1}}
	ctx := operation(e)
	release, err := acquirePartner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waiting, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := acquirePartner(waiting); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second call while the first runs: %v", err)
	}
	release()
	if release, err = acquirePartner(ctx); err != nil {
		t.Fatalf("after release: %v", err)
	}
	release()
	// Outside an operation nothing is capped.
	if _, err := acquirePartner(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// operation is the context e gives an operation's resolvers.
func operation(e *Extension) context.Context {
	var ctx context.Context
	e.InterceptOperation(context.Background(), func(c context.Context) graphql.ResponseHandler {
		ctx = c
		return nil
	})
	return ctx
}

// partnerSchema has one field marked @partner (Report.url) beside an
// unmarked one of the same type (Report.status).
const partnerSchema = `
directive @partner on FIELD_DEFINITION
type Query { report: Report reports: [Report!]! }
type Report { url: String @partner status: String }
`

func partnerExtension(t *testing.T, sdl string) (*Extension, error) {
	t.Helper()
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "partner.graphqls", Input: sdl})
	if err != nil {
		t.Fatal(err)
	}
	es := &graphql.ExecutableSchemaMock{
		SchemaFunc:     func() *ast.Schema { return schema },
		ComplexityFunc: func(context.Context, string, string, int, map[string]any) (int, bool) { return 0, false },
	}
	e := &Extension{Limits: Limits{ListSize: 10, PartnerFieldCost: 1000, PartnerConcurrency: 1}}
	return e, e.Validate(es)
}

// The schema alone says which fields call a partner: a field marked
// @partner costs PartnerFieldCost per value and waits for a partner-call
// slot; an unmarked field of the same type costs 1 and never waits.
func TestPartnerFieldsAreMarkedInTheSchema(t *testing.T) {
	e, err := partnerExtension(t, partnerSchema)
	if err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string]int{
		`{ report { url } }`:           1 + 1000,
		`{ report { status } }`:        1 + 1,
		`{ report { url status } }`:    1 + 1000 + 1,
		`{ reports { url } }`:          1 + 10*1000,
		`{ reports { status } }`:       1 + 10*1,
		`{ report { a: url b: url } }`: 1 + 2*1000,
	} {
		doc, errs := gqlparser.LoadQueryWithRules(e.weighted.Schema(), query, nil)
		if errs != nil {
			t.Fatalf("%s: %v", query, errs)
		}
		if got := Complexity(context.Background(), e, &graphql.OperationContext{Operation: doc.Operations[0]}); got != want {
			t.Errorf("%s: complexity %d, want %d", query, got, want)
		}
	}

	// The operation's one slot is taken: the marked field waits for it (and
	// gives up with its context), the unmarked one runs at once.
	ctx := operation(e)
	release, err := acquirePartner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	report := e.weighted.Schema().Types["Report"]
	field := func(name string) (context.Context, context.CancelFunc) {
		fc := &graphql.FieldContext{Object: "Report", Field: graphql.CollectedField{
			Field: &ast.Field{Name: name, Definition: report.Fields.ForName(name), ObjectDefinition: report}}}
		return context.WithTimeout(graphql.WithFieldContext(ctx, fc), 20*time.Millisecond)
	}
	resolved := func(context.Context) (any, error) { return "answered", nil }
	url, cancel := field("url")
	defer cancel()
	if res, err := e.InterceptField(url, resolved); !errors.Is(err, context.DeadlineExceeded) || res != nil {
		t.Fatalf("Report.url with no slot free: %v, %v; want it to wait until its deadline", res, err)
	}
	status, cancel := field("status")
	defer cancel()
	if res, err := e.InterceptField(status, resolved); err != nil || res != "answered" {
		t.Fatalf("Report.status with no slot free: %v, %v; want it answered at once", res, err)
	}
}

// A schema without the directive is refused: every partner field would be
// costed and run as an ordinary one.
func TestPartnerDirectiveIsDeclared(t *testing.T) {
	if _, err := partnerExtension(t, `type Query { report: String }`); err == nil || !strings.Contains(err.Error(), "@partner") {
		t.Fatalf("Validate: %v, want the missing @partner directive refused", err)
	}
}

// BenchmarkCheckDocument: refusing a fragment bomb costs a bounded walk,
// with the nesting limit out of the way so that the size stops it.
func BenchmarkCheckDocument(b *testing.B) {
	l := DefaultLimits()
	l.MaxFragmentDepth, l.MaxRepeats = 100, 1<<30
	q := fragmentBomb(40)
	for b.Loop() {
		if err := l.CheckDocument(q); err == nil {
			b.Fatal("not refused")
		}
	}
}

// A query over MaxCachedQuery is checked every time, never kept: a
// padded document cannot pin a body's worth of memory in the caches.
func TestDocumentCacheKeepsSmallQueriesOnly(t *testing.T) {
	c := NewDocumentCache[int](2)
	ctx := context.Background()
	small, large := "{ leases { totalCount } }", "#"+strings.Repeat("x", MaxCachedQuery)+"\n{ leases { totalCount } }"
	c.Add(ctx, small, 1)
	c.Add(ctx, large, 2)
	if v, ok := c.Get(ctx, small); !ok || v != 1 {
		t.Fatalf("small query: %v %v", v, ok)
	}
	if _, ok := c.Get(ctx, large); ok || c.Len() != 1 {
		t.Fatalf("a %d-byte query was kept (%d entries)", len(large), c.Len())
	}
	for i := range 5 {
		c.Add(ctx, fmt.Sprint("{ a", i, " }"), i)
	}
	if c.Len() != 2 {
		t.Fatalf("%d entries, want at most 2", c.Len())
	}
}

// An answer's values are its objects' keys, found without decoding: a
// quote and colon inside a string (escaped) is not a key, a backslash at
// a string's end does not hide the next key.
func TestAnsweredValues(t *testing.T) {
	for data, want := range map[string]int{
		``:        0,
		`null`:    0,
		`{"a":1}`: 1,
		`{"leases":{"edges":[{"node":{"id":"1","name":"Sam \"Q\": x"}},{"node":null}]}}`: 6,
		`{"a":"C:\\","b":"\\\":"}`:                  2,
		`{"a":[],"b":{},"c":[{"d":["e:","f\":"]}]}`: 4,
	} {
		if got := answeredValues([]byte(data)); got != want {
			t.Errorf("%s: %d values, want %d", data, got, want)
		}
	}
	e := &Extension{Limits: Limits{PartnerFieldCost: 10000}}
	if got := e.ActualCost([]byte(`{"leases":{"totalCount":3},"report":{"url":"u"}}`), 1, 1); got != 4+99+9999 {
		t.Errorf("a connection and a partner field: %d", got)
	}
}

// BenchmarkAnsweredValues counts the values of a leases page as the
// harness's query answers it: 50 leases with two tenants each, about 47 KB.
func BenchmarkAnsweredValues(b *testing.B) {
	var page strings.Builder
	page.WriteString(`{"leases":{"pageInfo":{"hasNextPage":true,"endCursor":"gaFpzwAAAAIAAAAI"},"edges":[`)
	for i := range 50 {
		if i > 0 {
			page.WriteString(",")
		}
		fmt.Fprintf(&page, `{"node":{"id":"%d","status":"Approved","useType":"Corporate","leaseStartDate":"2024-03-01","leaseEndDate":"2025-02-28","moveInDate":"2024-03-01","moveOutDate":null,`+
			`"unitAddress":{"street":"%d Main Street","apt":"4B","city":"Austin","state":"TX","zip":"78701"},"tenants":[`, 8589934592+i, 100+i)
		for j := range 2 {
			if j > 0 {
				page.WriteString(",")
			}
			fmt.Fprintf(&page, `{"firstName":"Sam","lastName":"Lee","email":"t%d-%d@example.com","cellPhone":"+15125550100","homePhone":null,`+
				`"previousAddress":{"street":"28 W 22nd Street","apt":"2G","city":"New York","state":"NY","zip":"10010"},"forwardingAddress":null}`, i, j)
		}
		page.WriteString(`]}}`)
	}
	page.WriteString(`]}}`)
	data := []byte(page.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		answeredValues(data)
	}
}

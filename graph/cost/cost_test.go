package cost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
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
	var ctx context.Context
	e.InterceptOperation(context.Background(), func(c context.Context) graphql.ResponseHandler {
		ctx = c
		return nil
	})
	release, err := AcquirePartner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waiting, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := AcquirePartner(waiting); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second call while the first runs: %v", err)
	}
	release()
	if release, err = AcquirePartner(ctx); err != nil {
		t.Fatalf("after release: %v", err)
	}
	release()
	// Outside an operation nothing is capped.
	if _, err := AcquirePartner(context.Background()); err != nil {
		t.Fatal(err)
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

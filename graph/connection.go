package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// WithoutUnaskedCount returns the context a connection's resolver should run
// in so that it counts rows only when totalCount is asked for.
//
// entgql's Paginate (v0.7.0) runs COUNT(*), repeating the whole WHERE,
// whenever pageInfo is selected, though it only uses the count when no edges
// are fetched: with edges it fetches one row more than the page and sets
// hasNextPage/hasPreviousPage and the cursors from the rows. So when edges
// are selected, totalCount is not, and the page is not empty by request
// (first: 0 or last: 0 answers pageInfo from the count), the resolver is
// shown the selection without pageInfo. Only what the resolver reads
// changes: the answer is marshalled from the query's own selection.
// Paginate matches selections by response name (alias), and so does this.
func WithoutUnaskedCount(ctx context.Context) context.Context {
	fc := graphql.GetFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return ctx
	}
	for _, name := range []string{"first", "last"} {
		if n, _ := fc.Args[name].(*int); n != nil && *n == 0 {
			return ctx
		}
	}
	fields := graphql.CollectFields(oc, fc.Field.Selections, nil)
	var edges, pageInfo bool
	for _, f := range fields {
		switch f.Alias {
		case "totalCount":
			return ctx
		case "edges":
			edges = true
		case "pageInfo":
			pageInfo = true
		}
	}
	if !edges || !pageInfo {
		return ctx
	}
	sel := make(ast.SelectionSet, 0, len(fields)-1)
	for _, f := range fields {
		if f.Alias == "pageInfo" {
			continue
		}
		// The collected field merges every occurrence (fragments, repeats);
		// keep the merged selection so eager loading sees all of it.
		field := *f.Field
		field.SelectionSet = f.Selections
		sel = append(sel, &field)
	}
	cp := *fc
	cp.Field.Selections = sel
	ctx = graphql.WithFieldContext(ctx, &cp)
	cp.Parent = fc.Parent // the same field, not a child of itself: paths stay right
	return ctx
}

// Package cost bounds the work one GraphQL request can make the server do,
// and refuses a request over a bound before any resolver or SQL statement
// runs. It works in two steps, because gqlparser's validator (its
// OverlappingFieldsCanBeMerged rule above all) costs time exponential in
// nested fragments and quadratic in repeated selections:
//
//   - before validation, Extension parses the document itself (under the
//     parser token limit) and walks it with every fragment expanded, stopping
//     at the first bound crossed: selections, depth, fragment nesting,
//     repeats of one field, aliases, root fields, variables, fragments. The
//     walk itself never does more than MaxSelections steps;
//   - after validation, it refuses a plain list selected within itself
//     (tenants { lease { tenants } }) and computes the operation's
//     complexity, in which every list counts: a connection by its page size,
//     a plain list by ListSize, a partner-backed field (one the schema marks
//     @partner) by PartnerFieldCost, which the request also makes wait for
//     one of its PartnerConcurrency partner-call slots.
package cost

import (
	"fmt"

	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Codes of a refused request, in extensions.code; extensions.limit names the
// bound and extensions.max its value.
const (
	// CodeTooLarge: too many tokens, selections, repeats of one field,
	// aliases, root fields, variables or fragments.
	CodeTooLarge = "QUERY_TOO_LARGE"
	// CodeTooDeep: fields nested too deep, or fragments spread too deep.
	CodeTooDeep = "QUERY_TOO_DEEP"
	// CodeTooComplex: the operation's complexity is over MaxComplexity, or
	// it selects a plain list within itself (limit "listCycle").
	CodeTooComplex = "QUERY_TOO_COMPLEX"
)

func init() {
	// The request is wrong as sent, like a validation error: HTTP 422.
	for _, c := range []string{CodeTooLarge, CodeTooDeep, CodeTooComplex} {
		errcode.RegisterErrorType(c, errcode.KindProtocol)
	}
}

// Limits are the bounds; every one is a setting (config/table.go).
type Limits struct {
	MaxTokens        int
	MaxSelections    int
	MaxDepth         int
	MaxFragmentDepth int
	MaxRepeats       int
	MaxAliases       int
	MaxRootFields    int
	MaxVariables     int
	MaxFragments     int
	MaxComplexity    int
	// ListSize is the length assumed for a plain list (Lease.tenants,
	// Prospect.cards, ...), whose real length is only known once it is
	// loaded; truncating it to a bound instead would silently drop rows.
	ListSize int
	// PartnerFieldCost is what one partner-backed value costs: a call to a
	// partner is worth thousands of values read from our own store.
	PartnerFieldCost int
	// PartnerConcurrency caps a request's partner calls in flight at once.
	PartnerConcurrency int
}

// DefaultLimits are far above what the playground's own queries need: the
// documented examples (complexity at most a few thousand), a full page of 500
// leases with every field and tenants (130,100) and GraphiQL's
// introspection query (under 200 parser tokens, about 500 selections).
func DefaultLimits() Limits {
	return Limits{
		MaxTokens:          15000,
		MaxSelections:      5000,
		MaxDepth:           15,
		MaxFragmentDepth:   10,
		MaxRepeats:         50,
		MaxAliases:         100,
		MaxRootFields:      30,
		MaxVariables:       100,
		MaxFragments:       100,
		MaxComplexity:      250000,
		ListSize:           10,
		PartnerFieldCost:   10000,
		PartnerConcurrency: 4,
	}
}

func refuse(code, limit string, max int, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": code, "limit": limit, "max": max}
	return err
}

// CheckDocument parses query and checks it against every bound that does
// not need the schema. A document that does not parse passes: gqlgen's own
// parser reports its syntax error.
func (l Limits) CheckDocument(query string) *gqlerror.Error {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, l.MaxTokens)
	if err != nil {
		if ge, ok := err.(*gqlerror.Error); ok && ge.Message == fmt.Sprintf("exceeded token limit of %d", l.MaxTokens) {
			return refuse(CodeTooLarge, "tokens", l.MaxTokens, "the query has more than %d tokens", l.MaxTokens)
		}
		return nil
	}
	return l.check(doc)
}

func (l Limits) check(doc *ast.QueryDocument) *gqlerror.Error {
	if len(doc.Fragments) > l.MaxFragments {
		return refuse(CodeTooLarge, "fragments", l.MaxFragments, "the query defines %d fragments; at most %d are allowed", len(doc.Fragments), l.MaxFragments)
	}
	w := walker{l: l, fragments: map[string]*ast.FragmentDefinition{}, active: map[string]bool{}}
	for _, f := range doc.Fragments {
		if _, dup := w.fragments[f.Name]; !dup {
			w.fragments[f.Name] = f
		}
	}
	for _, op := range doc.Operations {
		if len(op.VariableDefinitions) > l.MaxVariables {
			return refuse(CodeTooLarge, "variables", l.MaxVariables, "the operation declares %d variables; at most %d are allowed", len(op.VariableDefinitions), l.MaxVariables)
		}
		w.inOperation, w.aliases = true, 0
		w.selectionSet(op.SelectionSet, 0, 0, true, map[string]int{})
		if w.err != nil {
			return w.err
		}
	}
	// The validator also checks each fragment on its own, expanding the
	// fragments it spreads: that work counts too.
	w.inOperation = false
	for _, f := range doc.Fragments {
		w.active[f.Name] = true
		w.selectionSet(f.SelectionSet, 0, 1, false, map[string]int{})
		delete(w.active, f.Name)
		if w.err != nil {
			return w.err
		}
	}
	return nil
}

// walker expands a document's selections, counting as it goes; it stops at
// the first bound crossed, so its own work is bounded by MaxSelections.
type walker struct {
	l         Limits
	fragments map[string]*ast.FragmentDefinition
	// active holds the fragments being expanded: a fragment spread within
	// itself is not followed (the validator reports the cycle).
	active      map[string]bool
	inOperation bool
	selections  int
	aliases     int
	err         *gqlerror.Error
}

// selectionSet walks set, whose fields sit at depth+1 and which is
// fragDepth fragments deep. names counts the response names of the merged
// selection set that set is part of; depthed is false under introspection,
// which reads the schema in memory and whose own nesting (GraphiQL's query
// is 13 deep) would otherwise set the depth limit.
func (w *walker) selectionSet(set ast.SelectionSet, depth, fragDepth int, depthed bool, names map[string]int) {
	l := w.l
	for _, sel := range set {
		if w.err != nil {
			return
		}
		if w.selections++; w.selections > l.MaxSelections {
			w.err = refuse(CodeTooLarge, "selections", l.MaxSelections, "the query has more than %d selections once its fragments are expanded", l.MaxSelections)
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			if names[name]++; names[name] > l.MaxRepeats {
				w.err = refuse(CodeTooLarge, "repeats", l.MaxRepeats, "%q is selected more than %d times in one selection set", name, l.MaxRepeats)
				w.err.Locations = []gqlerror.Location{{Line: s.Position.Line, Column: s.Position.Column}}
				return
			}
			if !w.inOperation {
				w.selectionSet(s.SelectionSet, depth+1, fragDepth, depthed, map[string]int{})
				continue
			}
			if depth == 0 && len(names) > l.MaxRootFields {
				w.err = refuse(CodeTooLarge, "rootFields", l.MaxRootFields, "the operation selects more than %d root fields", l.MaxRootFields)
				return
			}
			if s.Alias != "" && s.Alias != s.Name {
				if w.aliases++; w.aliases > l.MaxAliases {
					w.err = refuse(CodeTooLarge, "aliases", l.MaxAliases, "the operation has more than %d aliases", l.MaxAliases)
					return
				}
			}
			if depthed && depth+1 > l.MaxDepth {
				w.err = refuse(CodeTooDeep, "depth", l.MaxDepth, "the query nests fields more than %d deep", l.MaxDepth)
				w.err.Locations = []gqlerror.Location{{Line: s.Position.Line, Column: s.Position.Column}}
				return
			}
			introspection := depth == 0 && (s.Name == "__schema" || s.Name == "__type")
			w.selectionSet(s.SelectionSet, depth+1, fragDepth, depthed && !introspection, map[string]int{})
		case *ast.InlineFragment:
			w.selectionSet(s.SelectionSet, depth, fragDepth, depthed, names)
		case *ast.FragmentSpread:
			f := w.fragments[s.Name]
			if f == nil || w.active[s.Name] {
				continue // unknown, or a cycle: the validator says so
			}
			if fragDepth+1 > l.MaxFragmentDepth {
				w.err = refuse(CodeTooDeep, "fragmentDepth", l.MaxFragmentDepth, "the query spreads fragments more than %d deep", l.MaxFragmentDepth)
				return
			}
			w.active[s.Name] = true
			w.selectionSet(f.SelectionSet, depth, fragDepth+1, depthed, names)
			delete(w.active, s.Name)
		}
	}
}

package handler

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/leasegraph/leasegraph/apperr"
)

// Bounds on what one GraphQL operation's arguments may hold. Each keeps a
// value from reaching the database in a shape it refuses (SQLite allows
// 32766 parameters, a LIKE pattern of 50000 bytes and an expression tree
// 1000 deep) or that costs far more than a page of rows is worth.
const (
	// MaxInputString bounds every string argument (and every string inside
	// an input object, a list or a Map) that no tighter rule bounds.
	MaxInputString = 20000
	// MaxFilterString bounds each string in a where filter (nameContains...).
	MaxFilterString = 1000
	// MaxFilterList bounds each list in a where filter (idIn, statusNotIn...).
	MaxFilterList = 1000
	// MaxFilterTerms bounds the and/or/not/hasXWith terms of one where
	// argument, counted at every level.
	MaxFilterTerms = 100
	// MaxFilterDepth bounds how deeply those terms nest.
	MaxFilterDepth = 8
)

// bulkArgs are the string arguments that carry a document, not free text:
// they are checked for text, not for length (the request body cap bounds
// them).
var bulkArgs = map[string]bool{"Mutation.importLeases.data": true}

// inputLimits checks every string and every where filter of an operation,
// after validation and before any resolver or SQL statement runs: strings
// a database cannot store (a NUL byte, invalid UTF-8) and oversized values
// are BAD_USER_INPUT with extensions.field naming the argument's path. It
// walks the schema's types, so every ent-generated WhereInput is bounded
// without code of its own.
type inputLimits struct{ schema *ast.Schema }

var (
	_ graphql.HandlerExtension        = (*inputLimits)(nil)
	_ graphql.OperationContextMutator = (*inputLimits)(nil)
)

// ExtensionName implements graphql.HandlerExtension.
func (*inputLimits) ExtensionName() string { return "InputLimits" }

// Validate implements graphql.HandlerExtension.
func (l *inputLimits) Validate(es graphql.ExecutableSchema) error {
	l.schema = es.Schema()
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (l *inputLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	c := &inputChecker{schema: l.schema, vars: oc.Variables, doc: oc.Doc, seen: map[string]bool{}}
	if err := c.selections(oc.Operation.SelectionSet); err != nil {
		return gqlError(err)
	}
	// Validation refuses unused variables, and no directive here takes a
	// string: checking the arguments checks every variable.
	return nil
}

type inputChecker struct {
	schema *ast.Schema
	vars   map[string]any
	doc    *ast.QueryDocument
	// seen fragments are checked once, wherever they are spread: their
	// arguments are the same each time.
	seen map[string]bool
	// terms counts the current argument's filter terms.
	terms int
}

func (c *inputChecker) selections(set ast.SelectionSet) *apperr.Error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if err := c.field(s); err != nil {
				return err
			}
			if err := c.selections(s.SelectionSet); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := c.selections(s.SelectionSet); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if c.seen[s.Name] {
				continue
			}
			c.seen[s.Name] = true
			def := s.Definition
			if def == nil && c.doc != nil {
				def = c.doc.Fragments.ForName(s.Name)
			}
			if def != nil {
				if err := c.selections(def.SelectionSet); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (c *inputChecker) field(f *ast.Field) *apperr.Error {
	if f.Definition == nil {
		return nil
	}
	for _, arg := range f.Arguments {
		ad := f.Definition.Arguments.ForName(arg.Name)
		if ad == nil || arg.Value == nil {
			continue
		}
		v, err := arg.Value.Value(c.vars)
		if err != nil {
			continue // validation has reported it
		}
		limit := MaxInputString
		if f.ObjectDefinition != nil && bulkArgs[f.ObjectDefinition.Name+"."+f.Name+"."+arg.Name] {
			limit = -1
		}
		c.terms = 0
		if err := c.value([]string{arg.Name}, ad.Type, v, limit, false, 0); err != nil {
			return err
		}
	}
	return nil
}

// value checks v, of the schema type typ, at path. limit is the longest
// string allowed (-1: any); where says v is inside a where filter, depth
// how deeply its terms nest.
func (c *inputChecker) value(path []string, typ *ast.Type, v any, limit int, where bool, depth int) *apperr.Error {
	if v == nil || typ == nil {
		return nil
	}
	if typ.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			return c.value(path, typ.Elem, v, limit, where, depth) // a single value for a list
		}
		// A filter list, or any list of ids (nodes(ids:)), becomes one SQL
		// IN list: past the databases' parameter limits it would fail.
		if ((where && strings.HasSuffix(path[len(path)-1], "In")) || typ.Elem.Name() == "ID") && len(list) > MaxFilterList {
			return apperr.BadInput(strings.Join(path, "."), "%s has %d items; a filter or id list may hold at most %d", strings.Join(path, "."), len(list), MaxFilterList)
		}
		for i, e := range list {
			if err := c.value(append(slices.Clip(path), strconv.Itoa(i)), typ.Elem, e, limit, where, depth); err != nil {
				return err
			}
		}
		return nil
	}
	def := c.schema.Types[typ.Name()]
	if def == nil || def.Kind != ast.InputObject {
		return anyText(path, v, limit)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if strings.HasSuffix(def.Name, "WhereInput") {
		where = true
		if limit < 0 || limit > MaxFilterString {
			limit = MaxFilterString
		}
		if depth > MaxFilterDepth {
			return apperr.BadInput(strings.Join(path, "."), "the filter nests and/or/not deeper than %d levels", MaxFilterDepth)
		}
		// ent refuses an empty term inside and/or/not/hasXWith (a top-level
		// empty filter is no filter): say so instead of failing inside.
		if depth > 0 && !slices.ContainsFunc(slices.Collect(maps.Values(obj)), func(v any) bool { return v != nil }) {
			return apperr.BadInput(strings.Join(path, "."), "%s is an empty filter term: give it a condition or leave it out", strings.Join(path, "."))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		fd := def.Fields.ForName(name)
		if fd == nil {
			continue
		}
		fv, next := obj[name], depth
		if where && (name == "and" || name == "or" || name == "not" || strings.HasPrefix(name, "has") && strings.HasSuffix(name, "With")) {
			next = depth + 1
			if list, ok := fv.([]any); ok {
				c.terms += len(list)
			} else if fv != nil {
				c.terms++
			}
			if c.terms > MaxFilterTerms {
				return apperr.BadInput(strings.Join(path, "."), "the filter has more than %d and/or/not terms", MaxFilterTerms)
			}
		}
		if err := c.value(append(slices.Clip(path), name), fd.Type, fv, limit, where, next); err != nil {
			return err
		}
	}
	return nil
}

// anyText checks every string in a decoded value (a scalar, or a Map's
// contents): text a database can store, at most limit characters.
func anyText(path []string, v any, limit int) *apperr.Error {
	switch v := v.(type) {
	case string:
		if err := apperr.CheckTextPath(path, v); err != nil {
			return err
		}
		if limit >= 0 && len(v) > limit && utf8.RuneCountInString(v) > limit {
			return &apperr.Error{Code: apperr.CodeBadInput, Field: slices.Clone(path),
				Message: strings.Join(path, ".") + " is longer than " + strconv.Itoa(limit) + " characters"}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			p := append(slices.Clip(path), k)
			if err := apperr.CheckTextPath(p, k); err != nil {
				return err
			}
			if err := anyText(p, v[k], limit); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range v {
			if err := anyText(append(slices.Clip(path), strconv.Itoa(i)), e, limit); err != nil {
				return err
			}
		}
	}
	return nil
}

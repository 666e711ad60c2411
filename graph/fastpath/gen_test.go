package fastpath_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leasegraph/leasegraph/graph"
	"github.com/leasegraph/leasegraph/graph/fastpath"
)

// selectionGen writes random leases queries over the fast path's own
// whitelist: subsets of fields, aliases, repeats (merged by gqlgen),
// __typename, inline fragments with and without a type condition, named
// fragments (some spread twice) on the type or an interface it satisfies,
// @skip/@include with literals, required variables and a defaulted one,
// and various arguments of leases. Every query is valid, so gqlgen
// answers it with data. Now and then it also selects a leaf field outside
// the whitelist, which the fast path must leave to gqlgen.
//
// Response keys never conflict: an alias is its field's name with a
// suffix, so the same key always names the same field, and repeated
// selections merge whatever their sub-selections.
type selectionGen struct {
	r         *rand.Rand
	whitelist *fastpath.WhitelistType
	outside   map[string][]string // leaf fields outside the whitelist, by type

	// per query
	frags     []string
	fragTypes [][2]string // a fragment's name and the type it was written for, once written
	vars      map[string]any
	declared  map[string]string // variable: its declaration
	selected  bool              // a field outside the whitelist is selected
	cond      int               // how many of the selections being written may be skipped
}

func newSelectionGen(t *testing.T, seed uint64) *selectionGen {
	t.Helper()
	g := &selectionGen{r: rand.New(rand.NewPCG(seed, 0x1ea5e)), whitelist: fastpath.Whitelist(), outside: map[string][]string{}}
	schema := graph.NewSchema(nil, graph.Services{}).Schema()
	var walk func(w *fastpath.WhitelistType)
	seen := map[string]bool{}
	walk = func(w *fastpath.WhitelistType) {
		if seen[w.Name] {
			return
		}
		seen[w.Name] = true
		for _, f := range schema.Types[w.Name].Fields {
			kind := schema.Types[f.Type.Name()].Kind
			if (kind == ast.Scalar || kind == ast.Enum) && len(f.Arguments) == 0 && !strings.HasPrefix(f.Name, "__") &&
				!slices.ContainsFunc(w.Fields, func(wf fastpath.WhitelistField) bool { return wf.Name == f.Name }) {
				g.outside[w.Name] = append(g.outside[w.Name], f.Name)
			}
		}
		for _, f := range w.Fields {
			if f.Type != nil {
				walk(f.Type)
			}
		}
	}
	walk(g.whitelist)
	if len(g.outside["Lease"]) == 0 || len(g.outside["Tenant"]) == 0 {
		t.Fatalf("no field outside the whitelist to select: %v", g.outside)
	}
	return g
}

// leasesArgs are the root field's arguments: page sizes, order, filters
// and the moving window, literal or through a variable.
var leasesArgs = []string{
	"", "(first: 3)", "(first: 0)", "(first: 1)", "(last: 2)", "(first: $first)",
	"(first: 4, orderBy: {field: SOURCE_ID, direction: DESC})",
	"(orderBy: {field: LEASE_START_DATE})",
	`(moving: {kinds: [MOVE_IN, MOVE_OUT], from: "2025-03-01", to: "2025-03-31"})`,
	`(where: {sourceIDIn: ["L0", "L1", "L4", "BARE"]})`,
	`(first: 2, where: {statusIn: ["ENDING"]})`,
}

// next returns a query, its variables, and whether it selects a field
// outside the whitelist.
func (g *selectionGen) next() (string, map[string]any, bool) {
	g.frags, g.fragTypes, g.vars, g.declared, g.selected = nil, nil, map[string]any{}, map[string]string{}, false
	args := leasesArgs[g.r.IntN(len(leasesArgs))]
	if strings.Contains(args, "$first") {
		g.declared["first"] = "$first: Int"
		if n := g.r.IntN(4); n > 0 {
			g.vars["first"] = n * 2
		}
	}
	root := "leases" + args
	if g.chance(0.3) {
		root = "page: " + root
	}
	body := root + " " + g.selection(g.whitelist)
	var b strings.Builder
	b.WriteString("query")
	if len(g.declared) > 0 {
		names := make([]string, 0, len(g.declared))
		for name := range g.declared {
			names = append(names, name)
		}
		slices.Sort(names)
		decls := make([]string, len(names))
		for i, name := range names {
			decls[i] = g.declared[name]
		}
		b.WriteString("(" + strings.Join(decls, ", ") + ")")
	}
	b.WriteString(" { " + body + " }")
	for _, f := range g.frags {
		b.WriteString("\n" + f)
	}
	vars := g.vars
	if len(vars) == 0 {
		vars = nil
	}
	return b.String(), vars, g.selected
}

func (g *selectionGen) chance(p float64) bool { return g.r.Float64() < p }

func (g *selectionGen) selection(t *fastpath.WhitelistType) string {
	var parts []string
	for _, f := range t.Fields {
		if !g.chance(0.45) {
			continue
		}
		parts = append(parts, g.field(f))
		if g.chance(0.1) {
			parts = append(parts, g.field(f))
		}
	}
	if g.chance(0.15) {
		name := "__typename"
		if g.chance(0.3) {
			name = "kind" + strconv.Itoa(g.r.IntN(2)) + ": " + name
		}
		parts = append(parts, name+g.directive())
	}
	if g.chance(0.12) {
		cond := t.Implements[g.r.IntN(len(t.Implements))]
		dir := g.directive()
		parts = append(parts, "... on "+cond+dir+" "+g.under(dir, func() string { return g.fragmentBody(t, cond) }))
	}
	if g.chance(0.08) {
		dir := g.directive()
		parts = append(parts, "..."+dir+" "+g.under(dir, func() string { return g.selection(t) }))
	}
	if g.chance(0.12) {
		dir := g.directive()
		parts = append(parts, "..."+g.under(dir, func() string { return g.fragment(t) })+dir)
	}
	// Only where nothing may skip it, so that the field is surely
	// collected (a fragment spread again under a directive was first
	// written where nothing could skip it).
	if extra := g.outside[t.Name]; len(extra) > 0 && g.cond == 0 && g.chance(0.06) {
		parts = append(parts, extra[g.r.IntN(len(extra))])
		g.selected = true
	}
	if len(parts) == 0 {
		parts = append(parts, g.field(t.Fields[g.r.IntN(len(t.Fields))]))
	}
	g.r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	return "{ " + strings.Join(parts, " ") + " }"
}

// byResponseName are the connection's fields that entgql (v0.7.0) finds by
// response name, not by field name (ent's collectedField compares aliases):
// aliased, edges come back empty, the count is not counted, and a node
// aliased beside another gets the other's columns only, failing on the
// rest. Both sides answer the same, but the selection under them would be
// tested on nothing, or end in errors, so they keep their names.
var byResponseName = map[string]bool{"edges": true, "node": true, "pageInfo": true, "totalCount": true}

func (g *selectionGen) field(f fastpath.WhitelistField) string {
	s := f.Name
	if !byResponseName[f.Name] && g.chance(0.25) {
		s = f.Name + "_" + strconv.Itoa(g.r.IntN(2)) + ": " + s
	}
	dir := g.directive()
	s += dir
	if f.Type != nil {
		s += " " + g.under(dir, func() string { return g.selection(f.Type) })
	}
	return s
}

// under writes a selection that dir (if any) may skip.
func (g *selectionGen) under(dir string, write func() string) string {
	if dir == "" {
		return write()
	}
	g.cond++
	defer func() { g.cond-- }()
	return write()
}

// fragmentBody is a selection on cond, one of the types t satisfies: an
// interface's own fields (Node has only id), or t's.
func (g *selectionGen) fragmentBody(t *fastpath.WhitelistType, cond string) string {
	if cond == "Node" {
		if g.chance(0.3) {
			return "{ __typename id_" + strconv.Itoa(g.r.IntN(2)) + ": id }"
		}
		return "{ id }"
	}
	return g.selection(t)
}

// fragment returns the name of a fragment to spread in a selection on t:
// one already written for t, or a new one (never one being written: a
// fragment may not spread itself).
func (g *selectionGen) fragment(t *fastpath.WhitelistType) string {
	if g.chance(0.3) {
		for _, f := range g.fragTypes {
			if f[1] == t.Name {
				return f[0]
			}
		}
	}
	i := len(g.frags)
	name := fmt.Sprintf("F%d", i)
	g.frags = append(g.frags, "") // its place: fragments inside its body come after it
	cond := t.Implements[g.r.IntN(len(t.Implements))]
	g.frags[i] = "fragment " + name + " on " + cond + " " + g.fragmentBody(t, cond)
	g.fragTypes = append(g.fragTypes, [2]string{name, t.Name})
	return name
}

// directive is nothing, or @skip or @include with a literal, a required
// variable, or a nullable variable with a default (given or not).
func (g *selectionGen) directive() string {
	if !g.chance(0.2) {
		return ""
	}
	name := "skip"
	if g.chance(0.5) {
		name = "include"
	}
	var arg string
	switch g.r.IntN(4) {
	case 0:
		arg = strconv.FormatBool(g.chance(0.5))
	case 1, 2:
		v := "v" + strconv.Itoa(g.r.IntN(3))
		if _, ok := g.declared[v]; !ok {
			g.declared[v] = "$" + v + ": Boolean!"
			g.vars[v] = g.chance(0.5)
		}
		arg = "$" + v
	default:
		if _, ok := g.declared["d"]; !ok {
			g.declared["d"] = "$d: Boolean = true"
			if g.chance(0.5) {
				g.vars["d"] = g.chance(0.5)
			}
		}
		arg = "$d"
	}
	return " @" + name + "(if: " + arg + ")"
}

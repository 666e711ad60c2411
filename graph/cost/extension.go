package cost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/leasegraph/leasegraph/ratelimit"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/sync/semaphore"
)

// connectionCost is a connection's floor, whatever its page size (first: 0
// included): the SQL statements it runs (a COUNT and a SELECT) cost far more
// than values answered from memory.
const connectionCost = 100

// Extension is the gqlgen handler extension that enforces Limits: the
// document bounds before gqlgen validates it, the complexity after, and the
// per-request cap on partner calls while it runs. Partner fields are the
// ones the schema marks with PartnerDirective.
type Extension struct {
	Limits Limits
	// DefaultPage is the rows a connection returns without first or last,
	// MaxPage the most it may ask for (larger is refused as it runs, so it
	// counts as MaxPage here).
	DefaultPage, MaxPage int

	weighted weighted
	// checked holds documents CheckDocument let through: the check reads
	// nothing but the text, and parsing it again cost the leases page ~5%
	// of its CPU on every request. Few entries, as gqlgen's own document
	// cache (the hot reads are a handful of documents).
	checked *DocumentCache[struct{}]
}

// checkedDocuments is how many passed documents the extension remembers.
const checkedDocuments = 100

// PartnerDirective marks a field definition that calls a partner each time
// it is asked (schema.graphqls declares it): a report read from SmartMove, a
// mutation that orders from it. Such a field is costed and capped as a
// partner call, and a partner mutation runs outside the operation's
// transaction (graph/handler); no other field is. Declared on the field, it
// cannot fall out of step with a list kept elsewhere when a field is added
// or renamed.
const PartnerDirective = "partner"

// IsPartner reports whether the schema marks f with PartnerDirective.
func IsPartner(f *ast.FieldDefinition) bool {
	return f != nil && f.Directives.ForName(PartnerDirective) != nil
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
	graphql.OperationInterceptor
	graphql.FieldInterceptor
} = (*Extension)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (e *Extension) ExtensionName() string { return "QueryCost" }

// Validate finds every list field and partner field of the schema. A schema
// that does not declare PartnerDirective is refused: with the directive
// renamed, every partner field would silently become cheap and uncapped.
func (e *Extension) Validate(es graphql.ExecutableSchema) error {
	s := es.Schema()
	if s.Directives[PartnerDirective] == nil {
		return fmt.Errorf("cost: the schema does not declare the @%s directive", PartnerDirective)
	}
	w := weighted{ExecutableSchema: es, e: e, kinds: map[fieldKey]fieldKind{}}
	for _, def := range s.Types {
		if strings.HasPrefix(def.Name, "__") || (def.Kind != ast.Object && def.Kind != ast.Interface) {
			continue
		}
		for _, f := range def.Fields {
			key := fieldKey{def.Name, f.Name}
			switch t := s.Types[f.Type.Name()]; {
			case IsPartner(f):
				w.kinds[key] = partner
			case strings.HasSuffix(f.Type.Name(), "Connection") && f.Arguments.ForName("first") != nil:
				w.kinds[key] = connection
			case f.Type.Elem == nil || t == nil || (t.Kind != ast.Object && t.Kind != ast.Interface && t.Kind != ast.Union):
				// A single value, or a list of scalars read with its row.
			case strings.HasSuffix(def.Name, "Connection") && f.Name == "edges":
				w.kinds[key] = edges
			case f.Arguments.ForName("ids") != nil:
				w.kinds[key] = listOfIDs
			default:
				w.kinds[key] = list
			}
		}
	}
	e.weighted = w
	e.checked = NewDocumentCache[struct{}](checkedDocuments)
	return nil
}

// MutateOperationParameters checks the document before gqlgen parses and
// validates it.
func (e *Extension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if e.checked != nil {
		if _, ok := e.checked.Get(ctx, p.Query); ok {
			return nil
		}
	}
	if err := e.Limits.CheckDocument(p.Query); err != nil {
		return err
	}
	if e.checked != nil {
		e.checked.Add(ctx, p.Query, struct{}{})
	}
	return nil
}

// MutateOperationContext refuses an operation that selects a plain list
// within itself, or whose complexity is over the limit.
func (e *Extension) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if err := e.listCycle(op.Operation.SelectionSet, nil); err != nil {
		return err
	}
	n := Complexity(ctx, e, op)
	op.Stats.SetExtension(costStat, n)
	if n > e.Limits.MaxComplexity {
		return refuse(CodeTooComplex, "complexity", e.Limits.MaxComplexity,
			"the operation has complexity %d; at most %d is allowed (a page counts its rows, a list %d items, a partner-backed field %d)",
			n, e.Limits.MaxComplexity, e.Limits.ListSize, e.Limits.PartnerFieldCost)
	}
	return nil
}

// listCycle refuses a plain list selected within itself, as in
// tenants { lease { tenants } }. The complexity counts a plain list as
// ListSize items, but its real length is the data's: a lease imported with
// 1,000 tenants makes each such level a thousandfold. The inner list only
// repeats the outer one, so refusing it loses nothing, and without it the
// rows a query can answer grow with the data, never exponentially.
func (e *Extension) listCycle(set ast.SelectionSet, path []fieldKey) *gqlerror.Error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.ObjectDefinition == nil {
				continue
			}
			p := path
			if key := (fieldKey{s.ObjectDefinition.Name, s.Name}); e.weighted.kinds[key] == list {
				if slices.Contains(path, key) {
					err := refuse(CodeTooComplex, "listCycle", 1, "%s.%s is selected within itself: the inner list repeats the outer one; select it once", key.typ, key.field)
					err.Locations = []gqlerror.Location{{Line: s.Position.Line, Column: s.Position.Column}}
					return err
				}
				p = append(path[:len(path):len(path)], key)
			}
			if err := e.listCycle(s.SelectionSet, p); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := e.listCycle(s.SelectionSet, path); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if s.Definition != nil {
				if err := e.listCycle(s.Definition.SelectionSet, path); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Complexity is the operation's weighted complexity.
func Complexity(ctx context.Context, e *Extension, op *graphql.OperationContext) int {
	return complexity.Calculate(ctx, e.weighted, op.Operation, op.Variables)
}

// costStat names the operation's complexity in its stats.
const costStat = "cost"

// InterceptOperation gives the operation its partner-call slots and its
// tally of what it ran, and tells the caller what the operation cost once
// it is answered (report). As the outermost of the cost's interceptors it
// sees the answer as sent, the leases fast path's included.
func (e *Extension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	run := &opRun{partners: semaphore.NewWeighted(int64(e.Limits.PartnerConcurrency))}
	h := next(context.WithValue(ctx, operationKey{}, run))
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		if resp != nil {
			e.report(ctx, resp, run)
		}
		return resp
	}
}

// opRun is what one operation's fields share: its partner-call slots,
// and the connections and partner fields it ran, by response path, so that
// a field run again at the same place (the leases fast path's rare
// fallback to gqlgen) counts once. A subscription's tally starts again
// with each event it answers.
type opRun struct {
	partners *semaphore.Weighted
	mu       sync.Mutex
	ran      map[string]fieldKind
}

// record notes that the field at ctx's path ran.
func (r *opRun) record(fc *graphql.FieldContext, kind fieldKind) {
	if r == nil {
		return
	}
	path := fc.Path().String()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ran == nil {
		r.ran = map[string]fieldKind{}
	}
	r.ran[path] = kind
}

// take returns how many connections and partner fields ran, and starts
// the tally again.
func (r *opRun) take() (connections, partners int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range r.ran {
		if k == connection {
			connections++
		} else {
			partners++
		}
	}
	clear(r.ran)
	return connections, partners
}

type operationKey struct{}

// Report is extensions.cost, with Shopify's names, which integrators know.
type Report struct {
	// RequestedQueryCost is the complexity the limit was checked against,
	// before anything ran.
	RequestedQueryCost int `json:"requestedQueryCost"`
	// ActualQueryCost is the same weights applied to what was answered:
	// each value in the data once (a list by its real length), each
	// connection run connectionCost, each partner-backed field run
	// PartnerFieldCost (ActualCost).
	ActualQueryCost int `json:"actualQueryCost"`
	// MaximumCost is the limit on the requested cost.
	MaximumCost int `json:"maximumCost"`
	// ThrottleStatus is the token's request budget after this request: the
	// figures of the RateLimit headers.
	ThrottleStatus *Throttle `json:"throttleStatus,omitempty"`
}

// Throttle is a token's request budget.
type Throttle struct {
	MaximumAvailable   int     `json:"maximumAvailable"`
	CurrentlyAvailable int     `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// report adds extensions.cost to resp.
func (e *Extension) report(ctx context.Context, resp *graphql.Response, run *opRun) {
	if !graphql.HasOperationContext(ctx) {
		return
	}
	n, ok := graphql.GetOperationContext(ctx).Stats.GetExtension(costStat).(int)
	if !ok {
		return
	}
	connections, partners := run.take()
	r := &Report{RequestedQueryCost: n, MaximumCost: e.Limits.MaxComplexity,
		ActualQueryCost: e.ActualCost(resp.Data, connections, partners)}
	if st, ok := ratelimit.StateFrom(ctx); ok {
		r.ThrottleStatus = &Throttle{MaximumAvailable: st.Limit, CurrentlyAvailable: st.Remaining, RestoreRate: st.Rate}
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions["cost"] = r
}

// ActualCost is an answer's cost by the complexity's weights: each value
// in data counts 1 (a connection connectionCost and a partner-backed field
// PartnerFieldCost in all, as in the complexity), so a page counts the rows
// it returned, not the rows it asked for, and a plain list its real
// length, not ListSize.
func (e *Extension) ActualCost(data []byte, connections, partners int) int {
	return add(add(answeredValues(data), mul(connections, connectionCost-1)), mul(partners, e.Limits.PartnerFieldCost-1))
}

// answeredValues counts the values an answer's data holds: the keys of its
// objects. A key is a field's response name, which GraphQL limits to
// letters, digits and underscores, so in the compact JSON both gqlgen and
// the fast path write, a key's closing quote is the only quote followed by
// a colon that no backslash precedes (a quote within a string is escaped).
// One pass over the bytes, without decoding them, from colon to colon
// (bytes.IndexByte, vectorised): a page's keys are far fewer than its
// quotes, which a search for the two-byte `":` stops at.
func answeredValues(data []byte) int {
	n := 0
	for i := 0; ; i++ {
		j := bytes.IndexByte(data[i:], ':')
		if j < 0 {
			return n
		}
		i += j
		if i >= 1 && data[i-1] == '"' && (i < 2 || data[i-2] != '\\') {
			n++
		}
	}
}

// InterceptField makes a partner field wait for one of its operation's
// partner-call slots, and hold it while it resolves: a page of applications
// asking reportUrl must not open a connection to SmartMove per row at once.
func (e *Extension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	// By the object's own field, as the complexity counts it: a field
	// selected through an interface has the interface's definition.
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return next(ctx)
	}
	run, _ := ctx.Value(operationKey{}).(*opRun)
	switch kind := e.weighted.kinds[fieldKey{fc.Object, fc.Field.Name}]; kind {
	case connection:
		run.record(fc, kind)
		return next(ctx)
	case partner:
		run.record(fc, kind)
	default:
		return next(ctx)
	}
	release, err := acquirePartner(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return next(ctx)
}

// acquirePartner waits, within ctx's deadline, until the request may make
// one more partner call, and returns the function that ends it. Outside a
// GraphQL operation it never waits.
func acquirePartner(ctx context.Context) (release func(), err error) {
	run, _ := ctx.Value(operationKey{}).(*opRun)
	if run == nil {
		return func() {}, nil
	}
	sem := run.partners
	if err := sem.Acquire(ctx, 1); err != nil {
		return nil, fmt.Errorf("waiting for a partner call: %w", err)
	}
	return func() { sem.Release(1) }, nil
}

type fieldKind int

const (
	connection fieldKind = iota + 1
	edges
	list
	listOfIDs
	partner
)

// weighted is the schema as the complexity walker sees it: every list field
// costs its items.
type weighted struct {
	graphql.ExecutableSchema
	e     *Extension
	kinds map[fieldKey]fieldKind
}

// fieldKey is a field of a type: a struct, not "Type.field", so that looking
// one up per selected field allocates nothing.
type fieldKey struct{ typ, field string }

func (w weighted) Complexity(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	if n, ok := w.ExecutableSchema.Complexity(ctx, typeName, field, child, args); ok {
		return n, ok
	}
	l := w.e.Limits
	switch w.kinds[fieldKey{typeName, field}] {
	case connection:
		rows := -1
		for _, name := range []string{"first", "last"} {
			if n, ok := intArg(args[name]); ok {
				rows = max(rows, min(max(n, 0), w.e.MaxPage))
			}
		}
		if rows < 0 {
			rows = w.e.DefaultPage
		}
		return add(connectionCost, mul(rows, child)), true
	case edges:
		// The connection multiplies by its page size.
		return add(1, child), true
	case list:
		return add(1, mul(l.ListSize, child)), true
	case listOfIDs:
		ids, _ := args["ids"].([]any)
		return add(1, mul(max(len(ids), 1), child)), true
	case partner:
		return add(l.PartnerFieldCost, child), true
	}
	return 0, false
}

// intArg reads an Int argument as the complexity walker sees it: an int64
// from a literal, a number or json.Number from variables.
func intArg(v any) (int, bool) {
	clamp := func(n int64) int { return int(max(min(n, math.MaxInt32), math.MinInt32)) }
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return clamp(n), true
	case float64:
		return clamp(int64(max(min(n, math.MaxInt32), math.MinInt32))), true
	case json.Number:
		i, err := n.Int64()
		return clamp(i), err == nil
	}
	return 0, false
}

// add and mul saturate: a query must not wrap its cost round to small.
func add(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

func mul(a, b int) int {
	if a != 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}

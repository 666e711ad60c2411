// Package fastpath answers the hot read, a page of the leases connection,
// without gqlgen's per-field executor, and leaves every other operation to
// gqlgen unchanged.
//
// gqlgen (v0.17.95) marshals each field through a closure, a FieldContext
// and, for every list element, a goroutine: for a page of 50 leases with
// their tenants that is most of the request's CPU and allocations, far more
// than the two SQL statements behind it. This package writes the same JSON
// directly, for the selections it fully understands.
//
// It is not a second resolver: gqlgen still parses, validates, applies the
// cost and input limits, coerces the arguments and runs the leases field's
// middleware (page sizes) and resolver, so tenancy, the moving window,
// ordering, paging, cursors, eager loading and every error are gqlgen's.
// Only the marshalling of the resolver's connection is replaced: the field
// interceptor keeps the connection and hands gqlgen an empty one to marshal
// (cheap), and the operation interceptor then writes the real data in its
// place. Anything the plan does not cover (another root field, a field
// outside the whitelist, @defer, a directive other than @skip/@include, a
// resolver error) is answered by gqlgen as if this package did not exist.
//
// The whitelist is kept by hand, so it can drift from the schema: Check
// (guard.go), run when the extension is used, refuses to start when a
// whitelisted field is gone, changed type or nullability, takes arguments,
// carries a directive, or is resolved by a resolver or a method gqlgen's
// generated code calls. The differential test (differential_test.go, on
// SQLite and PostgreSQL, over generated selections) holds the output
// byte-equal to gqlgen's.
package fastpath

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/bufpool"
	"github.com/leasegraph/leasegraph/types"
)

// Extension is the fast path as a gqlgen extension. It must be used after
// every extension whose effect it relies on (the cost and input limits, the
// page-size field middleware), so that it sees what they let through.
type Extension struct {
	// Log records a panic while writing (the operation is then answered by
	// gqlgen): it would be a bug here, never the caller's doing.
	Log *slog.Logger
	// Served, when set, is called each time the fast path answers an
	// operation (tests use it to know the fast path ran).
	Served func()
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.FieldInterceptor
} = (*Extension)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (*Extension) ExtensionName() string { return "LeasesFastPath" }

// Validate implements graphql.HandlerExtension: it is Check. gqlgen's Use
// panics on its error; graph/handler calls Check first to return it.
func (*Extension) Validate(es graphql.ExecutableSchema) error { return Check(es) }

// capture is where the leases field's interceptor leaves the resolver's
// connection for the operation's response handler.
type capture struct {
	conn *ent.LeaseConnection
	ctx  context.Context // the resolver's, for a tenants edge not loaded
}

type captureKey struct{}

// InterceptOperation implements graphql.OperationInterceptor.
func (x *Extension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	p, ok := newPlan(oc)
	if !ok {
		return next(ctx)
	}
	c := &capture{}
	h := next(context.WithValue(ctx, captureKey{}, c))
	return func(rctx context.Context) *graphql.Response {
		resp := h(rctx)
		if resp == nil || c.conn == nil {
			return resp // gqlgen's answer stands: the resolver failed or never ran
		}
		conn := c.conn
		c.conn = nil
		if len(resp.Errors) == 0 {
			data, err := p.write(c.ctx, conn)
			var bug panicked
			if errors.As(err, &bug) && x.Log != nil {
				x.Log.ErrorContext(rctx, "leases fast path panicked; gqlgen answers", "panic", bug.value)
			}
			if err == nil {
				resp.Data = data
				AnswerFrom(ctx).Hold(data)
				if x.Served != nil {
					x.Served()
				}
				return resp
			}
		}
		// The placeholder's data must never reach the caller: let gqlgen run
		// the operation again on its own and answer (rare: an unloaded edge
		// that failed to load, a value gqlgen would refuse, an error after
		// the resolver). The fields run in rctx, which the transport derived
		// from the context given to next above: mask the capture there.
		return next(ctx)(context.WithValue(rctx, captureKey{}, (*capture)(nil)))
	}
}

// InterceptField implements graphql.FieldInterceptor.
func (*Extension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	c, _ := ctx.Value(captureKey{}).(*capture)
	if c == nil {
		return next(ctx)
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Query" || fc.Field.Name != "leases" {
		return next(ctx)
	}
	res, err := next(ctx)
	conn, ok := res.(*ent.LeaseConnection)
	if err != nil || !ok || conn == nil {
		return res, err
	}
	c.conn, c.ctx = conn, ctx
	return &ent.LeaseConnection{}, nil
}

// kind is one field the fast path can write.
type kind uint8

const (
	kTypename kind = iota
	kEdges
	kPageInfo
	kTotalCount
	kHasNextPage
	kHasPreviousPage
	kStartCursor
	kEndCursor
	kNode
	kCursor
	kID
	kCreatedAt
	kUpdatedAt
	kSourceID
	kUnitAddress
	kStatus
	kLeaseStartDate
	kLeaseEndDate
	kMoveInDate
	kMoveOutDate
	kUseType
	kPreviousAddress
	kForwardingAddress
	kTenants
	kFirstName
	kLastName
	kEmail
	kCellPhone
	kHomePhone
	kGender
	kStreet
	kApt
	kCity
	kState
	kZip
)

// objectType is one GraphQL object the fast path writes: the types it
// satisfies (as gqlgen's generated implementors lists: fragments on them
// apply) and the fields it knows. A field missing here sends the operation
// to gqlgen. Check holds this table to the executable schema at start-up.
type objectType struct {
	name       string
	implements []string
	fields     map[string]fieldDef
	children   map[kind]*objectType
}

// fieldDef is a whitelisted field: what to write, and what the writer
// assumes of gqlgen's field, so that Check can refuse a schema where that
// no longer holds. typ is the field's GraphQL type: its nullability decides
// whether a missing value is written as null or left to gqlgen's error.
// method says that gqlgen reads the field through a method of the ent model
// (ent's Lease.Tenants, which the writer re-implements) rather than a
// struct field. No whitelisted field may have a resolver: the writer reads
// the model, so a resolver's answer would never be given.
type fieldDef struct {
	kind   kind
	typ    string
	method bool
}

// rootType is the type of Query.leases as the field interceptor assumes it
// (the resolver's *ent.LeaseConnection, never null).
const rootType = "LeaseConnection!"

var (
	addressType = &objectType{name: "Address", implements: []string{"Address"}, fields: map[string]fieldDef{
		"street": {kStreet, "String!", false}, "apt": {kApt, "String!", false}, "city": {kCity, "String!", false},
		"state": {kState, "String!", false}, "zip": {kZip, "String!", false},
	}}
	tenantType = &objectType{name: "Tenant", implements: []string{"Tenant", "Node"}, fields: map[string]fieldDef{
		"id": {kID, "ID!", false}, "createdAt": {kCreatedAt, "Time!", false}, "updatedAt": {kUpdatedAt, "Time!", false},
		"sourceID": {kSourceID, "String!", false}, "firstName": {kFirstName, "String!", false},
		"lastName": {kLastName, "String!", false}, "email": {kEmail, "String!", false},
		"cellPhone": {kCellPhone, "String!", false}, "homePhone": {kHomePhone, "String!", false},
		"gender":          {kGender, "Gender", false},
		"previousAddress": {kPreviousAddress, "Address", false}, "forwardingAddress": {kForwardingAddress, "Address", false},
	}, children: map[kind]*objectType{kPreviousAddress: addressType, kForwardingAddress: addressType}}
	leaseType = &objectType{name: "Lease", implements: []string{"Lease", "Node"}, fields: map[string]fieldDef{
		"id": {kID, "ID!", false}, "createdAt": {kCreatedAt, "Time!", false}, "updatedAt": {kUpdatedAt, "Time!", false},
		"sourceID": {kSourceID, "String!", false}, "unitAddress": {kUnitAddress, "Address", false},
		"status": {kStatus, "String!", false}, "leaseStartDate": {kLeaseStartDate, "Date!", false},
		"leaseEndDate": {kLeaseEndDate, "Date", false}, "moveInDate": {kMoveInDate, "Date", false},
		"moveOutDate": {kMoveOutDate, "Date", false}, "useType": {kUseType, "String!", false},
		"previousAddress": {kPreviousAddress, "Address", false}, "forwardingAddress": {kForwardingAddress, "Address", false},
		"tenants": {kTenants, "[Tenant!]", true},
	}, children: map[kind]*objectType{
		kUnitAddress: addressType, kPreviousAddress: addressType, kForwardingAddress: addressType, kTenants: tenantType,
	}}
	edgeType = &objectType{name: "LeaseEdge", implements: []string{"LeaseEdge"}, fields: map[string]fieldDef{
		"node": {kNode, "Lease", false}, "cursor": {kCursor, "Cursor!", false},
	}, children: map[kind]*objectType{kNode: leaseType}}
	pageInfoType = &objectType{name: "PageInfo", implements: []string{"PageInfo"}, fields: map[string]fieldDef{
		"hasNextPage": {kHasNextPage, "Boolean!", false}, "hasPreviousPage": {kHasPreviousPage, "Boolean!", false},
		"startCursor": {kStartCursor, "Cursor", false}, "endCursor": {kEndCursor, "Cursor", false},
	}}
	connectionType = &objectType{name: "LeaseConnection", implements: []string{"LeaseConnection"}, fields: map[string]fieldDef{
		"edges": {kEdges, "[LeaseEdge]", false}, "pageInfo": {kPageInfo, "PageInfo!", false}, "totalCount": {kTotalCount, "Int!", false},
	}, children: map[kind]*objectType{kEdges: edgeType, kPageInfo: pageInfoType}}
)

// field is one selected field as it will be written: its key (the response
// name, quoted, with the colon), what to write, and its own selection.
type field struct {
	key   string
	alias string
	kind  kind
	sub   []field
}

// plan is an operation's selection, resolved once per request with gqlgen's
// own CollectFields (fragments, @skip, @include, merged repeats), so that
// each lease and tenant is written without collecting again.
type plan struct {
	rootKey string
	conn    []field
}

// newPlan returns the plan of a query whose only root field is leases and
// every selected field is one the fast path knows; false sends the
// operation to gqlgen.
func newPlan(oc *graphql.OperationContext) (*plan, bool) {
	if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return nil, false
	}
	roots := graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"})
	if len(roots) != 1 || roots[0].Name != "leases" || !plain(roots[0]) {
		return nil, false
	}
	conn, ok := collect(oc, roots[0].Selections, connectionType)
	if !ok {
		return nil, false
	}
	return &plan{rootKey: quoteKey(roots[0].Alias), conn: conn}, true
}

// plain reports whether gqlgen would resolve f with nothing but its
// resolver: no @defer and no directive beyond @skip/@include (which
// CollectFields has already applied).
func plain(f graphql.CollectedField) bool {
	if len(f.Deferrables) > 0 {
		return false
	}
	for _, d := range f.Directives {
		if d.Name != "skip" && d.Name != "include" {
			return false
		}
	}
	return true
}

func collect(oc *graphql.OperationContext, sel ast.SelectionSet, t *objectType) ([]field, bool) {
	collected := graphql.CollectFields(oc, sel, t.implements)
	out := make([]field, 0, len(collected))
	for _, f := range collected {
		if !plain(f) || len(f.Arguments) > 0 {
			return nil, false
		}
		d, ok := t.fields[f.Name]
		k := d.kind
		if f.Name == "__typename" {
			k, ok = kTypename, true
		}
		if !ok {
			return nil, false
		}
		pf := field{key: quoteKey(f.Alias), alias: f.Alias, kind: k}
		if child := t.children[k]; child != nil && k != kTypename {
			if pf.sub, ok = collect(oc, f.Selections, child); !ok {
				return nil, false
			}
		}
		out = append(out, pf)
	}
	return out, true
}

func quoteKey(s string) string {
	var b []byte
	b = appendString(b, s)
	return string(append(b, ':'))
}

// panicked is a panic while writing, as an error.
type panicked struct{ value string }

func (p panicked) Error() string { return "fast path panicked: " + p.value }

// errFallBack stops writing: gqlgen answers instead.
var errFallBack = errors.New("fast path: fall back to gqlgen")

// writer builds the response; MarshalGQL of the few values written by
// their own marshalers (cursors, enums) appends to it.
type writer struct{ b []byte }

func (w *writer) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// write returns the operation's data: {"<alias>": <connection>}. A panic
// here is outside gqlgen's recovery, so it becomes a fall back instead.
func (p *plan) write(ctx context.Context, conn *ent.LeaseConnection) (_ []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicked{fmt.Sprint(r)}
		}
	}()
	w := &writer{b: bufpool.Get(1024 + len(conn.Edges)*1024)}
	w.b = append(w.b, '{')
	w.b = append(w.b, p.rootKey...)
	if err := w.connection(ctx, p.conn, conn); err != nil {
		return nil, err
	}
	w.b = append(w.b, '}')
	return w.b, nil
}

// open writes a field's key after the object's opening brace or a comma,
// as gqlgen's FieldSet does.
func (w *writer) open(i int, f *field) {
	if i > 0 {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, f.key...)
}

func (w *writer) connection(ctx context.Context, sel []field, c *ent.LeaseConnection) error {
	w.b = append(w.b, '{')
	for i := range sel {
		f := &sel[i]
		w.open(i, f)
		switch f.kind {
		case kTypename:
			w.b = appendString(w.b, connectionType.name)
		case kTotalCount:
			w.b = strconv.AppendInt(w.b, int64(c.TotalCount), 10)
		case kPageInfo:
			w.pageInfo(f.sub, c)
		case kEdges:
			// [LeaseEdge]: a nil list and a nil edge are null.
			if c.Edges == nil {
				w.b = append(w.b, "null"...)
				continue
			}
			w.b = append(w.b, '[')
			for j, e := range c.Edges {
				if j > 0 {
					w.b = append(w.b, ',')
				}
				if e == nil {
					w.b = append(w.b, "null"...)
					continue
				}
				if err := w.edge(ctx, f.sub, e); err != nil {
					return err
				}
			}
			w.b = append(w.b, ']')
		default:
			return errFallBack
		}
	}
	w.b = append(w.b, '}')
	return nil
}

func (w *writer) pageInfo(sel []field, c *ent.LeaseConnection) {
	pi := &c.PageInfo
	w.b = append(w.b, '{')
	for i := range sel {
		f := &sel[i]
		w.open(i, f)
		switch f.kind {
		case kTypename:
			w.b = appendString(w.b, pageInfoType.name)
		case kHasNextPage:
			w.b = strconv.AppendBool(w.b, pi.HasNextPage)
		case kHasPreviousPage:
			w.b = strconv.AppendBool(w.b, pi.HasPreviousPage)
		case kStartCursor:
			if pi.StartCursor == nil {
				w.b = append(w.b, "null"...)
			} else {
				pi.StartCursor.MarshalGQL(w)
			}
		case kEndCursor:
			if pi.EndCursor == nil {
				w.b = append(w.b, "null"...)
			} else {
				pi.EndCursor.MarshalGQL(w)
			}
		}
	}
	w.b = append(w.b, '}')
}

func (w *writer) edge(ctx context.Context, sel []field, e *ent.LeaseEdge) error {
	w.b = append(w.b, '{')
	for i := range sel {
		f := &sel[i]
		w.open(i, f)
		switch f.kind {
		case kTypename:
			w.b = appendString(w.b, edgeType.name)
		case kCursor:
			e.Cursor.MarshalGQL(w)
		case kNode:
			if e.Node == nil {
				w.b = append(w.b, "null"...)
				continue
			}
			if err := w.lease(ctx, f.sub, e.Node); err != nil {
				return err
			}
		}
	}
	w.b = append(w.b, '}')
	return nil
}

func (w *writer) lease(ctx context.Context, sel []field, l *ent.Lease) error {
	w.b = append(w.b, '{')
	for i := range sel {
		f := &sel[i]
		w.open(i, f)
		var err error
		switch f.kind {
		case kTypename:
			w.b = appendString(w.b, leaseType.name)
		case kID:
			w.id(l.ID)
		case kCreatedAt:
			err = w.time(l.CreatedAt)
		case kUpdatedAt:
			err = w.time(l.UpdatedAt)
		case kSourceID:
			w.b = appendString(w.b, l.SourceID)
		case kStatus:
			w.b = appendString(w.b, l.Status)
		case kUseType:
			w.b = appendString(w.b, l.UseType)
		case kLeaseStartDate:
			w.date(l.LeaseStartDate)
		case kLeaseEndDate:
			w.optionalDate(l.LeaseEndDate)
		case kMoveInDate:
			w.optionalDate(l.MoveInDate)
		case kMoveOutDate:
			w.optionalDate(l.MoveOutDate)
		case kUnitAddress:
			w.address(f.sub, l.UnitAddress)
		case kPreviousAddress:
			w.address(f.sub, l.PreviousAddress)
		case kForwardingAddress:
			w.address(f.sub, l.ForwardingAddress)
		case kTenants:
			err = w.tenants(ctx, f, l)
		default:
			err = errFallBack
		}
		if err != nil {
			return err
		}
	}
	w.b = append(w.b, '}')
	return nil
}

// tenants reads the edge as ent's generated Lease.Tenants does for gqlgen:
// eager loading keeps it under the field's response name; loaded apart
// when it was not.
func (w *writer) tenants(ctx context.Context, f *field, l *ent.Lease) error {
	ts, err := l.NamedTenants(f.alias)
	if ent.IsNotLoaded(err) {
		ts, err = l.QueryTenants().All(ctx)
	}
	if err != nil {
		return err
	}
	// [Tenant!]: a nil list is null; a nil tenant would null the list.
	if ts == nil {
		w.b = append(w.b, "null"...)
		return nil
	}
	w.b = append(w.b, '[')
	for j, t := range ts {
		if t == nil {
			return errFallBack
		}
		if j > 0 {
			w.b = append(w.b, ',')
		}
		if err := w.tenant(f.sub, t); err != nil {
			return err
		}
	}
	w.b = append(w.b, ']')
	return nil
}

func (w *writer) tenant(sel []field, t *ent.Tenant) error {
	w.b = append(w.b, '{')
	for i := range sel {
		f := &sel[i]
		w.open(i, f)
		switch f.kind {
		case kTypename:
			w.b = appendString(w.b, tenantType.name)
		case kID:
			w.id(t.ID)
		case kCreatedAt:
			if err := w.time(t.CreatedAt); err != nil {
				return err
			}
		case kUpdatedAt:
			if err := w.time(t.UpdatedAt); err != nil {
				return err
			}
		case kSourceID:
			w.b = appendString(w.b, t.SourceID)
		case kFirstName:
			w.b = appendString(w.b, t.FirstName)
		case kLastName:
			w.b = appendString(w.b, t.LastName)
		case kEmail:
			w.b = appendString(w.b, t.Email)
		case kCellPhone:
			w.b = appendString(w.b, t.CellPhone)
		case kHomePhone:
			w.b = appendString(w.b, t.HomePhone)
		case kGender:
			if t.Gender == nil {
				w.b = append(w.b, "null"...)
			} else {
				t.Gender.MarshalGQL(w)
			}
		case kPreviousAddress:
			w.address(f.sub, t.PreviousAddress)
		case kForwardingAddress:
			w.address(f.sub, t.ForwardingAddress)
		default:
			return errFallBack
		}
	}
	w.b = append(w.b, '}')
	return nil
}

func (w *writer) address(sel []field, a *types.Address) {
	if a == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '{')
	for i := range sel {
		f := &sel[i]
		w.open(i, f)
		switch f.kind {
		case kTypename:
			w.b = appendString(w.b, addressType.name)
		case kStreet:
			w.b = appendString(w.b, a.Street)
		case kApt:
			w.b = appendString(w.b, a.Apt)
		case kCity:
			w.b = appendString(w.b, a.City)
		case kState:
			w.b = appendString(w.b, a.State)
		case kZip:
			w.b = appendString(w.b, a.Zip)
		}
	}
	w.b = append(w.b, '}')
}

// id writes an ID as graphql.MarshalIntID does: the number as a string.
func (w *writer) id(id int) {
	w.b = append(w.b, '"')
	w.b = strconv.AppendInt(w.b, int64(id), 10)
	w.b = append(w.b, '"')
}

// time writes a Time as graphql.MarshalTime does (RFC 3339 with
// nanoseconds, quoted: the layout's output needs no escaping). A zero time
// is null there, and an error on a Time! field: gqlgen answers that.
func (w *writer) time(t time.Time) error {
	if t.IsZero() {
		return errFallBack
	}
	w.b = append(w.b, '"')
	w.b = t.AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
	return nil
}

// date writes a Date as types.MarshalDate does (its layout, 2006-01-02).
// A page holds about 200 dates: written digit by digit, not through the
// layout parser of AppendFormat, for years 0 to 9999 (all of them, in
// practice); TestAppendDate compares the two.
func (w *writer) date(t time.Time) {
	w.b = append(w.b, '"')
	w.b = appendDate(w.b, t)
	w.b = append(w.b, '"')
}

func appendDate(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, types.DateLayout)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(m)/10), byte('0'+int(m)%10), '-', byte('0'+d/10), byte('0'+d%10))
}

func (w *writer) optionalDate(t *time.Time) {
	if t == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.date(*t)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as it reaches the client: quoted and escaped by
// gqlgen's graphql.MarshalString, then HTML-escaped by encoding/json when
// the transport encodes the response (which the POST transport here no
// longer does for the fast path's answer, and which leaves this output as
// it is for the other transports). So '"', '\\' and control characters
// are escaped as gqlgen does (\t \r \n by name, others as \u00XX with
// upper-case hex), and '<', '>', '&', U+2028 and U+2029 as encoding/json
// does (\u003c, \u2028, lower-case hex). Every other byte, invalid UTF-8
// included, is written as it is. gqlgen ranges over runes, but bytes below
// 0x80 never occur inside a multi-byte sequence and an invalid byte is
// copied unchanged there too, so a walk over bytes writes the same.
// TestAppendString and FuzzAppendString check it against gqlgen and
// encoding/json.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' && c != 0xe2 {
			continue
		}
		if c == 0xe2 {
			// U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
			if i+2 >= len(s) || s[i+1] != 0x80 || s[i+2]&^1 != 0xa8 {
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[s[i+2]&0xf])
			i += 2
			start = i + 1
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '\t':
			b = append(b, `\t`...)
		case '\r':
			b = append(b, `\r`...)
		case '\n':
			b = append(b, `\n`...)
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '<', '>', '&':
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, `\u00`...)
			b = append(b, upperHexDigits[c>>4], upperHexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const upperHexDigits = "0123456789ABCDEF"

var _ io.Writer = (*writer)(nil)

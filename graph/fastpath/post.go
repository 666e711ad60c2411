package fastpath

import (
	"bytes"
	"context"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/leasegraph/leasegraph/internal/bufpool"
)

// POST is gqlgen's POST transport, except that an answer the fast path
// wrote is sent as written. gqlgen's transport encodes the response with
// encoding/json, which validates and compacts a json.RawMessage byte by
// byte (and HTML-escapes it): for the leases page's 47 KB that was about a
// tenth of the request's CPU, spent re-reading JSON this package had just
// written, already compact and escaped (appendString). Everything else,
// headers, status codes, errors and every other operation, is gqlgen's.
type POST struct{ transport.POST }

var _ graphql.Transport = POST{}

// Do implements graphql.Transport.
func (t POST) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	s := &splice{ResponseWriter: w}
	t.POST.Do(s, r, executor{GraphExecutor: exec, s: s})
	if s.sent != nil {
		// Written to w, which keeps no reference (io.Writer's contract),
		// and taken out of the response before anything else saw it.
		bufpool.Put(s.sent)
	}
}

type spliceKey struct{}

// executor hands the fast path the splice through the operation's
// context, and takes the fast path's answer out of the response once
// every interceptor has run, so that gqlgen's transport encodes null in
// its place.
type executor struct {
	graphql.GraphExecutor
	s *splice
}

func (e executor) DispatchOperation(ctx context.Context, oc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	h, ctx := e.GraphExecutor.DispatchOperation(context.WithValue(ctx, spliceKey{}, e.s), oc)
	return func(ctx context.Context) *graphql.Response {
		resp := h(ctx)
		// Only the fast path's own bytes, untouched by any interceptor, in
		// an answer without errors: encoding/json then writes the response
		// as {"data":null followed by the rest (Errors is first and
		// omitted when empty).
		if resp != nil && len(resp.Errors) == 0 && len(e.s.written) > 0 && len(resp.Data) == len(e.s.written) &&
			&resp.Data[0] == &e.s.written[0] {
			e.s.data, resp.Data = resp.Data, nil
		}
		e.s.written = nil
		return resp
	}, ctx
}

// splice writes the transport's encoding of the response with the fast
// path's data in place of its null.
type splice struct {
	http.ResponseWriter
	written []byte // what the fast path answered, while the operation runs
	data    []byte // the same, once it is taken out of the response
	sent    []byte // the same, once written
}

var nullData = []byte(`{"data":null`)

func (s *splice) Write(b []byte) (int, error) {
	if s.data == nil || !bytes.HasPrefix(b, nullData) {
		return s.ResponseWriter.Write(b)
	}
	data := s.data
	s.data, s.sent = nil, data
	for _, part := range [][]byte{nullData[:len(nullData)-len("null")], data, b[len(nullData):]} {
		if _, err := s.ResponseWriter.Write(part); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// Unwrap lets http.ResponseController reach the connection.
func (s *splice) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// answered tells the POST transport, when it runs the operation, which
// bytes are the fast path's answer.
func answered(ctx context.Context, data []byte) {
	if s, ok := ctx.Value(spliceKey{}).(*splice); ok {
		s.written = data
	}
}

package fastpath

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/leasegraph/leasegraph/internal/bufpool"
)

// Answer carries the fast path's bytes from its operation interceptor to
// the transport that writes the response (graph/handler), so that they are
// sent as written. Encoding them with encoding/json, as gqlgen's transports
// do, validates, compacts and HTML-escapes a json.RawMessage byte by byte:
// for the leases page's 47 KB that was about a tenth of the request's CPU,
// spent re-reading JSON this package had just written, already compact and
// escaped (appendString).
type Answer struct{ written []byte }

type answerKey struct{}

// WithAnswer lets the operation dispatched in the returned context leave
// its fast-path answer in a.
func WithAnswer(ctx context.Context, a *Answer) context.Context {
	return context.WithValue(ctx, answerKey{}, a)
}

// AnswerFrom is the Answer the transport put in ctx, or nil.
func AnswerFrom(ctx context.Context) *Answer {
	a, _ := ctx.Value(answerKey{}).(*Answer)
	return a
}

// Hold records data as the fast path's answer to the operation.
func (a *Answer) Hold(data []byte) {
	if a != nil {
		a.written = data
	}
}

// Take returns the fast path's bytes when they are resp's data untouched
// by any interceptor in an answer without errors, and nil otherwise (the
// transport then encodes resp.Data as any other). The bytes come from the
// answer buffers' pool: Release them once written.
func (a *Answer) Take(resp *graphql.Response) []byte {
	if a == nil {
		return nil
	}
	w := a.written
	a.written = nil
	if resp == nil || len(resp.Errors) > 0 || len(w) == 0 || len(resp.Data) != len(w) || &resp.Data[0] != &w[0] {
		return nil
	}
	return w
}

// Release gives bytes Take returned back to the pool, once nothing reads
// them (the response writer keeps no reference: io.Writer's contract).
func Release(b []byte) {
	if b != nil {
		bufpool.Put(b)
	}
}

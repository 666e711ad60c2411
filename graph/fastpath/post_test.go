package fastpath

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/leasegraph/leasegraph/internal/bufpool"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// stubExecutor answers every operation with data; when fast, as the fast
// path does (answered), else as any other resolver; replace swaps the data
// for a copy after the fast path, as an outer interceptor might.
type stubExecutor struct {
	data          []byte
	fast, replace bool
}

func (s stubExecutor) CreateOperationContext(context.Context, *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	return &graphql.OperationContext{}, nil
}

func (s stubExecutor) DispatchOperation(ctx context.Context, _ *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	return func(ctx context.Context) *graphql.Response {
		data := append([]byte(nil), s.data...)
		if s.fast {
			data = append(bufpool.Get(len(s.data)), s.data...) // as write does
			answered(ctx, data)
		}
		if s.replace {
			data = append([]byte(nil), data...)
		}
		return &graphql.Response{Data: data}
	}, ctx
}

func (s stubExecutor) DispatchError(_ context.Context, list gqlerror.List) *graphql.Response {
	return &graphql.Response{Errors: list}
}

// The fast path's bytes reach the client as written, not re-encoded: the
// data here has a space encoding/json's compaction would remove. Data the
// fast path did not write, or that an interceptor replaced, is encoded by
// gqlgen's transport as before.
func TestPOSTSendsTheFastPathsBytes(t *testing.T) {
	const data = `{"leases": {"totalCount":1}}`
	for _, c := range []struct {
		name string
		exec stubExecutor
		want string
	}{
		{"fast path", stubExecutor{data: []byte(data), fast: true}, `{"data":` + data + `}`},
		{"other answer", stubExecutor{data: []byte(data)}, `{"data":{"leases":{"totalCount":1}}}`},
		{"replaced after the fast path", stubExecutor{data: []byte(data), fast: true, replace: true}, `{"data":{"leases":{"totalCount":1}}}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ leases { totalCount } }"}`))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			POST{}.Do(w, r, c.exec)
			if got := w.Body.String(); got != c.want {
				t.Fatalf("body %s, want %s", got, c.want)
			}
		})
	}
}

// scribbler takes a buffer from the fast path's pool while each write is
// under way and fills it, as a concurrent request would: a buffer given
// back before its answer was written would be the one it fills.
type scribbler struct{ *httptest.ResponseRecorder }

func (s scribbler) Write(p []byte) (int, error) {
	b := bufpool.Get(len(p))
	b = append(b, strings.Repeat("X", len(p))...)
	defer bufpool.Put(b)
	return s.ResponseRecorder.Write(p)
}

// The fast path's buffer goes back to the pool only once its answer is
// written: requests writing at the same time never write into it.
func TestPOSTReleasesTheBufferAfterWriting(t *testing.T) {
	const data = `{"leases": {"totalCount":1}}`
	for range 20 {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ leases { totalCount } }"}`))
		r.Header.Set("Content-Type", "application/json")
		w := scribbler{httptest.NewRecorder()}
		POST{}.Do(w, r, stubExecutor{data: []byte(data), fast: true})
		if got, want := w.Body.String(), `{"data":`+data+`}`; got != want {
			t.Fatalf("body %s, want %s", got, want)
		}
	}
}

package middleware

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/viewer"
)

// MaxBodyBytes bounds every request body; the largest legitimate one is a
// lease feed sent to importLeases.
const MaxBodyBytes = 32 << 20

// LimitBody refuses a body declared over MaxBodyBytes with 413 before any
// handler reads it. A body without a declared length is not read here: a
// caller who has not yet shown a token must not make the server hold 32
// MiB. It is capped instead: /graphql's reader past the cap gets
// *http.MaxBytesError, which readFailed answers 413 too, and every other
// route has a far smaller cap of its own (webhooks, postbacks, forms).
func LimitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.ContentLength > MaxBodyBytes:
			tooLarge(w, overCap)
			return
		case r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody:
			r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// overCap is the 413 message of a body over MaxBodyBytes.
var overCap = fmt.Sprintf("the request body is over the %d MiB limit", MaxBodyBytes>>20)

// tooLarge answers 413 PAYLOAD_TOO_LARGE saying why.
func tooLarge(w http.ResponseWriter, why string) {
	httpjson.Error(w, &apperr.Error{Code: "PAYLOAD_TOO_LARGE", Message: why}, http.StatusRequestEntityTooLarge)
}

// readFailed answers a body that could not be read: 413 over the cap,
// otherwise the client left mid-body.
func readFailed(w http.ResponseWriter, err error) {
	var over *http.MaxBytesError
	if errors.As(err, &over) {
		tooLarge(w, overCap)
		return
	}
	w.WriteHeader(statusClientClosed)
}

// PreAuthBody is how much of a body ConsumeBody reads before the caller
// is authenticated: any query fits, and a caller without a valid token can
// make the server hold no more than this. An import's larger body is read
// by ReadRest, after authentication.
const PreAuthBody = 1 << 20

// ConsumeBody reads the request body (up to PreAuthBody) before next runs.
// net/http notices a client leaving only once the body is consumed; a
// handler waiting on the database before it reads (authenticating
// included: on SQLite a stalled database holds the one connection) would
// otherwise never hear it. A longer body keeps its rest unread for
// ReadRest.
func ConsumeBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			head, err := io.ReadAll(io.LimitReader(r.Body, PreAuthBody+1))
			if err != nil {
				readFailed(w, err)
				return
			}
			if len(head) <= PreAuthBody {
				r.Body = io.NopCloser(bytes.NewReader(head))
			} else {
				r.Body = &unReadRest{Reader: io.MultiReader(bytes.NewReader(head), r.Body), Closer: r.Body}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// unReadRest is a body ConsumeBody stopped reading at PreAuthBody.
type unReadRest struct {
	io.Reader
	io.Closer
}

// ReadRest reads the rest of a body ConsumeBody left unread, now that the
// caller is authenticated (up to LimitBody's cap), for the reason
// ConsumeBody reads. Only a write token gets that far: the one body over
// 1 MiB is a lease feed for importLeases, and a read token's requests then
// stay at 1 MiB each.
func ReadRest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := r.Body.(*unReadRest); ok {
			if !viewer.FromContext(r.Context()).Has(viewer.ScopeWrite) {
				tooLarge(w, fmt.Sprintf("a request body over %d MiB (a feed for importLeases) needs a token with the write scope", PreAuthBody>>20))
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, rest, MaxBodyBytes))
			if err != nil {
				readFailed(w, err)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/apperr/classify"
	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/graph/handler"
	"github.com/leasegraph/leasegraph/internal/httpjson"
)

// Per-request deadlines. Every GraphQL operation and every /leases request
// runs under one (LEASEGRAPH_REQUEST_TIMEOUT); its context reaches every
// SQL statement, so when the deadline passes or the client goes away the
// drivers stop the statement (lib/pq sends PostgreSQL a cancel request,
// modernc interrupts SQLite) and the work ends with it.

// defaultRequestTimeout applies where a caller (a test) sets none.
var defaultRequestTimeout = config.Defaults().RequestTimeout

// statusClientClosed answers a request whose client left; the mapping from
// errors lives in apperr/classify with every other.
const statusClientClosed = apperr.StatusClientClosed

// deadlineReached, when set (by tests only), runs as withDeadline sees the
// deadline pass, with the handler's done channel: a test holds it until the
// handler has finished to reproduce a scheduler that woke the handler first.
var deadlineReached func(done <-chan struct{})

// withDeadline runs HTTP requests under a deadline of d and answers on
// time even when the handler cannot stop (a driver blocked on a network
// that drops packets): the handler runs in its own goroutine writing to a
// buffer, and whichever comes first, its answer or the deadline, is sent.
// timedOut writes the route's own error shape. Websocket upgrades pass
// through untouched: a socket lives for its subscriptions, and each
// operation on it gets the deadline from graph/handler instead.
func withDeadline(d time.Duration, timedOut func(http.ResponseWriter, *apperr.Error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || r.Method == http.MethodOptions {
				next.ServeHTTP(w, r)
				return
			}
			ctx, cancel := context.WithTimeout(classify.WithDeadline(r.Context(), d), d)
			defer cancel()
			// Starts from the headers set outside, so that the handler can
			// read them (the request id its errors quote).
			buf := &bufferedResponse{header: w.Header().Clone()}
			done := make(chan struct{})
			var panicked any
			go func() {
				defer close(done)
				defer func() { panicked = recover() }()
				next.ServeHTTP(buf, r.WithContext(ctx))
			}()
			select {
			case <-done:
			case <-ctx.Done():
				if deadlineReached != nil {
					deadlineReached(done)
				}
				select {
				case <-done: // finished at the same moment: decided below
				default:
					buf.abandon()
					if r.Context().Err() != nil {
						w.WriteHeader(statusClientClosed)
						return
					}
					timedOut(w, classify.Timeout(d))
					return
				}
			}
			if panicked != nil {
				panic(panicked)
			}
			if r.Context().Err() != nil {
				w.WriteHeader(statusClientClosed) // nobody is left to read the answer
				return
			}
			// A 5xx produced after the deadline is the deadline's doing
			// (a driver's "canceling statement"), and so is an answer whose
			// error was classified as the deadline (GraphQL says TIMEOUT
			// with status 200): answer the route's own timeout.
			if ctx.Err() != nil && (buf.status >= http.StatusInternalServerError || classify.DeadlineHit(ctx)) {
				timedOut(w, classify.Timeout(d))
				return
			}
			buf.copyTo(w)
		})
	}
}

// consumeBody reads the request body before next runs. net/http notices a
// client leaving only once the body is consumed; a handler waiting on the
// database before it reads (authenticating included: on SQLite a stalled
// database holds the one connection) would otherwise never hear it. So it
// runs before authentication, and a request without a valid token may
// have up to limitBody's cap held while it is refused.
func consumeBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
			if err != nil {
				w.WriteHeader(statusClientClosed)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// bufferedResponse holds a handler's answer until withDeadline decides to
// send it. After abandon, writes fail, so a handler that outlived its
// deadline stops producing output.
type bufferedResponse struct {
	mu        sync.Mutex
	header    http.Header
	status    int
	body      bytes.Buffer
	abandoned bool
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.abandoned {
		return 0, http.ErrHandlerTimeout
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedResponse) abandon() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.abandoned = true
}

func (b *bufferedResponse) copyTo(w http.ResponseWriter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := w.Header()
	for k, v := range b.header {
		h[k] = v
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

// graphQLTimedOut answers a timed-out GraphQL request in GraphQL's shape.
func graphQLTimedOut(w http.ResponseWriter, e *apperr.Error) {
	handler.WriteError(w, http.StatusServiceUnavailable, e)
}

// httpTimedOut answers a timed-out HTTP route with {"error": ...}.
func httpTimedOut(w http.ResponseWriter, e *apperr.Error) {
	httpjson.Error(w, e, http.StatusServiceUnavailable)
}

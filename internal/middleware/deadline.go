package middleware

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/apperr/classify"
	"github.com/leasegraph/leasegraph/internal/bufpool"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/internal/progress"
)

// Per-request deadlines. Every GraphQL operation and every /leases request
// runs under one (LEASEGRAPH_REQUEST_TIMEOUT); its context reaches every
// SQL statement, so when the deadline passes or the client goes away the
// drivers stop the statement (lib/pq sends PostgreSQL a cancel request,
// modernc interrupts SQLite) and the work ends with it.
//
// A streamed answer (a /leases CSV export without a limit) is not held to
// the deadline as a whole: its length is the data's, so no fixed deadline
// fits it. Each page it sends pushes the deadline back by the full timeout,
// which makes it an idle deadline: an export that keeps sending runs to its
// end, one whose database stops answering is still cut off. A lease import
// is held the same way (its length is its feed's): each batch it writes
// reports progress (internal/progress), and its answer comes at its end.

// statusClientClosed answers a request whose client left; the mapping from
// errors lives in apperr/classify with every other.
const statusClientClosed = apperr.StatusClientClosed

// Deadline runs HTTP requests under a deadline of d and answers on
// time even when the handler cannot stop (a driver blocked on a network
// that drops packets): the handler runs in its own goroutine writing to a
// buffer, and whichever comes first, its answer or the deadline, is sent.
// timedOut writes the route's own error shape. Websocket upgrades pass
// through untouched: a socket lives for its subscriptions, and each
// operation on it gets the deadline from graph/handler instead.
//
// hooks let a test move a request's time itself; the zero value is the
// wall clock.
func Deadline(d time.Duration, timedOut TimedOut, hooks DeadlineHooks) func(http.Handler) http.Handler {
	if hooks.NewTimer == nil {
		hooks.NewTimer = func(d time.Duration, f func()) DeadlineTimer { return time.AfterFunc(d, f) }
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || r.Method == http.MethodOptions {
				next.ServeHTTP(w, r)
				return
			}
			ctx := newRequestDeadline(classify.WithDeadline(r.Context(), d), d, hooks.NewTimer)
			defer ctx.cancel()
			// Starts from the headers set outside, so that the handler can
			// read them (the request id its errors quote).
			buf := &bufferedResponse{header: w.Header().Clone(), w: w, extend: ctx.extend, progressed: hooks.Progressed, idle: d,
				body: bufpool.Get(0)}
			done := make(chan struct{})
			var panicked any
			go func() {
				defer close(done)
				defer func() { panicked = recover() }()
				next.ServeHTTP(buf, r.WithContext(progress.With(ctx, buf.working)))
			}()
			select {
			case <-done:
			case <-ctx.Done():
				if hooks.Reached != nil {
					hooks.Reached(done)
				}
				select {
				case <-done: // finished at the same moment: decided below
				default:
					if buf.abandon() {
						// The status and some rows are sent: only cutting the
						// connection tells the reader the export is incomplete
						// (an unterminated chunked body), never a clean end.
						panic(http.ErrAbortHandler)
					}
					if r.Context().Err() != nil {
						w.WriteHeader(statusClientClosed)
						return
					}
					timedOut(w, r, classify.Timeout(d))
					return
				}
			}
			if panicked != nil {
				panic(panicked)
			}
			if buf.streamed() {
				return // the handler wrote its answer through, ending included
			}
			if r.Context().Err() != nil {
				w.WriteHeader(statusClientClosed) // nobody is left to read the answer
				return
			}
			// A 5xx produced after the deadline is the deadline's doing
			// (a driver's "canceling statement"), and so is an answer whose
			// error was classified as the deadline (GraphQL says TIMEOUT
			// in a 294 partial success): answer the route's own timeout.
			if ctx.Err() != nil && (buf.status >= http.StatusInternalServerError || classify.DeadlineHit(ctx)) {
				timedOut(w, r, classify.Timeout(d))
				return
			}
			buf.copyTo(w)
			buf.release()
		})
	}
}

// DeadlineTimer is the part of *time.Timer a request deadline uses.
type DeadlineTimer interface {
	Reset(time.Duration) bool
	Stop() bool
}

// requestDeadline is a request's context: it ends d after it starts, or d
// after the last extend, or when its parent ends. context.WithTimeout's
// deadline cannot move, hence a context of our own. It reports
// context.DeadlineExceeded as WithTimeout does (apperr/classify tells a
// deadline from a client that left by it), also to contexts derived from it.
type requestDeadline struct {
	parent     context.Context
	d          time.Duration
	done       chan struct{}
	timer      DeadlineTimer
	stopParent func() bool

	mu  sync.Mutex
	at  time.Time
	err error
}

func newRequestDeadline(parent context.Context, d time.Duration, newTimer func(time.Duration, func()) DeadlineTimer) *requestDeadline {
	c := &requestDeadline{parent: parent, d: d, done: make(chan struct{}), at: time.Now().Add(d)}
	c.mu.Lock() // the callbacks below may run at once
	defer c.mu.Unlock()
	c.timer = newTimer(d, func() { c.end(context.DeadlineExceeded) })
	c.stopParent = context.AfterFunc(parent, func() { c.end(parent.Err()) })
	return c
}

func (c *requestDeadline) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at, true
}

func (c *requestDeadline) Done() <-chan struct{} { return c.done }

func (c *requestDeadline) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *requestDeadline) Value(key any) any { return c.parent.Value(key) }

func (c *requestDeadline) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	if err == nil {
		err = context.Canceled
	}
	c.err = err
	close(c.done)
	c.timer.Stop()
	c.stopParent()
}

func (c *requestDeadline) cancel() { c.end(context.Canceled) }

// extend pushes the deadline back to d from now, unless it has passed.
func (c *requestDeadline) extend() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.at = time.Now().Add(c.d)
	c.timer.Reset(c.d)
}

// bufferedResponse holds a handler's answer until Deadline decides to
// send it. After abandon, writes fail, so a handler that outlived its
// deadline stops producing output. A handler whose answer has no bound
// calls StartStream (leases/rest does): from then on it writes through to
// w, and each progress call flushes and extends the deadline.
type bufferedResponse struct {
	mu         sync.Mutex
	header     http.Header
	status     int
	body       []byte // from bufpool
	abandoned  bool
	w          http.ResponseWriter
	extend     func()
	progressed func()
	// idle is the request timeout: a streamed answer's write deadline is
	// kept this far ahead of its deadline (see writeWindow).
	idle      time.Duration
	streaming bool
	// live mirrors streaming for abandon, which must not wait on mu
	// while a write to a reader that stopped reading holds it.
	live atomic.Bool
}

// writeWindow extends the connection's write deadline (the server's
// WriteTimeout counts from the request, and would cut a long export) to
// twice the idle deadline: the next page may take up to one to read and
// then must be written; a reader that stops reading still ends the export.
func (b *bufferedResponse) writeWindow() {
	_ = http.NewResponseController(b.w).SetWriteDeadline(time.Now().Add(2 * b.idle))
}

// StartStream sends the status and headers set so far and switches to
// writing through; the returned func reports progress. It is the
// interface leases/rest looks for.
func (b *bufferedResponse) StartStream() (progress func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.abandoned || b.streaming {
		return func() {}
	}
	b.streaming = true
	b.live.Store(true)
	b.writeWindow()
	h := b.w.Header()
	for k, v := range b.header {
		h[k] = v
	}
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.w.WriteHeader(b.status)
	_, _ = b.w.Write(b.body)
	b.body = b.body[:0]
	return b.progress
}

func (b *bufferedResponse) progress() {
	b.mu.Lock()
	if b.abandoned {
		b.mu.Unlock()
		return
	}
	_ = http.NewResponseController(b.w).Flush()
	b.writeWindow()
	b.extend()
	b.mu.Unlock()
	if b.progressed != nil {
		b.progressed()
	}
}

// working is progress for an answer still held whole: work inside the
// request (a lease import's batches, internal/progress) pushes the deadline
// and the connection's write deadline back as an export's pages do, and its
// answer is sent once it ends.
func (b *bufferedResponse) working() {
	b.mu.Lock()
	if b.abandoned {
		b.mu.Unlock()
		return
	}
	b.writeWindow()
	b.extend()
	b.mu.Unlock()
	if b.progressed != nil {
		b.progressed()
	}
}

func (b *bufferedResponse) streamed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.streaming
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
	if b.streaming {
		return b.w.Write(p)
	}
	b.body = append(b.body, p...)
	return len(p), nil
}

// abandon stops every later write and reports whether part of the answer
// was already streamed.
func (b *bufferedResponse) abandon() bool {
	if b.live.Load() {
		// Fail a write blocked on a reader that stopped reading, which
		// holds mu; net.Conn deadlines may be set from any goroutine.
		_ = http.NewResponseController(b.w).SetWriteDeadline(time.Now())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.abandoned = true
	return b.streaming
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
	_, _ = w.Write(b.body)
}

// release gives the body's buffer back to bufpool. Only after copyTo and
// with the handler returned: nothing may write to or read b.body afterwards.
func (b *bufferedResponse) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	bufpool.Put(b.body)
	b.body = nil
}

// TimedOut answers a request whose deadline passed, in its route's own
// error shape (GraphQL's in the media type the request accepts).
type TimedOut func(http.ResponseWriter, *http.Request, *apperr.Error)

// HTTPTimedOut answers a timed-out HTTP route with {"error": ...}.
func HTTPTimedOut(w http.ResponseWriter, _ *http.Request, e *apperr.Error) {
	httpjson.Error(w, e, http.StatusServiceUnavailable)
}

// DeadlineHooks let a test move a request's time itself instead of
// sleeping. The zero value is the wall clock.
type DeadlineHooks struct {
	// NewTimer starts a deadline's timer (nil: time.AfterFunc).
	NewTimer func(d time.Duration, f func()) DeadlineTimer
	// Progressed runs after a streamed answer reported progress and its
	// deadline was pushed back.
	Progressed func()
	// Reached runs as Deadline sees the deadline pass, with the handler's
	// done channel: a test holds it until the handler has finished to
	// reproduce a scheduler that woke the handler first.
	Reached func(done <-chan struct{})
}

// Package admission bounds how many API requests the server works on at
// once and admits the rest in the order they came.
//
// Without it every request that arrives starts at once. At 256 concurrent
// connections on a 2-core server that made the slowest answers slow for
// no reason of their own (harness p99 1.09 s against a mean wait of
// 0.36 s): the requests competed for the CPU and for the database pool,
// and database/sql hands a freed connection to a random waiter, so an
// unlucky request lost that draw many times over. A gate with a few slots
// keeps the work in progress at what the cores and the pool serve well
// and turns the rest into one first-come, first-served queue
// (golang.org/x/sync/semaphore admits waiters in order). The wait counts
// against the request's own deadline: a request still queued when it
// passes is answered as a timeout, like one whose SQL was too slow.
//
// A partner call (SmartMove, Propexo, Twilio, a webhook) waits on the
// network, not on the server: Transport gives the request's slot back for
// the call's duration, so requests waiting on partners cannot fill the
// gate and hold back the reads.
package admission

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// Gate admits up to its size of requests at once.
type Gate struct {
	sem             *semaphore.Weighted
	active, waiting atomic.Int64
}

// New returns a gate of n slots; n <= 0 returns nil, a gate that admits
// everything at once.
func New(n int) *Gate {
	if n <= 0 {
		return nil
	}
	return &Gate{sem: semaphore.NewWeighted(int64(n))}
}

// Active is how many admitted requests hold a slot.
func (g *Gate) Active() int64 {
	if g == nil {
		return 0
	}
	return g.active.Load()
}

// Waiting is how many requests wait for a slot.
func (g *Gate) Waiting() int64 {
	if g == nil {
		return 0
	}
	return g.waiting.Load()
}

func (g *Gate) acquire(ctx context.Context) error {
	g.waiting.Add(1)
	err := g.sem.Acquire(ctx, 1)
	g.waiting.Add(-1)
	if err == nil {
		g.active.Add(1)
	}
	return err
}

func (g *Gate) release() {
	g.active.Add(-1)
	g.sem.Release(1)
}

// Wrap runs next once the request holds a slot. A request whose context
// ends while it waits is not run. A websocket
// upgrade passes at once, as it does the deadline: a socket lives as long
// as its subscriptions, and a slot held that long would be one fewer for
// everybody.
func (g *Gate) Wrap(next http.Handler) http.Handler {
	if g == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		if err := g.acquire(r.Context()); err != nil {
			// A 5xx after the deadline is the deadline's doing: the
			// middleware outside answers the route's own timeout (or
			// nobody, when the client left), whichever of the two ends it
			// sees first.
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		s := &slot{g: g, held: true}
		defer s.done()
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), slotKey{}, s)))
	})
}

type slotKey struct{}

// slot is one admitted request's place. A request may run partner calls
// side by side (an operation's partner fields): the first to start gives
// the place back, the last to end queues for one again.
type slot struct {
	g    *Gate
	mu   sync.Mutex
	out  int // partner calls under way
	held bool
	// ended: the request has been answered; a call it left running must
	// not take a place nobody would give back.
	ended bool
}

func (s *slot) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out++
	if s.out == 1 && s.held {
		s.held = false
		s.g.release()
	}
}

// back queues for a place again after a partner call. A request whose
// context ended meanwhile goes on without one: it is about to end.
func (s *slot) back(ctx context.Context) {
	s.mu.Lock()
	s.out--
	last := s.out == 0 && !s.ended
	s.mu.Unlock()
	if !last {
		return
	}
	err := s.g.acquire(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		return
	}
	if s.out == 0 && !s.held && !s.ended {
		s.held = true
		return
	}
	s.g.release() // another call started meanwhile, or the request ended
}

func (s *slot) done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	if s.held {
		s.held = false
		s.g.release()
	}
}

// Transport wraps a partner client's transport: while a call made for an
// admitted request is under way, the request's slot is free for another.
// Calls made outside a request (background jobs) hold none and pass as
// they are.
func Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return transport{next}
}

type transport struct{ next http.RoundTripper }

func (t transport) RoundTrip(r *http.Request) (*http.Response, error) {
	s, _ := r.Context().Value(slotKey{}).(*slot)
	if s == nil {
		return t.next.RoundTrip(r)
	}
	s.leave()
	defer s.back(r.Context())
	return t.next.RoundTrip(r)
}

package apptest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leasegraph/leasegraph/webhooks/secretbox"
)

// Webhooks over real HTTP: WithWebhooks turns them on (a fresh key, plain
// http and this machine's addresses allowed, since the receivers are local
// test servers), with a clock the test moves; Receiver is an endpoint that
// records what it got and answers as the test says.

// Clock is a clock the test moves.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t.UTC()} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type clockKey struct{}

// WithWebhooks turns webhooks on, with fast job polling. A non-zero start
// gives each run (each database's, which run in parallel) a clock of its
// own starting there as the events' and deliveries' time (Env.Clock);
// zero leaves the wall clock.
func WithWebhooks(start time.Time) Setup {
	return func(t *testing.T, s *Settings) {
		var clock *Clock
		if !start.IsZero() {
			clock = NewClock(start)
			s.attach(clockKey{}, clock)
		}
		key, err := secretbox.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		s.Config.Webhooks.Key, s.Config.Webhooks.AllowPrivate = key, true
		if clock != nil {
			s.Options.Now = clock.Now
		}
		s.Options.JobPoll = 20 * time.Millisecond
	}
}

// Then runs setups in order.
func Then(setups ...Setup) Setup {
	return func(t *testing.T, s *Settings) {
		for _, f := range setups {
			if f != nil {
				f(t, s)
			}
		}
	}
}

// Clock is the run's clock under WithWebhooks with a start time.
func (e *Env) Clock(t *testing.T) *Clock { return handle[*Clock](t, e, clockKey{}, "WithWebhooks") }

// Request is one request a Receiver got.
type Request struct {
	Header http.Header
	Body   []byte
	At     time.Time
}

// Receiver is a webhook endpoint on this machine. Answer decides each
// answer (nil: 204); it may block (a receiver that never answers).
type Receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []Request
	Answer func(n int, r *http.Request, w http.ResponseWriter)
	// Accepted counts connections accepted.
	Accepted atomic.Int64
}

// NewReceiver starts a receiver, closed with the test.
func NewReceiver(t testing.TB) *Receiver {
	r := &Receiver{}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.Server.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			r.Accepted.Add(1)
		}
	}
	r.Start()
	t.Cleanup(r.Close)
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, Request{Header: req.Header.Clone(), Body: body, At: time.Now()})
	n := len(r.got)
	answer := r.Answer
	r.mu.Unlock()
	if answer != nil {
		answer(n, req, w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Got answers the requests so far.
func (r *Receiver) Got() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.got...)
}

// SetAnswer replaces Answer.
func (r *Receiver) SetAnswer(f func(n int, r *http.Request, w http.ResponseWriter)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Answer = f
}

// WaitFor waits until the receiver has n requests and answers them.
func (r *Receiver) WaitFor(t testing.TB, n int) []Request {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if got := r.Got(); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d requests, want %d", len(r.Got()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// DueWebhooks makes every waiting webhook delivery job run now (River's
// JobRetry), as if its snooze had passed: with the test's clock moved past
// a delivery's next attempt, the next attempt runs without waiting. It
// first waits for the jobs in hand to settle: River records a snooze
// after the attempt's own writes.
func (e *Env) DueWebhooks(t testing.TB) int {
	t.Helper()
	ctx := context.Background()
	list := func(states ...rivertype.JobState) []*rivertype.JobRow {
		res, err := e.App.Queue.River.JobList(ctx, river.NewJobListParams().Kinds("deliver_webhook").States(states...).First(10000))
		if err != nil {
			t.Fatal(err)
		}
		return res.Jobs
	}
	// River keeps a snoozed job available with a later scheduled_at; only a
	// running one, or one due now, is in hand.
	inHand := func() []*rivertype.JobRow {
		var out []*rivertype.JobRow
		for _, j := range list(rivertype.JobStateRunning, rivertype.JobStateAvailable, rivertype.JobStatePending) {
			if j.State != rivertype.JobStateAvailable || !j.ScheduledAt.After(time.Now()) {
				out = append(out, j)
			}
		}
		return out
	}
	deadline := time.Now().Add(20 * time.Second)
	for busy := inHand(); len(busy) > 0; busy = inHand() {
		if time.Now().After(deadline) {
			t.Fatalf("webhook delivery jobs still in hand after 20 s: %s at %s", busy[0].State, busy[0].ScheduledAt)
		}
		time.Sleep(10 * time.Millisecond)
	}
	jobs := list(rivertype.JobStateScheduled, rivertype.JobStateRetryable, rivertype.JobStateAvailable)
	for _, j := range jobs {
		if _, err := e.App.Queue.River.JobRetry(ctx, j.ID); err != nil {
			t.Fatal(err)
		}
	}
	return len(jobs)
}

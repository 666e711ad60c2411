package admission

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/middleware"
)

// answer is one request's outcome.
type answer struct {
	status int
	body   string
	err    error
}

// send GETs url in the background.
func send(ctx context.Context, url string) <-chan answer {
	out := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- answer{err: err}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		out <- answer{status: res.StatusCode, body: string(b)}
	}()
	return out
}

// until polls cond (the gate's counts move on other goroutines).
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func await(t *testing.T, c <-chan answer) answer {
	t.Helper()
	select {
	case a := <-c:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
		return answer{}
	}
}

// TestArrivalOrder: with one slot taken, the requests that come are
// admitted in the order they came, one as each before it ends.
func TestArrivalOrder(t *testing.T) {
	g := New(1)
	var mu sync.Mutex
	var order []int
	proceed := map[int]chan struct{}{}
	for i := range 5 {
		proceed[i] = make(chan struct{})
	}
	srv := httptest.NewServer(g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		fmt.Sscan(r.URL.Query().Get("i"), &i)
		mu.Lock()
		order = append(order, i)
		mu.Unlock()
		<-proceed[i]
	})))
	defer srv.Close()
	ctx := context.Background()
	answers := []<-chan answer{send(ctx, srv.URL+"?i=0")}
	until(t, "the first request to hold the slot", func() bool { return g.Active() == 1 })
	for i := 1; i < 5; i++ {
		answers = append(answers, send(ctx, fmt.Sprint(srv.URL, "?i=", i)))
		until(t, fmt.Sprintf("request %d to queue", i), func() bool { return g.Waiting() == int64(i) })
	}
	for i := range 5 {
		close(proceed[i])
		if a := await(t, answers[i]); a.err != nil || a.status != http.StatusOK {
			t.Fatalf("request %d: %+v", i, a)
		}
	}
	if want := []int{0, 1, 2, 3, 4}; !slices.Equal(order, want) {
		t.Fatalf("admitted in order %v, want %v", order, want)
	}
	if g.Active() != 0 || g.Waiting() != 0 {
		t.Fatalf("after: %d active, %d waiting", g.Active(), g.Waiting())
	}
}

// manualTimers are request deadlines that pass when the test says.
type manualTimers struct {
	mu     sync.Mutex
	timers []*manualTimer
}

type manualTimer struct {
	f      func()
	active bool
}

func (m *manualTimers) hooks() middleware.DeadlineHooks {
	return middleware.DeadlineHooks{NewTimer: func(_ time.Duration, f func()) middleware.DeadlineTimer {
		m.mu.Lock()
		defer m.mu.Unlock()
		t := &manualTimer{f: f, active: true}
		m.timers = append(m.timers, t)
		return t
	}}
}

// fire passes the deadline of the i-th request.
func (m *manualTimers) fire(i int) {
	m.mu.Lock()
	t := m.timers[i]
	t.active = false
	m.mu.Unlock()
	t.f()
}

func (t *manualTimer) Reset(time.Duration) bool { was := t.active; t.active = true; return was }
func (t *manualTimer) Stop() bool               { was := t.active; t.active = false; return was }

// TestWaitCountsAgainstTheDeadline: a request still waiting for a slot
// when its deadline passes is answered as a timeout and leaves the queue;
// the one holding the slot is not disturbed.
func TestWaitCountsAgainstTheDeadline(t *testing.T) {
	g := New(1)
	timers := &manualTimers{}
	hold := make(chan struct{})
	var release sync.Once
	// A failure must not leave the server's Close waiting on the holder.
	defer release.Do(func() { close(hold) })
	handler := g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("hold") {
			<-hold // deaf to its context: it keeps the slot whatever happens
		}
		io.WriteString(w, "done")
	}))
	srv := httptest.NewServer(middleware.Deadline(time.Second, middleware.HTTPTimedOut, timers.hooks())(handler))
	defer srv.Close()
	ctx := context.Background()
	first := send(ctx, srv.URL+"?hold")
	until(t, "the first request to hold the slot", func() bool { return g.Active() == 1 })
	second := send(ctx, srv.URL)
	until(t, "the second to queue", func() bool { return g.Waiting() == 1 })
	timers.fire(1)
	a := await(t, second)
	if a.err != nil || a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "TIMEOUT") {
		t.Fatalf("the queued request at its deadline: %+v", a)
	}
	until(t, "the queue to empty", func() bool { return g.Waiting() == 0 })
	release.Do(func() { close(hold) })
	if a := await(t, first); a.status != http.StatusOK || a.body != "done" {
		t.Fatalf("the request that held the slot: %+v", a)
	}
	if a := await(t, send(ctx, srv.URL)); a.status != http.StatusOK {
		t.Fatalf("after: %+v", a)
	}
}

// TestPartnerCallGivesTheSlotBack: while an admitted request waits on a
// partner, another request takes its slot; the first queues again when
// the partner answers. A call made outside any request (a job's) passes.
func TestPartnerCallGivesTheSlotBack(t *testing.T) {
	g := New(1)
	partnerAnswers := make(chan struct{})
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("wait") {
			<-partnerAnswers
		}
		io.WriteString(w, "partner")
	}))
	defer partner.Close()
	hc := &http.Client{Transport: Transport(nil)}
	call := func(ctx context.Context, query string) string {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, partner.URL+query, nil)
		res, err := hc.Do(req)
		if err != nil {
			return err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	srv := httptest.NewServer(g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("partner") {
			got := call(r.Context(), "?wait")
			// Back in the gate: the request holds its slot again.
			fmt.Fprintf(w, "%s, active %d", got, g.Active())
			return
		}
		io.WriteString(w, "quick")
	})))
	defer srv.Close()
	ctx := context.Background()
	slow := send(ctx, srv.URL+"?partner")
	until(t, "the partner call to give the slot back", func() bool { return g.Active() == 0 && g.Waiting() == 0 })
	if a := await(t, send(ctx, srv.URL)); a.status != http.StatusOK || a.body != "quick" {
		t.Fatalf("a request while the first waits on the partner: %+v", a)
	}
	close(partnerAnswers)
	if a := await(t, slow); a.status != http.StatusOK || a.body != "partner, active 1" {
		t.Fatalf("the request that called the partner: %+v", a)
	}
	if g.Active() != 0 {
		t.Fatalf("%d slots still held", g.Active())
	}
	if got := call(ctx, ""); got != "partner" {
		t.Fatalf("a call outside a request: %s", got)
	}
}

// TestNoBound: a gate of 0 slots admits everything at once.
func TestNoBound(t *testing.T) {
	g := New(0)
	next := http.NotFoundHandler()
	if g != nil || g.Active() != 0 || g.Waiting() != 0 {
		t.Fatal("a gate of 0 slots")
	}
	rec := httptest.NewRecorder()
	g.Wrap(next).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("HTTP %d", rec.Code)
	}
}

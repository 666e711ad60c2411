package propexo

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

// TestPacingPast80Percent: with a limit of 10, the 9th answer (90% used,
// 1 left, the whole window to go) spaces requests 60 s/(1+1) = 30 s; the
// 10th answer (0 left, 30 s to go) 30 s/1, after which the partner's window
// has reset. A pacer that assumed a full window at every answer waited 60 s
// there.
func TestPacingPast80Percent(t *testing.T) {
	clk := newClock()
	e := newEnv(t, propexotest.Options{RateLimit: 10, Now: clk.Now}, Config{MaxWait: time.Minute}).withClock(clk)
	ctx := context.Background()
	var sleepsAfter []int
	for i := 1; i <= 12; i++ {
		before := len(clk.Sleeps())
		if _, err := e.client.WriteStatus(ctx, "job_x"); !errors.Is(err, ErrInvalidRequest) {
			t.Fatalf("request %d: %v", i, err)
		}
		if len(clk.Sleeps()) > before {
			sleepsAfter = append(sleepsAfter, i)
		}
	}
	if got, want := clk.Sleeps(), []time.Duration{30 * time.Second, 30 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sleeps %v, want %v", got, want)
	}
	if want := []int{10, 11}; !reflect.DeepEqual(sleepsAfter, want) {
		t.Errorf("slept before requests %v, want %v", sleepsAfter, want)
	}
	if st := e.sim.Stats(); st.RateLimited != 0 || st.Requests != 12 {
		t.Errorf("stats %+v", st)
	}
}

// TestPacingAtDefaultLimit: at the partner's 150/min the spacing past 80%
// is ~2 s, its own slow-down.
func TestPacingAtDefaultLimit(t *testing.T) {
	p := pacer{window: time.Minute}
	now := time.Unix(0, 0)
	h := http.Header{"X-Ratelimit-Limit": {"150"}, "X-Ratelimit-Remaining": {"30"}} // 120 used: 80%, not past
	p.observe(now, h)
	if w, ok := p.reserve(now, time.Minute); w != 0 || !ok {
		t.Fatalf("at 80%%: wait %s", w)
	}
	h.Set("X-Ratelimit-Remaining", "29")
	p.observe(now, h)
	if p.spacing != 2*time.Second {
		t.Fatalf("spacing %s", p.spacing)
	}
	w1, _ := p.reserve(now, time.Minute)
	w2, _ := p.reserve(now, time.Minute)
	if w1 != 2*time.Second || w2 != 4*time.Second {
		t.Fatalf("concurrent reservations %s %s", w1, w2)
	}
	// A fresh window (most of the budget left) lifts the pacing.
	h.Set("X-Ratelimit-Remaining", "149")
	p.observe(now, h)
	if w, _ := p.reserve(now, time.Minute); w != 0 {
		t.Fatalf("after reset: wait %s", w)
	}
	// Answers without the headers change nothing.
	p.observe(now, http.Header{})
	if p.spacing != 0 {
		t.Fatal("spacing from an answer without headers")
	}
}

// TestPacingUsesTheWholeBudget: a client that spends 80% of the budget in
// the window's first half (deliveries at full speed) then sends as fast as
// the pacer lets it (a sync) gets every request the window has left, and no
// 429. The pacer once spread the last fifth over a whole minute from each
// answer, so about half of it went unused in this window.
func TestPacingUsesTheWholeBudget(t *testing.T) {
	clk := newClock()
	e := newEnv(t, propexotest.Options{Now: clk.Now}, Config{MaxWait: time.Minute}).withClock(clk)
	ctx := context.Background()
	start := clk.Now()
	sent := 0
	for ; sent < 120; sent++ {
		e.client.WriteStatus(ctx, "j")
		clk.Advance(250 * time.Millisecond)
	}
	for clk.Now().Before(start.Add(time.Minute)) {
		e.client.WriteStatus(ctx, "j")
		sent++
	}
	// The request that found the window over is the next window's first.
	if st := e.sim.Stats(); st.RateLimited != 0 || sent-1 != 150 {
		t.Fatalf("%d requests in the first window, want 150; stats %+v", sent-1, st)
	}
}

func TestPacingBeyondMaxWaitRefuses(t *testing.T) {
	clk := newClock()
	e := newEnv(t, propexotest.Options{RateLimit: 3, Now: clk.Now}, Config{MaxWait: 10 * time.Second}).withClock(clk)
	ctx := context.Background()
	for range 3 {
		e.client.WriteStatus(ctx, "j")
	}
	// 0 left: the next slot is a window away, beyond MaxWait.
	_, err := e.client.WriteStatus(ctx, "j")
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Minute || !errors.Is(err, ErrRateLimited) || !Retryable(err) || MaybeApplied(err) {
		t.Fatalf("%#v", err)
	}
	if n := e.sim.Stats().Requests; n != 3 {
		t.Errorf("requests %d: the refused one was sent", n)
	}
	if len(clk.Sleeps()) != 0 {
		t.Errorf("slept %v", clk.Sleeps())
	}
}

// Test429BackOff: a 429 exposes the wait, and the client sends nothing
// more until it has passed.
func Test429BackOff(t *testing.T) {
	clk := newClock()
	e := newEnv(t, propexotest.Options{Now: clk.Now}, Config{}).withClock(clk)
	ctx := context.Background()
	e.sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultRateLimited})
	_, err := e.client.WriteStatus(ctx, "j")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.RetryAfter != time.Minute || wait(err) != time.Minute {
		t.Fatalf("%#v", err)
	}
	clk.Advance(20 * time.Second)
	_, err = e.client.WriteStatus(ctx, "j")
	if wait(err) != 40*time.Second || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("during back-off: %v", err)
	}
	if n := e.sim.Stats().Requests; n != 1 {
		t.Fatalf("sent %d requests during back-off", n)
	}
	clk.Advance(40 * time.Second)
	if _, err := e.client.WriteStatus(ctx, "j"); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("after back-off: %v", err)
	}
}

// TestShortRetryAfterIsWaitedOut: a wait within MaxWait is slept, then the
// request goes.
func TestShortRetryAfterIsWaitedOut(t *testing.T) {
	clk := &fakeClock{t: time.Now()} // the deadline below is compared with real time too
	c := raw(t, 429, map[string]string{"Retry-After": "2"}, `{"error":{"code":"RATE_LIMITED","message":"m"}}`)
	c.now, c.sleep = clk.Now, clk.Sleep
	ctx := context.Background()
	c.WriteStatus(ctx, "j")
	c.WriteStatus(ctx, "j")
	if got := clk.Sleeps(); !reflect.DeepEqual(got, []time.Duration{2 * time.Second}) {
		t.Fatalf("sleeps %v", got)
	}
	// A context deadline shorter than the wait refuses at once.
	dctx, cancel := context.WithDeadline(ctx, clk.Now().Add(time.Second))
	defer cancel()
	_, err := c.WriteStatus(dctx, "j")
	if wait(err) != 2*time.Second || !errors.As(err, new(*RateLimitError)) {
		t.Fatalf("%v", err)
	}
}

// TestRealLimitExhausted: a client that did not see the headers (a second
// client on the same token) gets the partner's 429. Propexo sends no
// Retry-After (docs/partners/propexo.md#rate-limit) and no reset time, so the client assumes the
// worst: a whole window.
func TestRealLimitExhausted(t *testing.T) {
	clk := newClock()
	e := newEnv(t, propexotest.Options{RateLimit: 2, Now: clk.Now}, Config{}).withClock(clk)
	ctx := context.Background()
	e.client.WriteStatus(ctx, "j")
	e.client.WriteStatus(ctx, "j")
	other, _ := New(Config{Token: testToken, BaseURL: e.srv.URL})
	other.now, other.sleep = clk.Now, clk.Sleep
	clk.Advance(15 * time.Second)
	_, err := other.WriteStatus(ctx, "j")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Code != "RATE_LIMITED" || apiErr.RetryAfter != time.Minute {
		t.Fatalf("%#v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"5", 5 * time.Second, true},
		{"0", 0, true},
		{"Wed, 01 Jan 2025 00:00:30 GMT", 30 * time.Second, true},
		{"Tue, 31 Dec 2024 00:00:00 GMT", 0, true},
		{"", 0, false},
		{"-3", 0, false},
		{"soon", 0, false},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: %s %v", tc.in, got, ok)
		}
	}
}

// wait is RetryAfter's wait, 0 when err is no rate limit.
func wait(err error) time.Duration {
	d, ok := RetryAfter(err)
	if !ok {
		return 0
	}
	return d
}

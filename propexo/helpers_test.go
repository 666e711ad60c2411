package propexo

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

const testToken = "tok_live_5uperSecret"

// fakeClock drives both the simulator's rate windows and the client's
// pacing, so rate-limit tests assert exact waits without waiting.
type fakeClock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// env is a client talking to a simulator over real HTTP.
type env struct {
	sim    *propexotest.Sim
	srv    *httptest.Server
	client *Client
}

func newEnv(t *testing.T, opts propexotest.Options, cfg Config) env {
	t.Helper()
	if opts.Tokens == nil {
		opts.Tokens = []string{testToken}
	}
	sim := propexotest.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	cfg.BaseURL = srv.URL
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return env{sim: sim, srv: srv, client: c}
}

// withClock puts the client on clk.
func (e env) withClock(clk *fakeClock) env {
	e.client.now = clk.Now
	e.client.sleep = clk.Sleep
	return e
}

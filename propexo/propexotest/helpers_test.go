package propexotest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const token = "tok_test_secret"

// fakeClock is a settable clock shared by a test and the simulator.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC)} }

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

func start(t *testing.T, opts Options) (*Sim, *httptest.Server) {
	t.Helper()
	if opts.Tokens == nil {
		opts.Tokens = []string{token}
	}
	sim := New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	return sim, srv
}

type reply struct {
	status int
	header http.Header
	raw    string
}

func do(t *testing.T, srv *httptest.Server, method, path, body string) reply {
	t.Helper()
	return doAuth(t, srv, method, path, body, "Bearer "+token)
}

func doAuth(t *testing.T, srv *httptest.Server, method, path, body, auth string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, raw: string(b)}
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.raw), &m); err != nil {
		t.Fatalf("body %q: %v", r.raw, err)
	}
	return m
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details struct {
			Details struct {
				Issues []Issue `json:"issues"`
				Name   string  `json:"name"`
			} `json:"details"`
		} `json:"details"`
	} `json:"error"`
}

func (r reply) errorBody(t *testing.T) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal([]byte(r.raw), &e); err != nil {
		t.Fatalf("error body %q: %v", r.raw, err)
	}
	return e
}

// create posts a valid create and returns its job id.
func create(t *testing.T, srv *httptest.Server, body string) string {
	t.Helper()
	r := do(t, srv, "POST", "/crm/v1/prospects/", body)
	if r.status != http.StatusOK {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	return r.json(t)["job_id"].(string)
}

func status(t *testing.T, srv *httptest.Server, jobID string) map[string]any {
	t.Helper()
	r := do(t, srv, "GET", "/v1/admin/write-status/"+jobID, "")
	if r.status != http.StatusOK {
		t.Fatalf("write-status: %d %s", r.status, r.raw)
	}
	return r.json(t)
}

func intp(n int) *int    { return &n }
func boolp(b bool) *bool { return &b }

func newServerFor(t *testing.T, sim *Sim) *httptest.Server {
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	return srv
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

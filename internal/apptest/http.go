package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/config"
)

// Answer is an HTTP answer as a client sees it, whatever the route: what
// suites compare when the shape of the body is not the point (a status, a
// code, a header).
type Answer struct {
	Status     int
	RetryAfter string
	Header     http.Header
	Body       []byte
	// Err is the client's own error (no answer at all).
	Err error
}

// ErrorCode is the error code of a JSON error body, in either shape: the
// HTTP routes' {"error": {...}} or GraphQL's {"errors": [{"extensions":
// ...}]}, so that one assertion covers /graphql and the REST routes alike.
func (a Answer) ErrorCode() string {
	var b struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
		Errors []GQLError `json:"errors"`
	}
	_ = json.Unmarshal(a.Body, &b)
	if len(b.Errors) > 0 {
		return b.Errors[0].Code()
	}
	return b.Error.Code
}

// Send makes the request in the background, the answer arriving on the
// channel: a test can stall the server (StallLeases), act while the
// request waits, then Await it.
func Send(ctx context.Context, method, url, token, body string) <-chan Answer {
	out := make(chan Answer, 1)
	go func() {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequestWithContext(ctx, method, url, rd)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			out <- Answer{Err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		out <- Answer{Status: res.StatusCode, Body: b, Err: err}
	}()
	return out
}

// Await is the answer Send delivers; the test fails if ctx ends first, so
// a request the server never answers cannot hang the suite.
func Await(ctx context.Context, t *testing.T, c <-chan Answer) Answer {
	t.Helper()
	select {
	case a := <-c:
		return a
	case <-ctx.Done():
		t.Fatal("no answer")
	}
	return Answer{}
}

// Eventually polls cond until it holds; the test fails if ctx ends first.
// For what happens in the server's own time (a statement cancelled, a job
// run, a process up), where a sleep would be either flaky or slow.
func Eventually(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-tick.C:
		}
	}
}

// Until polls cond until it holds, failing with what after 10 s: Eventually
// for a test that has no context of its own (a partner's delivery landing).
func Until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
	}
}

// Get calls a REST route with the token (none if empty) and the headers
// (name, value, ...) and returns status, headers and body: the routes
// beside /graphql are read this way.
func (e *Env) Get(token, path string, header ...string) (int, http.Header, []byte) {
	e.T.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.Srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, body
}

// GetWith sends GET path with exactly the headers given (no token added)
// and returns the answer and its body: for routes whose credentials are
// not a client's token (/metrics, /readyz) or whose headers are the test.
func (e *Env) GetWith(path string, header map[string]string) (*http.Response, []byte) {
	e.T.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.Srv.URL+path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, body
}

// Call sends a request from the client address addr ("" for the peer's;
// the address reaches the app as X-Forwarded-For, trusted under
// WithLimits): the budgets per token and per address are told apart by it.
func (e *Env) Call(method, path, token, addr string, body []byte) Answer {
	e.T.Helper()
	req, _ := http.NewRequest(method, e.Srv.URL+path, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return Answer{Status: res.StatusCode, RetryAfter: res.Header.Get("Retry-After"), Header: res.Header, Body: b}
}

// AssertLimited checks a 429 with a whole-seconds Retry-After within max
// and the RATE_LIMITED code in the route's body: every route that spends
// a budget refuses in this one shape.
func AssertLimited(t *testing.T, what string, a Answer, max int) {
	t.Helper()
	s, err := strconv.Atoi(a.RetryAfter)
	if a.Status != http.StatusTooManyRequests || err != nil || s < 1 || s > max || a.ErrorCode() != "RATE_LIMITED" {
		t.Fatalf("%s: HTTP %d, Retry-After %q, body %s; want 429, 1..%d s, RATE_LIMITED", what, a.Status, a.RetryAfter, a.Body, max)
	}
}

// WithLimits sets the app's rate limits (the harness has none). The test
// server's peer is 127.0.0.1, trusted as a proxy so that X-Forwarded-For
// (Call's addr) plays the client address.
func WithLimits(l config.RateLimits) Setup {
	l.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	return func(t *testing.T, s *Settings) {
		s.Config.Limits = l // a copy per app: the SQLite and PostgreSQL runs share this setup
	}
}

// WithRequestTimeout sets the app's request deadline (the harness keeps
// the server's), then runs more setups: deadline tests combine it with a
// partner or an export setting.
func WithRequestTimeout(d time.Duration, more ...Setup) Setup {
	return func(t *testing.T, s *Settings) {
		s.Config.RequestTimeout = d
		for _, setup := range more {
			setup(t, s)
		}
	}
}

// Itoa is n as a decimal string: ids in GraphQL variables and REST
// query strings are strings.
func Itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// ClientsQuery is a small query every token may run (its clients), for
// tests where what is asked does not matter, only that it is answered.
const ClientsQuery = `{ clients { edges { node { id name } } } }`

// GQLNoFatal is GQL for another goroutine, which may not call t.Fatal: a
// failure to connect is an error response instead.
func (e *Env) GQLNoFatal(token, query string, vars map[string]any) GQLResponse {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return GQLResponse{Errors: []GQLError{{Message: err.Error()}}}
	}
	defer res.Body.Close()
	out := GQLResponse{Status: res.StatusCode}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		out.Errors = append(out.Errors, GQLError{Message: "not JSON: " + err.Error()})
	}
	return out
}

// WantCode asserts exactly one error, with the code: how every refusal
// (not found, forbidden, bad input, a partner's failure) is checked.
func WantCode(t *testing.T, r GQLResponse, code string) {
	t.Helper()
	if len(r.Errors) != 1 || r.Errors[0].Code() != code {
		t.Fatalf("want one %s error, got HTTP %d errors %+v data %s", code, r.Status, r.Errors, r.Data)
	}
}

// Dig walks a decoded JSON document by dot-separated keys and list
// indexes, for an answer read without declaring its shape.
func Dig(t *testing.T, raw json.RawMessage, path string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(x) {
				t.Fatalf("%s: no element %q in %s", path, k, raw)
			}
			v = x[i]
		default:
			t.Fatalf("%s: cannot descend into %v (%s)", path, v, raw)
		}
	}
	return v
}

// NoInternalErrors fails when the server logged a panic or an internal
// error: a refusal that answered correctly may still have crashed behind.
func (e *Env) NoInternalErrors() {
	e.T.Helper()
	if logs := e.Logs.String(); strings.Contains(logs, "panic") || strings.Contains(logs, "internal error") || strings.Contains(logs, "graphql error") {
		e.T.Fatalf("server logs:\n%s", logs)
	}
}

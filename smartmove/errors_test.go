package smartmove

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

func TestErrorMapping(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	id := e.embedded(t, "cust-1", validOrder())
	for _, tc := range []struct {
		name      string
		fault     func()
		status    int
		sentinel  error
		msg       string
		retryable bool
		after     time.Duration
	}{
		{"403", func() { e.sim.FailNext(1, 403) }, 403, ErrForbidden, "An error has occurred.", false, 0},
		{"404", func() { e.sim.FailNext(1, 404) }, 404, ErrNotFound, "An error has occurred.", false, 0},
		{"409 has no sentinel", func() { e.sim.FailNext(1, 409) }, 409, nil, "An error has occurred.", false, 0},
		{"500", func() { e.sim.FailNext(1, 500) }, 500, ErrServer, "An error has occurred.", true, 0},
		{"502", func() { e.sim.FailNext(1, 502) }, 502, ErrServer, "An error has occurred.", true, 0},
		{"503", func() { e.sim.FailNext(1, 503) }, 503, ErrServer, "An error has occurred.", true, 0},
		{"429", func() { e.sim.RateLimitNext(1, 7*time.Second) }, 429, ErrRateLimited, "Rate limit exceeded.", true, 7 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fault()
			_, err := e.c.ApplicationDetails(ctx(t), "cust-1", id)
			ae := asAPIError(t, err)
			if ae.Status != tc.status || ae.Message != tc.msg || ae.RetryAfter != tc.after || ae.Endpoint != "application/details" {
				t.Fatalf("got %+v", ae)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tc.sentinel)
			}
			for _, other := range []error{ErrBadRequest, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrRateLimited, ErrServer, ErrTimeout, ErrInvalid} {
				if other != tc.sentinel && errors.Is(err, other) {
					t.Fatalf("%v also matches %v", err, other)
				}
			}
			if Retryable(err) != tc.retryable {
				t.Fatalf("Retryable = %v, want %v", !tc.retryable, tc.retryable)
			}
			// One fault, one call: the next call succeeds.
			if _, err := e.c.ApplicationDetails(ctx(t), "cust-1", id); err != nil {
				t.Fatalf("after the fault: %v", err)
			}
		})
	}
}

func TestBadRequestAndUnauthorized(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	id := e.embedded(t, "cust-1", tenantsPay())
	err := e.c.AddApplicant(ctx(t), "cust-1", id, "lisa.simpson@example.com")
	ae := asAPIError(t, err)
	if ae.Status != 400 || ae.Message != "The applicant is already on the application." || !errors.Is(err, ErrBadRequest) || Retryable(err) {
		t.Fatalf("400: %+v", ae)
	}
	want := "smartmove: applicant/add: HTTP 400: The applicant is already on the application."
	if err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}

	wrong, _ := New(Config{BaseURL: e.srv.URL, APIKey: "not-the-key"})
	_, err = wrong.ApplicationDetails(ctx(t), "cust-1", id)
	ae = asAPIError(t, err)
	if ae.Status != 401 || ae.Message != "Authorization has been denied for this request." || !errors.Is(err, ErrUnauthorized) || Retryable(err) {
		t.Fatalf("401: %+v", ae)
	}
}

func TestFaultedCallChangesNothing(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	e.sim.FailNext(2, 503)
	for range 2 {
		if _, err := e.c.CreateEmbeddedApplication(ctx(t), "cust-1", validOrder()); !errors.Is(err, ErrServer) {
			t.Fatalf("err = %v, want ErrServer", err)
		}
	}
	id := e.embedded(t, "cust-1", validOrder())
	list, _ := e.c.Applications(ctx(t), "cust-1", 0, 0)
	if id != 100001 || len(list) != 1 {
		t.Fatalf("id %d, %d applications; faulted creates stored something", id, len(list))
	}
	calls := e.sim.Calls()
	want := []smartmovetest.Call{{Endpoint: "application/create/embedded", Status: 503}, {Endpoint: "application/create/embedded", Status: 503}, {Endpoint: "application/create/embedded", Status: 200}, {Endpoint: "application/all", Status: 200}}
	if len(calls) != len(want) {
		t.Fatalf("calls = %v", calls)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Fatalf("calls = %v, want %v", calls, want)
		}
	}
}

func TestTimeout(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	c, _ := New(Config{BaseURL: e.srv.URL, APIKey: testKey, Timeout: 100 * time.Millisecond})
	e.sim.HangNext(1)
	start := time.Now()
	_, err := c.ReportStatus(ctx(t), "cust-1", 1)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("took %v with a 100ms timeout", elapsed)
	}
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, ErrTimeout) || !te.Timeout() || !Retryable(err) || te.Endpoint != "application/report/status" {
		t.Fatalf("err = %v, want a retryable timeout", err)
	}
	// The caller's deadline counts as a timeout too.
	e.sim.HangNext(1)
	dctx, cancel := context.WithTimeout(ctx(t), 50*time.Millisecond)
	defer cancel()
	if _, err := e.c.ReportStatus(dctx, "cust-1", 1); !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: %v", err)
	}
}

func TestCanceledIsNotRetryable(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	cctx, cancel := context.WithCancel(ctx(t))
	cancel()
	_, err := e.c.ReportStatus(cctx, "cust-1", 1)
	var te *TransportError
	if !errors.As(err, &te) || errors.Is(err, ErrTimeout) || Retryable(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a non-retryable cancel", err)
	}
}

func TestConnectionRefusedIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c, _ := New(Config{BaseURL: srv.URL, APIKey: testKey})
	_, err := c.ReportStatus(ctx(t), "cust-1", 1)
	var te *TransportError
	if !errors.As(err, &te) || errors.Is(err, ErrTimeout) || !Retryable(err) {
		t.Fatalf("err = %v, want a retryable transport error", err)
	}
}

func TestMalformedResponse(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	id := e.embedded(t, "cust-1", validOrder())
	calls := map[string]func() error{
		"details": func() error { _, err := e.c.ApplicationDetails(ctx(t), "cust-1", id); return err },
		"status":  func() error { _, err := e.c.ReportStatus(ctx(t), "cust-1", id); return err },
		"list":    func() error { _, err := e.c.Applications(ctx(t), "cust-1", 0, 0); return err },
		"create":  func() error { _, err := e.c.CreateApplication(ctx(t), "cust-1", Order{}); return err },
		"embedded": func() error {
			_, err := e.c.CreateEmbeddedApplication(ctx(t), "cust-1", validOrder())
			return err
		},
	}
	for name, call := range calls {
		e.sim.MalformedNext(1)
		if err := call(); !errors.Is(err, ErrMalformedResponse) || Retryable(err) {
			t.Errorf("%s: %v, want a non-retryable ErrMalformedResponse", name, err)
		}
	}
}

// TestUnexpectedAnswers covers answers the simulator never gives: an HTML
// error page, a link that is not a URL, Retry-After as a date.
func TestUnexpectedAnswers(t *testing.T) {
	// The handler runs on the server's goroutines: hand it the answer
	// through an atomic so the race detector has nothing to report.
	var current atomic.Pointer[func(http.ResponseWriter)]
	answer := func(f func(http.ResponseWriter)) { current.Store(&f) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*current.Load())(w) }))
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL, APIKey: testKey})

	answer(func(w http.ResponseWriter) {
		w.Header().Set("Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
		w.WriteHeader(503)
		w.Write([]byte("<html>Service Unavailable</html>"))
	})
	ae := asAPIError(t, c.CancelApplication(ctx(t), "c", 1))
	if ae.Status != 503 || ae.Message != "<html>Service Unavailable</html>" || ae.RetryAfter < 85*time.Second || ae.RetryAfter > 90*time.Second {
		t.Fatalf("503: %+v", ae)
	}

	answer(func(w http.ResponseWriter) { w.Write([]byte(`"not a link"`)) })
	if _, err := c.ReportURL(ctx(t), "c", 1); !errors.Is(err, ErrMalformedResponse) {
		t.Fatalf("bad link: %v", err)
	}
	answer(func(w http.ResponseWriter) { w.Write([]byte(`""`)) })
	if _, err := c.ReportStatus(ctx(t), "c", 1); !errors.Is(err, ErrMalformedResponse) {
		t.Fatalf("empty status: %v", err)
	}
	answer(func(w http.ResponseWriter) { w.Write([]byte(`"Archived"`)) })
	if s, err := c.ReportStatus(ctx(t), "c", 1); err != nil || s != "Archived" || s.Valid() {
		t.Fatalf("unknown status: %q %v; want it passed through, not Valid", s, err)
	}
	answer(func(w http.ResponseWriter) { w.Write([]byte(`null`)) })
	if list, err := c.Applications(ctx(t), "c", 0, 0); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("null list: %v %v", list, err)
	}
	answer(func(w http.ResponseWriter) { w.WriteHeader(400); w.Write([]byte(`{"message":"lower-case key"}`)) })
	if ae := asAPIError(t, c.CancelApplication(ctx(t), "c", 1)); ae.Message != "lower-case key" {
		t.Fatalf("message = %q", ae.Message)
	}
	for body, want := range map[string]int{`4711`: 4711, `"4711"`: 4711, `{"ApplicationId":4711}`: 4711, `{"applicationId":"4711"}`: 4711} {
		answer(func(w http.ResponseWriter) { w.Write([]byte(body)) })
		if id, err := c.CreateEmbeddedApplication(ctx(t), "c", validOrder()); err != nil || id != want {
			t.Errorf("embedded answer %s: %d %v", body, id, err)
		}
	}
	for _, body := range []string{`0`, `"x"`, `{"Id":4711}`, `[4711]`, `-3`} {
		answer(func(w http.ResponseWriter) { w.Write([]byte(body)) })
		if _, err := c.CreateEmbeddedApplication(ctx(t), "c", validOrder()); !errors.Is(err, ErrMalformedResponse) {
			t.Errorf("embedded answer %s: %v, want ErrMalformedResponse", body, err)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"120":                           2 * time.Minute,
		"-5":                            0,
		"soon":                          0,
		"Sun, 01 Mar 2026 12:00:30 GMT": 30 * time.Second,
		"Sun, 01 Mar 2026 11:00:00 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

package propexo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

var sentinels = []error{ErrInvalidRequest, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict,
	ErrRateLimited, ErrServer, ErrTimeout, ErrMalformedResponse}

// raw answers every request with a fixed status, headers and body.
func raw(t *testing.T, status int, header map[string]string, body string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Token: testToken, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestErrorMapping(t *testing.T) {
	issuesBody := `{"error":{"code":"VALIDATION_ERROR","message":"invalid request body","details":{"issues":[
		{"code":"too_big","path":["address_1"],"message":"too long"},
		{"code":"invalid_type","path":"pets.0","message":"Expected string"},
		{"code":"custom","path":["desired_num_bedrooms",0],"message":"bad"}]}}}`
	for _, tc := range []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		want      *APIError
		sentinel  error
		retryable bool
		applied   bool
	}{
		{"400 with issues", 400, nil, issuesBody, &APIError{StatusCode: 400, Code: "VALIDATION_ERROR", Message: "invalid request body",
			Issues: []Issue{{"too_big", Path{"address_1"}, "too long"}, {"invalid_type", Path{"pets", "0"}, "Expected string"},
				{"custom", Path{"desired_num_bedrooms", "0"}, "bad"}}}, ErrInvalidRequest, false, false},
		{"401", 401, nil, `{"error":{"code":"UNAUTHORIZED","message":"bad token"}}`,
			&APIError{StatusCode: 401, Code: "UNAUTHORIZED", Message: "bad token"}, ErrUnauthorized, false, false},
		{"403", 403, nil, `{"error":{"code":"FORBIDDEN","message":"no access to integration"}}`,
			&APIError{StatusCode: 403, Code: "FORBIDDEN", Message: "no access to integration"}, ErrForbidden, false, false},
		{"404", 404, nil, `{"error":{"code":"NOT_FOUND","message":"nope"}}`,
			&APIError{StatusCode: 404, Code: "NOT_FOUND", Message: "nope"}, ErrNotFound, false, false},
		{"409", 409, nil, `{"error":{"code":"JOB_NOT_RETRYABLE","message":"x"}}`,
			&APIError{StatusCode: 409, Code: "JOB_NOT_RETRYABLE", Message: "x"}, ErrConflict, false, false},
		{"429 Retry-After seconds", 429, map[string]string{"Retry-After": "7"}, `{"error":{"code":"RATE_LIMITED","message":"slow down"}}`,
			&APIError{StatusCode: 429, Code: "RATE_LIMITED", Message: "slow down", RetryAfter: 7 * time.Second}, ErrRateLimited, true, false},
		{"429 without Retry-After waits a window", 429, nil, ``,
			&APIError{StatusCode: 429, Message: "Too Many Requests", RetryAfter: time.Minute}, ErrRateLimited, true, false},
		{"500", 500, nil, `{"error":{"code":"INTERNAL","message":"boom"}}`,
			&APIError{StatusCode: 500, Code: "INTERNAL", Message: "boom"}, ErrServer, true, true},
		{"502 html", 502, nil, `<html>bad gateway</html>`,
			&APIError{StatusCode: 502, Message: "Bad Gateway"}, ErrServer, true, true},
		{"503", 503, nil, `{"error":{"code":"UNAVAILABLE","message":"maintenance"}}`,
			&APIError{StatusCode: 503, Code: "UNAVAILABLE", Message: "maintenance"}, ErrServer, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := raw(t, tc.status, tc.header, tc.body)
			_, err := c.CreateProspect(context.Background(), &CreateProspectRequest{IntegrationID: "i"})
			var got *APIError
			if !errors.As(err, &got) || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("err\n got %#v\nwant %#v", err, tc.want)
			}
			for _, s := range sentinels {
				if errors.Is(err, s) != (s == tc.sentinel) {
					t.Errorf("errors.Is(err, %v) = %v", s, !(s == tc.sentinel))
				}
			}
			if Retryable(err) != tc.retryable || MaybeApplied(err) != tc.applied {
				t.Errorf("Retryable %v MaybeApplied %v", Retryable(err), MaybeApplied(err))
			}
			if d, ok := RetryAfter(err); d != tc.want.RetryAfter || ok != (tc.sentinel == ErrRateLimited) {
				t.Errorf("RetryAfter %s, %v", d, ok)
			}
		})
	}
}

func TestAPIErrorMessage(t *testing.T) {
	err := &APIError{StatusCode: 400, Code: "VALIDATION_ERROR", Message: "invalid request body",
		Issues: []Issue{{Code: "too_big", Path: Path{"city"}, Message: "too long"}}}
	if want := "propexo: HTTP 400 VALIDATION_ERROR: invalid request body; city: too long"; err.Error() != want {
		t.Errorf("got %q", err.Error())
	}
	err = &APIError{StatusCode: 429, Message: "Too Many Requests", RetryAfter: 3 * time.Second}
	if want := "propexo: HTTP 429: Too Many Requests (retry after 3s)"; err.Error() != want {
		t.Errorf("got %q", err.Error())
	}
}

// TestSimulatorErrorsThroughClient sends bodies the client itself would
// refuse, to show it reads the simulator's issues.
func TestSimulatorErrorsThroughClient(t *testing.T) {
	e := newEnv(t, propexotest.Options{}, Config{})
	ctx := context.Background()
	_, err := e.client.write(ctx, http.MethodPost, "/crm/v1/prospects/",
		map[string]any{"integration_id": "i", "city": strings.Repeat("c", 31), "lease_term_in_months": 19})
	want := &APIError{StatusCode: 400, Code: "VALIDATION_ERROR", Message: "invalid request body", Issues: []Issue{
		{"too_big", Path{"city"}, "String must contain at most 30 character(s)"},
		{"too_big", Path{"lease_term_in_months"}, "Number must be less than or equal to 18"},
	}}
	var got *APIError
	if !errors.As(err, &got) || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", err)
	}
	_, err = e.client.write(ctx, http.MethodPut, "/crm/v1/prospects/p", map[string]any{"notes": "n"})
	if !errors.As(err, &got) || got.StatusCode != 400 || !reflect.DeepEqual(got.Issues, []Issue{{"invalid_type", Path{"lease_id"}, "Required"}}) {
		t.Fatalf("update without lease_id: %#v", err)
	}

	bad, err := New(Config{Token: "wrong", BaseURL: e.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.WriteStatus(ctx, "job_1")
	if !errors.As(err, &got) || got.StatusCode != 401 || got.Code != "UNAUTHORIZED" || !errors.Is(err, ErrUnauthorized) || Retryable(err) {
		t.Fatalf("wrong token: %#v", err)
	}
}

func TestInjectedFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fault     propexotest.Fault
		sentinel  error
		retryable bool
		applied   bool
		jobs      int
	}{
		{"500 before write", propexotest.Fault{Kind: propexotest.FaultError}, ErrServer, true, true, 0},
		{"503 after write", propexotest.Fault{Kind: propexotest.FaultError, Status: 503, AfterWrite: true}, ErrServer, true, true, 1},
		{"403", propexotest.Fault{Kind: propexotest.FaultError, Status: 403}, ErrForbidden, false, false, 0},
		{"429", propexotest.Fault{Kind: propexotest.FaultRateLimited}, ErrRateLimited, true, false, 0},
		{"malformed after write", propexotest.Fault{Kind: propexotest.FaultMalformed, AfterWrite: true}, ErrMalformedResponse, true, true, 1},
		{"hang after write", propexotest.Fault{Kind: propexotest.FaultHang, AfterWrite: true}, ErrTimeout, true, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, propexotest.Options{}, Config{Timeout: 200 * time.Millisecond})
			e.sim.FailNext(1, tc.fault)
			_, err := e.client.CreateProspect(context.Background(), &CreateProspectRequest{IntegrationID: "i"})
			for _, s := range sentinels {
				if errors.Is(err, s) != (s == tc.sentinel) {
					t.Errorf("errors.Is(%v, %v) = %v", err, s, !(s == tc.sentinel))
				}
			}
			if Retryable(err) != tc.retryable || MaybeApplied(err) != tc.applied {
				t.Errorf("%v: Retryable %v MaybeApplied %v", err, Retryable(err), MaybeApplied(err))
			}
			if n := len(e.sim.Jobs()); n != tc.jobs {
				t.Errorf("jobs %d, want %d", n, tc.jobs)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	hang := propexotest.Fault{Kind: propexotest.FaultHang}
	t.Run("http client timeout", func(t *testing.T) {
		e := newEnv(t, propexotest.Options{}, Config{Timeout: 100 * time.Millisecond})
		e.sim.FailNext(1, hang)
		_, err := e.client.WriteStatus(context.Background(), "job_1")
		var re *RequestError
		if !errors.As(err, &re) || !errors.Is(err, ErrTimeout) || !Retryable(err) || re.Method != "GET" || re.Path != "/v1/admin/write-status/job_1" {
			t.Fatalf("%#v", err)
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		e := newEnv(t, propexotest.Options{}, Config{})
		e.sim.FailNext(1, hang)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := e.client.WriteStatus(ctx, "job_1")
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || !Retryable(err) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("caller cancels", func(t *testing.T) {
		e := newEnv(t, propexotest.Options{}, Config{})
		e.sim.FailNext(1, hang)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := e.client.WriteStatus(ctx, "job_1")
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) || Retryable(err) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("context already done: nothing sent", func(t *testing.T) {
		e := newEnv(t, propexotest.Options{}, Config{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := e.client.CreateProspect(ctx, &CreateProspectRequest{IntegrationID: "i"})
		if !errors.Is(err, context.Canceled) || MaybeApplied(err) || e.sim.Stats().Requests != 0 {
			t.Fatalf("%v", err)
		}
	})
}

func TestNetworkFailure(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens any more
	c, _ := New(Config{Token: testToken, BaseURL: url})
	_, err := c.CreateProspect(context.Background(), &CreateProspectRequest{IntegrationID: "i"})
	var re *RequestError
	if !errors.As(err, &re) || !Retryable(err) || !MaybeApplied(err) || errors.Is(err, ErrTimeout) {
		t.Fatalf("%#v", err)
	}
}

func TestDecodeWrite(t *testing.T) {
	for _, tc := range []struct {
		body string
		want *WriteResponse
	}{
		{`{"job_id":"j1","data":{"a":1}}`, &WriteResponse{JobID: "j1", Data: []byte(`{"a":1}`)}},
		{`{"meta":{"job_id":"j2"},"result":{"b":2}}`, &WriteResponse{JobID: "j2", Data: []byte(`{"b":2}`)}},
		{`{"job_id":"j3"}`, &WriteResponse{JobID: "j3"}},
		{`{"data":{}}`, nil},
		{`{"job_id":`, nil},
		{`[]`, nil},
	} {
		got, err := decodeWrite([]byte(tc.body))
		if tc.want == nil {
			if !errors.Is(err, ErrMalformedResponse) {
				t.Errorf("%s: %v", tc.body, err)
			}
			continue
		}
		if err != nil || got.JobID != tc.want.JobID || string(got.Data) != string(tc.want.Data) {
			t.Errorf("%s: %+v %v", tc.body, got, err)
		}
	}
}

func TestDecodeWriteStatus(t *testing.T) {
	for _, tc := range []struct {
		body string
		want *WriteStatus
	}{
		{`{"write_status":"PENDING","errors":[],"created_record_id":null}`, &WriteStatus{Status: StatusPending}},
		{`{"write_status":"SUCCESS","created_record_id":"p1"}`, &WriteStatus{Status: StatusSuccess, CreatedRecordID: "p1"}},
		{`{"write_status":"SUCCESS","created_record_id":12345}`, &WriteStatus{Status: StatusSuccess, CreatedRecordID: "12345"}},
		{`{"data":{"write_status":"FAILURE","errors":["a",{"message":"b"},{"code":"X"}]}}`,
			&WriteStatus{Status: StatusFailure, Errors: []string{"a", "b", `{"code":"X"}`}}},
		{`{"meta":{"job_id":"j"},"result":{"write_status":"PARTIAL_SUCCESS","created_record_id":"p2"}}`,
			&WriteStatus{Status: StatusPartialSuccess, CreatedRecordID: "p2"}},
		{`{"errors":[]}`, nil},
		{`nope`, nil},
	} {
		got, err := decodeWriteStatus([]byte(tc.body))
		if tc.want == nil {
			if !errors.Is(err, ErrMalformedResponse) {
				t.Errorf("%s: %v", tc.body, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v %v", tc.body, got, err)
		}
	}
}

// TestTokenNeverLeaks prints every value that holds the token, and every
// error a hostile or careless server can provoke, and looks for the token.
func TestTokenNeverLeaks(t *testing.T) {
	cfg := Config{Token: testToken, BaseURL: SandboxURL}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, v := range []any{cfg, &cfg, c, struct{ C Config }{cfg}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			texts = append(texts, fmt.Sprintf(verb, v))
		}
	}
	if want := `propexo.Config{BaseURL:"https://api.sandbox.propexo.com" Token:"[REDACTED]" Timeout:0s RateWindow:0s MaxWait:0s}`; cfg.String() != want {
		t.Errorf("Config.String() = %s", cfg.String())
	}
	// A server that echoes the Authorization header everywhere it can.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get("Authorization")
		if r.Method == http.MethodGet {
			fmt.Fprintf(w, `{"job_id": %q`, a) // malformed 200
			return
		}
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"error":{"code":%q,"message":"you sent %s","details":{"issues":[{"code":"x","path":["token"],"message":%q}]}}}`, a, a, a)
	}))
	defer echo.Close()
	ec, _ := New(Config{Token: testToken, BaseURL: echo.URL})
	_, err1 := ec.CreateProspect(context.Background(), &CreateProspectRequest{IntegrationID: "i"})
	_, err2 := ec.WriteStatus(context.Background(), "j")
	_, err3 := New(Config{Token: testToken + " x"})
	_, err4 := New(Config{Token: testToken, BaseURL: "ftp://x"})
	for _, e := range []error{err1, err2, err3, err4} {
		if e == nil {
			t.Fatal("expected an error")
		}
		texts = append(texts, e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e))
	}
	if !strings.Contains(err1.Error(), "you sent Bearer [REDACTED]") {
		t.Errorf("scrubbed message lost: %s", err1)
	}
	for _, s := range texts {
		if strings.Contains(s, testToken) || strings.Contains(s, "5uperSecret") {
			t.Errorf("token leaked: %s", s)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{{}, {Token: "a b"}, {Token: "t", BaseURL: "api.propexo.com"}, {Token: "t", BaseURL: "ftp://h"}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%v) accepted", cfg)
		}
	}
	c, err := New(Config{Token: "t"})
	if err != nil || c.base != SandboxURL || c.http.Timeout != DefaultTimeout || c.window != time.Minute || c.maxWait != DefaultMaxWait {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, _ = New(Config{Token: "t", BaseURL: ProductionURL + "/"})
	if c.base != ProductionURL {
		t.Errorf("base %q", c.base)
	}
}

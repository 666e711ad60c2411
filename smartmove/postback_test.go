package smartmove

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// receiver is a postback endpoint that records what arrives.
type receiver struct {
	mu    sync.Mutex
	auths []string
	posts []Postback
	srv   *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := DecodePostback(r.Body)
		if err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("bad postback: %v %s %s", err, r.Method, r.Header.Get("Content-Type"))
			w.WriteHeader(400)
			return
		}
		rc.mu.Lock()
		rc.auths = append(rc.auths, r.Header.Get("Authorization"))
		rc.posts = append(rc.posts, *p)
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) got() ([]string, []Postback) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.auths...), append([]Postback(nil), rc.posts...)
}

// step is what a test expects of one postback.
type step struct {
	text   string
	status ReportStatus
}

func steps(posts []Postback) []step {
	var out []step
	for _, p := range posts {
		out = append(out, step{p.NotificationText, p.ReportStatus})
	}
	return out
}

func orderWithPostback(url string) Order {
	o := validOrder()
	o.Application.Applicants = []string{"lisa.simpson@example.com"}
	o.RequestParameters = &RequestParameters{
		PostbackURI: url, PostbackUsername: "hook-user", PostbackPassword: "p@ss:w0rd",
		ReferenceID: "order-9", ReferenceText: "unit 4 screening",
	}
	return o
}

var lisaSteps = []step{
	{"lisa.simpson@example.com has accepted the request", ReportInProgress},
	{"lisa.simpson@example.com has completed identity verification", ReportInProgress},
	{"lisa.simpson@example.com has completed the application; reports requested", ReportInProgress},
	{"Reports are available for lisa.simpson@example.com", ReportReady},
}

func TestPostbacksCarryCredentials(t *testing.T) {
	rc := newReceiver(t)
	e := newEnv(t, smartmovetest.Options{})
	id := e.embedded(t, "cust-1", orderWithPostback(rc.srv.URL+"/hooks/smartmove"))
	if err := e.sim.CompleteApplicant(id, "lisa.simpson@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.FlushPostbacks(ctx(t)); err != nil {
		t.Fatal(err)
	}
	auths, posts := rc.got()
	if got := steps(posts); !reflect.DeepEqual(got, lisaSteps) {
		t.Fatalf("postbacks = %v, want %v", got, lisaSteps)
	}
	wantAuth := base64.StdEncoding.EncodeToString([]byte("hook-user")) + ":" + base64.StdEncoding.EncodeToString([]byte("p@ss:w0rd"))
	for i, p := range posts {
		if auths[i] != wantAuth || !CheckPostbackAuthorization(auths[i], "hook-user", "p@ss:w0rd") {
			t.Errorf("postback %d: Authorization %q, want %q", i, auths[i], wantAuth)
		}
		if p.ApplicationID != id || p.CustomerReferenceID != "cust-1" || p.ReferenceID == nil || *p.ReferenceID != "order-9" ||
			p.ReferenceText == nil || *p.ReferenceText != "unit 4 screening" {
			t.Errorf("postback %d = %+v", i, p)
		}
	}
	if PostbackAuthorization("hook-user", "p@ss:w0rd") != wantAuth {
		t.Error("PostbackAuthorization disagrees with the spec's form")
	}
	ds := e.sim.Deliveries()
	if len(ds) != 4 || ds[0].Status != 200 || ds[0].URL != rc.srv.URL+"/hooks/smartmove" || ds[0].Authorization != wantAuth || ds[0].Err != "" {
		t.Fatalf("deliveries = %+v", ds)
	}
}

func TestPostbacksWithoutCredentialsOrURI(t *testing.T) {
	rc := newReceiver(t)
	e := newEnv(t, smartmovetest.Options{})
	o := orderWithPostback(rc.srv.URL)
	o.RequestParameters = &RequestParameters{PostbackURI: rc.srv.URL}
	id := e.embedded(t, "cust-1", o)
	silent := e.embedded(t, "cust-1", validOrder()) // no RequestParameters: no postbacks
	e.sim.Advance(id)
	e.sim.Advance(silent)
	e.sim.FlushPostbacks(ctx(t))
	auths, posts := rc.got()
	if len(posts) != 1 || auths[0] != "" || posts[0].ApplicationID != id || posts[0].ReferenceID != nil || posts[0].ReferenceText != nil {
		t.Fatalf("auths %q, posts %+v", auths, posts)
	}
	if n := len(e.sim.Deliveries()); n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}
}

func TestPostbacksRepeatedAndReversed(t *testing.T) {
	rc := newReceiver(t)
	e := newEnv(t, smartmovetest.Options{PostbackCopies: 2})
	id := e.embedded(t, "cust-1", orderWithPostback(rc.srv.URL))
	e.sim.HoldPostbacks()
	e.sim.CompleteApplicant(id, "lisa.simpson@example.com")
	e.sim.FlushPostbacks(ctx(t)) // returns at once: everything is held
	if _, posts := rc.got(); len(posts) != 0 {
		t.Fatalf("%d postbacks arrived while held", len(posts))
	}
	e.sim.ReleasePostbacksReversed()
	e.sim.FlushPostbacks(ctx(t))
	_, posts := rc.got()
	var want []step
	for i := len(lisaSteps) - 1; i >= 0; i-- {
		want = append(want, lisaSteps[i], lisaSteps[i])
	}
	if got := steps(posts); !reflect.DeepEqual(got, want) {
		t.Fatalf("postbacks = %v, want %v", got, want)
	}

	// Held and released in order.
	id2 := e.embedded(t, "cust-1", orderWithPostback(rc.srv.URL))
	e.sim.HoldPostbacks()
	e.sim.Advance(id2)
	e.sim.Expire(id2)
	e.sim.ReleasePostbacks()
	e.sim.FlushPostbacks(ctx(t))
	_, posts = rc.got()
	want = []step{lisaSteps[0], lisaSteps[0], {"The application has expired", ReportExpired}, {"The application has expired", ReportExpired}}
	if got := steps(posts[8:]); !reflect.DeepEqual(got, want) {
		t.Fatalf("postbacks = %v, want %v", got, want)
	}
}

func TestPostbackReceiverFailureIsRecorded(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	defer down.Close()
	e := newEnv(t, smartmovetest.Options{})
	id := e.embedded(t, "cust-1", orderWithPostback(down.URL))
	e.sim.Advance(id)
	e.sim.FlushPostbacks(ctx(t))
	ds := e.sim.Deliveries()
	if len(ds) != 1 || ds[0].Status != 503 {
		t.Fatalf("deliveries = %+v", ds)
	}
}

func TestCheckPostbackAuthorization(t *testing.T) {
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{b("user") + ":" + b("pass"), true},
		{"Basic " + b("user:pass"), true},
		{"basic " + b("user:pass"), true},
		{"  Basic " + b("user:pass") + " ", true},
		{" " + b("user") + ":" + b("pass") + "\n", true},
		{b("user") + ":" + b("wrong"), false},
		{b("other") + ":" + b("pass"), false},
		{"Basic " + b("user:wrong"), false},
		{"Basic " + b("userpass"), false},
		{"Basic !!!", false},
		{"Bearer " + b("user:pass"), false},
		{"user:pass", false},
		{b("user"), false},
		{"", false},
	} {
		if got := CheckPostbackAuthorization(tc.header, "user", "pass"); got != tc.want {
			t.Errorf("CheckPostbackAuthorization(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestDecodePostback(t *testing.T) {
	p, err := DecodePostback(strings.NewReader(`{"applicationId": 42, "customerReferenceId": "123",
		"notificationText": "x has accepted the request", "reportStatus": "InProgress", "referenceId": null}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Postback{ApplicationID: 42, CustomerReferenceID: "123", NotificationText: "x has accepted the request", ReportStatus: ReportInProgress}
	if !reflect.DeepEqual(*p, want) {
		t.Fatalf("got %+v", *p)
	}
	// Ids as numbers or strings, alike.
	ref := "555"
	want = Postback{ApplicationID: 42, CustomerReferenceID: "123", ReportStatus: ReportReady, ReferenceID: &ref}
	for _, body := range []string{
		`{"applicationId": 42, "customerReferenceId": 123, "reportStatus": "Ready", "referenceId": 555}`,
		`{"applicationId": "42", "customerReferenceId": "123", "reportStatus": "Ready", "referenceId": "555"}`,
	} {
		p, err := DecodePostback(strings.NewReader(body))
		if err != nil || !reflect.DeepEqual(*p, want) {
			t.Errorf("DecodePostback(%s) = %+v, %v", body, p, err)
		}
	}
	for _, body := range []string{``, `{`, `{"reportStatus":"Ready"}`, `{"applicationId": 42}`, `{"applicationId": "x"}`,
		`{"applicationId": 4.2, "reportStatus": "Ready"}`, `{"applicationId": -4, "reportStatus": "Ready"}`,
		`{"applicationId": true, "reportStatus": "Ready"}`, `{"applicationId": 42, "customerReferenceId": {}, "reportStatus": "Ready"}`,
		`{"applicationId": 42, "reportStatus": "Ready", "referenceId": [1]}`} {
		if _, err := DecodePostback(strings.NewReader(body)); err == nil {
			t.Errorf("DecodePostback(%q) accepted", body)
		}
	}
	huge := `{"applicationId": 42, "reportStatus": "Ready", "notificationText": "` + strings.Repeat("x", MaxPostbackSize) + `"}`
	if _, err := DecodePostback(strings.NewReader(huge)); err == nil {
		t.Error("an oversized postback was accepted")
	}
}

// TestAutoAdvanceInProcess is demo mode: applicants progress on a timer, and the
// client is wired in-process through the simulator's Transport with the
// real sandbox URL.
func TestAutoAdvanceInProcess(t *testing.T) {
	rc := newReceiver(t)
	sim := smartmovetest.New(smartmovetest.Options{APIKeys: []string{testKey}, AutoAdvance: 5 * time.Millisecond})
	defer sim.Close()
	c, err := New(Config{APIKey: testKey, HTTPClient: &http.Client{Transport: sim.Transport()}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.CreateEmbeddedApplication(ctx(t), "cust-1", orderWithPostback(rc.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, err := c.ReportStatus(ctx(t), "cust-1", id)
		if err != nil {
			t.Fatal(err)
		}
		if s == ReportReady {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %q after 5s", s)
		}
		time.Sleep(5 * time.Millisecond)
	}
	link, err := c.ReportURL(ctx(t), "cust-1", id)
	if err != nil || !strings.HasPrefix(link, SandboxURL+"/smartmove/api/application/report/") {
		t.Fatalf("link %q, %v", link, err)
	}
	sim.FlushPostbacks(ctx(t))
	if _, posts := rc.got(); !reflect.DeepEqual(steps(posts), lisaSteps) {
		t.Fatalf("postbacks = %v", steps(posts))
	}

	// A hang in-process still ends in the client's timeout.
	short, _ := New(Config{APIKey: testKey, Timeout: 50 * time.Millisecond, HTTPClient: &http.Client{Transport: sim.Transport()}})
	sim.HangNext(1)
	if _, err := short.ReportStatus(ctx(t), "cust-1", id); !errors.Is(err, ErrTimeout) || !Retryable(err) {
		t.Fatalf("hang in-process: %v", err)
	}
}

package propexotest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAuth(t *testing.T) {
	sim, srv := start(t, Options{})
	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"missing", "", 401},
		{"basic scheme", "Basic " + token, 401},
		{"empty token", "Bearer ", 401},
		{"wrong token", "Bearer nope", 401},
		{"right token", "Bearer " + token, 400}, // an unknown job is a 400 (docs/partners/propexo.md#write-status)
		{"scheme is case-insensitive", "bearer " + token, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := doAuth(t, srv, "GET", "/v1/admin/write-status/job_x", "", tc.auth)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.raw)
			}
			if tc.want == 401 {
				if e := r.errorBody(t); e.Error.Code != "UNAUTHORIZED" {
					t.Errorf("code %q", e.Error.Code)
				}
				if r.header.Get("WWW-Authenticate") != `Bearer realm="propexo"` {
					t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
				}
				if r.header.Get("x-ratelimit-limit") != "" {
					t.Error("rate-limit headers on an unauthenticated answer")
				}
			}
		})
	}
	if got := sim.Stats().Requests; got != 2 {
		t.Errorf("authenticated requests %d, want 2", got)
	}
}

func TestAnyTokenWhenNoneConfigured(t *testing.T) {
	sim := New(Options{})
	srv := newServerFor(t, sim)
	r := doAuth(t, srv, "GET", "/v1/admin/write-status/job_1", "", "Bearer whatever")
	if r.status != 400 {
		t.Fatalf("status %d", r.status)
	}
}

func TestCreateLifecycle(t *testing.T) {
	sim, srv := start(t, Options{})
	r := do(t, srv, "POST", "/crm/v1/prospects/", `{"integration_id":"int_1","first_name":"Ada","middle_name":"K",
		"subscribe":false,"desired_num_bedrooms":[3,1,2],"rent_minimum_in_cents":150000,"notes":"first","pets":["dog"]}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	got := r.json(t)
	want := map[string]any{"job_id": "job_1", "data": map[string]any{
		"integration_id": "int_1", "first_name": "Ada", "middle_name": "K", "subscribe": false,
		"desired_num_bedrooms": []any{3.0}, "rent_minimum_in_cents": 150000.0, "notes": "first", "pets": []any{"dog"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("create answer\n got %v\nwant %v", got, want)
	}
	pending := map[string]any{"job_id": "job_1", "write_status": "PENDING", "errors": []any{}, "created_record_id": nil}
	if st := status(t, srv, "job_1"); !reflect.DeepEqual(st, pending) {
		t.Fatalf("status %v", st)
	}
	if n := len(sim.Prospects()); n != 0 {
		t.Fatalf("%d prospects before the job finished", n)
	}
	if err := sim.CompleteJob("job_1", Success); err != nil {
		t.Fatal(err)
	}
	done := map[string]any{"job_id": "job_1", "write_status": "SUCCESS", "errors": []any{}, "created_record_id": "prospect_1"}
	if st := status(t, srv, "job_1"); !reflect.DeepEqual(st, done) {
		t.Fatalf("status %v", st)
	}
	wantP := []Prospect{{ID: "prospect_1", IntegrationID: "int_1", FirstName: "Ada", MiddleName: "K",
		Subscribe: boolp(false), DesiredNumBedrooms: []int{3}, RentMinimumInCents: intp(150000),
		Notes: "first", Pets: []string{"dog"}}}
	gotP := sim.Prospects()
	if !reflect.DeepEqual(gotP, wantP) {
		t.Fatalf("prospects\n got %+v\nwant %+v", gotP, wantP)
	}
	if sim.CreateRequests() != 1 {
		t.Errorf("create requests %d", sim.CreateRequests())
	}
}

func TestUpdateAppliesOnSuccess(t *testing.T) {
	sim, srv := start(t, Options{})
	id := sim.SeedProspect(Prospect{IntegrationID: "int_1", FirstName: "Ada", City: "Austin",
		Notes: "called Monday", DesiredNumBedrooms: []int{1}, Subscribe: boolp(true)})
	if id != "prospect_1" {
		t.Fatalf("seed id %q", id)
	}
	r := do(t, srv, "PUT", "/crm/v1/prospects/"+id,
		`{"lease_id":"lease_9","notes":"toured Friday","desired_num_bedrooms":[2,4],"subscribe":false,"lease_term_in_months":24}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if p, _ := sim.Prospect(id); p.Notes != "called Monday" {
		t.Fatalf("pending update already applied: %+v", p)
	}
	if err := sim.CompleteJob("job_1", Success); err != nil {
		t.Fatal(err)
	}
	// A second update appends again; an empty note changes nothing.
	do(t, srv, "PUT", "/crm/v1/prospects/"+id, `{"lease_id":"lease_9","notes":"applied"}`)
	do(t, srv, "PUT", "/crm/v1/prospects/"+id, `{"lease_id":"lease_9","notes":""}`)
	if n := sim.CompleteAll(Success); n != 2 {
		t.Fatalf("completed %d", n)
	}
	want := Prospect{ID: id, IntegrationID: "int_1", LeaseID: "lease_9", FirstName: "Ada", City: "Austin",
		Notes: "called Monday\ntoured Friday\napplied", DesiredNumBedrooms: []int{2},
		Subscribe: boolp(false), LeaseTermInMonths: intp(24)}
	if got, _ := sim.Prospect(id); !reflect.DeepEqual(got, want) {
		t.Fatalf("prospect\n got %+v\nwant %+v", got, want)
	}
	if st := status(t, srv, "job_1"); st["created_record_id"] != id {
		t.Errorf("update job record %v", st["created_record_id"])
	}
}

func TestUpdateUnknownProspect(t *testing.T) {
	sim, srv := start(t, Options{})
	for _, path := range []string{"/crm/v1/prospects/prospect_404", "/crm/v1/prospects/"} {
		r := do(t, srv, "PUT", path, `{"lease_id":"l"}`)
		if r.status != 404 || r.errorBody(t).Error.Code != "NOT_FOUND" {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
	}
	// A create still pending has no prospect to update yet.
	create(t, srv, `{"integration_id":"i"}`)
	if r := do(t, srv, "PUT", "/crm/v1/prospects/prospect_1", `{"lease_id":"l"}`); r.status != 404 {
		t.Errorf("update before create finished: %d", r.status)
	}
	if n := len(sim.Jobs()); n != 1 {
		t.Errorf("jobs %d, want 1", n)
	}
}

func TestOutcomes(t *testing.T) {
	sim, srv := start(t, Options{})
	partial := create(t, srv, `{"integration_id":"i","city":"Reno"}`)
	failed := create(t, srv, `{"integration_id":"i","city":"Elko"}`)
	if err := sim.CompleteJob(partial, PartialSuccess); err != nil {
		t.Fatal(err)
	}
	if err := sim.CompleteJob(failed, Failure, "RentCafe: duplicate email"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		job  string
		want map[string]any
	}{
		{partial, map[string]any{"job_id": partial, "write_status": "PARTIAL_SUCCESS", "created_record_id": "prospect_1",
			"errors": []any{"simulated partial failure: some fields were not written"}}},
		{failed, map[string]any{"job_id": failed, "write_status": "FAILURE", "created_record_id": nil,
			"errors": []any{"RentCafe: duplicate email"}}},
	} {
		if got := status(t, srv, tc.job); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s\n got %v\nwant %v", tc.job, got, tc.want)
		}
	}
	if ps := sim.Prospects(); len(ps) != 1 || ps[0].City != "Reno" {
		t.Errorf("prospects %+v", ps)
	}
	for _, tc := range []struct {
		id      string
		outcome Status
		want    error
	}{
		{"job_404", Success, ErrUnknownJob},
		{partial, Success, ErrJobNotPending},
	} {
		if err := sim.CompleteJob(tc.id, tc.outcome); !errors.Is(err, tc.want) {
			t.Errorf("CompleteJob(%s) = %v, want %v", tc.id, err, tc.want)
		}
	}
	pending := create(t, srv, `{"integration_id":"i"}`)
	if err := sim.CompleteJob(pending, Pending); err == nil || err.Error() != `propexotest: "PENDING" is not a final status` {
		t.Errorf("CompleteJob(PENDING) = %v", err)
	}
	// An unknown job id is a 400, not a 404 (docs/partners/propexo.md#write-status).
	if r := do(t, srv, "GET", "/v1/admin/write-status/job_404", ""); r.status != 400 {
		t.Errorf("unknown job status %d", r.status)
	}
}

// TestRetryWrite: only a FAILURE job can be retried (else 400), the answer
// is {success, job_id} with a new job, which is the one to follow.
func TestRetryWrite(t *testing.T) {
	sim, srv := start(t, Options{})
	job := create(t, srv, `{"integration_id":"i","first_name":"Bo"}`)
	if r := do(t, srv, "POST", "/v1/admin/retry-write/"+job, ""); r.status != 400 || r.errorBody(t).Error.Code != "invalid_request" {
		t.Fatalf("retry of pending job: %d %s", r.status, r.raw)
	}
	if err := sim.CompleteJob(job, Failure); err != nil {
		t.Fatal(err)
	}
	sim.RefuseNextRetries(1)
	if r := do(t, srv, "POST", "/v1/admin/retry-write/"+job, ""); r.status != 200 || r.json(t)["success"] != false {
		t.Fatalf("refused retry: %d %s", r.status, r.raw)
	}
	if n := len(sim.Jobs()); n != 1 {
		t.Fatalf("a refused retry queued something: %d jobs", n)
	}
	r := do(t, srv, "POST", "/v1/admin/retry-write/"+job, "")
	body := r.json(t)
	next, _ := body["job_id"].(string)
	if r.status != 200 || body["success"] != true || next == "" || next == job {
		t.Fatalf("retry: %d %s", r.status, r.raw)
	}
	if old, _ := sim.Job(job); old.Status != Failure {
		t.Fatalf("the failed job after retry %+v", old)
	}
	if j, _ := sim.Job(next); j.Status != Pending || j.Attempts != 2 || j.RetryOf != job {
		t.Fatalf("new job after retry %+v", j)
	}
	if err := sim.CompleteJob(next, Success); err != nil {
		t.Fatal(err)
	}
	if ps := sim.Prospects(); len(ps) != 1 || ps[0].FirstName != "Bo" {
		t.Fatalf("prospects %+v", ps)
	}
	if r := do(t, srv, "POST", "/v1/admin/retry-write/"+next, ""); r.status != 400 {
		t.Errorf("retry of succeeded job: %d", r.status)
	}
	if r := do(t, srv, "POST", "/v1/admin/retry-write/job_404", ""); r.status != 400 {
		t.Errorf("retry of unknown job: %d", r.status)
	}
}

// TestNoIdempotencyKey: Propexo documents no Idempotency-Key
// (docs/partners/propexo.md#no-idempotency), so a create sent twice is two prospects.
func TestNoIdempotencyKey(t *testing.T) {
	sim, srv := start(t, Options{AutoComplete: time.Millisecond})
	for range 2 {
		req, _ := http.NewRequest("POST", srv.URL+"/crm/v1/prospects/", strings.NewReader(`{"integration_id":"i"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Idempotency-Key", "same")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(sim.Prospects()) < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := len(sim.Prospects()); n != 2 {
		t.Fatalf("%d prospects after two creates under one key, want 2", n)
	}
}

// TestLeads: the prospects are listed as leads, newest first, filtered and
// paged as the extract documents; bad parameters are a 400.
func TestLeads(t *testing.T) {
	clock := newClock()
	sim, srv := start(t, Options{Now: clock.Now})
	for i, body := range []string{`{"integration_id":"a","notes":"one","phone_1":"+15125550100"}`, `{"integration_id":"a","notes":"two"}`, `{"integration_id":"b"}`} {
		clock.Advance(time.Second)
		if err := sim.CompleteJob(create(t, srv, body), Success); err != nil {
			t.Fatal(i, err)
		}
	}
	type page struct {
		Meta struct {
			Offset, Limit, Total int
			HasMore              bool
		}
		Results []struct{ ID, Notes string }
	}
	list := func(q string) (page, reply) {
		r := do(t, srv, "GET", "/v1/leads/"+q, "")
		var p page
		if r.status == 200 {
			if err := json.Unmarshal([]byte(r.raw), &p); err != nil {
				t.Fatal(err)
			}
		}
		return p, r
	}
	p, _ := list("?integration_id=a&limit=1")
	if p.Meta.Total != 2 || !p.Meta.HasMore || len(p.Results) != 1 || p.Results[0].Notes != "two" {
		t.Fatalf("newest first: %+v", p)
	}
	p, _ = list("?integration_id=a&limit=1&offset=1&order-by=created_at:desc")
	if p.Meta.HasMore || len(p.Results) != 1 || p.Results[0].Notes != "one" {
		t.Fatalf("second page: %+v", p)
	}
	if p, _ = list("?phone_1=5125550100"); len(p.Results) != 1 || p.Results[0].Notes != "one" {
		t.Fatalf("by phone: %+v", p)
	}
	if p, _ = list("?integration_id=a&email_1=nobody%40example.com"); len(p.Results) != 0 {
		t.Fatalf("by an email no lead has: %+v", p)
	}
	// A documented filter the simulator cannot apply, and a parameter the
	// extract does not list, are refused rather than ignored: ignoring
	// them would answer more leads than Propexo does.
	for _, q := range []string{"?limit=251", "?offset=-1", "?phone_1=%2B15125550100", "?order-by=notes",
		"?property_id=p1", "?email_2=x%40example.com", "?x_unit_id=u1", "?integration_vendor=SAMPLE1", "?location_id=l1",
		"?x_property_id=p1", "?name=Ann"} {
		if _, r := list(q); r.status != 400 || len(r.errorBody(t).Error.Details.Details.Issues) != 1 {
			t.Errorf("%s: %d %s", q, r.status, r.raw)
		}
	}
	if r := do(t, srv, "GET", "/v1/leads/prospect_2", ""); r.status != 200 || !strings.Contains(r.raw, `"notes":"two"`) {
		t.Errorf("one lead: %d %s", r.status, r.raw)
	}
	if r := do(t, srv, "GET", "/v1/leads/nope", ""); r.status != 400 {
		t.Errorf("unknown lead: %d", r.status)
	}
}

func TestRateLimitWindow(t *testing.T) {
	clock := newClock()
	sim, srv := start(t, Options{RateLimit: 5, Now: clock.Now, Tokens: []string{token, "other"}})
	get := func() reply { return do(t, srv, "GET", "/v1/leads/", "") }
	for i := 1; i <= 5; i++ {
		r := get()
		if r.status != 200 || r.header.Get("x-ratelimit-limit") != "5" || r.header.Get("x-ratelimit-remaining") != fmt.Sprint(5-i) {
			t.Fatalf("request %d: %d limit=%s remaining=%s", i, r.status, r.header.Get("x-ratelimit-limit"), r.header.Get("x-ratelimit-remaining"))
		}
	}
	r := get()
	// No Retry-After: Propexo sends the x-ratelimit-* headers only (docs/partners/propexo.md#rate-limit).
	if r.status != 429 || r.header.Get("Retry-After") != "" || r.header.Get("x-ratelimit-remaining") != "0" || r.errorBody(t).Error.Code != "RATE_LIMITED" {
		t.Fatalf("6th: %d retry-after=%q %s", r.status, r.header.Get("Retry-After"), r.raw)
	}
	// Another token has its own budget.
	if o := doAuth(t, srv, "GET", "/v1/leads/", "", "Bearer other"); o.status != 200 || o.header.Get("x-ratelimit-remaining") != "4" {
		t.Fatalf("other token: %d remaining=%s", o.status, o.header.Get("x-ratelimit-remaining"))
	}
	clock.Advance(30*time.Second + 500*time.Millisecond)
	if r := get(); r.status != 429 || r.header.Get("Retry-After") != "" {
		t.Fatalf("mid-window: %d retry-after=%q", r.status, r.header.Get("Retry-After"))
	}
	clock.Advance(29500 * time.Millisecond) // the window has ended
	if r := get(); r.status != 200 || r.header.Get("x-ratelimit-remaining") != "4" {
		t.Fatalf("new window: %d remaining=%s", r.status, r.header.Get("x-ratelimit-remaining"))
	}
	if st := sim.Stats(); st.RateLimited != 2 || st.Requests != 9 {
		t.Errorf("stats %+v", st)
	}
}

func TestSlowDownPast80Percent(t *testing.T) {
	var mu sync.Mutex
	var slept []time.Duration
	_, srv := start(t, Options{RateLimit: 5, SlowDown: 2 * time.Second, Now: newClock().Now,
		Sleep: func(_ context.Context, d time.Duration) { mu.Lock(); slept = append(slept, d); mu.Unlock() }})
	for i := 1; i <= 4; i++ {
		do(t, srv, "GET", "/v1/admin/write-status/x", "")
	}
	mu.Lock()
	if len(slept) != 0 {
		t.Fatalf("slowed at 80%%: %v", slept)
	}
	mu.Unlock()
	do(t, srv, "GET", "/v1/admin/write-status/x", "")
	mu.Lock()
	defer mu.Unlock()
	if !reflect.DeepEqual(slept, []time.Duration{2 * time.Second}) {
		t.Fatalf("slept %v", slept)
	}
}

func TestUnknownRoute(t *testing.T) {
	_, srv := start(t, Options{})
	for _, tc := range [][2]string{{"GET", "/crm/v1/prospects/"}, {"POST", "/crm/v1/prospect"}, {"DELETE", "/crm/v1/prospects/p1"}} {
		r := do(t, srv, tc[0], tc[1], "")
		if r.status != 404 || r.errorBody(t).Error.Code != "NOT_FOUND" {
			t.Errorf("%v: %d %s", tc, r.status, r.raw)
		}
	}
}

func TestMetaResultShape(t *testing.T) {
	sim, srv := start(t, Options{MetaResult: true})
	r := do(t, srv, "POST", "/crm/v1/prospects/", `{"integration_id":"i","zip":"89501"}`)
	want := map[string]any{"meta": map[string]any{"job_id": "job_1"}, "result": map[string]any{"integration_id": "i", "zip": "89501"}}
	if got := r.json(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("create\n got %v\nwant %v", got, want)
	}
	sim.CompleteAll(Success)
	want = map[string]any{"meta": map[string]any{"job_id": "job_1"}, "result": map[string]any{
		"write_status": "SUCCESS", "errors": []any{}, "created_record_id": "prospect_1"}}
	if got := status(t, srv, "job_1"); !reflect.DeepEqual(got, want) {
		t.Fatalf("status\n got %v\nwant %v", got, want)
	}
}

func TestAutoComplete(t *testing.T) {
	sim, srv := start(t, Options{AutoComplete: 5 * time.Millisecond, AutoOutcome: PartialSuccess})
	job := create(t, srv, `{"integration_id":"i"}`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if j, _ := sim.Job(job); j.Status == PartialSuccess {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("job never completed")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := sim.CompleteJob(job, Failure); !errors.Is(err, ErrJobNotPending) {
		t.Errorf("complete after auto: %v", err)
	}
}

func TestConcurrentCreates(t *testing.T) {
	sim, srv := start(t, Options{})
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := do(t, srv, "POST", "/crm/v1/prospects/", fmt.Sprintf(`{"integration_id":"i","first_name":"p%d"}`, i))
			if r.status != 200 {
				t.Errorf("create %d: %d", i, r.status)
			}
		})
		wg.Go(func() { sim.Prospects(); sim.Jobs(); sim.CompleteAll(Success) })
	}
	wg.Wait()
	sim.CompleteAll(Success)
	ps := sim.Prospects()
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.FirstName] = true
	}
	if len(ps) != n || len(seen) != n || sim.CreateRequests() != n {
		t.Fatalf("prospects %d, distinct %d, creates %d", len(ps), len(seen), sim.CreateRequests())
	}
}

func TestTransportInProcess(t *testing.T) {
	sim := New(Options{Tokens: []string{token}})
	defer sim.Close()
	hc := &http.Client{Transport: sim.Transport()}
	req, _ := http.NewRequest("GET", "http://propexo.invalid/v1/admin/write-status/job_1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("x-ratelimit-remaining") != "149" {
		t.Fatalf("%d remaining=%s", resp.StatusCode, resp.Header.Get("x-ratelimit-remaining"))
	}
	// A hang ends with the client's timeout, as over a socket.
	sim.FailNext(1, Fault{Kind: FaultHang})
	hc.Timeout = 50 * time.Millisecond
	req, _ = http.NewRequest("GET", "http://propexo.invalid/v1/admin/write-status/job_1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if _, err := hc.Do(req); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hang: %v", err)
	}
}

// TestPartialAndNullRecordID: a PARTIAL_SUCCESS stores all but the fields its
// errors name ("field: message", the simulator's convention), and
// NullCreatedRecordID answers created_record_id null even on success, as
// Propexo may (docs/partners/propexo.md#write-status).
func TestPartialAndNullRecordID(t *testing.T) {
	sim, srv := start(t, Options{NullCreatedRecordID: true})
	job := create(t, srv, `{"integration_id":"i","first_name":"Al","city":"Reno"}`)
	if err := sim.CompleteJob(job, PartialSuccess, "city: not accepted by the PMS"); err != nil {
		t.Fatal(err)
	}
	st := status(t, srv, job)
	if st["write_status"] != "PARTIAL_SUCCESS" || st["created_record_id"] != nil {
		t.Fatalf("status %v", st)
	}
	if ps := sim.Prospects(); len(ps) != 1 || ps[0].FirstName != "Al" || ps[0].City != "" {
		t.Fatalf("prospects %+v", ps)
	}
}

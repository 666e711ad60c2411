package propexotest

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestFailNext(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fault      Fault
		wantStatus int
		wantBody   string
		wantJobs   int
	}{
		{"500 before write", Fault{Kind: FaultError}, 500,
			`{"error":{"code":"INTERNAL_SERVER_ERROR","message":"simulated failure"}}` + "\n", 0},
		{"503 before write", Fault{Kind: FaultError, Status: 503}, 503,
			`{"error":{"code":"SERVICE_UNAVAILABLE","message":"simulated failure"}}` + "\n", 0},
		{"403", Fault{Kind: FaultError, Status: 403}, 403,
			`{"error":{"code":"FORBIDDEN","message":"simulated failure"}}` + "\n", 0},
		{"500 after write", Fault{Kind: FaultError, AfterWrite: true}, 500,
			`{"error":{"code":"INTERNAL_SERVER_ERROR","message":"simulated failure"}}` + "\n", 1},
		{"429", Fault{Kind: FaultRateLimited}, 429,
			`{"error":{"code":"RATE_LIMITED","message":"rate limit exceeded (injected)"}}` + "\n", 0},
		{"malformed before write", Fault{Kind: FaultMalformed}, 200, `{"job_id": "job_`, 0},
		{"malformed after write", Fault{Kind: FaultMalformed, AfterWrite: true}, 200, `{"job_id": "job_`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, srv := start(t, Options{Now: newClock().Now})
			sim.FailNext(2, tc.fault)
			for i := range 2 {
				r := do(t, srv, "POST", "/crm/v1/prospects/", `{"integration_id":"i"}`)
				if r.status != tc.wantStatus || r.raw != tc.wantBody {
					t.Fatalf("call %d: %d %q, want %d %q", i, r.status, r.raw, tc.wantStatus, tc.wantBody)
				}
				if tc.fault.Kind == FaultRateLimited && r.header.Get("Retry-After") != "" {
					t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
				}
			}
			if got := len(sim.Jobs()); got != 2*tc.wantJobs {
				t.Errorf("jobs %d, want %d", got, 2*tc.wantJobs)
			}
			// The faults are used up: the third call is served normally.
			if r := do(t, srv, "POST", "/crm/v1/prospects/", `{"integration_id":"i"}`); r.status != 200 {
				t.Fatalf("third call %d", r.status)
			}
			st := sim.Stats()
			before, after := 2, 0
			if tc.fault.AfterWrite {
				before, after = 0, 2
			}
			if st.FaultsBeforeWrite != before || st.FaultsAfterWrite != after || st.CreateRequests != 2+1-before {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestHangUntilClientGivesUp(t *testing.T) {
	sim, srv := start(t, Options{})
	sim.FailNext(1, Fault{Kind: FaultHang, AfterWrite: true})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/crm/v1/prospects/", stringsReader(`{"integration_id":"i"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	_, err := srv.Client().Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want deadline exceeded", err)
	}
	// The write happened although the client never heard of it.
	if jobs := sim.Jobs(); len(jobs) != 1 || jobs[0].Status != Pending {
		t.Fatalf("jobs %+v", jobs)
	}
}

func TestHangReleasedByClose(t *testing.T) {
	sim, srv := start(t, Options{})
	sim.FailNext(1, Fault{Kind: FaultHang})
	done := make(chan reply)
	go func() { done <- do(t, srv, "GET", "/v1/admin/write-status/j", "") }()
	time.Sleep(20 * time.Millisecond) // let the request reach the hang
	sim.Close()
	if r := <-done; r.status != 503 {
		t.Fatalf("status %d", r.status)
	}
}

func TestHangMax(t *testing.T) {
	sim, srv := start(t, Options{HangMax: 10 * time.Millisecond})
	sim.FailNext(1, Fault{Kind: FaultHang})
	if r := do(t, srv, "GET", "/v1/admin/write-status/j", ""); r.status != 504 {
		t.Fatalf("status %d", r.status)
	}
}

// TestFailRateLosesResponses shows why delivery must be idempotent: with
// faults after the write, retrying until a 200 stores duplicates.
func TestFailRateLosesResponses(t *testing.T) {
	run := func() ([]int, Stats, int) {
		sim, srv := start(t, Options{FailRate: 0.3, Seed: 42, RateLimit: 1000})
		var statuses []int
		for range 200 {
			statuses = append(statuses, do(t, srv, "POST", "/crm/v1/prospects/", `{"integration_id":"i"}`).status)
		}
		sim.CompleteAll(Success)
		return statuses, sim.Stats(), len(sim.Prospects())
	}
	statuses, st, stored := run()
	ok, failed := 0, 0
	for _, s := range statuses {
		switch s {
		case 200:
			ok++
		case 500:
			failed++
		default:
			t.Fatalf("unexpected status %d", s)
		}
	}
	if failed != st.FaultsBeforeWrite+st.FaultsAfterWrite {
		t.Errorf("500s %d, faults %+v", failed, st)
	}
	if st.FaultsBeforeWrite == 0 || st.FaultsAfterWrite == 0 {
		t.Errorf("both phases should occur in 200 calls: %+v", st)
	}
	if failed < 40 || failed > 80 { // 30% of 200 is 60; the seed fixes the draw
		t.Errorf("failure count %d far from 30%%", failed)
	}
	if stored != ok+st.FaultsAfterWrite {
		t.Errorf("stored %d, want %d answered + %d lost", stored, ok, st.FaultsAfterWrite)
	}
	// Same seed, same sequence: a failing run can be replayed.
	again, _, _ := run()
	if !reflect.DeepEqual(statuses, again) {
		t.Error("same seed gave a different fault sequence")
	}
	// Validation failures never consume a random draw or fault.
	sim, srv := start(t, Options{FailRate: 1, Seed: 1})
	if r := do(t, srv, "POST", "/crm/v1/prospects/", `{}`); r.status != 400 {
		t.Errorf("invalid body under FailRate 1: %d", r.status)
	}
	if st := sim.Stats(); st.FaultsBeforeWrite+st.FaultsAfterWrite != 0 {
		t.Errorf("stats %+v", st)
	}
}

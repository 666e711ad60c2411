package propexo_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

// A write retried with the same Idempotency-Key, even after its answer was
// lost, is answered with the first job and applied once.
func TestIdempotencyKeyReplaysTheFirstWrite(t *testing.T) {
	sim := propexotest.New(propexotest.Options{})
	defer sim.Close()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := propexo.New(propexo.Config{Token: "tok", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	req := &propexo.CreateProspectRequest{IntegrationID: "int-1", FirstName: "Ada"}
	sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultError, Status: 502, AfterWrite: true})
	ctx := propexo.WithIdempotencyKey(context.Background(), "ij-1")
	if _, err := c.CreateProspect(ctx, req); err == nil || !propexo.MaybeApplied(err) {
		t.Fatalf("first call: %v, want a lost answer", err)
	}
	first, err := c.CreateProspect(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateProspect(ctx, req)
	if err != nil || again.JobID != first.JobID {
		t.Fatalf("replay: %v %v, want job %s", again, err, first.JobID)
	}
	if jobs := sim.Jobs(); len(jobs) != 1 || sim.Stats().Replays != 2 {
		t.Fatalf("%d jobs, %d replays; want 1 and 2", len(jobs), sim.Stats().Replays)
	}
	other, err := c.CreateProspect(propexo.WithIdempotencyKey(context.Background(), "ij-2"), req)
	if err != nil || other.JobID == first.JobID {
		t.Fatalf("another key: %v %v", other, err)
	}
}

// ReadFailRate fails write-status reads and nothing else.
func TestReadFailRate(t *testing.T) {
	sim := propexotest.New(propexotest.Options{ReadFailRate: 1})
	defer sim.Close()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := propexo.New(propexo.Config{Token: "tok", BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.CreateProspect(context.Background(), &propexo.CreateProspectRequest{IntegrationID: "int-1"})
	if err != nil {
		t.Fatalf("a write under ReadFailRate 1: %v", err)
	}
	if _, err := c.WriteStatus(context.Background(), res.JobID); err == nil || !propexo.Retryable(err) {
		t.Fatalf("write-status: %v, want a retryable failure", err)
	}
	if st := sim.Stats(); st.FaultsOnReads != 1 || st.FaultsBeforeWrite != 0 {
		t.Fatalf("stats %+v", st)
	}
}

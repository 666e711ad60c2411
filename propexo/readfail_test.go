package propexo_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

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

package main

import (
	"os"
	"testing"
)

// TestQueryIsTheHarness: the benchmark reads with the harness's query, the
// copy the fast path is tested on.
func TestQueryIsTheHarness(t *testing.T) {
	want, err := os.ReadFile("../../graph/fastpath/testdata/leases_ours.graphql")
	if err != nil {
		t.Fatal(err)
	}
	if leasesQuery != string(want) {
		t.Fatal("tools/mixedload/leases_ours.graphql differs from graph/fastpath/testdata/leases_ours.graphql: the harness's query is one text")
	}
}

package main

import (
	"net/http"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
)

func TestSmoke(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("Acme")
		var out struct {
			Clients struct{ TotalCount int } `json:"clients"`
		}
		e.MustGQL(token, `{ clients { totalCount } }`, nil, &out)
		if out.Clients.TotalCount != 1 {
			t.Fatalf("clients.totalCount = %d, want 1", out.Clients.TotalCount)
		}
		r := e.GQL("", `{ clients { totalCount } }`, nil)
		if r.Status != http.StatusUnauthorized || len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
			t.Fatalf("no token: HTTP %d %+v", r.Status, r.Errors)
		}
	})
}

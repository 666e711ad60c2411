package main

import (
	"net/http"
	"testing"
)

func TestSmoke(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		_, token := e.newClient("Acme")
		var out struct {
			Clients struct{ TotalCount int } `json:"clients"`
		}
		e.mustGQL(token, `{ clients { totalCount } }`, nil, &out)
		if out.Clients.TotalCount != 1 {
			t.Fatalf("clients.totalCount = %d, want 1", out.Clients.TotalCount)
		}
		r := e.gql("", `{ clients { totalCount } }`, nil)
		if r.Status != http.StatusUnauthorized || len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
			t.Fatalf("no token: HTTP %d %+v", r.Status, r.Errors)
		}
	})
}

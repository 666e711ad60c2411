package main

import (
	"crypto/subtle"
	"net/http"

	gqlhandler "github.com/99designs/gqlgen/graphql/handler"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/internal/metrics"
	"github.com/leasegraph/leasegraph/tenancy/guard"
)

// serveMetrics counts GraphQL operations and mounts /metrics: for a
// scraper holding LEASEGRAPH_METRICS_TOKEN, or, in demo mode without one,
// for anyone (the demo runs on a developer's machine). Otherwise the route
// does not exist: the counts tell a stranger what clients do.
func (a *app) serveMetrics(mux *http.ServeMux, gql *gqlhandler.Server) {
	if a.metrics == nil {
		a.metrics = metrics.New(a.db)
	}
	gql.Use(a.metrics.GraphQL())
	switch {
	case a.metricsToken != "":
		mux.Handle("GET /metrics", a.metricsAuth(a.metrics.Handler()))
	case a.demoToken != "":
		mux.Handle("GET /metrics", a.metrics.Handler())
	}
}

// metricsAuth admits the metrics token only; a wrong one counts against the
// address's failed-authentication budget like any other secret.
func (a *app) metricsAuth(next http.Handler) http.Handler {
	want := []byte(a.metricsToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := a.guard.ClientKey(r)
		if e := a.guard.SecretAllowed(addr); e != nil {
			httpjson.Denied(w, e)
			return
		}
		got, ok := guard.Bearer(r.Header.Get("Authorization"))
		if !ok || subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			a.guard.FailedSecret(addr)
			httpjson.Denied(w, apperr.Unauthenticated("send the metrics token as Authorization: Bearer <token>"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

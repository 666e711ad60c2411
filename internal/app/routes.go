package app

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/graph/handler"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/internal/middleware"
	"github.com/leasegraph/leasegraph/internal/playground"
	"github.com/leasegraph/leasegraph/internal/tracing"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/leases/rest"
	"github.com/leasegraph/leasegraph/ratelimit"
	"github.com/leasegraph/leasegraph/registration/page"
	"github.com/leasegraph/leasegraph/screening"
	smpostback "github.com/leasegraph/leasegraph/screening/postback"
	"github.com/leasegraph/leasegraph/sms"
	"github.com/leasegraph/leasegraph/tenancy/guard"
	"github.com/leasegraph/leasegraph/webhooks/receiver"
)

// Handler is every route, wrapped in the middleware that applies to all.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	var uiHeaders map[string]string
	if a.demoToken != "" {
		uiHeaders = map[string]string{"Authorization": "Bearer " + a.demoToken}
	}
	ui := playground.Handler{Title: "leasegraph", Endpoint: "/graphql", Headers: uiHeaders}
	mux.HandleFunc("GET /{$}", ui.Page)
	mux.Handle("GET "+playground.Base, playground.Files())
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /readyz", a.readyz)

	timeout := a.cfg.RequestTimeout
	// A browser app paging /leases?format=csv reads the cursor headers.
	// A browser app reads its rate limit's headers too.
	api := middleware.CORS(a.cfg.CORSOrigins, append([]string{rest.NextCursorHeader, rest.TotalCountHeader}, ratelimit.HeaderNames...))
	a.serveMetrics(mux)
	mux.Handle("/graphql", api(middleware.Deadline(timeout, graphQLTimedOut, a.opts.Deadline)(
		middleware.ConsumeBody(a.graphQLAuth(middleware.ReadRest(a.gate.Wrap(a.gql)))))))
	// No token, as the playground needs none: the schema is the API's
	// documentation (refused with introspection, graph/handler). CORS lets
	// a browser app's tooling read it like /graphql.
	mux.Handle("GET "+handler.SchemaPath, api(a.schemaFile))
	mux.Handle("POST "+screening.PostbackPath+"{key}", &smpostback.Handler{Screening: a.Services.Screening, Guard: a.guard, Log: a.log})
	if a.partners.pages != nil {
		mux.Handle("/smartmove/api/", a.partners.pages)
	}
	mux.Handle("POST "+propexosync.WebhookPath+"{client}", &propexosync.WebhookHandler{Sync: a.Services.LeaseSync,
		Key: []byte(a.cfg.Delivery.WebhookSecret), Guard: a.guard, Log: a.log})
	mux.Handle("GET /leases", api(middleware.Deadline(timeout, middleware.HTTPTimedOut, a.opts.Deadline)(
		middleware.Authenticate(a.guard, a.log, middleware.HTTPDenied)(a.gate.Wrap(&rest.Handler{Leases: a.Services.Leases, Log: a.log, ExportPage: a.opts.ExportPage})))))
	mux.Handle("OPTIONS /leases", api(http.NotFoundHandler()))
	reg := &page.Handler{DB: a.client, Registrations: a.Services.Registrations, Tenancy: a.Services.Tenancy, Guard: a.guard,
		Secret: a.secret, Log: a.log, DemoToken: a.demoToken}
	mux.HandleFunc("GET /prospects/registration", reg.Get)
	mux.HandleFunc("POST /prospects/registration", reg.Post)
	mux.HandleFunc("GET /embed.js", page.EmbedJS)
	mux.Handle("POST "+sms.HookPath, a.twilioHook)
	if a.receiver != nil {
		mux.Handle("POST "+receiver.Path, a.receiver)
		mux.HandleFunc("GET "+receiver.Page, a.receiver.ServePage)
	}
	if a.demoToken != "" {
		mux.HandleFunc("GET /demo/crm", reg.DemoCRM)
	}
	// The request's span encloses everything, logs included; the route
	// names it from inside, where the mux has chosen one.
	return a.tracing.Server(middleware.RequestID(middleware.LogRequests(a.log)(middleware.SecurityHeaders(
		middleware.LimitBody(a.metrics.Routes(tracing.Route(mux)))))))
}

// graphQLDenied answers 401 or 429 with a GraphQL-shaped body, so GraphQL
// clients find extensions.code where they look for it.
func graphQLDenied(w http.ResponseWriter, r *http.Request, e *apperr.Error) {
	httpjson.DenyHeaders(w, e)
	handler.WriteError(w, r, e.HTTPStatus(), e)
}

// graphQLTimedOut answers a timed-out GraphQL request in GraphQL's shape.
func graphQLTimedOut(w http.ResponseWriter, r *http.Request, e *apperr.Error) {
	handler.WriteError(w, r, http.StatusServiceUnavailable, e)
}

// graphQLAuth authenticates /graphql requests by their bearer token; a
// websocket upgrade without one is let through to be authenticated by its
// connection_init payload (graph/handler).
func (a *App) graphQLAuth(h http.Handler) http.Handler {
	withToken := middleware.Authenticate(a.guard, a.log, graphQLDenied)(h)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			r = r.WithContext(handler.WithSocketAddr(r.Context(), a.guard.ClientKey(r)))
			if r.Header.Get("Authorization") == "" {
				h.ServeHTTP(w, r)
				return
			}
		}
		withToken.ServeHTTP(w, r)
	})
}

// serveMetrics mounts /metrics (the app counts GraphQL operations): for a
// scraper holding LEASEGRAPH_METRICS_TOKEN, or, in demo mode without one,
// for anyone (the demo runs on a developer's machine). Otherwise the route
// does not exist: the counts tell a stranger what clients do.
func (a *App) serveMetrics(mux *http.ServeMux) {
	switch {
	case a.cfg.MetricsToken != "":
		mux.Handle("GET /metrics", a.metricsAuth(a.metrics.Handler()))
	case a.demoToken != "":
		mux.Handle("GET /metrics", a.metrics.Handler())
	}
}

// metricsAuth admits the metrics token only; a wrong one counts against the
// address's failed-authentication budget like any other secret.
func (a *App) metricsAuth(next http.Handler) http.Handler {
	want := []byte(a.cfg.MetricsToken)
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

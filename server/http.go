package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/cors"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/apperr/classify"
	"github.com/leasegraph/leasegraph/cards"
	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/graph"
	"github.com/leasegraph/leasegraph/graph/handler"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/internal/metrics"
	"github.com/leasegraph/leasegraph/internal/observe"
	"github.com/leasegraph/leasegraph/internal/playground"
	"github.com/leasegraph/leasegraph/internal/tracing"
	"github.com/leasegraph/leasegraph/leases"
	"github.com/leasegraph/leasegraph/leases/importer"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/leases/rest"
	"github.com/leasegraph/leasegraph/properties"
	"github.com/leasegraph/leasegraph/prospects"
	"github.com/leasegraph/leasegraph/registration"
	"github.com/leasegraph/leasegraph/registration/page"
	"github.com/leasegraph/leasegraph/sms"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/tenancy/guard"
	"github.com/leasegraph/leasegraph/viewer"
)

// app is the HTTP side of the process.
type app struct {
	client *ent.Client
	// db and dialect are the client's connection pool, for /readyz's
	// migrations check (nil: that check is skipped).
	db      *sql.DB
	dialect string
	// draining is set on SIGTERM: /readyz answers 503 from then on.
	draining atomic.Bool
	// metrics counts what the routes answer; metricsToken opens /metrics
	// to a scraper (metrics.go).
	metrics      *metrics.Metrics
	metricsToken string
	// tracing gives requests, operations and partner calls their spans
	// (nil: none, as when no OTLP endpoint is configured).
	tracing *tracing.Tracing
	log     *slog.Logger
	// demoToken pre-fills the playground's Authorization header in demo mode.
	demoToken string
	// secret signs forms (the registration card screen) and keys card
	// fingerprints.
	secret        []byte
	registrations *registration.Service
	tenancy       *tenancy.Service
	leases        *leases.Service
	// corsOrigins may call the API from a browser; "*" for any. The API
	// authenticates by bearer token, never by cookie, so another origin's
	// page can do nothing without a token of its own.
	corsOrigins []string
	// screening orders through SmartMove and receives its postbacks.
	screening screeningSetup
	// prospects delivers to Propexo through the queue when one is set.
	prospects *prospects.Service
	// sms queues registration invitations (nil: Twilio is not configured);
	// twilioHook receives Twilio's status callbacks (nil: every callback is
	// refused, since no auth token can check its signature).
	sms        registration.SMSEnqueuer
	twilioHook *sms.Hook
	// leaseSync answers each client's sync state and queues syncs when a
	// Propexo token is configured.
	leaseSync *propexosync.Service
	// propexoWebhookSecret derives each client's secret for
	// /webhooks/propexo/{client} (empty: all refused).
	propexoWebhookSecret []byte
	// limits are the rate limits and the websocket token re-check interval
	// (zero rates: no limit); guard holds their buckets.
	limits config.RateLimits
	guard  *guard.Guard
	// graphql bounds what a query may cost; zero is the defaults.
	graphql handler.Config
	// requestTimeout is the deadline of a GraphQL operation or a /leases
	// request (0: defaultRequestTimeout).
	requestTimeout time.Duration
	// exportPage is the page size of a streamed /leases CSV export (0:
	// rest.DefaultExportPage); tests make it small.
	exportPage int
	// deadlineHooks: tests only (zero: the wall clock).
	deadlineHooks deadlineHooks
	// sockets are the open websockets, closed (1001) when the server stops.
	sockets *handler.OpenSockets
	// health runs /healthz's database check, one at a time.
	health healthCheck
}

func (a *app) timeout() time.Duration {
	if a.requestTimeout > 0 {
		return a.requestTimeout
	}
	return defaultRequestTimeout
}

// routes returns every route, wrapped in the middleware that applies to all.
// It fails when /graphql cannot be served as built (graph/handler.New).
func (a *app) routes() (http.Handler, error) {
	// Every line the routes log carries its request id and is redacted,
	// whichever logger the app was given.
	a.log = slog.New(observe.Wrap(a.log.Handler()))
	if a.secret == nil {
		a.secret = make([]byte, 32)
		_, _ = rand.Read(a.secret)
	}
	// The services, each built once here: they hold their dependencies
	// and take the transaction, if any, from the request's context.
	if a.prospects == nil {
		a.prospects = &prospects.Service{DB: a.client}
	}
	if a.registrations == nil {
		a.registrations = &registration.Service{DB: a.client, Vault: cards.FingerprintVault{Key: a.secret}, Prospects: a.prospects, SMS: a.sms}
	}
	if a.tenancy == nil {
		a.tenancy = &tenancy.Service{DB: a.client, CacheTTL: config.Defaults().AuthCacheTTL}
	}
	a.leases = &leases.Service{DB: a.client, Tenancy: a.tenancy}
	if a.guard == nil {
		a.guard = guard.New(a.tenancy, a.limits)
	}
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
	api := a.cors()
	gqlConfig := a.graphql
	gqlConfig.OperationTimeout = a.timeout()
	gqlConfig.Guard, gqlConfig.Tenancy, gqlConfig.SocketRecheck = a.guard, a.tenancy, a.limits.SocketRecheck
	if a.sockets == nil {
		a.sockets = &handler.OpenSockets{}
	}
	gqlConfig.Sockets = a.sockets
	gql, err := handler.New(a.client, graph.Services{
		Registrations: a.registrations, Prospects: a.prospects, Screening: a.screeningService(),
		Tenancy: a.tenancy, Leases: a.leases, Importer: &importer.Service{DB: a.client},
		Properties: &properties.Service{DB: a.client}, LeaseSync: a.leaseSyncService(),
	}, a.log, gqlConfig)
	if err != nil {
		return nil, err
	}
	a.serveMetrics(mux, gql)
	if a.tracing.On() {
		gql.Use(a.tracing.GraphQL())
	}
	mux.Handle("/graphql", api(withDeadlineHooks(a.timeout(), graphQLTimedOut, a.deadlineHooks)(consumeBody(a.graphQLAuth(readRest(gql))))))
	a.screeningRoutes(mux)
	mux.Handle("POST "+propexosync.WebhookPath+"{client}", &propexosync.WebhookHandler{Sync: a.leaseSyncService(), Key: a.propexoWebhookSecret, Guard: a.guard, Log: a.log})
	mux.Handle("GET /leases", api(withDeadlineHooks(a.timeout(), httpTimedOut, a.deadlineHooks)(a.authenticate(&rest.Handler{Leases: a.leases, Log: a.log, ExportPage: a.exportPage}, httpjson.Denied))))
	mux.Handle("OPTIONS /leases", api(http.NotFoundHandler()))
	reg := &page.Handler{DB: a.client, Registrations: a.registrations, Tenancy: a.tenancy, Guard: a.guard,
		Secret: a.secret, Log: a.log, DemoToken: a.demoToken}
	mux.HandleFunc("GET /prospects/registration", reg.Get)
	mux.HandleFunc("POST /prospects/registration", reg.Post)
	mux.HandleFunc("GET /embed.js", page.EmbedJS)
	hook := a.twilioHook
	if hook == nil {
		hook = &sms.Hook{DB: a.client, Log: a.log}
	}
	hook.Guard = a.guard
	mux.Handle("POST "+sms.HookPath, hook)
	if a.demoToken != "" {
		mux.HandleFunc("GET /demo/crm", reg.DemoCRM)
	}
	// The request's span encloses everything, logs included; the route
	// names it from inside, where the mux has chosen one.
	return a.tracing.Server(observe.RequestID(a.logRequests(securityHeaders(limitBody(a.metrics.Routes(tracing.Route(mux))))))), nil
}

// healthzTimeout bounds /healthz: a load balancer must hear "unavailable"
// quickly, not wait on a database that stopped answering.
const healthzTimeout = 2 * time.Second

func (a *app) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthzTimeout)
	defer cancel()
	if err := a.health.check(ctx, a.client); err != nil {
		a.log.ErrorContext(ctx, "health check failed", "error", err.Error())
		httpjson.Error(w, &apperr.Error{Code: apperr.CodeUnavailable, Message: "database unavailable"}, http.StatusServiceUnavailable)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
}

// healthCheck asks the database whether it answers. The query runs in a
// goroutine the caller stops waiting for at its deadline, because a driver
// blocked on a connection that drops packets ignores its context; and
// while one query is in flight, later checks wait on it instead of
// starting another, so a stalled database holds at most one connection
// for health checks however often the load balancer asks.
type healthCheck struct {
	mu     sync.Mutex
	flight *healthFlight
}

// healthFlight is one database check; err is set before done closes.
type healthFlight struct {
	done chan struct{}
	err  error
}

func (h *healthCheck) check(ctx context.Context, client *ent.Client) error {
	h.mu.Lock()
	f := h.flight
	if f == nil {
		f = &healthFlight{done: make(chan struct{})}
		h.flight = f
		go func() {
			// Not the request's context: later requests share this check.
			qctx, cancel := context.WithTimeout(context.Background(), healthzTimeout)
			defer cancel()
			// A driver stuck on a dead connection may not return for
			// minutes: past its timeout the check stops being shared, so
			// the next one asks afresh (on a new connection once the
			// database is back) instead of waiting on this one.
			leave := func() {
				h.mu.Lock()
				if h.flight == f {
					h.flight = nil
				}
				h.mu.Unlock()
			}
			stop := context.AfterFunc(qctx, leave)
			defer stop()
			_, f.err = client.Company.Query().Exist(viewer.SystemContext(qctx))
			leave()
			close(f.done)
		}()
	}
	h.mu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return fmt.Errorf("no answer within %s", healthzTimeout)
	}
}

// deniedFunc answers a request refused by authentication (401) or a rate
// limit (429) in the route's own error format.
type deniedFunc func(http.ResponseWriter, *apperr.Error)

// authenticate resolves the bearer token into the request's viewer, within
// the token's and the address's rate limits.
func (a *app) authenticate(next http.Handler, deny deniedFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		secret, ok := guard.Bearer(r.Header.Get("Authorization"))
		if !ok {
			deny(w, apperr.Unauthenticated("send an API token as Authorization: Bearer <token>"))
			return
		}
		v, key, err := a.guard.Authenticate(r.Context(), a.guard.ClientKey(r), secret)
		if err != nil {
			if ae, ok := apperr.As(err); ok {
				deny(w, ae) // 401 or 429, in the route's own shape
				return
			}
			deny(w, classify.Respond(r.Context(), a.log, "authenticating", err))
			return
		}
		next.ServeHTTP(w, r.WithContext(guard.WithTokenKey(viewer.NewContext(r.Context(), v), key)))
	})
}

// graphQLDenied answers 401 or 429 with a GraphQL-shaped body, so GraphQL
// clients find extensions.code where they look for it.
func graphQLDenied(w http.ResponseWriter, e *apperr.Error) {
	httpjson.DenyHeaders(w, e)
	handler.WriteError(w, e.HTTPStatus(), e)
}

// cors lets browser apps on the allowed origins call the API routes.
func (a *app) cors() func(http.Handler) http.Handler {
	if len(a.corsOrigins) == 0 {
		return func(h http.Handler) http.Handler { return h }
	}
	return cors.New(cors.Options{
		AllowedOrigins: a.corsOrigins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Accept"},
		// A browser app paging /leases?format=csv reads the cursor here.
		ExposedHeaders: []string{rest.NextCursorHeader, rest.TotalCountHeader},
		MaxAge:         600,
	}).Handler
}

// maxBodyBytes bounds every request body; the largest legitimate one is a
// lease feed sent to importLeases.
const maxBodyBytes = 32 << 20

// limitBody refuses a body declared over maxBodyBytes with 413 before any
// handler reads it. A body without a declared length is not read here: a
// caller who has not yet shown a token must not make the server hold 32
// MiB. It is capped instead: /graphql's reader past the cap gets
// *http.MaxBytesError, which readFailed answers 413 too, and every other
// route has a far smaller cap of its own (webhooks, postbacks, forms).
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.ContentLength > maxBodyBytes:
			tooLarge(w, overCap)
			return
		case r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody:
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// overCap is the 413 message of a body over maxBodyBytes.
var overCap = fmt.Sprintf("the request body is over the %d MiB limit", maxBodyBytes>>20)

// tooLarge answers 413 PAYLOAD_TOO_LARGE saying why.
func tooLarge(w http.ResponseWriter, why string) {
	httpjson.Error(w, &apperr.Error{Code: "PAYLOAD_TOO_LARGE", Message: why}, http.StatusRequestEntityTooLarge)
}

// readFailed answers a body that could not be read: 413 over the cap,
// otherwise the client left mid-body.
func readFailed(w http.ResponseWriter, err error) {
	var over *http.MaxBytesError
	if errors.As(err, &over) {
		tooLarge(w, overCap)
		return
	}
	w.WriteHeader(statusClientClosed)
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.URL.Path == "/graphql" || r.URL.Path == "/leases" {
			// Set here, outside every other handler, so that API errors (401,
			// 413, ...) are never cached either: answers hold tenants' data.
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// logRequests logs one line per request. It logs the path without the
// query string: some routes carry tokens in their parameters (and a token
// a client put in the path by mistake is cut by observe's handler).
func (a *app) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		a.log.InfoContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration", time.Since(start).Round(time.Microsecond).String())
	})
}

// graphQLAuth authenticates /graphql requests by their bearer token; a
// websocket upgrade without one is let through to be authenticated by its
// connection_init payload (graph/handler).
func (a *app) graphQLAuth(h http.Handler) http.Handler {
	withToken := a.authenticate(h, graphQLDenied)
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

// Hijack lets the websocket transport take over a logged connection.
func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	s.status = http.StatusSwitchingProtocols
	return http.NewResponseController(s.ResponseWriter).Hijack()
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// leaseSyncService is the sync service, or one that only reads states when
// the process syncs nothing.
func (a *app) leaseSyncService() *propexosync.Service {
	if a.leaseSync == nil {
		return &propexosync.Service{DB: a.client}
	}
	return a.leaseSync
}

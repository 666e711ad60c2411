// Package metrics is what /metrics shows, in Prometheus's format, from a
// registry of its own (not client_golang's global one, so that tests and
// libraries cannot add to it unseen): HTTP requests by route pattern,
// GraphQL operations by name, partner calls by endpoint template,
// background jobs, the database pool. Every label takes a
// bounded set of values: a series per raw path or per caller-chosen name
// would let any caller grow the server's memory and the scraper's storage.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/leasegraph/leasegraph/internal/middleware"
)

// Metrics holds the registry and the instruments the routes feed.
type Metrics struct {
	reg          *prometheus.Registry
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	gqlOps       *prometheus.CounterVec
	gqlErrors    *prometheus.CounterVec
	gqlDuration  *prometheus.HistogramVec
	names        *nameSet
	partners     *partnerMetrics
	jobs         *prometheus.CounterVec
	queueOnce    sync.Once
}

// MaxOperationNames bounds the distinct GraphQL operation names counted;
// names past it are counted as OtherOperation.
const MaxOperationNames = 100

// The operation label's values that are not a caller's name.
const (
	AnonymousOperation = "anonymous" // an operation without a name
	UnknownOperation   = "unknown"   // a request refused before its operation was known (unparsable, invalid)
	OtherOperation     = "other"     // a name past MaxOperationNames
)

// New registers the instruments, the Go runtime's and the process's
// collectors, and, when db is not nil, its pool statistics.
func New(db *sql.DB) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leasegraph_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leasegraph_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		gqlOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leasegraph_graphql_operations_total", Help: "GraphQL operations answered, by operation name and type.",
		}, []string{"operation", "type"}),
		gqlErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leasegraph_graphql_operation_errors_total", Help: "GraphQL operations answered with at least one error, by operation name and type.",
		}, []string{"operation", "type"}),
		gqlDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leasegraph_graphql_operation_duration_seconds", Help: "Time to answer a GraphQL operation, by operation name and type.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation", "type"}),
		names: &nameSet{max: MaxOperationNames, seen: map[string]bool{}},
	}
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.gqlOps, m.gqlErrors, m.gqlDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.partners = newPartnerMetrics(m.reg)
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leasegraph_job_runs_total", Help: "Background job runs, by job kind and outcome (completed, failed, cancelled, snoozed).",
	}, []string{"kind", "outcome"})
	m.reg.MustRegister(m.jobs)
	if db != nil {
		m.reg.MustRegister(collectors.NewDBStatsCollector(db, "leasegraph"))
	}
	return m
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Routes counts the requests next (a ServeMux) answers, by the pattern
// that matched: the mux sets Request.Pattern on the request it was given,
// so this must wrap the mux directly (a middleware between that copies the
// request would hide it). An unmatched request is counted as "unmatched".
func (m *Metrics) Routes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := middleware.NewRecorder(w)
		next.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.httpRequests.WithLabelValues(route, method(r.Method), strconv.Itoa(rec.Status())).Inc()
		m.httpDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// method keeps the method label to the methods the routes serve; any other
// word a caller sends is "other".
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, http.MethodPatch:
		return m
	}
	return "other"
}

// nameSet admits the first max operation names it is shown.
type nameSet struct {
	mu   sync.Mutex
	max  int
	seen map[string]bool
}

func (s *nameSet) label(name string) string {
	if name == "" {
		return AnonymousOperation
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[name] {
		return name
	}
	if len(s.seen) >= s.max {
		return OtherOperation
	}
	s.seen[name] = true
	return name
}

// WatchAdmission shows the API's admission gate: requests being worked on
// and requests waiting for a slot (internal/admission).
func (m *Metrics) WatchAdmission(active, waiting func() int64) {
	gauge := func(name, help string, f func() int64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(f()) })
	}
	m.reg.MustRegister(
		gauge("leasegraph_http_requests_active", "API requests (/graphql, /leases) admitted and being worked on.", active),
		gauge("leasegraph_http_requests_waiting", "API requests waiting, in arrival order, for one of LEASEGRAPH_MAX_ACTIVE_REQUESTS slots.", waiting))
}

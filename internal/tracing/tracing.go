// Package tracing is OpenTelemetry's traces for leasegraph, off unless an
// OTLP endpoint is configured: the HTTP routes (span named by the mux's
// route pattern), GraphQL operations (a gqlgen extension), partner calls (a
// transport named by endpoint template) and River jobs (the inserting
// request's trace context carried in the job's metadata, the work span
// linked to it). It hooks into the places internal/metrics does.
package tracing

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

const scope = "github.com/leasegraph/leasegraph"

// Tracing holds the provider every span starts from. Its zero value and a
// nil *Tracing trace nothing (a noop provider), so wiring never branches.
type Tracing struct {
	tp    trace.TracerProvider
	prop  propagation.TextMapPropagator
	close func(context.Context) error
}

// New traces through tp (tests pass an SDK provider with an in-memory
// exporter).
func New(tp trace.TracerProvider) *Tracing {
	return &Tracing{tp: tp, prop: propagation.TraceContext{}}
}

// Settings are the two OTel variables whose presence turns tracing on, and
// the service name; the SDK and the exporter read the endpoint and every
// other OTEL_* variable themselves (sampler, headers, resource attributes).
type Settings struct {
	Endpoint       string // OTEL_EXPORTER_OTLP_ENDPOINT
	TracesEndpoint string // OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
	ServiceName    string // OTEL_SERVICE_NAME, defaulted by config
	// Log receives the SDK's own errors (a collector that cannot be
	// reached), which would otherwise bypass the redacting handler on
	// the standard logger.
	Log *slog.Logger
}

// Enabled: an OTLP endpoint is configured.
func (s Settings) Enabled() bool { return s.Endpoint != "" || s.TracesEndpoint != "" }

// Start installs an OTLP/HTTP exporter and a batching provider (also as the
// global one, for libraries that look there) when s is enabled; otherwise
// it installs nothing and returns a Tracing that records nothing.
func Start(ctx context.Context, s Settings) (*Tracing, error) {
	if !s.Enabled() {
		return New(noop.NewTracerProvider()), nil
	}
	// The exporter reads the endpoint, headers, timeout and protocol
	// details from the same OTEL_* variables.
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, err
	}
	// The service name comes last: the config's default, not the SDK's
	// unknown_service, when none is set.
	opts := []resource.Option{resource.WithFromEnv(), resource.WithTelemetrySDK()}
	if s.ServiceName != "" {
		opts = append(opts, resource.WithAttributes(attribute.String("service.name", s.ServiceName)))
	}
	res, err := resource.New(ctx, opts...)
	if err != nil {
		return nil, err
	}
	// NewTracerProvider reads OTEL_TRACES_SAMPLER(_ARG) from the
	// environment.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	if s.Log != nil {
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { s.Log.Warn("traces", "error", err) }))
	}
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t := New(tp)
	t.close = tp.Shutdown
	return t, nil
}

// Shutdown flushes the spans still batched; a Tracing that exports nothing
// has nothing to flush.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil || t.close == nil {
		return nil
	}
	return t.close(ctx)
}

// On reports whether spans are recorded; off, the server installs no
// tracing middleware (a no-op one still costs each request allocations).
func (t *Tracing) On() bool {
	_, off := t.provider().(noop.TracerProvider)
	return !off
}

func (t *Tracing) provider() trace.TracerProvider {
	if t == nil || t.tp == nil {
		return noop.NewTracerProvider()
	}
	return t.tp
}

func (t *Tracing) propagator() propagation.TextMapPropagator {
	if t == nil || t.prop == nil {
		return propagation.TraceContext{}
	}
	return t.prop
}

func (t *Tracing) tracer() trace.Tracer { return t.provider().Tracer(scope) }

// Server starts the HTTP span of every request (a caller's traceparent is
// its parent). Its name is the method until the mux picked a route;
// Route renames it then.
func (t *Tracing) Server(next http.Handler) http.Handler {
	// Off, the wrapper would still cost every request its allocations
	// (the leases read is measured against hand-written Go).
	if !t.On() {
		return next
	}
	return otelhttp.NewHandler(next, "http",
		otelhttp.WithTracerProvider(t.provider()),
		otelhttp.WithPropagators(t.propagator()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// Route wraps the mux itself: the mux sets Request.Pattern on the request
// it is given, so only here is the route known; a raw path would put ids
// and tokens in span names.
func Route(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		span := trace.SpanFromContext(r.Context())
		if !span.IsRecording() {
			return
		}
		switch {
		case r.Pattern == "":
			span.SetName(r.Method + " unmatched")
		case hasMethod(r.Pattern):
			span.SetName(r.Pattern)
		default:
			span.SetName(r.Method + " " + r.Pattern)
		}
		// otelhttp recorded the raw path as url.path at the start; paths
		// carry secrets here (a SmartMove postback's key), so the route
		// replaces it.
		route := attribute.String("http.route", "unmatched")
		if r.Pattern != "" {
			route = routeAttr(r.Pattern)
		}
		span.SetAttributes(route, attribute.String("url.path", route.Value.AsString()))
	})
}

func hasMethod(pattern string) bool {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case ' ':
			return true
		case '/':
			return false
		}
	}
	return false
}

// routeAttr is the route without its method, as semconv's http.route.
func routeAttr(pattern string) attribute.KeyValue {
	if hasMethod(pattern) {
		pattern = pattern[strings.IndexByte(pattern, ' ')+1:]
	}
	return attribute.String("http.route", pattern)
}

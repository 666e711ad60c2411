package tracing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/leasegraph/leasegraph/internal/tracing"
)

// TestOffUnlessConfigured: without an OTLP endpoint nothing is installed
// (the global provider stays the default one, spans record nothing); with
// one, an SDK provider is installed. One test, in this order: the second
// half changes the process's global provider.
func TestOffUnlessConfigured(t *testing.T) {
	before := otel.GetTracerProvider()
	tr, err := tracing.Start(t.Context(), tracing.Settings{ServiceName: "leasegraph"})
	if err != nil {
		t.Fatal(err)
	}
	if otel.GetTracerProvider() != before {
		t.Error("a provider was installed without an endpoint")
	}
	if _, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider); ok {
		t.Error("the global provider is the SDK's")
	}
	if recording(tr) {
		t.Error("spans record without an endpoint")
	}
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Error(err)
	}

	// Nothing listens there: the exporter only connects when it exports.
	on, err := tracing.Start(t.Context(), tracing.Settings{TracesEndpoint: "http://127.0.0.1:9/v1/traces", ServiceName: "leasegraph"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { otel.SetTracerProvider(before) })
	if _, ok := otel.GetTracerProvider().(*sdktrace.TracerProvider); !ok {
		t.Errorf("with an endpoint the global provider is %T", otel.GetTracerProvider())
	}
	if !recording(on) {
		t.Error("spans do not record with an endpoint")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // nothing to wait for: the one span is dropped
	_ = on.Shutdown(ctx)
}

// recording: a request through tr's server middleware has a recording span.
func recording(tr *tracing.Tracing) bool {
	rec := false
	tr.Server(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec = trace.SpanFromContext(r.Context()).IsRecording()
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	return rec
}

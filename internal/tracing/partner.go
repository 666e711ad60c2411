package tracing

import (
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/leasegraph/leasegraph/internal/metrics"
)

// PartnerClient returns c (nil: a new client with timeout) with a transport
// that gives each call to partner a client span. Its name and attributes
// hold the endpoint template (ids as {id}), never the URL: paths carry
// ids, queries may carry keys. No trace header goes to the partner.
func (t *Tracing) PartnerClient(partner string, c *http.Client, timeout time.Duration) *http.Client {
	out := &http.Client{Timeout: timeout}
	if c != nil {
		copied := *c
		out = &copied
	}
	next := out.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	out.Transport = partnerTransport{t: t, partner: partner, next: next}
	return out
}

type partnerTransport struct {
	t       *Tracing
	partner string
	next    http.RoundTripper
}

func (p partnerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	endpoint := metrics.EndpointTemplate(r.Method, r.URL.Path)
	ctx, span := p.t.tracer().Start(r.Context(), p.partner+" "+endpoint, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("partner", p.partner),
			attribute.String("http.request.method", r.Method),
			attribute.String("url.template", endpoint),
			attribute.String("server.address", r.URL.Hostname()),
		))
	defer span.End()
	res, err := p.next.RoundTrip(r.WithContext(ctx))
	switch {
	case err != nil:
		// The error quotes the URL: only its kind is kept.
		span.SetStatus(codes.Error, fmt.Sprintf("%T", err))
	case res.StatusCode >= 500:
		span.SetAttributes(attribute.Int("http.response.status_code", res.StatusCode))
		span.SetStatus(codes.Error, res.Status)
	default:
		span.SetAttributes(attribute.Int("http.response.status_code", res.StatusCode))
	}
	return res, err
}

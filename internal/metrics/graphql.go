package metrics

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// GraphQL is the gqlgen extension that counts operations; add it with the
// server's Use.
func (m *Metrics) GraphQL() graphql.HandlerExtension { return gqlExtension{m} }

type gqlExtension struct{ m *Metrics }

func (gqlExtension) ExtensionName() string                   { return "Metrics" }
func (gqlExtension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse sees every answer, refusals before execution included
// (gqlgen dispatches those through the response interceptors too, without
// an operation). A subscription is a stream whose every event passes
// here, not one answer: it is not counted.
func (e gqlExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	name, kind := UnknownOperation, "unknown"
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		if oc.Operation != nil {
			name, kind = e.m.names.label(oc.Operation.Name), string(oc.Operation.Operation)
		}
		if kind == "subscription" {
			return resp
		}
	}
	e.m.gqlOps.WithLabelValues(name, kind).Inc()
	e.m.gqlDuration.WithLabelValues(name, kind).Observe(time.Since(start).Seconds())
	if resp != nil && len(resp.Errors) > 0 {
		e.m.gqlErrors.WithLabelValues(name, kind).Inc()
	}
	return resp
}

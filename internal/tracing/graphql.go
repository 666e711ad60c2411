package tracing

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// GraphQL is the gqlgen extension that gives each query or mutation a span,
// a child of the HTTP request's; add it with the server's Use.
func (t *Tracing) GraphQL() graphql.HandlerExtension { return gqlExtension{t} }

type gqlExtension struct{ t *Tracing }

func (gqlExtension) ExtensionName() string                   { return "Tracing" }
func (gqlExtension) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse wraps execution (resolvers run under the context it
// passes on, so partner calls are its children). The span is named once
// the operation is known; a subscription streams many answers and gets
// none. Errors are recorded by code only: a message may quote input.
func (e gqlExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	name, kind := "", "unknown"
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil {
			name, kind = op.Name, string(op.Operation)
		}
	}
	if kind == "subscription" {
		return next(ctx)
	}
	spanName := "graphql " + kind
	if name != "" {
		spanName += " " + name
	}
	ctx, span := e.t.tracer().Start(ctx, spanName, trace.WithAttributes(
		attribute.String("graphql.operation.type", kind),
		attribute.String("graphql.operation.name", name),
	))
	defer span.End()
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > 0 {
		var errCodes []string
		for _, err := range resp.Errors {
			if c, ok := err.Extensions["code"].(string); ok {
				errCodes = append(errCodes, c)
			}
		}
		span.SetAttributes(attribute.StringSlice("graphql.error.codes", errCodes))
		span.SetStatus(codes.Error, strings.Join(errCodes, ","))
	}
	return resp
}

package tracing

import (
	"context"
	"encoding/json"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// metadataKey holds, in a job's metadata, the trace context (W3C
// traceparent) of whatever inserted it.
const metadataKey = "otel"

// Jobs is River middleware (river.Config.Middleware): an insert carries the
// inserting span's context in each job's metadata, and a run starts a span
// linked to it. A link rather than a child: a job runs after its request
// ended, perhaps many times, and each attempt is work of its own.
func (t *Tracing) Jobs() rivertype.Middleware { return &jobMiddleware{t: t} }

type jobMiddleware struct {
	river.MiddlewareDefaults
	t *Tracing
}

func (m *jobMiddleware) InsertMany(ctx context.Context, many []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	carrier := propagation.MapCarrier{}
	m.t.propagator().Inject(ctx, carrier)
	if len(carrier) == 0 {
		return doInner(ctx)
	}
	for _, p := range many {
		meta := map[string]json.RawMessage{}
		if len(p.Metadata) > 0 {
			if err := json.Unmarshal(p.Metadata, &meta); err != nil {
				continue // not an object: left as River's caller wrote it
			}
		}
		raw, err := json.Marshal(carrier)
		if err != nil {
			return nil, err
		}
		meta[metadataKey] = raw
		b, err := json.Marshal(meta)
		if err != nil {
			return nil, err
		}
		p.Metadata = b
	}
	return doInner(ctx)
}

func (m *jobMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	var opts []trace.SpanStartOption
	var meta struct {
		Otel propagation.MapCarrier `json:"otel"`
	}
	if json.Unmarshal(job.Metadata, &meta) == nil && len(meta.Otel) > 0 {
		if sc := trace.SpanContextFromContext(m.t.propagator().Extract(context.Background(), meta.Otel)); sc.IsValid() {
			opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
		}
	}
	opts = append(opts, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
		attribute.String("job.kind", job.Kind),
		attribute.String("job.queue", job.Queue),
		attribute.Int64("job.id", job.ID),
		attribute.Int("job.attempt", job.Attempt),
	))
	ctx, span := m.t.tracer().Start(ctx, "job "+job.Kind, opts...)
	defer span.End()
	err := doInner(ctx)
	if err != nil {
		// Worker errors may quote a partner's answer: the kind only.
		span.SetStatus(codes.Error, "job attempt failed")
	}
	return err
}

package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// WebhookAttempt holds the schema definition for the WebhookAttempt entity:
// one request of a delivery and what the endpoint answered.
type WebhookAttempt struct{ ent.Schema }

// Mixin of the WebhookAttempt.
func (WebhookAttempt) Mixin() []ent.Mixin {
	return []ent.Mixin{AdminTenantMixin{TenantMixin{Ref: "webhook_attempts"}}}
}

// Fields of the WebhookAttempt.
func (WebhookAttempt) Fields() []ent.Field {
	return []ent.Field{
		field.Int("delivery_id").Immutable().Comment("The delivery.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("created_at").Default(func() time.Time { return time.Now().UTC() }).Immutable().
			Comment("When the attempt started (UTC)."),
		field.Int("status_code").Optional().Nillable().Immutable().
			Comment("The HTTP status the endpoint answered; null when it gave none (a timeout, a refused address, a connection error)."),
		field.Int("duration_ms").Default(0).Immutable().
			Comment("How long the attempt took, in milliseconds."),
		field.String("response").Default("").MaxRuneLen(1024).Immutable().
			Comment("The first 1 KiB of the answer's body (invalid UTF-8 replaced)."),
		field.String("error").Default("").MaxRuneLen(maxError).Immutable().
			Comment("Why the attempt failed, when it did not get a 2xx: the status, a timeout, a refused address."),
	}
}

// Edges of the WebhookAttempt.
func (WebhookAttempt) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("delivery", WebhookDelivery.Type).Ref("attempts").Field("delivery_id").Unique().Required().Immutable().
			Comment("The delivery."),
	}
}

// Annotations of the WebhookAttempt.
func (WebhookAttempt) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("One attempt of a webhook delivery: when, the HTTP status, how long, and the start of the answer."),
	}
}

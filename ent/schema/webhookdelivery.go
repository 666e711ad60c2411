package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WebhookDelivery holds the schema definition for the WebhookDelivery
// entity: one event sent to one endpoint, with its attempts. A replay is a
// delivery of its own, of the same event (so the same webhook-id).
type WebhookDelivery struct{ ent.Schema }

// Mixin of the WebhookDelivery.
func (WebhookDelivery) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, AdminTenantMixin{TenantMixin{Ref: "webhook_deliveries"}}}
}

// Fields of the WebhookDelivery.
func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.Int("event_id").Immutable().Comment("The event delivered.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("endpoint_id").Immutable().Comment("The endpoint it is delivered to.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("event_type").NotEmpty().MaxRuneLen(64).Immutable().
			Comment("The event's type (kept here so deliveries filter by it)."),
		field.Enum("status").Values("PENDING", "SUCCEEDED", "FAILED").Default("PENDING").
			Comment("PENDING (waiting for its next attempt), SUCCEEDED (the endpoint answered 2xx) or FAILED (attempts spent, 410 Gone, or the endpoint disabled or refused: replayable).").
			Annotations(entgql.Type("WebhookDeliveryStatus"), entgql.OrderField("STATUS")),
		field.Int("attempt_count").Default(0).Comment("How many attempts were made."),
		field.Time("next_attempt_at").Optional().Nillable().
			Comment("When the next attempt is due while PENDING; null once final."),
		field.Int("last_status_code").Optional().Nillable().
			Comment("The HTTP status of the last attempt's answer; null when it had none (a timeout, a refused address, a connection error)."),
		field.String("last_error").Default("").MaxRuneLen(maxError).
			Comment("What went wrong on the last attempt; empty after a success."),
		field.Time("delivered_at").Optional().Nillable().
			Comment("When the endpoint answered 2xx."),
		field.Bool("replay").Default(false).Immutable().
			Comment("True for a delivery made by a replay (replayWebhookEvent, replayWebhookEndpoint)."),
	}
}

// Edges of the WebhookDelivery.
func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("event", Event.Type).Ref("deliveries").Field("event_id").Unique().Required().Immutable().
			Comment("The event delivered."),
		edge.From("endpoint", WebhookEndpoint.Type).Ref("deliveries").Field("endpoint_id").Unique().Required().Immutable().
			Comment("The endpoint it is delivered to."),
		edge.To("attempts", WebhookAttempt.Type).
			Comment("Each attempt, oldest first: status code, duration, the first 1 KiB of the answer.").
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the WebhookDelivery.
func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("endpoint_id", "created_at"),
		index.Fields("endpoint_id", "status", "created_at"),
		index.Fields("endpoint_id", "event_id"),
		index.Fields("event_id"),
	}
}

// Annotations of the WebhookDelivery.
func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("One event sent to one webhook endpoint: its status, attempts and their answers. Every attempt of one delivery, and of a replay of the same event, carries the same webhook-id."),
		entgql.RelayConnection(),
	}
}

package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Event holds the schema definition for the Event entity: one thing that
// happened to a client's data (a lease changed, a screening moved, a
// delivery ended), recorded in the transaction of the change that caused
// it, and sent to the client's webhook endpoints (package events).
type Event struct{ ent.Schema }

// Mixin of the Event.
func (Event) Mixin() []ent.Mixin {
	return []ent.Mixin{TenantMixin{Ref: "events"}}
}

// Fields of the Event.
func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(func() time.Time { return time.Now().UTC() }).Immutable().
			Comment("When the change happened (UTC): the payload's timestamp.").
			Annotations(entgql.OrderField("CREATED_AT")),
		field.String("type").NotEmpty().MaxRuneLen(64).Immutable().
			Comment("The event's type, a dot-delimited name from the catalogue (eventTypes), e.g. lease.updated."),
		field.String("object_type").Default("").MaxRuneLen(64).Immutable().
			Comment("The GraphQL type of the object the event is about (Lease, ScreeningApplication, IntegrationJob, Registration, LeaseSync, WebhookEndpoint)."),
		field.Int("object_id").Optional().Immutable().
			Comment("The global id of the object the event is about: node(id:) fetches it as it is now.").
			Annotations(entgql.Type("ID")),
		field.Bytes("payload").Immutable().
			Comment("The JSON sent to endpoints, byte for byte: {type, timestamp, data}.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Event.
func (Event) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("deliveries", WebhookDelivery.Type).
			Comment("The event's deliveries to the client's endpoints (endpoints are the admin's: a token without the admin scope sees none).").
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the Event: a client's events by time, by type and time, and an
// object's.
func (Event) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id", "created_at"),
		index.Fields("client_id", "type", "created_at"),
		index.Fields("client_id", "object_id"),
		// Pruning reads across clients by age.
		index.Fields("created_at"),
	}
}

// Annotations of the Event.
func (Event) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("Something that happened to the client's data, as sent to its webhook endpoints: its type, time, the object it concerns and the payload. Kept LEASEGRAPH_EVENTS_KEPT (30 days)."),
		entgql.RelayConnection(),
		entgql.QueryField().Description("The caller's events, newest first unless orderBy says otherwise; filter with where (type, objectId, createdAt)."),
	}
}

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// InboundEvent holds the schema definition for the InboundEvent entity: one
// received postback or webhook, stored once, redacted.
type InboundEvent struct{ ent.Schema }

// Mixin of the InboundEvent.
func (InboundEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "inbound_events"}}
}

// Fields of the InboundEvent.
func (InboundEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("source").Values("SMARTMOVE").Immutable().
			Comment("The partner that sent it.").
			Annotations(entgql.Type("InboundEventSource")),
		field.String("dedupe_key").NotEmpty().MaxRuneLen(100).Immutable().
			Comment("A hash of what makes the message unique; a repeat with the same key is ignored.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("screening_application_id").Optional().Nillable().Immutable().
			Comment("The screening application it concerns.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("report_status").Default("").MaxRuneLen(50).Immutable().
			Comment("The report status the message carried, as sent (e.g. InProgress)."),
		field.Enum("outcome").Values("APPLIED", "STALE", "UNKNOWN_STATUS").
			Comment("APPLIED (it moved the application forward or updated it), STALE (its status is not ahead of the stored one, or the application is final: nothing moved back; a failure after READY is one) or UNKNOWN_STATUS (its reportStatus is none of SmartMove's documented Pending, InProgress, Ready, RequestDeclined, Error, Expired: stored as sent, the status did not move; it still confirms the order and gives a LINK order SmartMove's application id).").
			Annotations(entgql.Type("InboundEventOutcome")),
		field.JSON("payload", map[string]any{}).
			Comment("The message as received, with personal data and credentials redacted.").
			Annotations(entgql.Type("Map")),
	}
}

// Edges of the InboundEvent.
func (InboundEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("screening_application", ScreeningApplication.Type).Ref("inbound_events").
			Field("screening_application_id").Unique().Immutable().
			Comment("The screening application it concerns."),
	}
}

// Indexes of the InboundEvent.
func (InboundEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("client_id", "source", "dedupe_key").Unique()}
}

// Annotations of the InboundEvent.
func (InboundEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("One message a partner pushed to us (a SmartMove postback), stored once and redacted."),
	}
}

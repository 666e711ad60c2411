package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// WebhookEndpoint holds the schema definition for the WebhookEndpoint
// entity: a URL of the client's that receives its events, signed with the
// endpoint's own secret (Standard Webhooks).
type WebhookEndpoint struct{ ent.Schema }

// Mixin of the WebhookEndpoint.
func (WebhookEndpoint) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, AdminTenantMixin{TenantMixin{Ref: "webhook_endpoints"}}}
}

// Fields of the WebhookEndpoint.
func (WebhookEndpoint) Fields() []ent.Field {
	return []ent.Field{
		field.String("url").NotEmpty().MaxRuneLen(2048).
			Comment("Where events are POSTed: https (plain http and addresses inside the network only where LEASEGRAPH_WEBHOOK_ALLOW_PRIVATE allows them)."),
		field.String("description").Default("").MaxRuneLen(500).
			Comment("The client's own words for the endpoint."),
		field.Strings("event_types").Optional().
			Comment("The event types sent to the endpoint; empty: every type.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Bytes("secret").Sensitive().
			Comment("The signing secret, encrypted (AES-256-GCM) under LEASEGRAPH_WEBHOOK_KEY; shown once, at creation or rotation.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bytes("previous_secret").Optional().Nillable().Sensitive().
			Comment("The secret before the last rotation, encrypted: requests are signed with it too until previous_secret_expires_at.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("previous_secret_expires_at").Optional().Nillable().
			Comment("Until when requests also carry a signature with the secret before the last rotation; null when there is none."),
		field.Time("disabled_at").Optional().Nillable().
			Comment("When the endpoint was disabled (by the client, by a 410 Gone answer, or after failing 5 days without a success); null while enabled. A disabled endpoint receives nothing; its undelivered events stay replayable."),
		field.String("disabled_reason").Default("").MaxRuneLen(maxError).
			Comment("Why the endpoint was disabled; empty while enabled."),
		field.Time("last_success_at").Optional().Nillable().
			Comment("When the endpoint last answered a delivery with a 2xx."),
		field.Time("failing_since").Optional().Nillable().
			Comment("When the endpoint's current run of failures began (the first failed attempt after a success); null while it succeeds. After 5 days of failures it is disabled."),
	}
}

// Edges of the WebhookEndpoint.
func (WebhookEndpoint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("deliveries", WebhookDelivery.Type).
			Comment("The endpoint's deliveries, newest first unless orderBy says otherwise; filter with where (status, eventType).").
			Annotations(entsql.OnDelete(entsql.Cascade), entgql.RelayConnection()),
	}
}

// Annotations of the WebhookEndpoint.
func (WebhookEndpoint) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A URL of the client's that receives its events as signed POSTs (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature). Managed with an admin token."),
		entgql.RelayConnection(),
		entgql.QueryField().Description("The caller's webhook endpoints (needs the admin scope)."),
	}
}

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Registration holds the schema definition for the Registration entity.
type Registration struct{ ent.Schema }

// Mixin of the Registration.
func (Registration) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "registrations"}}
}

// Fields of the Registration.
func (Registration) Fields() []ent.Field {
	return []ent.Field{
		field.Int("prospect_id").Optional().Nillable().Comment("The prospect registered, when one was.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("property_id").Optional().Nillable().Comment("The property asked for, when it was found.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("property_tag").Default("").MaxRuneLen(100).Comment("The property tag the agent sent, as sent."),
		field.Enum("status").Values("INVITED", "PRELEASE", "BANNED", "INCOMPLETE").
			Comment("The outcome: INVITED (self-showing), PRELEASE (wait list), BANNED or INCOMPLETE.").
			Annotations(entgql.Type("RegistrationStatus"), entgql.OrderField("STATUS")),
		field.String("message").Default("").MaxRuneLen(500).Comment("The readable message shown to the agent and sent to the CRM."),
		field.Enum("channel").Values("IFRAME", "GRAPHQL").
			Comment("Where the attempt came from: the embedded page or the GraphQL API.").
			Annotations(entgql.Type("RegistrationChannel")),
		field.Int("token_id").Optional().Comment("The agent's API token (its id; never the secret).").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.String("sms_notes").Default("").MaxRuneLen(150).Comment("The extra SMS text the agent sent."),
	}
}

// Edges of the Registration.
func (Registration) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("prospect", Prospect.Type).Ref("registrations").Field("prospect_id").Unique().
			Comment("The prospect registered, when one was."),
		edge.From("property", Property.Type).Ref("registrations").Field("property_id").Unique().
			Comment("The property asked for, when it was found."),
		edge.To("deliveries", IntegrationJob.Type).Comment("Messages sent because of this registration (the SMS)."),
	}
}

// Indexes of the Registration.
func (Registration) Indexes() []ent.Index {
	return []ent.Index{index.Fields("client_id", "created_at")}
}

// Annotations of the Registration.
func (Registration) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("One agent-assisted registration attempt and its result; failed attempts are recorded too."),
		entgql.RelayConnection(),
		entgql.QueryField().Description("The caller's registration attempts."),
	}
}

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Ban holds the schema definition for the Ban entity.
type Ban struct{ ent.Schema }

// Mixin of the Ban.
func (Ban) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "bans"}}
}

// Fields of the Ban.
func (Ban) Fields() []ent.Field {
	return []ent.Field{
		field.String("phone").Default("").MaxRuneLen(32).
			Comment("The banned phone number, E.164; empty when the ban is by email."),
		field.String("email").Default("").MaxRuneLen(254).
			Comment("The banned email address, lower-case; empty when the ban is by phone."),
		field.String("reason").Default("").MaxRuneLen(500).
			Comment("Why the person is banned, for the client's staff."),
	}
}

// Indexes of the Ban.
func (Ban) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id", "phone"),
		index.Fields("client_id", "email"),
	}
}

// Annotations of the Ban.
func (Ban) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A phone number or email address that may not register for showings with this client."),
		entgql.RelayConnection(),
		entgql.QueryField().Description("The caller's ban list."),
	}
}

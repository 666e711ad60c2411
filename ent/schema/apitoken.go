package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// APIToken holds the schema definition for the APIToken entity. Only a hash
// of the secret is stored; the secret is shown once, when it is created.
type APIToken struct{ ent.Schema }

// Mixin of the APIToken.
func (APIToken) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the APIToken.
func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.Int("client_id").Optional().Nillable().Immutable().
			Comment("The client the token acts for; none for a platform admin token.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("name").Default("").MaxRuneLen(100).
			Comment("What the token is for, e.g. the CRM or service that holds it."),
		field.String("prefix").NotEmpty().MaxRuneLen(32).Unique().Immutable().
			Comment("The token's first characters, safe to show: they identify a token in lists and for revocation."),
		field.String("hash").NotEmpty().MaxRuneLen(128).Unique().Immutable().Sensitive().
			Comment("SHA-256 of the whole token.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Strings("scopes").Validate(boundedList).
			Comment("What the token may do: read, write and/or admin.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Time("last_used_at").Optional().Nillable().
			Comment("When the token last authenticated a request (UTC, updated at most once a minute)."),
		field.Time("revoked_at").Optional().Nillable().
			Comment("When the token was revoked; a revoked token authenticates nothing."),
	}
}

// Edges of the APIToken.
func (APIToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("client", Company.Type).Ref("api_tokens").Field("client_id").Unique().Immutable().
			Comment("The client the token acts for; null for a platform admin token."),
	}
}

// Annotations of the APIToken.
func (APIToken) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A bearer token for the API. Only its prefix and metadata are readable; the secret is shown once at creation."),
		entgql.Type("APIToken"),
	}
}

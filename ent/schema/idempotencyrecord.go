package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/leasegraph/leasegraph/idempotency/idemkey"
)

// IdempotencyRecord remembers the first result of a mutation called with an
// idempotency key, so a retried request returns it instead of writing twice.
// Package idempotency uses it inside the mutation's own transaction; a
// partner call that must not run inside a transaction (screening) uses
// ScreeningRequest instead.
type IdempotencyRecord struct{ ent.Schema }

// Mixin of the IdempotencyRecord.
func (IdempotencyRecord) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "idempotency_records"}}
}

// Fields of the IdempotencyRecord.
func (IdempotencyRecord) Fields() []ent.Field {
	return []ent.Field{
		field.String("operation").NotEmpty().MaxRuneLen(100).Immutable().
			Comment("The mutation the key was used with, e.g. createProspect."),
		field.String("key").NotEmpty().MaxRuneLen(idemkey.MaxLen).Immutable().
			Comment("The caller's idempotency key."),
		field.Int("result_id").Optional().
			Comment("The id of the row the first call produced; 0 while that call is still running."),
	}
}

// Indexes of the IdempotencyRecord: one result per client, operation and key.
func (IdempotencyRecord) Indexes() []ent.Index {
	return []ent.Index{index.Fields("client_id", "operation", "key").Unique()}
}

// Annotations of the IdempotencyRecord.
func (IdempotencyRecord) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("The first result of a mutation called with an idempotency key."),
		entgql.Skip(entgql.SkipAll),
	}
}

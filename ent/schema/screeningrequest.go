package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/leasegraph/leasegraph/idempotency/idemkey"
)

// ScreeningRequest holds the schema definition for the ScreeningRequest
// entity: the idempotency record of a SmartMove call. Unlike
// IdempotencyRecord (written in the caller's transaction), it is committed
// before the partner is called, so it survives a call whose outcome is
// unknown and makes a concurrent retry wait for the first call's result.
type ScreeningRequest struct{ ent.Schema }

// Mixin of the ScreeningRequest.
func (ScreeningRequest) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "screening_requests"}}
}

// Fields of the ScreeningRequest.
func (ScreeningRequest) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").NotEmpty().MaxRuneLen(idemkey.MaxLen).Immutable().
			Comment("The caller's idempotency key."),
		field.String("operation").NotEmpty().MaxRuneLen(50).Immutable().
			Comment("The mutation the key was used for, e.g. createScreeningApplication."),
		field.String("request_hash").NotEmpty().MaxRuneLen(64).Immutable().
			Comment("SHA-256 of the request's arguments (never a card): the same key with other arguments is refused."),
		field.Enum("state").Values("IN_PROGRESS", "SUCCEEDED", "FAILED").Default("IN_PROGRESS").
			Comment("IN_PROGRESS (the first call is running), SUCCEEDED, or FAILED (an outcome that must not be retried under this key)."),
		field.Int("screening_application_id").Optional().Nillable().
			Comment("The screening application the result refers to."),
		field.String("error_code").Default("").MaxRuneLen(50).
			Comment("For FAILED: the error code replayed to retries."),
		field.String("error_message").Default("").MaxRuneLen(maxError).
			Comment("For FAILED: the (redacted) error message replayed to retries."),
	}
}

// Indexes of the ScreeningRequest.
func (ScreeningRequest) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id", "key", "operation").Unique(),
		index.Fields("state", "created_at"),
	}
}

// Annotations of the ScreeningRequest.
func (ScreeningRequest) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("The idempotency record of one SmartMove call made under an idempotency key."),
		entgql.Skip(entgql.SkipAll),
	}
}

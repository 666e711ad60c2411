package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Card holds the schema definition for the Card entity: what may be kept of
// a payment card (PCI DSS 3.3.1, 3.4.1). Never a card number or CVC.
type Card struct{ ent.Schema }

// Mixin of the Card.
func (Card) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "cards"}}
}

// Fields of the Card.
func (Card) Fields() []ent.Field {
	return []ent.Field{
		field.Int("prospect_id").Comment("The prospect whose card this is.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("brand").NotEmpty().MaxRuneLen(20).Comment("The card brand, e.g. visa, mastercard, amex, discover."),
		field.String("last4").NotEmpty().MaxRuneLen(4).Comment("The last four digits of the card number."),
		field.Int("exp_month").Range(1, 12).Comment("Expiry month, 1-12."),
		field.Int("exp_year").Range(2000, 2200).Comment("Expiry year, four digits."),
		field.String("vault_token").NotEmpty().MaxRuneLen(200).Sensitive().
			Comment("The card vault's reference to the card.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("fingerprint").Default("").MaxRuneLen(100).Sensitive().
			Comment("A keyed hash of the card number, to recognise the same card again.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the Card.
func (Card) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("prospect", Prospect.Type).Ref("cards").Field("prospect_id").Unique().Required().
			Comment("The prospect whose card this is."),
	}
}

// Indexes of the Card.
func (Card) Indexes() []ent.Index {
	return []ent.Index{index.Fields("client_id", "prospect_id")}
}

// Annotations of the Card.
func (Card) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A payment card on file for a prospect: brand, last four digits and expiry only."),
	}
}

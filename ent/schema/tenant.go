package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Tenant holds the schema definition for the Tenant entity.
type Tenant struct{ ent.Schema }

// Mixin of the Tenant.
func (Tenant) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "tenants"}}
}

// Fields of the Tenant.
func (Tenant) Fields() []ent.Field {
	return []ent.Field{
		field.Int("lease_id").
			Comment("The lease this person is on.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("source_id").Default("").MaxRuneLen(200).
			Comment("The person's id (tenant or contact id) in the source system."),
		field.String("first_name").Default("").MaxRuneLen(100).
			Comment("The tenant's first name.").
			Annotations(entgql.OrderField("FIRST_NAME")),
		field.String("last_name").Default("").MaxRuneLen(100).
			Comment("The tenant's last name.").
			Annotations(entgql.OrderField("LAST_NAME")),
		field.String("email").Default("").MaxRuneLen(254).
			Comment("The tenant's email address."),
		field.String("cell_phone").Default("").MaxRuneLen(32).
			Comment("The tenant's mobile number, E.164 when it could be normalized. Used for SMS invites."),
		field.String("home_phone").Default("").MaxRuneLen(32).
			Comment("The tenant's home (landline) number."),
		field.Enum("gender").Values("MALE", "FEMALE").Optional().Nillable().
			Comment("The tenant's gender, when the source sends it.").
			Annotations(entgql.Type("Gender")),
		addressField("previous_address",
			"Where the tenant lives before moving in (move-ins)."),
		addressField("forwarding_address",
			"Where the tenant moves to (move-outs and transfers)."),
		field.JSON("extra", map[string]any{}).Optional().
			Comment("Every other field the source sent for this tenant, kept as sent.").
			Annotations(entgql.Type("Map")),
		field.String("propexo_id").Optional().Nillable().MaxRuneLen(200).
			Comment("The resident's id at Propexo, for a synced tenant; one tenant row per lease the resident is on."),
		hiddenAddressField("propexo_primary_address",
			"A synced tenant's primary address as Propexo last listed it. Which of a resident's addresses is a previous or a forwarding one depends on the lease's direction, which a lease page or a lease transfer can change without the resident changing: kept so the sync derives them again then. Never shown."),
		hiddenAddressField("propexo_alternate_address",
			"A synced tenant's alternate address as Propexo last listed it, kept for the same reason. Never shown."),
	}
}

// Edges of the Tenant.
func (Tenant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("lease", Lease.Type).Ref("tenants").Field("lease_id").Unique().Required().
			Comment("The lease this person is on."),
	}
}

// Indexes of the Tenant.
func (Tenant) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("lease_id", "source_id"),
		index.Fields("lease_id", "propexo_id").Unique(),
		index.Fields("client_id", "email"),
	}
}

// Annotations of the Tenant.
func (Tenant) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A person on a lease."),
	}
}

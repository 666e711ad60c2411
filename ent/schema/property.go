package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Property holds the schema definition for the Property entity.
type Property struct{ ent.Schema }

// Mixin of the Property.
func (Property) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "properties"}}
}

// Fields of the Property.
func (Property) Fields() []ent.Field {
	return []ent.Field{
		field.String("tag").NotEmpty().MaxRuneLen(100).
			Comment("The property's id in the client's CRM or property-management system; unique within the client.").
			Annotations(entgql.OrderField("TAG")),
		field.String("name").Default("").MaxRuneLen(200).
			Comment("The property's display name.").
			Annotations(entgql.OrderField("NAME")),
		addressField("address",
			"The property's street address."),
		field.Enum("showing_mode").Values("SELF_SHOWING", "PRELEASE", "INACTIVE").Default("SELF_SHOWING").
			Comment("How prospects may see the property: SELF_SHOWING (open to self-showings), PRELEASE (wait list) or INACTIVE (not showable).").
			Annotations(entgql.OrderField("SHOWING_MODE"), entgql.Type("ShowingMode")),
	}
}

// Edges of the Property.
func (Property) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("leases", Lease.Type).Comment("Leases of units in this property.").
			Annotations(entgql.RelayConnection()),
		edge.To("prospects", Prospect.Type).Comment("Prospects interested in this property.").
			Annotations(entgql.RelayConnection()),
		edge.To("registrations", Registration.Type).Comment("Registration attempts for this property.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the Property.
func (Property) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id", "tag").Unique(),
	}
}

// Annotations of the Property.
func (Property) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A rental property (building or community) of a client."),
		entgql.RelayConnection(),
		entgql.QueryField().Description("The caller's properties."),
	}
}

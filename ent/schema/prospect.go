package schema

import (
	"fmt"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/leasegraph/leasegraph/propexo"
)

// Prospect holds the schema definition for the Prospect entity. Its fields
// and limits are those of Propexo's create-prospect endpoint (RentCafe's
// limits, declared in propexo and referenced here), so a stored prospect
// can always be delivered.
type Prospect struct{ ent.Schema }

// Mixin of the Prospect.
func (Prospect) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "prospects"}}
}

// Fields of the Prospect.
func (Prospect) Fields() []ent.Field {
	return []ent.Field{
		field.Int("property_id").Optional().Nillable().
			Comment("The property the prospect is interested in.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("first_name").Default("").MaxRuneLen(100).Comment("The prospect's first name.").
			Annotations(entgql.OrderField("FIRST_NAME")),
		field.String("middle_name").Default("").MaxRuneLen(100).Comment("The prospect's middle name."),
		field.String("last_name").Default("").MaxRuneLen(100).Comment("The prospect's last name.").
			Annotations(entgql.OrderField("LAST_NAME")),
		field.String("email_1").Default("").MaxRuneLen(254).Comment("The prospect's primary email address."),
		field.String("phone_1").Default("").MaxRuneLen(32).Comment("The prospect's primary phone number, E.164 when it could be normalized."),
		field.String("phone_2").Default("").MaxRuneLen(32).Comment("The prospect's secondary phone number."),
		field.Time("move_in_date").SchemaType(dateType).Optional().Nillable().
			Comment("The day the prospect wants to move in.").
			Annotations(entgql.Type("Date")),
		field.Int("rent_minimum_in_cents").Optional().Nillable().Min(1).Comment("The lowest monthly rent the prospect considers, in cents."),
		field.Int("rent_maximum_in_cents").Optional().Nillable().Min(1).Comment("The highest monthly rent the prospect considers, in cents."),
		field.Text("notes").Default("").MaxRuneLen(maxNotes).Comment("Notes about the prospect. Updates append to them, as Propexo does."),
		field.Strings("pets").Optional().Validate(boundedList).Comment("The prospect's pets, as Propexo's pet values.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.String("address_1").Default("").MaxRuneLen(propexo.MaxAddressLen).Comment(atMost("First line of the prospect's current address", propexo.MaxAddressLen)),
		field.String("address_2").Default("").MaxRuneLen(propexo.MaxAddressLen).Comment(atMost("Second line of the prospect's current address", propexo.MaxAddressLen)),
		field.String("city").Default("").MaxRuneLen(propexo.MaxCityLen).Comment(atMost("City of the prospect's current address", propexo.MaxCityLen)),
		field.String("state").Default("").MaxRuneLen(propexo.MaxStateLen).Comment(atMost("State of the prospect's current address", propexo.MaxStateLen)),
		field.String("zip").Default("").MaxRuneLen(propexo.MaxZipLen).Comment(atMost("Zip code of the prospect's current address", propexo.MaxZipLen)),
		field.String("country").Default("").MaxRuneLen(propexo.MaxCountryLen).Comment(atMost("Country code of the prospect's current address", propexo.MaxCountryLen)),
		field.Int("number_of_occupants").Optional().Nillable().Min(0).Comment("How many people will live in the unit."),
		// Create's maximum holds on update too, although Propexo's update
		// has none: a prospect changed before its create was delivered
		// (or retried) is sent through create, and must still pass.
		field.Int("lease_term_in_months").Optional().Nillable().Range(1, propexo.MaxCreateLeaseTerm).
			Comment(fmt.Sprintf("The lease term the prospect wants, 1 to %d months.", propexo.MaxCreateLeaseTerm)),
		field.Ints("desired_num_bedrooms").Optional().Comment("Bedroom counts the prospect wants; RentCafe uses only the first.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Bool("subscribe").Optional().Nillable().Comment("Whether the prospect subscribes to the CRM's automated email."),
		field.String("first_contact_type").Default("").MaxRuneLen(50).Comment("How the prospect first made contact."),
		field.String("preferred_contact_method").Default("").MaxRuneLen(50).Comment("How the prospect prefers to be contacted."),
		field.String("prospect_source").Default("").MaxRuneLen(100).Comment("The name of the lead source."),
		field.String("community_id").Default("").MaxRuneLen(100).Comment("Propexo's id of the community."),
		field.String("attribution_id").Default("").MaxRuneLen(100).Comment("Propexo's id of the attribution."),
		field.String("agent_id").Default("").MaxRuneLen(100).Comment("Propexo's id of the agent."),
		field.String("propexo_prospect_id").Default("").MaxRuneLen(100).Comment("Propexo's id of this prospect once delivered; empty before."),
		field.String("propexo_lease_id").Default("").MaxRuneLen(100).Comment("The lease_id Propexo's update endpoint requires; defaults to the Propexo prospect id."),
	}
}

// atMost documents a RentCafe limit, declared once in propexo.
func atMost(what string, n int) string {
	return fmt.Sprintf("%s (at most %d characters).", what, n)
}

// Edges of the Prospect.
func (Prospect) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("property", Property.Type).Ref("prospects").Field("property_id").Unique().
			Comment("The property the prospect is interested in."),
		edge.To("cards", Card.Type).Comment("Cards on file for the prospect (brand, last 4, expiry)."),
		edge.To("registrations", Registration.Type).Comment("Registration attempts for the prospect.").
			Annotations(entgql.RelayConnection()),
		edge.To("integration_jobs", IntegrationJob.Type).Comment("Deliveries concerning the prospect (SMS, Propexo writes).").
			Annotations(entgql.RelayConnection()),
	}
}

// Indexes of the Prospect.
func (Prospect) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id", "phone_1"),
		index.Fields("client_id", "email_1"),
	}
}

// Annotations of the Prospect.
func (Prospect) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A lead: someone interested in renting, as pushed to the client's CRM through Propexo."),
		entgql.RelayConnection(),
		entgql.QueryField().Description("The caller's prospects."),
	}
}

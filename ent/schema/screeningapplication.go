package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// ScreeningApplication holds the schema definition for the
// ScreeningApplication entity: one SmartMove order and what we know of it.
type ScreeningApplication struct{ ent.Schema }

// Mixin of the ScreeningApplication.
func (ScreeningApplication) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "screening_applications"}}
}

// Fields of the ScreeningApplication.
func (ScreeningApplication) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("LINK", "EMBEDDED").Immutable().
			Comment("How it was ordered: LINK (the landlord finishes the order on SmartMove's page) or EMBEDDED (ordered and paid in one call).").
			Annotations(entgql.Type("ScreeningApplicationKind"), entgql.OrderField("KIND")),
		field.Enum("order_status").Values("SUBMITTING", "ORDERED", "UNCONFIRMED").Default("SUBMITTING").
			Comment("SUBMITTING (the order is being sent), ORDERED (SmartMove accepted it), or UNCONFIRMED (the call failed in a way that leaves the outcome unknown; a postback confirms it).").
			Annotations(entgql.Type("ScreeningOrderStatus")),
		field.Enum("status").Values("PENDING", "IN_PROGRESS", "READY", "REQUEST_DECLINED", "ERROR", "EXPIRED", "CANCELLED").Default("PENDING").
			Comment("The report status: PENDING, IN_PROGRESS, then one of the final READY, REQUEST_DECLINED, ERROR, EXPIRED and CANCELLED. It never moves backwards and never leaves a final status: a failure postback after READY is recorded (outcome STALE) and the report stays available. A postback with a status word SmartMove does not document moves nothing (outcome UNKNOWN_STATUS).").
			Annotations(entgql.Type("ScreeningStatus"), entgql.OrderField("STATUS")),
		field.Int("smartmove_application_id").Optional().Nillable().
			Comment("SmartMove's application id; null until SmartMove has created the application (for LINK orders, once the landlord finishes the form)."),
		field.String("customer_reference").NotEmpty().MaxRuneLen(100).Immutable().
			Comment("The client's SmartMove customer reference the order was placed under."),
		field.Bool("landlord_pays").Optional().Nillable().
			Comment("Whether the landlord pays; null until known (a LINK order lets the landlord choose on the form)."),
		field.String("property_name").Default("").MaxRuneLen(50).
			Comment("The property name sent with the order (or reported by SmartMove)."),
		field.String("unit_number").Default("").MaxRuneLen(50).
			Comment("The unit number sent with the order (or reported by SmartMove)."),
		field.String("smartmove_status").Default("").MaxRuneLen(50).
			Comment("SmartMove's own application status as last read (e.g. Active, InProgress)."),
		field.Enum("credit_recommendation").
			Values("UNAVAILABLE", "ACCEPT", "LOW_ACCEPT", "CONDITIONAL", "DECLINE", "REFER", "PENDING").Default("UNAVAILABLE").
			Comment("SmartMove's credit recommendation as last read; UNAVAILABLE until the reports are ready.").
			Annotations(entgql.Type("ScreeningCreditRecommendation")),
		field.String("credit_recommendation_policy_text").Default("").MaxRuneLen(500).
			Comment("SmartMove's text for the recommendation's policy."),
		field.String("last_notification").Default("").MaxRuneLen(1000).
			Comment("The notification text of the last postback applied."),
		field.Time("last_postback_at").Optional().Nillable().
			Comment("When the last postback for this application arrived (UTC)."),
		field.Time("last_refreshed_at").Optional().Nillable().
			Comment("When the application's details were last pulled from SmartMove (UTC)."),
		field.String("completion_link").Default("").MaxRuneLen(2000).Sensitive().
			Comment("The link the landlord opens to finish a LINK order (returned by createScreeningApplication).").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("postback_key").NotEmpty().MaxRuneLen(100).Unique().Immutable().Sensitive().
			Comment("The random path segment of the application's own postback URL.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("postback_credentials_hash").NotEmpty().MaxRuneLen(128).Sensitive().
			Comment("SHA-256 of the postback username and password given to SmartMove; the password itself is never stored.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the ScreeningApplication.
func (ScreeningApplication) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("applicants", Applicant.Type).Comment("The people screened on this application.").
			Annotations(entgql.RelayConnection()),
		edge.To("inbound_events", InboundEvent.Type).Comment("The postbacks received for this application, redacted, oldest first.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Indexes of the ScreeningApplication.
func (ScreeningApplication) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id", "created_at"),
		index.Fields("client_id", "smartmove_application_id"),
		index.Fields("status", "order_status"),
	}
}

// Annotations of the ScreeningApplication.
func (ScreeningApplication) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A tenant-screening order at RentPrep SmartMove: its applicants, report status and credit recommendation. The report itself stays at SmartMove (reportUrl)."),
		entgql.RelayConnection(),
		entgql.QueryField().Description("The caller's screening applications."),
	}
}

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Applicant holds the schema definition for the Applicant entity: one person
// on a screening application.
type Applicant struct{ ent.Schema }

// Mixin of the Applicant.
func (Applicant) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "applicants"}}
}

// Fields of the Applicant.
func (Applicant) Fields() []ent.Field {
	return []ent.Field{
		field.Int("application_id").Immutable().Comment("The screening application.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("email").NotEmpty().MaxRuneLen(254).Immutable().
			Comment("The applicant's email address (lower case): SmartMove emails the request there.").
			Annotations(entgql.OrderField("EMAIL")),
		field.Enum("status").
			Values("NO_ACTIVITY", "REQUEST_ACCEPTED", "REQUEST_DECLINED", "IDMA_COMPLETED", "REPORTS_REQUESTED", "REPORTS_AVAILABLE", "SUPPORT_REQUIRED").
			Default("NO_ACTIVITY").
			Comment("The applicant's progress as SmartMove last reported it: NO_ACTIVITY until they respond.").
			Annotations(entgql.Type("ApplicantStatus"), entgql.OrderField("STATUS")),
		field.String("first_name").Default("").MaxRuneLen(100).Comment("The applicant's first name, once SmartMove knows it."),
		field.String("last_name").Default("").MaxRuneLen(100).Comment("The applicant's last name, once SmartMove knows it."),
		field.Time("request_expires_at").Optional().Nillable().
			Comment("When the applicant's request expires at SmartMove (UTC)."),
	}
}

// Edges of the Applicant.
func (Applicant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("application", ScreeningApplication.Type).Ref("applicants").Field("application_id").
			Unique().Required().Immutable().
			Comment("The screening application."),
	}
}

// Indexes of the Applicant.
func (Applicant) Indexes() []ent.Index {
	return []ent.Index{index.Fields("application_id", "email").Unique()}
}

// Annotations of the Applicant.
func (Applicant) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A person screened on a SmartMove application, and their progress."),
		entgql.RelayConnection(),
		entgql.QueryField("screeningApplicants").Description("The applicants on the caller's screening applications."),
	}
}

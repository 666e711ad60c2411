package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/leasegraph/leasegraph/leases/statusset"
)

// Company is a client of leasegraph. ent refuses a schema named Client (its
// generated entry point), so only ent's code says Company: the GraphQL type
// is Client (entgql.Type below, bound to ent.Company), like every query,
// argument and mutation that names one (clients, clientId, createClient).
type Company struct{ ent.Schema }

// Mixin of the Company.
func (Company) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Fields of the Company.
func (Company) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200).
			Comment("The company's display name.").
			Annotations(entgql.OrderField("NAME")),
		field.Strings("move_in_statuses").Default(statusset.DefaultMoveIn).Validate(boundedList).
			Comment("Lease statuses (lower-case, compared case-insensitively) that mean the tenants are moving in.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Strings("move_out_statuses").Default(statusset.DefaultMoveOut).Validate(boundedList).
			Comment("Lease statuses (lower-case, compared case-insensitively) that mean the tenants are moving out.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Strings("transfer_statuses").Default(statusset.DefaultTransfer).Validate(boundedList).
			Comment("Lease statuses (lower-case, compared case-insensitively) that mean the tenants are transferring to another unit.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Strings("crm_origins").Optional().Validate(boundedList).
			Comment("Origins (scheme://host[:port]) of the CRM pages allowed to embed the registration page and receive its result.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.String("smartmove_reference").Optional().MaxRuneLen(100).
			Comment("The client's customer reference at RentPrep SmartMove; empty until screening is set up. Unique across clients; set by platform admins only."),
		field.String("propexo_integration_id").Optional().MaxRuneLen(100).
			Comment("The client's Propexo integration id; empty until prospects are delivered to Propexo. Unique across clients; set by platform admins only."),
	}
}

// Edges of the Company.
func (Company) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("properties", Property.Type).Comment("The client's properties.").
			Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipWhereInput)),
		edge.To("leases", Lease.Type).Comment("The client's leases.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("tenants", Tenant.Type).Comment("The client's tenants.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("prospects", Prospect.Type).Comment("The client's prospects.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("api_tokens", APIToken.Type).Comment("The client's API tokens.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("bans", Ban.Type).Comment("The client's ban list.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("cards", Card.Type).Comment("Cards on file.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("registrations", Registration.Type).Comment("Registration attempts.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("integration_jobs", IntegrationJob.Type).Comment("Outbound deliveries.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("screening_applications", ScreeningApplication.Type).Comment("SmartMove screening applications.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("applicants", Applicant.Type).Comment("Applicants on screening applications.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("inbound_events", InboundEvent.Type).Comment("Postbacks and webhooks received.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("screening_requests", ScreeningRequest.Type).Comment("Idempotency records of SmartMove calls.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("idempotency_records", IdempotencyRecord.Type).Comment("Results remembered for idempotency keys.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("lease_import_rows", LeaseImportRow.Type).Comment("The planned changes of lease imports in progress.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("events", Event.Type).Comment("Events raised for the client's webhook endpoints.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("webhook_endpoints", WebhookEndpoint.Type).Comment("The client's webhook endpoints.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("webhook_deliveries", WebhookDelivery.Type).Comment("Deliveries of events to the client's endpoints.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("webhook_attempts", WebhookAttempt.Type).Comment("Attempts of those deliveries.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		edge.To("lease_sync", LeaseSync.Type).Unique().Comment("The state of the client's lease sync from Propexo; none until its first run.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Indexes of the Company: a partner reference is one client's identity at
// the partner, so no two clients may share one (an unset reference is NULL,
// which any number of clients may have; the Company hook stores "" as NULL).
func (Company) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("smartmove_reference").Unique(),
		index.Fields("propexo_integration_id").Unique(),
	}
}

// Annotations of the Company.
func (Company) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A client of leasegraph: a property-management company using the API. It owns every other row: properties, leases, tenants, prospects and API tokens."),
		entgql.Type("Client"),
		entgql.RelayConnection(),
		entgql.QueryField("clients").Description("Clients visible to the caller: its own client, or every client for a platform admin."),
	}
}

package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// IntegrationJob holds the schema definition for the IntegrationJob entity.
type IntegrationJob struct{ ent.Schema }

// Mixin of the IntegrationJob.
func (IntegrationJob) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "integration_jobs"}}
}

// Fields of the IntegrationJob.
func (IntegrationJob) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("SMS", "PROPEXO_CREATE_PROSPECT", "PROPEXO_UPDATE_PROSPECT", "LEASE_SYNC").
			Comment("What is delivered: an SMS to a prospect, a prospect write to Propexo, or (LEASE_SYNC) one run of the client's lease sync from Propexo, whose counts are on Client.leaseSync.").
			Annotations(entgql.Type("IntegrationJobKind"), entgql.OrderField("KIND")),
		field.Enum("status").Values("QUEUED", "SENT", "SUCCEEDED", "PARTIAL", "FAILED", "NOT_SENT", "HELD").Default("QUEUED").
			Comment("QUEUED (waiting, or waiting to be retried after lastError), SENT (accepted by the partner, outcome pending; a lease sync: running), SUCCEEDED, PARTIAL, FAILED (final), NOT_SENT (no provider is configured; recorded, never dropped), or HELD (a Propexo write whose answer was lost and which Propexo's leads cannot tell apart: candidates lists what may be it, and resolveHeldDelivery lets a person adopt one, send again or abandon it).").
			Annotations(entgql.Type("IntegrationJobStatus"), entgql.OrderField("STATUS")),
		field.Int("attempts").Default(0).Comment("How many times delivery was tried."),
		field.String("last_error").Default("").MaxRuneLen(maxError).Comment("The partner's last error message, redacted."),
		field.String("partner_job_id").Default("").MaxRuneLen(200).Comment("The partner's id for the delivery, once it has one."),
		field.Text("notes_to_append").Default("").MaxRuneLen(maxNotes).
			Comment("For a prospect update: the notes it adds (Propexo appends notes, so only the new part is sent).").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Strings("failed_fields").Optional().
			Comment("The Propexo fields (Propexo's names, e.g. address_1) its last answer named as failed: the issues of a rejected write, or the fields a PARTIAL write did not store. Empty when none were named.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Time("send_started_at").Optional().Nillable().
			Comment("Set just before a write is sent to Propexo and cleared once its answer is known. While set, the write may have been applied with its answer lost, so the delivery looks the write up at Propexo before sending it again.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Strings("candidates").Optional().
			Comment("While HELD: the ids of the Propexo leads (prospects) that may be this delivery's write. Empty otherwise.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
		field.Int("notes_seen").Optional().Nillable().
			Comment("For a write that appends notes: how many times its note was in the prospect's notes at Propexo just before it was sent, so that a lost answer is told apart by whether the count grew.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("complete_partial").Default(false).
			Comment("A PARTIAL delivery being completed: only the fields that failed are sent again, as an update.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.String("partner_status").Default("").MaxRuneLen(20).
			Comment("The partner's own word for the delivery's state, as it last reported it (an SMS: Twilio's queued, sending, sent, delivered, undelivered or failed). Empty until the partner has answered."),
		field.String("error_code").Default("").MaxRuneLen(20).
			Comment("The partner's error code for the last failure (an SMS: Twilio's, e.g. 21610 when the recipient replied STOP, 30003 when the handset is unreachable). Empty when none."),
		field.Int("segments").Default(0).
			Comment("An SMS: how many segments its text takes as Twilio bills them (160 GSM-7 or 70 UCS-2 characters in one). 0 for other deliveries."),
		field.Time("sent_at").Optional().Nillable().
			Comment("When the partner accepted the delivery (an SMS: when Twilio queued it; a lease sync: when its last attempt started)."),
		field.Time("next_attempt_at").Optional().Nillable().
			Comment("When delivery will be tried or checked next, while it is not final."),
		field.Int("prospect_id").Optional().Nillable().Comment("The prospect concerned.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("registration_id").Optional().Nillable().Comment("The registration that caused it.").
			Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

// Edges of the IntegrationJob.
func (IntegrationJob) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("prospect", Prospect.Type).Ref("integration_jobs").Field("prospect_id").Unique().
			Comment("The prospect concerned."),
		edge.From("registration", Registration.Type).Ref("deliveries").Field("registration_id").Unique().
			Comment("The registration that caused it."),
	}
}

// Annotations of the IntegrationJob.
func (IntegrationJob) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("The visible state of one outbound delivery (an SMS, a write to Propexo) or of one lease sync run: status, attempts, last error."),
		entgql.RelayConnection(),
		entgql.QueryField().Description("The caller's outbound deliveries."),
	}
}

// Indexes of the IntegrationJob: a client's runs of one kind, newest first
// (Client.leaseSyncJobs, and the lease sync's own lookups every period),
// without scanning every client's deliveries.
func (IntegrationJob) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id", "kind", "created_at"),
	}
}

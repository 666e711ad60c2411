package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// LeaseSync holds the schema definition for the LeaseSync entity: one row per
// client (the edge from Company is unique, so client_id is), the progress of its lease sync from Propexo, committed with each
// page so that a run killed mid-pass resumes where it stopped.
type LeaseSync struct{ ent.Schema }

// Mixin of the LeaseSync.
func (LeaseSync) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "lease_sync"}}
}

// Fields of the LeaseSync.
func (LeaseSync) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("phase").Values("IDLE", "LEASES", "RESIDENTS", "TRANSFERS").Default("IDLE").
			Comment("Where the current pass is: IDLE (no pass running), or reading LEASES, RESIDENTS or TRANSFERS.").
			Annotations(entgql.Type("LeaseSyncPhase")),
		field.Bool("full").Default(true).
			Comment("Whether the current (or next) pass reads every record (a full pass, which also finds leases removed at Propexo) rather than only those changed since the last pass."),
		field.Int("page_offset").Default(0).
			Comment("The offset of the next page to read in the current phase.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("pass_started_at").Optional().Nillable().
			Comment("When the current pass started; unset while idle."),
		field.Time("leases_since").Optional().Nillable().
			Comment("High-water mark: the newest lease updated_at that the last finished pass saw; an incremental pass reads leases changed since.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("residents_since").Optional().Nillable().
			Comment("High-water mark of residents, as leases_since.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("transfers_since").Optional().Nillable().
			Comment("High-water mark of lease transfers, as leases_since.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("pass_newest").Optional().Nillable().
			Comment("The newest updated_at the current phase has seen: the phase's next high-water mark.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("last_run_at").Optional().Nillable().
			Comment("When the last pass finished, successfully or not."),
		field.Time("last_success_at").Optional().Nillable().
			Comment("When the last pass finished successfully."),
		field.Time("last_full_at").Optional().Nillable().
			Comment("When the last full pass finished."),
		field.Time("next_run_at").Optional().Nillable().
			Comment("When the next pass is due (the periodic sync's schedule, or a retry after an error)."),
		field.Int("leases_synced").Default(0).
			Comment("Leases created or updated by the current or last pass."),
		field.Int("tenants_synced").Default(0).
			Comment("Tenants created or updated by the current or last pass."),
		field.Int("leases_removed").Default(0).
			Comment("Leases the last full pass marked as removed at Propexo."),
		field.Int("records_skipped").Default(0).
			Comment("Records of the current or last pass that could not be stored (no start date, no status); last_error names the latest."),
		field.String("last_error").Default("").MaxRuneLen(maxError).
			Comment("The last error of the sync, or of a record it skipped; empty after a clean pass."),
	}
}

// Annotations of the LeaseSync.
func (LeaseSync) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A client's lease sync from Propexo: the pass in progress, the last run, its counts and errors, and the next run."),
	}
}

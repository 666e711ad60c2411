package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// dateType stores calendar dates as SQL dates on PostgreSQL; SQLite keeps the
// driver's text form, which sorts correctly because every date is midnight UTC.
var dateType = map[string]string{dialect.Postgres: "date"}

// Lease holds the schema definition for the Lease entity.
type Lease struct{ ent.Schema }

// Mixin of the Lease.
func (Lease) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "leases"}}
}

// Fields of the Lease.
func (Lease) Fields() []ent.Field {
	return []ent.Field{
		field.String("source_id").NotEmpty().MaxRuneLen(200).
			Comment("The lease's id in the source system (the PMS feed); unique within the client.").
			Annotations(entgql.OrderField("SOURCE_ID")),
		field.Int("property_id").
			Comment("The property the leased unit belongs to.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		addressField("unit_address",
			"The address of the leased unit."),
		field.String("status").NotEmpty().MaxRuneLen(100).
			Comment("The lease status exactly as the source system sent it. Whether it means a move-in, a move-out or a transfer depends on the client's status sets.").
			Annotations(entgql.OrderField("STATUS")),
		field.String("status_key").MaxRuneLen(100).
			Comment("The status as compared against status sets: trimmed and lower-case.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Time("lease_start_date").SchemaType(dateType).
			Comment("The first day of the lease. For a move-in without a move-in date, this is the move-in date.").
			Annotations(entgql.Type("Date"), entgql.OrderField("LEASE_START_DATE")),
		field.Time("lease_end_date").SchemaType(dateType).Optional().Nillable().
			Comment("The last day of the lease. For a move-out without a move-out date, this is the move-out date.").
			Annotations(entgql.Type("Date")),
		field.Time("move_in_date").SchemaType(dateType).Optional().Nillable().
			Comment("The day the tenants move in, when the source knows it (move-ins only).").
			Annotations(entgql.Type("Date")),
		field.Time("move_out_date").SchemaType(dateType).Optional().Nillable().
			Comment("The day the tenants move out, when the source knows it (move-outs only).").
			Annotations(entgql.Type("Date")),
		field.String("use_type").Default("").MaxRuneLen(100).
			Comment("The unit's use, e.g. corporate housing or vacation, as the source sent it."),
		addressField("previous_address",
			"The tenants' address before moving in, when the source keeps it on the lease rather than on each tenant."),
		addressField("forwarding_address",
			"Where the tenants move to, when the source keeps it on the lease rather than on each tenant."),
		field.JSON("extra", map[string]any{}).Optional().
			Comment("Every other field the source sent for the lease, kept as sent so consumers can filter on it (for example a corporate-housing flag).").
			Annotations(entgql.Type("Map")),
		field.Enum("source").Values("IMPORT", "PROPEXO").Default("IMPORT").
			Comment("Where the lease came from: IMPORT (a lease feed) or PROPEXO (synced from the client's property-management system through Propexo).").
			Annotations(entgql.Type("LeaseSource")),
		field.String("propexo_id").Optional().Nillable().MaxRuneLen(200).
			Comment("The lease's id at Propexo, for a synced lease; unique within the client."),
		field.Time("removed_at").Optional().Nillable().
			Comment("When a full sync found the lease gone from Propexo. A removed lease is kept, but no lease list or moving filter serves it."),
		field.Time("propexo_seen_at").Optional().Nillable().
			Comment("The start of the last sync pass that saw the lease at Propexo; a full pass marks the leases it did not see as removed.").
			Annotations(entgql.Skip(entgql.SkipAll)),
		field.Bool("transferred").Default(false).
			Comment("A resident of the lease transferred to another lease (a Propexo lease transfer): the lease counts as a transfer whatever its status.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Edges of the Lease.
func (Lease) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("property", Property.Type).Ref("leases").Field("property_id").Unique().Required().
			Comment("The property the leased unit belongs to."),
		edge.To("tenants", Tenant.Type).
			Comment("The people on the lease.").
			Annotations(entgql.Skip(entgql.SkipWhereInput)),
	}
}

// Indexes serve the moving filter: per client, a status set and one of the
// dates (the move date, or the lease date when the move date is missing).
func (Lease) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("client_id", "source_id").Unique(),
		index.Fields("client_id", "propexo_id").Unique(),
		index.Fields("client_id", "status_key", "move_in_date"),
		index.Fields("client_id", "status_key", "lease_start_date"),
		index.Fields("client_id", "status_key", "move_out_date"),
		index.Fields("client_id", "status_key", "lease_end_date"),
		index.Fields("property_id"),
	}
}

// Annotations of the Lease.
func (Lease) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A lease of one unit, as the client's property-management system reported it, with its tenants."),
		entgql.RelayConnection(),
	}
}

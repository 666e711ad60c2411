package schema

import (
	"context"
	"fmt"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	gen "github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/hook"
	"github.com/leasegraph/leasegraph/ent/leaseimportrow"
	"github.com/leasegraph/leasegraph/leases/statusset"
)

// LeaseImportRow is one change a lease import has planned and not yet
// applied: a property to create, a lease to create or update, a tenant to
// create, update or delete. An import stages its changes here in short
// transactions, a batch at a time, so that other writers get SQLite's one
// writer between its batches, then applies them all in one short
// transaction with a few set-based statements (leases/importer, stage.go).
// Nobody but the import reads these rows, so until that step no reader sees
// any of the import.
//
// Its columns are the leases' and tenants' own, of the same types and kept
// by the same hooks (calendar days, status_key), so that the final step
// copies them as they are.
type LeaseImportRow struct{ ent.Schema }

// Mixin of the LeaseImportRow.
func (LeaseImportRow) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, TenantMixin{Ref: "lease_import_rows"}}
}

// Fields of the LeaseImportRow.
func (LeaseImportRow) Fields() []ent.Field {
	return []ent.Field{
		field.String("import_id").NotEmpty().MaxRuneLen(64).Immutable().
			Comment("The import the row belongs to (random, one per run)."),
		field.Enum("kind").Values("PROPERTY", "LEASE", "TENANT").Immutable().
			Comment("The table the change is for."),
		field.Enum("action").Values("CREATE", "UPDATE", "DELETE").Immutable().
			Comment("What the change does."),
		field.Int("target_id").Optional().Nillable().Immutable().
			Comment("The existing row an update or a delete changes."),
		field.Time("seen_updated_at").Optional().Nillable().Immutable().
			Comment("The target's updated_at when the change was planned: a target changed since then fails the import, which was planned against another row."),
		field.Int("lease_id").Optional().Nillable().Immutable().
			Comment("A tenant's lease when it exists already."),
		field.String("lease_source_id").Default("").Immutable().
			Comment("A tenant's lease, by its source id, when the import creates it (its id is known only once it is)."),
		field.String("property_tag").Default("").Immutable().
			Comment("A lease's property, or the property to create, by tag (a property the import creates has no id yet)."),
		field.String("name").Default("").Immutable().
			Comment("A created property's name."),
		field.String("source_id").Default("").Immutable().
			Comment("The lease's or tenant's source id."),
		hiddenAddressField("unit_address", "A lease's unit address."),
		field.String("status").Default("").Immutable().
			Comment("A lease's status as sent."),
		field.String("status_key").Default("").Immutable().
			Comment("A lease's status as status sets compare it (the Lease hook's rule)."),
		field.Time("lease_start_date").SchemaType(dateType).Optional().Nillable().Immutable().
			Comment("A lease's start date."),
		field.Time("lease_end_date").SchemaType(dateType).Optional().Nillable().Immutable().
			Comment("A lease's end date."),
		field.Time("move_in_date").SchemaType(dateType).Optional().Nillable().Immutable().
			Comment("A lease's move-in date."),
		field.Time("move_out_date").SchemaType(dateType).Optional().Nillable().Immutable().
			Comment("A lease's move-out date."),
		field.String("use_type").Default("").Immutable().
			Comment("A lease's use type."),
		hiddenAddressField("previous_address", "A lease's or tenant's previous address."),
		hiddenAddressField("forwarding_address", "A lease's or tenant's forwarding address."),
		field.JSON("extra", map[string]any{}).Optional().Immutable().
			Comment("A lease's or tenant's other fields, as sent."),
		field.String("first_name").Default("").Immutable().Comment("A tenant's first name."),
		field.String("last_name").Default("").Immutable().Comment("A tenant's last name."),
		field.String("email").Default("").Immutable().Comment("A tenant's email."),
		field.String("cell_phone").Default("").Immutable().Comment("A tenant's cell phone."),
		field.String("home_phone").Default("").Immutable().Comment("A tenant's home phone."),
		field.Enum("gender").Values("MALE", "FEMALE").Optional().Nillable().Immutable().
			Comment("A tenant's gender."),
	}
}

// Indexes of the LeaseImportRow: the final step reads an import's rows by
// kind and action.
func (LeaseImportRow) Indexes() []ent.Index {
	return []ent.Index{index.Fields("import_id", "kind", "action")}
}

// Hooks of the LeaseImportRow store what the Lease's hooks would, since the
// final step copies the rows into leases with SQL that no hook sees.
func (LeaseImportRow) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(calendarDays(leaseimportrow.FieldLeaseStartDate, leaseimportrow.FieldLeaseEndDate,
			leaseimportrow.FieldMoveInDate, leaseimportrow.FieldMoveOutDate), ent.OpCreate),
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.LeaseImportRowFunc(func(ctx context.Context, m *gen.LeaseImportRowMutation) (ent.Value, error) {
				kind, _ := m.Kind()
				status, _ := m.Status()
				if kind == leaseimportrow.KindLEASE && status == "" {
					return nil, fmt.Errorf("lease status is required")
				}
				m.SetStatusKey(statusset.Key(status))
				return next.Mutate(ctx, m)
			})
		}, ent.OpCreate),
	}
}

// Annotations of the LeaseImportRow.
func (LeaseImportRow) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A change a lease import has planned and not yet applied; only the import reads it."),
		entgql.Skip(entgql.SkipAll),
	}
}

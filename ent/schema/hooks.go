package schema

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent"

	gen "github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/ent/hook"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/prospect"
	"github.com/leasegraph/leasegraph/leases/statusset"
)

// Hooks of the Lease keep status_key in step with status and store every
// date as its calendar day at midnight UTC, whatever time of day a caller
// passed: SQLite compares the stored text, PostgreSQL the date, and both
// must agree.
func (Lease) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(calendarDays(lease.FieldLeaseStartDate, lease.FieldLeaseEndDate, lease.FieldMoveInDate, lease.FieldMoveOutDate),
			ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne),
		hook.On(func(next ent.Mutator) ent.Mutator {
			return hook.LeaseFunc(func(ctx context.Context, m *gen.LeaseMutation) (ent.Value, error) {
				if s, ok := m.Status(); ok {
					m.SetStatusKey(statusset.Key(s))
				} else if m.Op().Is(ent.OpCreate) {
					return nil, fmt.Errorf("lease status is required")
				}
				return next.Mutate(ctx, m)
			})
		}, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne),
	}
}

// Hooks of the Company store a blank partner reference as NULL, whoever
// writes it: the references are unique, and only NULL may repeat.
func (Company) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(blankAsNull(company.FieldSmartmoveReference, company.FieldPropexoIntegrationID), ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne),
	}
}

// blankAsNull trims the named string fields and leaves a blank one unset
// (a create) or clears it (an update).
func blankAsNull(fields ...string) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			for _, f := range fields {
				v, ok := m.Field(f)
				if !ok {
					continue
				}
				s, _ := v.(string)
				var err error
				switch s = strings.TrimSpace(s); {
				case s != "":
					err = m.SetField(f, s)
				case m.Op().Is(ent.OpCreate):
					err = m.ResetField(f)
				default:
					err = m.ClearField(f)
				}
				if err != nil {
					return nil, err
				}
			}
			return next.Mutate(ctx, m)
		})
	}
}

// Hooks of the Prospect store its move-in date as a calendar day.
func (Prospect) Hooks() []ent.Hook {
	return []ent.Hook{
		hook.On(calendarDays(prospect.FieldMoveInDate), ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne),
	}
}

// calendarDays truncates the named date fields to midnight UTC of the day
// they name in their own location.
func calendarDays(fields ...string) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			for _, f := range fields {
				if v, ok := m.Field(f); ok {
					if t, ok := v.(time.Time); ok {
						if err := m.SetField(f, time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)); err != nil {
							return nil, err
						}
					}
				}
			}
			return next.Mutate(ctx, m)
		})
	}
}

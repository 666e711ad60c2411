package schema

import (
	"context"
	"fmt"

	"entgo.io/ent"

	gen "github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/hook"
	"github.com/leasegraph/leasegraph/leases/statusset"
)

// Hooks of the Lease keep status_key in step with status.
func (Lease) Hooks() []ent.Hook {
	return []ent.Hook{
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

package tenancy

import (
	"context"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/ent/predicate"
	"github.com/leasegraph/leasegraph/leases/statusset"
	"github.com/leasegraph/leasegraph/viewer"
)

// Service manages clients and API tokens. Writes join the transaction in
// ctx or open their own (ent.WithTx); reads use it when there is one.
type Service struct {
	DB *ent.Client
	// CacheTTL is how long an authenticated token and a client's status
	// sets are reused without asking the database (cache.go); zero: never.
	CacheTTL time.Duration
	cacheState
}

// CreateClient creates a client; only a platform viewer may.
func (s *Service) CreateClient(ctx context.Context, name string) (*ent.Company, error) {
	if !viewer.FromContext(ctx).Platform() {
		return nil, apperr.Forbidden("only a platform admin token can create clients")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, apperr.BadInput("input.name", "a client needs a name")
	}
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*ent.Company, error) {
		return db.Company.Create().SetName(name).Save(ctx)
	})
}

// StatusSets are replacement status sets; a nil set is left as it is.
type StatusSets struct {
	MoveIn, MoveOut, Transfer []string
}

// UpdateStatusSets replaces a client's status sets. Statuses are stored as
// their comparison keys so that matching is case-insensitive on every
// database.
func (s *Service) UpdateStatusSets(ctx context.Context, clientID int, sets StatusSets) (*ent.Company, error) {
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*ent.Company, error) {
		u := db.Company.UpdateOneID(clientID)
		if sets.MoveIn != nil {
			u.SetMoveInStatuses(statusset.Normalize(sets.MoveIn))
		}
		if sets.MoveOut != nil {
			u.SetMoveOutStatuses(statusset.Normalize(sets.MoveOut))
		}
		if sets.Transfer != nil {
			u.SetTransferStatuses(statusset.Normalize(sets.Transfer))
		}
		c, err := u.Save(ctx)
		if ent.IsNotFound(err) {
			return nil, apperr.NotFound("client")
		}
		if err == nil {
			s.forgetStatusSets(ctx, clientID)
		}
		return c, err
	})
}

// PartnerReferences are a client's ids at its partners; nil keeps a value,
// a blank one clears it.
type PartnerReferences struct {
	SmartMoveReference, PropexoIntegrationID *string
}

// UpdatePartnerReferences sets a client's partner references. Only a
// platform admin may: a reference is the identity under which the client's
// screenings are ordered and its prospects delivered, so a client that could
// set its own could act as another. For the same reason a reference belongs
// to one client at most (a unique index; blank is stored as NULL).
func (s *Service) UpdatePartnerReferences(ctx context.Context, clientID int, refs PartnerReferences) (*ent.Company, error) {
	if !viewer.FromContext(ctx).Platform() {
		return nil, apperr.Forbidden("only a platform admin token can change partner references")
	}
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*ent.Company, error) {
		u := db.Company.UpdateOneID(clientID)
		for _, r := range []struct {
			value *string
			input string
			taken func(string) predicate.Company
			set   func(string) *ent.CompanyUpdateOne
			clear func() *ent.CompanyUpdateOne
		}{
			{refs.SmartMoveReference, "smartmoveReference", company.SmartmoveReference, u.SetSmartmoveReference, u.ClearSmartmoveReference},
			{refs.PropexoIntegrationID, "propexoIntegrationId", company.PropexoIntegrationID, u.SetPropexoIntegrationID, u.ClearPropexoIntegrationID},
		} {
			if r.value == nil {
				continue
			}
			v := strings.TrimSpace(*r.value)
			if v == "" {
				r.clear()
				continue
			}
			// Asked first for a clear answer; the unique index decides a race.
			taken, err := db.Company.Query().Where(r.taken(v), company.IDNEQ(clientID)).Exist(ctx)
			if err != nil {
				return nil, err
			}
			if taken {
				return nil, referenceTaken(r.input)
			}
			r.set(v)
		}
		c, err := u.Save(ctx)
		switch {
		case ent.IsNotFound(err):
			return nil, apperr.NotFound("client")
		case ent.IsConstraintError(err):
			// Both databases name the column in a unique violation.
			for _, col := range []struct{ column, input string }{
				{company.FieldSmartmoveReference, "smartmoveReference"}, {company.FieldPropexoIntegrationID, "propexoIntegrationId"},
			} {
				if strings.Contains(err.Error(), col.column) {
					return nil, referenceTaken(col.input)
				}
			}
		}
		return c, err
	})
}

// referenceTaken is the CONFLICT for a partner reference another client has.
func referenceTaken(input string) error {
	return &apperr.Error{
		Code:    apperr.CodeConflict,
		Message: "another client already has this " + input + ": a partner reference belongs to one client",
		Field:   []string{"input", input},
	}
}

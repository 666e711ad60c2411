package tenancy

import (
	"context"
	"strings"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/leases/statusset"
	"github.com/leasegraph/leasegraph/viewer"
)

// CreateClient creates a client; only a platform viewer may.
func CreateClient(ctx context.Context, db *ent.Client, name string) (*ent.Company, error) {
	if !viewer.FromContext(ctx).Platform() {
		return nil, apperr.Forbidden("only a platform admin token can create clients")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, apperr.BadInput("input.name", "a client needs a name")
	}
	return db.Company.Create().SetName(name).Save(ctx)
}

// StatusSets are replacement status sets; a nil set is left as it is.
type StatusSets struct {
	MoveIn, MoveOut, Transfer []string
}

// UpdateStatusSets replaces a client's status sets. Statuses are stored as
// their comparison keys so that matching is case-insensitive on every
// database.
func UpdateStatusSets(ctx context.Context, db *ent.Client, clientID int, s StatusSets) (*ent.Company, error) {
	u := db.Company.UpdateOneID(clientID)
	if s.MoveIn != nil {
		u.SetMoveInStatuses(statusset.Normalize(s.MoveIn))
	}
	if s.MoveOut != nil {
		u.SetMoveOutStatuses(statusset.Normalize(s.MoveOut))
	}
	if s.Transfer != nil {
		u.SetTransferStatuses(statusset.Normalize(s.Transfer))
	}
	c, err := u.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("client")
	}
	return c, err
}

// PartnerReferences are a client's ids at its partners; nil keeps a value.
type PartnerReferences struct {
	SmartMoveReference, PropexoIntegrationID *string
}

// UpdatePartnerReferences sets a client's partner references. It needs the
// admin scope: the references decide where the client's data is sent.
func UpdatePartnerReferences(ctx context.Context, db *ent.Client, clientID int, refs PartnerReferences) (*ent.Company, error) {
	if !viewer.FromContext(ctx).Has(viewer.ScopeAdmin) {
		return nil, apperr.Forbidden("changing partner references needs the admin scope")
	}
	u := db.Company.UpdateOneID(clientID)
	if refs.SmartMoveReference != nil {
		u.SetSmartmoveReference(strings.TrimSpace(*refs.SmartMoveReference))
	}
	if refs.PropexoIntegrationID != nil {
		u.SetPropexoIntegrationID(strings.TrimSpace(*refs.PropexoIntegrationID))
	}
	c, err := u.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("client")
	}
	return c, err
}

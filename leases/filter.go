package leases

import (
	"context"
	"strconv"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/predicate"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/leases/statusset"
	"github.com/leasegraph/leasegraph/tenancy"
)

// Filter is the lease-service spec's set of filters: client, property,
// statuses, lease date ranges and a moving window. Zero fields match all.
type Filter struct {
	ClientID int
	// Property is our property id or the client's property tag.
	Property string
	// Statuses match case-insensitively.
	Statuses                     []string
	LeaseStartFrom, LeaseStartTo *time.Time
	LeaseEndFrom, LeaseEndTo     *time.Time
	Moving                       *Window
}

// Service answers lease reads with the moving-window rules. It reads in the
// transaction in ctx when there is one (ent.Current).
type Service struct {
	DB *ent.Client
	// Tenancy gives the viewer's status sets (cached there); nil: read
	// them uncached.
	Tenancy *tenancy.Service
}

func (s *Service) tenancy() *tenancy.Service {
	if s.Tenancy != nil {
		return s.Tenancy
	}
	return &tenancy.Service{DB: s.DB}
}

// Query returns the leases matching f that the viewer in ctx may see.
func (s *Service) Query(ctx context.Context, f Filter) (*ent.LeaseQuery, error) {
	where := []predicate.Lease{Current()}
	if f.ClientID != 0 {
		where = append(where, lease.ClientID(f.ClientID))
	}
	if f.Property != "" {
		match := property.Tag(f.Property)
		if id, err := strconv.Atoi(f.Property); err == nil {
			match = property.Or(property.ID(id), match)
		}
		where = append(where, lease.HasPropertyWith(match))
	}
	if len(f.Statuses) > 0 {
		where = append(where, lease.StatusKeyIn(statusset.Normalize(f.Statuses)...))
	}
	for _, r := range []struct {
		at   *time.Time
		pred func(time.Time) predicate.Lease
	}{
		{f.LeaseStartFrom, lease.LeaseStartDateGTE}, {f.LeaseStartTo, lease.LeaseStartDateLTE},
		{f.LeaseEndFrom, lease.LeaseEndDateGTE}, {f.LeaseEndTo, lease.LeaseEndDateLTE},
	} {
		if r.at != nil {
			where = append(where, r.pred(*r.at))
		}
	}
	if f.Moving != nil {
		p, err := s.Predicate(ctx, *f.Moving)
		if err != nil {
			return nil, err
		}
		where = append(where, p)
	}
	return ent.Current(ctx, s.DB).Lease.Query().Where(where...), nil
}

package importer

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/leaseimportrow"
	"github.com/leasegraph/leasegraph/types"
)

// leaseValues is a lease row's content as the feed gives it.
type leaseValues struct {
	propertyID                 int
	status, useType            string
	start                      time.Time
	end, moveIn, moveOut       *time.Time
	unit, previous, forwarding *types.Address
	extra                      map[string]any
}

// equal reports whether the row already holds the values, so that an
// unchanged lease is not written and keeps its updated_at.
func (v leaseValues) equal(l *ent.Lease) bool {
	return v.propertyID == l.PropertyID && v.status == l.Status && v.useType == l.UseType &&
		sameDate(&v.start, &l.LeaseStartDate) && sameDate(v.end, l.LeaseEndDate) &&
		sameDate(v.moveIn, l.MoveInDate) && sameDate(v.moveOut, l.MoveOutDate) &&
		sameAddress(v.unit, l.UnitAddress) && sameAddress(v.previous, l.PreviousAddress) &&
		sameAddress(v.forwarding, l.ForwardingAddress) && sameJSON(v.extra, l.Extra)
}

// stage puts the values on a staged lease row: each absent one stays
// NULL (or empty), which the final step copies as it is, so an update
// clears a field the feed no longer sends: the feed is the whole truth
// about the lease.
func (v leaseValues) stage(c *ent.LeaseImportRowCreate) {
	c.SetStatus(v.status).SetUseType(v.useType).SetLeaseStartDate(v.start).SetNillableLeaseEndDate(v.end).
		SetNillableMoveInDate(v.moveIn).SetNillableMoveOutDate(v.moveOut)
	if !v.unit.IsZero() {
		c.SetUnitAddress(v.unit)
	}
	if !v.previous.IsZero() {
		c.SetPreviousAddress(v.previous)
	}
	if !v.forwarding.IsZero() {
		c.SetForwardingAddress(v.forwarding)
	}
	if len(v.extra) > 0 {
		c.SetExtra(v.extra)
	}
}

// tenantStage puts a tenant's values on a staged tenant row, absent ones
// NULL (or empty), so an update clears what the feed no longer sends.
func tenantStage(c *ent.LeaseImportRowCreate, t Tenant) {
	c.SetSourceID(t.SourceID).SetFirstName(t.FirstName).SetLastName(t.LastName).SetEmail(t.Email).
		SetCellPhone(t.CellPhone).SetHomePhone(t.HomePhone)
	if t.Gender != "" {
		c.SetGender(leaseimportrow.Gender(t.Gender))
	}
	if !t.PreviousAddress.IsZero() {
		c.SetPreviousAddress(t.PreviousAddress)
	}
	if !t.ForwardingAddress.IsZero() {
		c.SetForwardingAddress(t.ForwardingAddress)
	}
	if len(t.Extra) > 0 {
		c.SetExtra(t.Extra)
	}
}

func tenantEqual(old *ent.Tenant, t Tenant) bool {
	gender := ""
	if old.Gender != nil {
		gender = string(*old.Gender)
	}
	return old.SourceID == t.SourceID && old.FirstName == t.FirstName && old.LastName == t.LastName &&
		old.Email == t.Email && old.CellPhone == t.CellPhone && old.HomePhone == t.HomePhone &&
		gender == t.Gender && sameAddress(old.PreviousAddress, t.PreviousAddress) &&
		sameAddress(old.ForwardingAddress, t.ForwardingAddress) && sameJSON(old.Extra, t.Extra)
}

// matchTenants pairs the feed's tenants (by index) with the lease's: by
// source id, else by email, else by first and last name. A fallback match
// never pairs two different source ids. The lease's unpaired tenants are
// gone from the feed.
func matchTenants(existing []*ent.Tenant, feed []Tenant) (map[int]*ent.Tenant, []int) {
	pairs := map[int]*ent.Tenant{}
	used := map[int]bool{}
	pass := func(match func(old *ent.Tenant, t Tenant) bool) {
		for i, t := range feed {
			if pairs[i] != nil {
				continue
			}
			for _, old := range existing {
				if !used[old.ID] && match(old, t) {
					pairs[i], used[old.ID] = old, true
					break
				}
			}
		}
	}
	compatible := func(old *ent.Tenant, t Tenant) bool { return old.SourceID == "" || t.SourceID == "" }
	pass(func(old *ent.Tenant, t Tenant) bool { return t.SourceID != "" && old.SourceID == t.SourceID })
	pass(func(old *ent.Tenant, t Tenant) bool {
		return compatible(old, t) && t.Email != "" && strings.EqualFold(old.Email, t.Email)
	})
	pass(func(old *ent.Tenant, t Tenant) bool {
		return compatible(old, t) && strings.EqualFold(old.FirstName, t.FirstName) && strings.EqualFold(old.LastName, t.LastName)
	})
	var gone []int
	for _, old := range existing {
		if !used[old.ID] {
			gone = append(gone, old.ID)
		}
	}
	return pairs, gone
}

// sameDate compares calendar dates, each read in its own location, as the
// drivers hand dates back in different zones.
func sameDate(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return types.FormatDate(*a) == types.FormatDate(*b)
}

func sameAddress(a, b *types.Address) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() && b.IsZero()
	}
	return *a == *b
}

// sameJSON compares JSON values as stored: a number read back from the
// database is a float64 where the feed had a json.Number.
func sameJSON(a, b map[string]any) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == 0 && len(b) == 0
	}
	return bytes.Equal(canonical(a), canonical(b))
}

func canonical(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var back any
	if json.Unmarshal(raw, &back) != nil {
		return nil
	}
	out, _ := json.Marshal(back)
	return out
}

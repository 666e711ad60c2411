package propexosync

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/ent/tenant"
	"github.com/leasegraph/leasegraph/leases"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/types/phone"
)

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func first(ps ...*string) *string {
	for _, p := range ps {
		if p != nil && *p != "" {
			return p
		}
	}
	return nil
}

func span(pg *page, at time.Time) {
	if pg.n == 0 || at.After(pg.newest) {
		pg.newest = at
	}
	if pg.n == 0 || at.Before(pg.oldest) {
		pg.oldest = at
	}
	pg.n++
}

// leaseRow is what a Propexo lease becomes.
type leaseRow struct {
	in                             *propexo.Lease
	sourceID, status, tag, useType string
	start                          time.Time
	end, moveIn, moveOut           *time.Time
	extra                          map[string]any
}

// mapLease reads a Propexo lease, or says why it cannot be stored.
func mapLease(l *propexo.Lease) (*leaseRow, string) {
	r := &leaseRow{in: l, sourceID: l.XID, tag: l.XPropertyID}
	if r.sourceID == "" {
		r.sourceID = l.ID
	}
	if r.tag == "" {
		r.tag = l.PropertyID
	}
	// The raw status is kept so the client's status sets apply to the
	// PMS's own words (DESIGN.md, leases).
	r.status = str(first(l.StatusRaw, l.Status, l.StatusNormalized))
	if r.status == "" {
		return nil, "no status"
	}
	// A value the columns cannot hold skips the record, not the page: a
	// page that always failed would hold the pass at it for good.
	if why := unfit(map[string]fit{"x_id": {r.sourceID, 200}, "x_property_id": {r.tag, 100}, "status": {r.status, 100}, "id": {l.ID, 200},
		"unit_number": {str(l.UnitNumber), 200}}); why != "" {
		return nil, why
	}
	dates := []struct {
		to  **time.Time
		src *string
	}{
		{&r.end, l.EndDate},
		{&r.moveIn, first(l.RealizedMoveIn, l.ScheduledMoveIn)},
		{&r.moveOut, first(l.RealizedMoveOut, l.ScheduledMoveOut)},
	}
	for _, d := range dates {
		t, err := propexo.Date(d.src)
		if err != nil {
			return nil, err.Error()
		}
		*d.to = t
	}
	start, err := propexo.Date(first(l.StartDate, l.ScheduledMoveIn, l.RealizedMoveIn))
	if err != nil {
		return nil, err.Error()
	}
	if start == nil {
		return nil, "no start date"
	}
	r.start = *start
	r.extra = map[string]any{"propexo_property_id": l.PropertyID}
	for k, v := range map[string]*string{"unit_number": l.UnitNumber, "status_normalized": l.StatusNormalized, "type": l.Type, "term": l.Term} {
		// A NUL would fail the page on PostgreSQL (jsonb refuses it):
		// such a value is not kept.
		if v != nil && apperr.CheckText(k, *v) == nil {
			r.extra[k] = *v
		}
	}
	r.useType = useTypeOf(l.Type, l.Term)
	return r, ""
}

// leases upserts one page of leases, matched by Propexo id, else by the
// PMS lease id (a lease imported before the sync is adopted, not
// duplicated).
func (r *run) leases(ctx context.Context, db *ent.Client, seen time.Time, u *ent.LeaseSyncUpdateOne, results []propexo.Lease) (page, error) {
	var pg page
	var rows []*leaseRow
	var pxIDs, srcIDs, tags []string
	inPage := map[string]bool{}
	for i := range results {
		l := &results[i]
		span(&pg, l.UpdatedAt)
		row, why := mapLease(l)
		if row == nil {
			skip(u, "lease", l.ID, why)
			continue
		}
		if inPage[row.sourceID] {
			// Two Propexo leases with one PMS lease id: the second would
			// break the unique (client, source id) and fail the page.
			skip(u, "lease", l.ID, "its PMS lease id "+row.sourceID+" is another lease's on the same page")
			continue
		}
		inPage[row.sourceID] = true
		rows = append(rows, row)
		pxIDs, srcIDs, tags = append(pxIDs, l.ID), append(srcIDs, row.sourceID), append(tags, row.tag)
	}
	if len(rows) == 0 {
		return pg, nil
	}
	props, err := r.properties(ctx, db, tags)
	if err != nil {
		return pg, err
	}
	q := db.Lease.Query().Where(lease.ClientID(r.clientID), lease.Or(lease.PropexoIDIn(pxIDs...), lease.SourceIDIn(srcIDs...)))
	if r.ch.watching() {
		q.WithTenants(leases.TenantOrder)
	}
	found, err := q.All(ctx)
	if err != nil {
		return pg, err
	}
	if err := r.ch.seen(found); err != nil {
		return pg, err
	}
	byPx, bySrc := map[string]*ent.Lease{}, map[string]*ent.Lease{}
	for _, l := range found {
		if l.PropexoID != nil {
			byPx[*l.PropexoID] = l
		}
		bySrc[l.SourceID] = l
	}
	var creates []*ent.LeaseCreate
	// Leases whose direction or unit the page changes: their tenants'
	// addresses are derived again.
	var turned []int
	for _, row := range rows {
		old := byPx[row.in.ID]
		if old == nil {
			if o := bySrc[row.sourceID]; o != nil {
				if o.PropexoID != nil && *o.PropexoID != row.in.ID {
					skip(u, "lease", row.in.ID, "its PMS lease id "+row.sourceID+" belongs to Propexo lease "+*o.PropexoID)
					continue
				}
				old = o
			}
		}
		if old == nil {
			creates = append(creates, db.Lease.Create().SetClientID(r.clientID).SetSourceID(row.sourceID).
				SetSource(lease.SourcePROPEXO).SetPropexoID(row.in.ID).SetPropertyID(props[row.tag].ID).SetStatus(row.status).
				SetUnitAddress(unitAddress(props[row.tag], row.in.UnitNumber)).SetUseType(row.useType).
				SetLeaseStartDate(row.start).SetNillableLeaseEndDate(row.end).SetNillableMoveInDate(row.moveIn).
				SetNillableMoveOutDate(row.moveOut).SetExtra(row.extra).SetPropexoSeenAt(seen))
			continue
		}
		up := db.Lease.UpdateOne(old).SetSourceID(row.sourceID).SetSource(lease.SourcePROPEXO).SetPropexoID(row.in.ID).
			SetPropertyID(props[row.tag].ID).SetStatus(row.status).SetLeaseStartDate(row.start).SetUseType(row.useType).
			SetExtra(row.extra).SetPropexoSeenAt(seen).ClearRemovedAt()
		unit := old.UnitAddress
		// An adopted import keeps its own address unless Propexo names the
		// unit: without a number the property's address says less.
		if a := unitAddress(props[row.tag], row.in.UnitNumber); a != nil && (old.UnitAddress == nil || str(row.in.UnitNumber) != "") {
			up.SetUnitAddress(a)
			unit = a
		}
		now := &ent.Lease{Status: row.status, Transferred: old.Transferred}
		if leases.HeadingOf(r.company, old) != leases.HeadingOf(r.company, now) || !sameAddress(unit, old.UnitAddress) {
			turned = append(turned, old.ID)
		}
		setOrClear(row.end, up.SetLeaseEndDate, up.ClearLeaseEndDate)
		setOrClear(row.moveIn, up.SetMoveInDate, up.ClearMoveInDate)
		// A transfer's move-out date stands until Propexo gives one.
		if row.moveOut != nil || !old.Transferred {
			setOrClear(row.moveOut, up.SetMoveOutDate, up.ClearMoveOutDate)
		}
		if err := up.Exec(ctx); err != nil {
			return pg, err
		}
	}
	if len(turned) > 0 {
		if err := r.rederive(ctx, db, lease.IDIn(turned...)); err != nil {
			return pg, err
		}
	}
	if len(creates) > 0 {
		made, err := db.Lease.CreateBulk(creates...).Save(ctx)
		if err != nil {
			return pg, err
		}
		for _, l := range made {
			r.ch.created(l.ID)
		}
	}
	u.AddLeasesSynced(len(rows))
	return pg, nil
}

// properties finds the page's properties by tag and creates the missing
// ones. An existing property is never changed: its name, address and
// showing mode are the client's.
func (r *run) properties(ctx context.Context, db *ent.Client, tags []string) (map[string]*ent.Property, error) {
	found, err := db.Property.Query().Where(property.ClientID(r.clientID), property.TagIn(tags...)).
		Select(property.FieldID, property.FieldTag, property.FieldAddress).All(ctx)
	if err != nil {
		return nil, err
	}
	props := map[string]*ent.Property{}
	for _, p := range found {
		props[p.Tag] = p
	}
	for _, tag := range tags {
		if _, ok := props[tag]; ok {
			continue
		}
		p, err := db.Property.Create().SetClientID(r.clientID).SetTag(tag).Save(ctx)
		if err != nil {
			return nil, err
		}
		props[tag] = p
	}
	return props, nil
}

// unitAddress is a synced lease's unit address: Propexo's lease names its
// unit by number only, so it is the property's address (the client's,
// kept by leasegraph) with the unit number as the apartment. Nil when the
// property has no address: a lease adopted from an import keeps its own.
func unitAddress(p *ent.Property, unit *string) *types.Address {
	if p.Address == nil {
		return nil
	}
	a := *p.Address
	if unit != nil && *unit != "" {
		a.Apt = *unit
	}
	return &a
}

// residents upserts one page of residents as tenants, one row per lease
// the resident is on that the sync holds.
func (r *run) residents(ctx context.Context, db *ent.Client, u *ent.LeaseSyncUpdateOne, p *propexo.Page[propexo.Resident]) (page, error) {
	pg := page{hasMore: p.HasMore}
	var leaseIDs []string
	for i := range p.Results {
		span(&pg, p.Results[i].UpdatedAt)
		for _, l := range p.Results[i].Leases {
			leaseIDs = append(leaseIDs, l.LeaseID)
		}
	}
	if len(leaseIDs) == 0 {
		return pg, nil
	}
	q := db.Lease.Query().Where(lease.ClientID(r.clientID), lease.PropexoIDIn(leaseIDs...))
	if r.ch.watching() {
		// Its tenants are about to change: the lease as it was, for the
		// events.
		q.WithTenants(leases.TenantOrder)
	} else {
		// Which way it moves and its unit decide the tenants' addresses.
		q.Select(lease.FieldID, lease.FieldPropexoID, lease.FieldStatus, lease.FieldTransferred, lease.FieldUnitAddress)
	}
	ls, err := q.All(ctx)
	if err != nil {
		return pg, err
	}
	if err := r.ch.seen(ls); err != nil {
		return pg, err
	}
	ours := map[string]*ent.Lease{}
	for _, l := range ls {
		ours[*l.PropexoID] = l
	}
	n := 0
	for i := range p.Results {
		res := &p.Results[i]
		t := tenantOf(res)
		if why := unfit(map[string]fit{"id": {res.ID, 200}, "x_id": {t.sourceID, 200}, "first_name": {t.first, 100},
			"last_name": {t.last, 100}, "email_1": {t.email, 254}}); why != "" {
			skip(u, "resident", res.ID, why)
			continue
		}
		primary, alternate := residentAddresses(res)
		for _, l := range res.Leases {
			on, ok := ours[l.LeaseID]
			if !ok {
				continue // a lease the sync skipped or has not read yet
			}
			prev, fwd := movingAddresses(leases.HeadingOf(r.company, on), on.UnitAddress, primary, alternate)
			c := db.Tenant.Create().SetClientID(r.clientID).SetLeaseID(on.ID).SetPropexoID(res.ID).
				SetSourceID(t.sourceID).SetFirstName(t.first).SetLastName(t.last).SetEmail(t.email).
				SetCellPhone(t.cell).SetHomePhone(t.home)
			// Set only when known: the upsert's update then takes the
			// inserted ones, or clears those Propexo no longer lists.
			for _, a := range []struct {
				v   *types.Address
				set func(*types.Address) *ent.TenantCreate
			}{{prev, c.SetPreviousAddress}, {fwd, c.SetForwardingAddress}, {primary, c.SetPropexoPrimaryAddress}, {alternate, c.SetPropexoAlternateAddress}} {
				if a.v != nil {
					a.set(a.v)
				}
			}
			err := c.OnConflictColumns(tenant.FieldLeaseID, tenant.FieldPropexoID).
				Update(func(up *ent.TenantUpsert) {
					up.UpdateSourceID().UpdateFirstName().UpdateLastName().UpdateEmail().UpdateCellPhone().UpdateHomePhone().UpdateUpdatedAt()
					upsertAddress(up, prev, (*ent.TenantUpsert).UpdatePreviousAddress, (*ent.TenantUpsert).ClearPreviousAddress)
					upsertAddress(up, fwd, (*ent.TenantUpsert).UpdateForwardingAddress, (*ent.TenantUpsert).ClearForwardingAddress)
					upsertAddress(up, primary, (*ent.TenantUpsert).UpdatePropexoPrimaryAddress, (*ent.TenantUpsert).ClearPropexoPrimaryAddress)
					upsertAddress(up, alternate, (*ent.TenantUpsert).UpdatePropexoAlternateAddress, (*ent.TenantUpsert).ClearPropexoAlternateAddress)
				}).Exec(ctx)
			if err != nil {
				return pg, err
			}
			n++
		}
	}
	u.AddTenantsSynced(n)
	return pg, nil
}

// upsertAddress makes a tenant upsert take the inserted address, or clear
// the column when there is none.
func upsertAddress(up *ent.TenantUpsert, a *types.Address, update, clear func(*ent.TenantUpsert) *ent.TenantUpsert) {
	if a != nil {
		update(up)
	} else {
		clear(up)
	}
}

type tenantValues struct{ sourceID, first, last, email, cell, home string }

// tenantOf maps a resident: email_1, else email_2; a MOBILE phone is the
// cell phone, a HOME one the home phone, in E.164 when it can be
// normalized.
func tenantOf(res *propexo.Resident) tenantValues {
	// email_2 when email_1 is empty: the lease reader requires an email.
	t := tenantValues{sourceID: res.XID, first: str(res.FirstName), last: str(res.LastName), email: str(first(res.Email1, res.Email2))}
	for _, ph := range []struct{ number, kind *string }{{res.Phone1, res.Phone1Type}, {res.Phone2, res.Phone2Type}} {
		n := str(ph.number)
		if n == "" {
			continue
		}
		if e, ok := phone.E164(n); ok {
			n = e
		}
		if len(n) > 32 {
			continue
		}
		switch str(ph.kind) {
		case "MOBILE":
			if t.cell == "" {
				t.cell = n
			}
		case "HOME":
			if t.home == "" {
				t.home = n
			}
		}
	}
	return t
}

// transfers marks the lease a resident transferred from: it counts as a
// transfer whatever its status, moving out on the transfer's date when the
// lease has no move-out date of its own.
func (r *run) transfers(ctx context.Context, db *ent.Client, u *ent.LeaseSyncUpdateOne, p *propexo.Page[propexo.LeaseTransfer]) (page, error) {
	pg := page{hasMore: p.HasMore}
	if len(p.Results) == 0 {
		return pg, nil
	}
	from := make([]string, len(p.Results))
	for i := range p.Results {
		from[i] = p.Results[i].LeaseIDPrevious
	}
	if err := r.ch.watch(ctx, db, lease.PropexoIDIn(from...)); err != nil {
		return pg, err
	}
	for i := range p.Results {
		tr := &p.Results[i]
		span(&pg, tr.UpdatedAt)
		when, err := propexo.Date(tr.TransferEffectiveDate)
		if err != nil {
			skip(u, "lease transfer", tr.ID, err.Error())
			continue
		}
		up := db.Lease.Update().Where(lease.ClientID(r.clientID), lease.PropexoID(tr.LeaseIDPrevious)).SetTransferred(true)
		if _, err := up.Save(ctx); err != nil {
			return pg, err
		}
		if when != nil {
			if _, err := db.Lease.Update().Where(lease.ClientID(r.clientID), lease.PropexoID(tr.LeaseIDPrevious), lease.MoveOutDateIsNil()).
				SetMoveOutDate(*when).Save(ctx); err != nil {
				return pg, err
			}
		}
	}
	// A lease a transfer left moves out: its residents, read before the
	// transfer was, get their forwarding addresses now.
	return pg, r.rederive(ctx, db, lease.PropexoIDIn(from...))
}

func setOrClear(v *time.Time, set func(time.Time) *ent.LeaseUpdateOne, clear func() *ent.LeaseUpdateOne) {
	if v != nil {
		set(*v)
	} else {
		clear()
	}
}

// fit is a value and the most runes its column holds.
type fit struct {
	v   string
	max int
}

// unfit names the first value that is not storable text or too long.
func unfit(fields map[string]fit) string {
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		f := fields[name]
		if e := apperr.CheckText(name, f.v); e != nil {
			return e.Message
		}
		if utf8.RuneCountInString(f.v) > f.max {
			return fmt.Sprintf("%s is longer than %d characters", name, f.max)
		}
	}
	return ""
}

package importer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/ent/tenant"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/internal/progress"
	"github.com/leasegraph/leasegraph/leases/statusset"
	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/viewer"
)

// chunk bounds the ids in one IN (...) and the rows in one bulk insert,
// well under SQLite's and PostgreSQL's parameter limits.
const chunk = 500

// Service imports lease feeds.
type Service struct {
	DB *ent.Client
	// Events records lease_import.completed in each committed import's
	// transaction; nil records none.
	Events *events.Recorder
}

// applyStream upserts the leases each yields, one at a time, for the client
// in one transaction: the one in ctx (a GraphQL mutation's) or its own
// (ent.WithTx). A dry run reports what
// would change and writes nothing.
//
// Every read and write goes through the transaction with ctx's viewer, so
// ent's privacy rules scope it: a client's viewer can import only into its
// own client, and a property tag or lease id of another client is never
// matched.
//
// They are written in batches of chunk, so no more than a batch's rows and
// ent objects are held at once.
func (s *Service) applyStream(ctx context.Context, clientID, count int, dryRun bool, each func(func(*Lease) error) error) (*Report, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, apperr.Unauthenticated("importing leases needs a viewer")
	}
	if !dryRun && !v.Has(viewer.ScopeWrite) {
		return nil, apperr.Forbidden("importing leases needs the write scope")
	}
	rep := &Report{DryRun: dryRun, Leases: count, Errors: []RowError{}}
	started := time.Now().UTC()
	// A dry run writes nothing (the writer checks rep.DryRun); its own
	// transaction is rolled back all the same, so that nothing it did can
	// be kept by mistake.
	err := ent.InTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) error {
		if err := apply(ctx, db, clientID, each, rep); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return s.recordImport(ctx, clientID, rep, started)
	})
	if err != nil && !errors.Is(err, errDryRun) {
		return nil, err
	}
	rep.Applied = !dryRun
	if !dryRun {
		s.refreshStats(ctx)
	}
	return rep, nil
}

// refreshStats brings the planner's statistics up to date (ent's
// RefreshStats: SQLite keeps none of its own) once the import is
// committed: now, or when the caller's transaction commits. The import
// stands whatever happens here, so a failure is not the caller's error.
func (s *Service) refreshStats(ctx context.Context) {
	refresh := func() { _ = s.DB.RefreshStats(context.WithoutCancel(ctx)) }
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		refresh()
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			if err == nil {
				refresh()
			}
			return err
		})
	})
}

// importData is lease_import.completed's data: the report's counts, and
// the import's span (the leases it wrote are those updated within it).
type importData struct {
	Leases            int       `json:"leases"`
	LeasesCreated     int       `json:"leases_created"`
	LeasesUpdated     int       `json:"leases_updated"`
	LeasesUnchanged   int       `json:"leases_unchanged"`
	TenantsCreated    int       `json:"tenants_created"`
	TenantsUpdated    int       `json:"tenants_updated"`
	TenantsDeleted    int       `json:"tenants_deleted"`
	PropertiesCreated int       `json:"properties_created"`
	StartedAt         time.Time `json:"started_at"`
	FinishedAt        time.Time `json:"finished_at"`
}

// recordImport records the import's one event, in its transaction: never
// one per lease, which a feed of thousands would flood endpoints with.
func (s *Service) recordImport(ctx context.Context, clientID int, rep *Report, started time.Time) error {
	_, err := s.Events.Record(ctx, events.Event{Type: events.LeaseImportCompleted, ClientID: clientID, ObjectType: "Client", ObjectID: clientID,
		Data: importData{Leases: rep.Leases, LeasesCreated: rep.LeasesCreated, LeasesUpdated: rep.LeasesUpdated, LeasesUnchanged: rep.LeasesUnchanged,
			TenantsCreated: rep.TenantsCreated, TenantsUpdated: rep.TenantsUpdated, TenantsDeleted: rep.TenantsDeleted,
			PropertiesCreated: rep.PropertiesCreated, StartedAt: started, FinishedAt: time.Now().UTC()}})
	return err
}

// errDryRun rolls back a dry run's transaction; it is not an error.
var errDryRun = errors.New("dry run")

// apply plans and, unless the report is a dry run, writes, a batch at a time.
func apply(ctx context.Context, db *ent.Client, clientID int, each func(func(*Lease) error) error, rep *Report) error {
	client, err := db.Company.Query().Where(company.ID(clientID)).Only(ctx)
	if ent.IsNotFound(err) {
		return apperr.NotFound("client")
	} else if err != nil {
		return err
	}
	w := &writer{db: db, clientID: clientID, client: client, rep: rep, propIDs: map[string]int{}}
	batch := make([]*Lease, 0, chunk)
	err = each(func(l *Lease) error {
		batch = append(batch, l)
		if len(batch) < chunk {
			return nil
		}
		err := w.batch(ctx, batch)
		batch = batch[:0]
		// A batch written: the request's deadline counts from here, so a
		// feed of any length runs as long as its batches keep coming.
		progress.Report(ctx)
		return err
	})
	if err != nil {
		return err
	}
	return w.batch(ctx, batch)
}

// writer carries one import's state.
type writer struct {
	db       *ent.Client
	clientID int
	client   *ent.Company
	rep      *Report
	propIDs  map[string]int // tag -> id (0: to be created, in a dry run)
	// New leases are inserted in bulk; their tenants follow once ids exist.
	newLeases  []*ent.LeaseCreate
	newTenants [][]Tenant
	tenants    []*ent.TenantCreate
}

// batch plans and writes up to chunk leases.
func (w *writer) batch(ctx context.Context, leases []*Lease) error {
	if len(leases) == 0 {
		return nil
	}
	if err := w.properties(ctx, leases); err != nil {
		return err
	}
	existing, err := w.existingLeases(ctx, leases)
	if err != nil {
		return err
	}
	for _, l := range leases {
		if err := w.lease(ctx, l, existing[l.SourceID]); err != nil {
			return fmt.Errorf("lease %q: %w", l.SourceID, err)
		}
	}
	err = w.flush(ctx)
	w.newLeases, w.newTenants, w.tenants = w.newLeases[:0], w.newTenants[:0], w.tenants[:0]
	return err
}

// properties finds the batch's properties by tag (once per import) and
// creates the missing ones (tag, and name when the feed gives one; the
// schema's default showing mode, SELF_SHOWING). An existing property is only
// read, never changed: its name and showing mode belong to the client's
// property API (package properties), and a feed, which knows no showing
// mode, must not undo a property put on the wait list or taken off the
// market.
func (w *writer) properties(ctx context.Context, leases []*Lease) error {
	names := map[string]string{}
	var tags []string
	for _, l := range leases {
		if _, known := w.propIDs[l.PropertyTag]; known {
			continue
		}
		if _, seen := names[l.PropertyTag]; !seen {
			tags = append(tags, l.PropertyTag)
		}
		if names[l.PropertyTag] == "" {
			names[l.PropertyTag] = l.PropertyName
		}
	}
	if len(tags) == 0 {
		return nil
	}
	found, err := w.db.Property.Query().
		Where(property.ClientID(w.clientID), property.TagIn(tags...)).
		Select(property.FieldID, property.FieldTag).All(ctx)
	if err != nil {
		return err
	}
	for _, p := range found {
		w.propIDs[p.Tag] = p.ID
	}
	var missing []*ent.PropertyCreate
	for _, tag := range tags {
		if _, ok := w.propIDs[tag]; ok {
			continue
		}
		w.rep.PropertiesCreated++
		w.propIDs[tag] = 0
		missing = append(missing, w.db.Property.Create().SetClientID(w.clientID).SetTag(tag).SetName(names[tag]))
	}
	if w.rep.DryRun || len(missing) == 0 {
		return nil
	}
	created, err := w.db.Property.CreateBulk(missing...).Save(ctx)
	if err != nil {
		return err
	}
	for _, p := range created {
		w.propIDs[p.Tag] = p.ID
	}
	return nil
}

func (w *writer) existingLeases(ctx context.Context, leases []*Lease) (map[string]*ent.Lease, error) {
	ids := make([]string, len(leases))
	for i, l := range leases {
		ids[i] = l.SourceID
	}
	found, err := w.db.Lease.Query().
		Where(lease.ClientID(w.clientID), lease.SourceIDIn(ids...)).
		WithTenants(func(q *ent.TenantQuery) { q.Order(ent.Asc(tenant.FieldID)) }).
		All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*ent.Lease, len(found))
	for _, l := range found {
		out[l.SourceID] = l
	}
	return out, nil
}

// lease plans (and queues or writes) one lease.
func (w *writer) lease(ctx context.Context, in *Lease, old *ent.Lease) error {
	want := w.values(in)
	if old == nil {
		w.rep.LeasesCreated++
		w.rep.TenantsCreated += len(in.Tenants)
		if !w.rep.DryRun {
			w.newLeases = append(w.newLeases, want.create(w.db.Lease.Create().SetClientID(w.clientID).SetSourceID(in.SourceID)))
			w.newTenants = append(w.newTenants, in.Tenants)
		}
		return nil
	}
	changed := !want.equal(old)
	if changed && !w.rep.DryRun {
		if err := want.update(w.db.Lease.UpdateOne(old)).Exec(ctx); err != nil {
			return err
		}
	}
	tenantsChanged, err := w.syncTenants(ctx, old, in.Tenants)
	if err != nil {
		return err
	}
	switch {
	case changed || tenantsChanged:
		w.rep.LeasesUpdated++
	default:
		w.rep.LeasesUnchanged++
	}
	return nil
}

// syncTenants matches the feed's tenants to the lease's and creates,
// updates or deletes the difference.
func (w *writer) syncTenants(ctx context.Context, l *ent.Lease, feed []Tenant) (bool, error) {
	pairs, gone := matchTenants(l.Edges.Tenants, feed)
	changed := len(gone) > 0
	for i, t := range feed {
		old := pairs[i]
		if old == nil {
			changed = true
			w.rep.TenantsCreated++
			if !w.rep.DryRun {
				w.tenants = append(w.tenants, tenantCreate(w.db.Tenant.Create().SetClientID(w.clientID).SetLeaseID(l.ID), t))
			}
			continue
		}
		if tenantEqual(old, t) {
			continue
		}
		changed = true
		w.rep.TenantsUpdated++
		if !w.rep.DryRun {
			if err := tenantUpdate(w.db.Tenant.UpdateOne(old), t).Exec(ctx); err != nil {
				return false, err
			}
		}
	}
	w.rep.TenantsDeleted += len(gone)
	if len(gone) > 0 && !w.rep.DryRun {
		if _, err := w.db.Tenant.Delete().Where(tenant.IDIn(gone...), tenant.ClientID(w.clientID)).Exec(ctx); err != nil {
			return false, err
		}
	}
	return changed, nil
}

// flush inserts the queued leases, then all queued tenants.
func (w *writer) flush(ctx context.Context) error {
	for start := 0; start < len(w.newLeases); start += chunk {
		end := min(start+chunk, len(w.newLeases))
		created, err := w.db.Lease.CreateBulk(w.newLeases[start:end]...).Save(ctx)
		if err != nil {
			return err
		}
		for i, l := range created {
			for _, t := range w.newTenants[start+i] {
				w.tenants = append(w.tenants, tenantCreate(w.db.Tenant.Create().SetClientID(w.clientID).SetLeaseID(l.ID), t))
			}
		}
	}
	for part := range slices.Chunk(w.tenants, chunk) {
		if err := w.db.Tenant.CreateBulk(part...).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// values is what the lease row should hold after the import.
func (w *writer) values(in *Lease) leaseValues {
	v := leaseValues{
		propertyID: w.propIDs[in.PropertyTag], status: in.Status, useType: in.UseType,
		start: in.LeaseStartDate, end: in.LeaseEndDate, moveIn: in.MoveInDate, moveOut: in.MoveOutDate,
		unit: in.UnitAddress, previous: in.PreviousAddress, forwarding: in.ForwardingAddress, extra: in.Extra,
	}
	if in.MoveDate == nil {
		return v
	}
	// A single move date means moving in or out as the client's status sets
	// say; a transfer moves out of this unit. With a status in no set, the
	// date is kept in extra rather than guessed.
	key := statusset.Key(in.Status)
	switch {
	case slices.Contains(statusset.Normalize(w.client.MoveInStatuses), key):
		if v.moveIn == nil {
			v.moveIn = in.MoveDate
		}
	case slices.Contains(statusset.Normalize(w.client.MoveOutStatuses), key),
		slices.Contains(statusset.Normalize(w.client.TransferStatuses), key):
		if v.moveOut == nil {
			v.moveOut = in.MoveDate
		}
	default:
		v.extra = maps.Clone(in.Extra)
		if v.extra == nil {
			v.extra = map[string]any{}
		}
		v.extra["move_date"] = types.FormatDate(*in.MoveDate)
	}
	return v
}

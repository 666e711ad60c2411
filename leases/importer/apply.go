package importer

import (
	"context"
	"crypto/rand"
	"maps"
	"slices"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/leaseimportrow"
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
	// Staged, when set, runs after each batch is staged (committed, unless
	// the import joined a caller's transaction): tests hold an import
	// between its batches there.
	Staged func(context.Context)
}

// applyStream plans the changes of the leases each yields, a batch of
// chunk at a time, for the client, then applies them all at once. A dry
// run reports what would change and writes nothing.
//
// An import is all-or-nothing to every reader, yet holds no transaction
// for its length (which on SQLite, one writer, would keep every other
// write waiting for it): each batch commits its planned changes to
// lease_import_rows, which only the import reads, in a short transaction
// of its own, and one short final transaction applies them with a few
// set-based statements (stage.go). In a caller's transaction (ctx's) every
// step joins it instead, and the caller's commit or rollback decides.
//
// Every read goes through ctx's viewer, so ent's privacy rules scope it: a
// client's viewer can import only into its own client, and a property tag
// or lease id of another client is never matched. The final step's SQL
// writes only rows planned by those reads, with the client's id.
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
	client, err := ent.Current(ctx, s.DB).Company.Query().Where(company.ID(clientID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("client")
	} else if err != nil {
		return nil, err
	}
	w := &writer{clientID: clientID, client: client, rep: rep, propIDs: map[string]int{}}
	if dryRun {
		// Planning reads only; outside a transaction its reads take
		// SQLite's read-only connections, not the writer.
		w.db = ent.Current(ctx, s.DB)
		if err := s.plan(ctx, w, each); err != nil {
			return nil, err
		}
		return rep, nil
	}
	s.dropStale(ctx)
	w.importID = rand.Text()
	err = s.plan(ctx, w, each)
	if err == nil {
		err = s.applyStaged(ctx, w, started)
	}
	// Its rows go whether it applied or failed: nobody else reads them.
	s.dropStaged(ctx, w.importID)
	if err != nil {
		return nil, err
	}
	rep.Applied = true
	s.refreshStats(ctx)
	return rep, nil
}

// plan feeds the leases to the writer a batch at a time; each batch is
// planned and staged in a transaction of its own.
func (s *Service) plan(ctx context.Context, w *writer, each func(func(*Lease) error) error) error {
	batch := make([]*Lease, 0, chunk)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := w.batch(ctx, s.DB, batch)
		batch = batch[:0]
		if err != nil {
			return err
		}
		// A batch staged: the request's deadline counts from here, so a
		// feed of any length runs as long as its batches keep coming.
		progress.Report(ctx)
		if s.Staged != nil && !w.rep.DryRun {
			s.Staged(ctx)
		}
		return nil
	}
	err := each(func(l *Lease) error {
		batch = append(batch, l)
		if len(batch) < chunk {
			return nil
		}
		return flush()
	})
	if err != nil {
		return err
	}
	return flush()
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

// writer carries one import's plan.
type writer struct {
	db       *ent.Client // the batch's: its transaction's, or the reader in a dry run
	clientID int
	client   *ent.Company
	rep      *Report
	propIDs  map[string]int // tag -> id (0: to be created)
	// importID keys the staged rows; staged counts them by kind and action,
	// which the final step's statements must each find again.
	importID string
	staged   map[staged]int
	rows     []*ent.LeaseImportRowCreate
}

type staged struct {
	kind   leaseimportrow.Kind
	action leaseimportrow.Action
}

// batch plans up to chunk leases and, unless the import is a dry run,
// stages what they change, in a transaction of its own (or the caller's).
func (w *writer) batch(ctx context.Context, root *ent.Client, leases []*Lease) error {
	if w.rep.DryRun {
		return w.planBatch(ctx, leases)
	}
	return ent.InTx(ctx, root, func(ctx context.Context, db *ent.Client) error {
		w.db = db
		if err := w.planBatch(ctx, leases); err != nil {
			return err
		}
		for part := range slices.Chunk(w.rows, stageChunk) {
			if err := db.LeaseImportRow.CreateBulk(part...).Exec(ctx); err != nil {
				return err
			}
		}
		w.rows = w.rows[:0]
		return nil
	})
}

// stageChunk bounds a staging insert's rows: each binds about 30
// parameters, and SQLite takes at most 32,766 in one statement.
const stageChunk = 250

func (w *writer) planBatch(ctx context.Context, leases []*Lease) error {
	if err := w.properties(ctx, leases); err != nil {
		return err
	}
	existing, err := w.existingLeases(ctx, leases)
	if err != nil {
		return err
	}
	for _, l := range leases {
		w.lease(l, existing[l.SourceID])
	}
	return nil
}

// stage queues one planned change (none in a dry run).
func (w *writer) stage(kind leaseimportrow.Kind, action leaseimportrow.Action) *ent.LeaseImportRowCreate {
	if w.staged == nil {
		w.staged = map[staged]int{}
	}
	w.staged[staged{kind, action}]++
	c := w.db.LeaseImportRow.Create().SetClientID(w.clientID).SetImportID(w.importID).SetKind(kind).SetAction(action)
	w.rows = append(w.rows, c)
	return c
}

// properties finds the batch's properties by tag (once per import) and
// plans the missing ones (tag, and name when the feed gives one; the
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
	for _, tag := range tags {
		if _, ok := w.propIDs[tag]; ok {
			continue
		}
		w.rep.PropertiesCreated++
		w.propIDs[tag] = 0
		if !w.rep.DryRun {
			w.stage(leaseimportrow.KindPROPERTY, leaseimportrow.ActionCREATE).SetPropertyTag(tag).SetName(names[tag])
		}
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

// lease plans one lease and stages what changes.
func (w *writer) lease(in *Lease, old *ent.Lease) {
	want := w.values(in)
	if old == nil {
		w.rep.LeasesCreated++
		w.rep.TenantsCreated += len(in.Tenants)
		if w.rep.DryRun {
			return
		}
		want.stage(w.stage(leaseimportrow.KindLEASE, leaseimportrow.ActionCREATE).SetSourceID(in.SourceID).SetPropertyTag(in.PropertyTag))
		for _, t := range in.Tenants {
			tenantStage(w.stage(leaseimportrow.KindTENANT, leaseimportrow.ActionCREATE).SetLeaseSourceID(in.SourceID), t)
		}
		return
	}
	changed := !want.equal(old)
	if changed && !w.rep.DryRun {
		want.stage(w.stage(leaseimportrow.KindLEASE, leaseimportrow.ActionUPDATE).
			SetTargetID(old.ID).SetSeenUpdatedAt(old.UpdatedAt).SetSourceID(in.SourceID).SetPropertyTag(in.PropertyTag))
	}
	switch {
	case w.syncTenants(old, in.Tenants) || changed:
		w.rep.LeasesUpdated++
	default:
		w.rep.LeasesUnchanged++
	}
}

// syncTenants matches the feed's tenants to the lease's and plans the
// creates, updates and deletes of the difference.
func (w *writer) syncTenants(l *ent.Lease, feed []Tenant) bool {
	pairs, gone := matchTenants(l.Edges.Tenants, feed)
	changed := len(gone) > 0
	for i, t := range feed {
		old := pairs[i]
		if old == nil {
			changed = true
			w.rep.TenantsCreated++
			if !w.rep.DryRun {
				tenantStage(w.stage(leaseimportrow.KindTENANT, leaseimportrow.ActionCREATE).SetLeaseID(l.ID), t)
			}
			continue
		}
		if tenantEqual(old, t) {
			continue
		}
		changed = true
		w.rep.TenantsUpdated++
		if !w.rep.DryRun {
			tenantStage(w.stage(leaseimportrow.KindTENANT, leaseimportrow.ActionUPDATE).SetTargetID(old.ID).SetSeenUpdatedAt(old.UpdatedAt), t)
		}
	}
	w.rep.TenantsDeleted += len(gone)
	if !w.rep.DryRun {
		for _, old := range l.Edges.Tenants {
			if slices.Contains(gone, old.ID) {
				w.stage(leaseimportrow.KindTENANT, leaseimportrow.ActionDELETE).SetTargetID(old.ID).SetSeenUpdatedAt(old.UpdatedAt)
			}
		}
	}
	return changed
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

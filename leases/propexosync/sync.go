// Package propexosync keeps a client's leases and tenants in step with its
// property-management system through Propexo (GET /v1/leases/,
// /v1/residents/, /v1/lease-transfers/).
//
// A pass reads the three lists in turn, a page at a time, and commits each
// page's rows together with its progress (the LeaseSync row), so a pass
// killed between pages resumes at the next page and an upsert repeated
// after a crash changes nothing. The first pass, and one every FullEvery,
// is full: it reads every record oldest first (created_at:asc, which new
// records only extend) and then marks the client's Propexo leases it did
// not see as removed. Other passes are incremental: newest change first
// (order-by=updated_at:desc, the extract's only way to ask for changes:
// it has no updated-since filter) until a record older than the last
// pass's newest one, less Overlap.
//
// It also owns each sync run's record (an IntegrationJob of kind
// LEASE_SYNC: QueueRun, RunAttempt, answering the queue a workflow
// outcome), Propexo's webhooks for the client (the registration,
// EnsureWebhook, and the signed deliveries' route, WebhookHandler) and the
// re-read of what an event changed (RefreshRecord).
package propexosync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/leasesync"
	"github.com/leasegraph/leasegraph/ent/predicate"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/internal/textlimit"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/viewer"
)

// Defaults of the Service's zero fields that are not settings. FullEvery
// and RunsKept are (PROPEXO_SYNC_FULL_EVERY, PROPEXO_SYNC_RUNS_KEPT): their
// defaults are the configuration table's alone.
const (
	DefaultPageSize = propexo.MaxPage
	DefaultOverlap  = 5 * time.Minute
)

// Service syncs leases from Propexo.
type Service struct {
	DB      *ent.Client
	Propexo *propexo.Client
	// PageSize is the page read from Propexo (1..250).
	PageSize int
	// FullEvery is how often a full pass (which finds removed leases)
	// replaces an incremental one; zero makes every pass full.
	FullEvery time.Duration
	// Overlap is read again below the high-water mark: Propexo's clock
	// and write order are not ours to trust to the second.
	Overlap time.Duration
	// RunsKept is how long an ended run (an IntegrationJob of kind
	// LEASE_SYNC) is kept: each run's end deletes the client's older ones.
	// Zero keeps every run.
	RunsKept time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Queue queues syncs for SyncNow; nil when no Propexo token is
	// configured.
	Queue Enqueuer
	// WebhookKey derives each client's webhook secret (WebhookSecret) and
	// PublicURL is this server's, the base of the webhook's URL: with both,
	// EnsureWebhook registers the client's webhook at Propexo.
	WebhookKey []byte
	PublicURL  string
	// Events records the lease events (lease.created, lease.updated,
	// lease.removed) in each page's transaction, and each run's end
	// (lease_sync.succeeded, lease_sync.failed) in the transaction that
	// writes it; nil records none.
	Events *events.Recorder
	// AfterPage, when set, is called after each page has committed, with
	// the count of pages committed by this run; an error ends the run
	// there. Tests use it to kill a run between pages.
	AfterPage func(pages int) error
}

// ErrNoIntegration means the client has no Propexo integration id.
var ErrNoIntegration = errors.New("propexosync: the client has no Propexo integration id")

// ErrPaused means Run stopped between pages because its context's deadline
// was too near for another page; the pass resumes at the next Run.
var ErrPaused = errors.New("propexosync: paused before the deadline")

// pageBudget is the time a page is given: with less left before the
// context's deadline, Run pauses rather than be cut off mid-page.
const pageBudget = 15 * time.Second

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) pageSize() int {
	if s.PageSize <= 0 || s.PageSize > propexo.MaxPage {
		return DefaultPageSize
	}
	return s.PageSize
}

// State returns the client's sync state, or nil before its first run. The
// viewer in ctx scopes it.
func (s *Service) State(ctx context.Context, clientID int) (*ent.LeaseSync, error) {
	st, err := ent.Current(ctx, s.DB).LeaseSync.Query().Where(leasesync.ClientID(clientID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return st, err
}

// Run runs the client's pass to its end, resuming one in progress. On an
// error the pass stays where its last page left it, the error is recorded
// on the state, and a later Run resumes.
func (s *Service) Run(ctx context.Context, clientID int) error {
	_, err := s.runPass(ctx, clientID)
	return err
}

// pass is what a run's end tells of the pass it ran or resumed, which the
// state no longer says once the pass has ended.
type pass struct {
	started     time.Time
	full, first bool
}

// runPass is Run, answering what it knows of the pass (zero when it did
// not get to one).
func (s *Service) runPass(ctx context.Context, clientID int) (pass, error) {
	ctx = viewer.SystemContext(ctx)
	c, err := s.DB.Company.Query().Where(company.ID(clientID)).Only(ctx)
	if err != nil {
		return pass{}, err
	}
	if c.PropexoIntegrationID == "" {
		return pass{}, ErrNoIntegration
	}
	st, err := s.start(ctx, clientID)
	if err != nil {
		return pass{}, err
	}
	p := pass{full: st.Full, first: firstSync(st)}
	if st.PassStartedAt != nil {
		p.started = *st.PassStartedAt
	}
	r := &run{Service: s, integration: c.PropexoIntegrationID, clientID: clientID, company: c}
	for pages := 1; st.Phase != leasesync.PhaseIDLE; pages++ {
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < pageBudget && pages > 1 {
			return p, ErrPaused
		}
		st, err = r.step(ctx, st)
		if err == nil && s.AfterPage != nil {
			err = s.AfterPage(pages)
		}
		if err != nil {
			s.fail(ctx, st.ID, err)
			return p, err
		}
	}
	return p, nil
}

// start loads the state and begins a pass when none is in progress.
func (s *Service) start(ctx context.Context, clientID int) (*ent.LeaseSync, error) {
	st, err := s.ensure(ctx, clientID)
	if err != nil {
		return nil, err
	}
	if st.Phase != leasesync.PhaseIDLE {
		return st, nil
	}
	now := s.now()
	full := st.LastFullAt == nil || now.Sub(*st.LastFullAt) >= s.FullEvery
	return st.Update().SetPhase(leasesync.PhaseLEASES).SetFull(full).SetPageOffset(0).SetPassStartedAt(now).
		ClearPassNewest().SetLeasesSynced(0).SetTenantsSynced(0).SetLeasesRemoved(0).SetRecordsSkipped(0).
		SetLastError("").Save(ctx)
}

// ensure returns the client's state, created idle on first use.
func (s *Service) ensure(ctx context.Context, clientID int) (*ent.LeaseSync, error) {
	st, err := s.State(ctx, clientID)
	if err != nil || st != nil {
		return st, err
	}
	st, err = s.DB.LeaseSync.Create().SetClientID(clientID).Save(ctx)
	if ent.IsConstraintError(err) {
		// Created meanwhile (a webhook's job, the periodic one): use it.
		return s.DB.LeaseSync.Query().Where(leasesync.ClientID(clientID)).Only(ctx)
	}
	return st, err
}

// SetNextRun records when the client's next periodic sync is due.
func (s *Service) SetNextRun(ctx context.Context, clientID int, at time.Time) error {
	ctx = viewer.SystemContext(ctx)
	st, err := s.ensure(ctx, clientID)
	if err != nil {
		return err
	}
	return st.Update().SetNextRunAt(at).Exec(ctx)
}

// fail records err on the state; the pass stays where it is.
func (s *Service) fail(ctx context.Context, id int, err error) {
	_ = s.DB.LeaseSync.UpdateOneID(id).SetLastError(textlimit.ErrorText(err.Error())).SetLastRunAt(s.now()).Exec(context.WithoutCancel(ctx))
}

func cmp[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// run is one Run's fixed facts, and the leases its transaction in
// progress follows for their events.
type run struct {
	*Service
	integration string
	clientID    int
	// company is the client as the run began: its status sets say which
	// way a lease moves (leases.HeadingOf).
	company *ent.Company
	ch      *changes
}

// page is what one list page yields for the phase's bookkeeping.
type page struct {
	n       int       // records read
	hasMore bool      // the list goes on
	newest  time.Time // newest updated_at on the page
	oldest  time.Time // oldest updated_at on the page
}

// step reads and commits one page of the current phase, and moves to the
// next phase when the list is exhausted (or, incrementally, reaches
// records the last pass saw).
func (r *run) step(ctx context.Context, st *ent.LeaseSync) (*ent.LeaseSync, error) {
	q := propexo.ListQuery{IntegrationID: r.integration, Offset: st.PageOffset, Limit: r.pageSize(), OrderBy: "created_at:asc"}
	if !st.Full {
		q.OrderBy = "updated_at:desc"
	}
	var since *time.Time
	var fetch func(context.Context, *ent.Client, *ent.LeaseSyncUpdateOne) (page, error)
	switch st.Phase {
	case leasesync.PhaseLEASES:
		since = st.LeasesSince
		p, err := r.Propexo.ListLeases(ctx, q)
		if err != nil {
			return st, err
		}
		results := p.Results
		if st.Full && !p.HasMore {
			listed, err := r.stillListed(ctx, st, p.Results)
			if err != nil {
				return st, err
			}
			results = append(results, listed...)
		}
		fetch = func(ctx context.Context, db *ent.Client, u *ent.LeaseSyncUpdateOne) (page, error) {
			pg, err := r.leases(ctx, db, *st.PassStartedAt, u, results)
			pg.hasMore = p.HasMore
			return pg, err
		}
	case leasesync.PhaseRESIDENTS:
		since = st.ResidentsSince
		p, err := r.Propexo.ListResidents(ctx, q)
		if err != nil {
			return st, err
		}
		fetch = func(ctx context.Context, db *ent.Client, u *ent.LeaseSyncUpdateOne) (page, error) {
			return r.residents(ctx, db, u, p)
		}
	case leasesync.PhaseTRANSFERS:
		since = st.TransfersSince
		p, err := r.Propexo.ListLeaseTransfers(ctx, q)
		if err != nil {
			return st, err
		}
		fetch = func(ctx context.Context, db *ent.Client, u *ent.LeaseSyncUpdateOne) (page, error) {
			return r.transfers(ctx, db, u, p)
		}
	default:
		return st, fmt.Errorf("propexosync: unknown phase %q", st.Phase)
	}
	var out *ent.LeaseSync
	err := ent.InTx(ctx, r.DB, func(ctx context.Context, db *ent.Client) error {
		r.ch = r.changes(firstSync(st))
		u := db.LeaseSync.UpdateOneID(st.ID)
		pg, err := fetch(ctx, db, u)
		if err != nil {
			return err
		}
		newest := st.PassNewest
		if pg.n > 0 && (newest == nil || pg.newest.After(*newest)) {
			newest = &pg.newest
		}
		// Incrementally, a page reaching below the high-water mark ends
		// the phase: what follows was seen by the last pass.
		reached := !st.Full && since != nil && pg.n > 0 && pg.oldest.Before(since.Add(-cmp(r.Overlap, DefaultOverlap)))
		if pg.hasMore && !reached {
			u.SetPageOffset(st.PageOffset + pg.n)
			if newest != nil {
				u.SetPassNewest(*newest)
			}
		} else if err := r.endPhase(ctx, db, st, u, newest); err != nil {
			return err
		}
		if err := r.ch.raise(ctx, db); err != nil {
			return err
		}
		out, err = u.Save(ctx)
		return err
	})
	if err != nil {
		return st, err
	}
	return out, nil
}

// maxVerify bounds the leases a full pass looks up one by one before
// marking them removed.
const maxVerify = 100

// stillListed looks up, one by one, the leases a full pass is about to
// mark removed (not seen by it, nor on its last page). Offset paging
// misses a record whenever one already read is deleted mid-pass (the rest
// shift back under the offset), and a missed lease must not be taken for
// gone. Past maxVerify candidates the list is trusted: a mass deletion at
// the PMS, and as many look-ups would spend the rate limit for an hour.
func (r *run) stillListed(ctx context.Context, st *ent.LeaseSync, last []propexo.Lease) ([]propexo.Lease, error) {
	onPage := make([]string, len(last))
	for i := range last {
		onPage[i] = last[i].ID
	}
	cands, err := r.DB.Lease.Query().Where(lease.ClientID(r.clientID), lease.SourceEQ(lease.SourcePROPEXO), lease.RemovedAtIsNil(),
		lease.Or(lease.PropexoSeenAtIsNil(), lease.PropexoSeenAtLT(*st.PassStartedAt)), lease.PropexoIDNotIn(onPage...)).
		Limit(maxVerify + 1).Select(lease.FieldPropexoID).All(viewer.SystemContext(ctx))
	if err != nil || len(cands) > maxVerify {
		return nil, err
	}
	var out []propexo.Lease
	for _, c := range cands {
		l, err := r.Propexo.GetLease(ctx, *c.PropexoID)
		var api *propexo.APIError
		switch {
		case errors.As(err, &api) && api.StatusCode == http.StatusBadRequest:
			continue // gone: a 400 is the only error the extract documents for GET /v1/leases/{lease_id}
		case err != nil:
			return nil, err
		case l.IntegrationID == r.integration:
			out = append(out, *l)
		}
	}
	return out, nil
}

// endPhase records the phase's high-water mark and moves on; the end of
// the leases of a full pass marks the leases it did not see.
func (r *run) endPhase(ctx context.Context, db *ent.Client, st *ent.LeaseSync, u *ent.LeaseSyncUpdateOne, newest *time.Time) error {
	u.SetPageOffset(0).ClearPassNewest()
	now := r.now()
	switch st.Phase {
	case leasesync.PhaseLEASES:
		if newest != nil {
			u.SetLeasesSince(*newest)
		}
		if st.Full {
			gone := []predicate.Lease{lease.ClientID(r.clientID), lease.SourceEQ(lease.SourcePROPEXO), lease.RemovedAtIsNil(),
				lease.Or(lease.PropexoSeenAtIsNil(), lease.PropexoSeenAtLT(*st.PassStartedAt))}
			if err := r.ch.watch(ctx, db, gone...); err != nil {
				return err
			}
			n, err := db.Lease.Update().Where(gone...).SetRemovedAt(now).Save(ctx)
			if err != nil {
				return err
			}
			u.SetLeasesRemoved(n)
		}
		u.SetPhase(leasesync.PhaseRESIDENTS)
	case leasesync.PhaseRESIDENTS:
		if newest != nil {
			u.SetResidentsSince(*newest)
		}
		u.SetPhase(leasesync.PhaseTRANSFERS)
	case leasesync.PhaseTRANSFERS:
		if newest != nil {
			u.SetTransfersSince(*newest)
		}
		u.SetPhase(leasesync.PhaseIDLE).SetLastRunAt(now).SetLastSuccessAt(now).ClearPassStartedAt().SetFull(false)
		if st.Full {
			u.SetLastFullAt(now)
		}
		if st.RecordsSkipped == 0 {
			u.SetLastError("")
		}
	}
	return nil
}

// skip counts a record that cannot be stored and names it in last_error;
// the pass goes on.
func skip(u *ent.LeaseSyncUpdateOne, kind, id, why string) {
	u.AddRecordsSkipped(1).SetLastError(fmt.Sprintf("%s %s skipped: %s", kind, id, why))
}

// Enqueuer queues a client's sync (jobs.Queue): in tx, and reporting false
// when one is already waiting or running.
type Enqueuer interface {
	// EnqueueLeaseSync queues run jobID (its IntegrationJob) of the client.
	EnqueueLeaseSync(ctx context.Context, tx *sql.Tx, clientID, jobID int) (bool, error)
	// EnqueueRecordRefresh queues the re-read of the record a webhook
	// named (model: ModelLeases, ModelResidents, ModelLeaseTransfers),
	// once per event.
	EnqueueRecordRefresh(ctx context.Context, clientID int, model, recordID, eventID string) (bool, error)
}

// SyncNow queues a sync of the client for a viewer with the write scope who
// can see the client, and returns whether a new one was queued (false: one
// is already waiting or running), the client's state, and the run queued or
// joined. It runs in the transaction of ctx (a mutation's) or its own, so
// the job and its row exist exactly when the request succeeded.
func (s *Service) SyncNow(ctx context.Context, clientID int) (bool, *ent.LeaseSync, *ent.IntegrationJob, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return false, nil, nil, apperr.Unauthenticated("syncing leases needs a viewer")
	}
	if !v.Has(viewer.ScopeWrite) {
		return false, nil, nil, apperr.Forbidden("syncing leases needs the write scope")
	}
	var queued bool
	var st *ent.LeaseSync
	var run *ent.IntegrationJob
	err := ent.InTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) error {
		c, err := db.Company.Query().Where(company.ID(clientID)).Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.NotFound("client")
		} else if err != nil {
			return err
		}
		if c.PropexoIntegrationID == "" {
			return apperr.BadInput("clientId", "the client has no Propexo integration id: nothing to sync from")
		}
		if s.Queue == nil {
			return &apperr.Error{Code: apperr.CodeUnavailable, Message: "no Propexo token is configured: leases cannot be synced"}
		}
		// The viewer could see the client: the row is written as the system
		// (a client's token cannot create integration jobs itself).
		queued, run, err = s.QueueRun(ctx, clientID, func(ctx context.Context, tx *sql.Tx, jobID int) (bool, error) {
			return s.Queue.EnqueueLeaseSync(ctx, tx, clientID, jobID)
		})
		if err != nil {
			return err
		}
		st, err = db.LeaseSync.Query().Where(leasesync.ClientID(clientID)).Only(ctx)
		if ent.IsNotFound(err) {
			st, err = nil, nil
		}
		return err
	})
	return queued, st, run, err
}

// RefreshLease re-reads one lease from Propexo, as a webhook asks
// (RefreshRecord of ModelLeases).
func (s *Service) RefreshLease(ctx context.Context, clientID int, leaseID string) error {
	return s.RefreshRecord(ctx, clientID, ModelLeases, leaseID)
}

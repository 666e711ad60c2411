package propexosync

// Each sync run of a client is an IntegrationJob of kind LEASE_SYNC, so a
// failing sync shows where the client's other partner work does (status,
// attempts, lastError, nextAttemptAt). The job row is the run's record
// only: the pass's position and counts stay on LeaseSync.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/ent/leasesync"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/internal/integrationstatus"
	"github.com/leasegraph/leasegraph/internal/textlimit"
	"github.com/leasegraph/leasegraph/internal/workflow"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/viewer"
)

// InsertRun queues the River job of run jobID in tx and reports false when
// a run of the client is already waiting or running (River's uniqueness).
type InsertRun func(ctx context.Context, tx *sql.Tx, jobID int) (bool, error)

// QueueRun records a QUEUED run of the client and queues it with insert,
// in the transaction of ctx or its own, so the row exists exactly when the
// job does. When insert joins a run already waiting or running, the new row
// is dropped and that run's row, the client's newest, is returned with
// false (it may have just ended: River marks a job done a moment after
// its work returns).
func (s *Service) QueueRun(ctx context.Context, clientID int, insert InsertRun) (bool, *ent.IntegrationJob, error) {
	ctx = viewer.SystemContext(ctx)
	var queued bool
	var ij *ent.IntegrationJob
	err := ent.InTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) error {
		c := db.IntegrationJob.Create().SetClientID(clientID).SetKind(integrationjob.KindLEASE_SYNC)
		if err := integrationstatus.Initial(c, integrationjob.StatusQUEUED); err != nil {
			return err
		}
		row, err := c.Save(ctx)
		if err != nil {
			return err
		}
		tx, err := ent.SQLTx(db)
		if err != nil {
			return err
		}
		if queued, err = insert(ctx, tx, row.ID); err != nil {
			return err
		}
		if queued {
			ij = row
			return nil
		}
		if err := db.IntegrationJob.DeleteOne(row).Exec(ctx); err != nil {
			return err
		}
		ij, err = db.IntegrationJob.Query().Where(integrationjob.ClientID(clientID), integrationjob.KindEQ(integrationjob.KindLEASE_SYNC)).
			Order(ent.Desc(integrationjob.FieldID)).First(ctx)
		if ent.IsNotFound(err) {
			ij, err = nil, nil
		}
		return err
	})
	return queued, ij, err
}

// QueueAll queues a run of every client with a Propexo integration (the
// periodic sync), each with insert, and records next as when the next one
// is due.
func (s *Service) QueueAll(ctx context.Context, next time.Time, insert func(ctx context.Context, tx *sql.Tx, clientID, jobID int) (bool, error)) error {
	ctx = viewer.SystemContext(ctx)
	ids, err := s.DB.Company.Query().Where(company.PropexoIntegrationIDNotNil(), company.PropexoIntegrationIDNEQ("")).IDs(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.SetNextRun(ctx, id, next); err != nil {
			return err
		}
		_, _, err := s.QueueRun(ctx, id, func(ctx context.Context, tx *sql.Tx, jobID int) (bool, error) {
			return insert(ctx, tx, id, jobID)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// activeRun is the client's newest run not yet final, or nil.
func activeRun(ctx context.Context, db *ent.Client, clientID int) (*ent.IntegrationJob, error) {
	ij, err := db.IntegrationJob.Query().Where(integrationjob.ClientID(clientID), integrationjob.KindEQ(integrationjob.KindLEASE_SYNC),
		integrationjob.StatusIn(integrationjob.StatusQUEUED, integrationjob.StatusSENT)).
		Order(ent.Desc(integrationjob.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return ij, err
}

// RunAttempt runs attempt at of run jobID of the client (Run: the pass,
// resumed where the last attempt left it) and records it on the run's
// row: SENT while it runs, then SUCCEEDED, QUEUED with the wait or with
// the error while it waits or awaits its retry, or FAILED when out of
// attempts or with nothing to sync from. It returns the row's id, on which
// the queue records its retry time (RetryAt).
func (s *Service) RunAttempt(ctx context.Context, clientID, jobID int, at workflow.Attempt) (int, workflow.Outcome) {
	runID, err := s.startRun(ctx, clientID, jobID, at.Failures+1)
	if err != nil {
		return 0, workflow.Retry(err)
	}
	p, err := s.runPass(ctx, clientID)
	wait, limited := propexo.RetryAfter(err)
	switch {
	case err == nil:
		return runID, s.endRun(ctx, runID, p, runSucceeded, nil, time.Time{}, workflow.Done())
	case errors.Is(err, ErrNoIntegration), ent.IsNotFound(err):
		return runID, s.endRun(ctx, runID, p, runFailed, err, time.Time{}, workflow.Cancel(err))
	case errors.Is(err, ErrPaused):
		// Not a failure: the next attempt continues at once.
		return runID, s.endRun(ctx, runID, p, runWaiting, nil, time.Now().Add(time.Second), workflow.Snooze(time.Second))
	case limited:
		// The budget shared with deliveries is spent: wait, don't fail
		// (the queue waits what the limit asks, as the row says).
		return runID, s.endRun(ctx, runID, p, runWaiting, nil, time.Now().Add(wait), workflow.Retry(err))
	}
	if at.Last {
		return runID, s.endRun(ctx, runID, p, runFailed, fmt.Errorf("gave up after %d attempts: %w", at.Failures+1, err), time.Time{}, workflow.Retry(err))
	}
	// The queue records its retry time as it schedules it (RetryAt).
	return runID, s.endRun(ctx, runID, p, runRetrying, err, time.Time{}, workflow.Retry(err))
}

// startRun marks run jobID of the client as running (SENT) for its
// attempt-th attempt, and returns the row's id. A run queued without a row
// (jobID 0: a job queued before runs had rows) takes the client's run not
// yet final, which its earlier attempt made (River runs one sync of a
// client at a time), or a new one; so does a job whose run has ended (run
// once more: River lost its completion), which is a run of its own.
func (s *Service) startRun(ctx context.Context, clientID, jobID, attempt int) (int, error) {
	ctx = viewer.SystemContext(ctx)
	now := s.now()
	if jobID == 0 {
		run, err := activeRun(ctx, s.DB, clientID)
		if err != nil {
			return 0, err
		}
		if run != nil {
			jobID = run.ID
		}
	}
	if jobID != 0 {
		run, err := s.DB.IntegrationJob.Query().Where(integrationjob.ID(jobID), integrationjob.ClientID(clientID),
			integrationjob.KindEQ(integrationjob.KindLEASE_SYNC)).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return 0, err
		}
		if run != nil && integrationstatus.Allowed(run.Kind, run.Status, integrationjob.StatusSENT) {
			u := s.DB.IntegrationJob.UpdateOne(run).SetAttempts(attempt).SetSentAt(now).ClearNextAttemptAt()
			if err := integrationstatus.Set(u, run, integrationjob.StatusSENT); err != nil {
				return 0, err
			}
			if err := u.Exec(ctx); !ent.IsNotFound(err) {
				return jobID, err
			}
		}
	}
	c := s.DB.IntegrationJob.Create().SetClientID(clientID).SetKind(integrationjob.KindLEASE_SYNC).
		SetAttempts(attempt).SetSentAt(now)
	if err := integrationstatus.Initial(c, integrationjob.StatusSENT); err != nil {
		return 0, err
	}
	row, err := c.Save(ctx)
	if err != nil {
		return 0, err
	}
	return row.ID, nil
}

// runEnd is how a run's attempt ended, for recordEnd.
type runEnd int

// The ends of an attempt.
const (
	// runSucceeded: the pass finished.
	runSucceeded runEnd = iota
	// runWaiting: the attempt stopped without failing (a pause before the
	// job's deadline, Propexo's rate limit) and goes on at the next time.
	runWaiting
	// runRetrying: the attempt failed and the queue retries it at the next
	// time.
	runRetrying
	// runFailed: the run failed for good (out of attempts, or nothing to
	// sync from).
	runFailed
)

// endRun records the end of an attempt and returns then, what follows it.
// When the end cannot be recorded, a wait still stands (the next attempt
// writes the row again); anything else is retried with the error.
func (s *Service) endRun(ctx context.Context, jobID int, p pass, end runEnd, err error, next time.Time, then workflow.Outcome) workflow.Outcome {
	e := s.recordEnd(ctx, jobID, p, end, err, next)
	switch {
	case e == nil, then.Action == workflow.ActionSnooze:
		return then
	case then.Action == workflow.ActionCancel:
		return workflow.Cancel(errors.Join(then.Err, e))
	}
	return workflow.Retry(errors.Join(then.Err, e))
}

// recordEnd records the end of an attempt of run jobID, which ran or
// resumed pass p: err (redacted) as its lastError unless it succeeded, and
// next as nextAttemptAt while it waits. A run's final end and its event
// (lease_sync.succeeded or lease_sync.failed) commit together.
func (s *Service) recordEnd(ctx context.Context, jobID int, p pass, out runEnd, err error, next time.Time) error {
	if jobID == 0 {
		return nil
	}
	ctx = viewer.SystemContext(context.WithoutCancel(ctx))
	return ent.InTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) error {
		return s.writeEnd(ctx, db, jobID, p, out, err, next)
	})
}

func (s *Service) writeEnd(ctx context.Context, db *ent.Client, jobID int, p pass, out runEnd, err error, next time.Time) error {
	run, e := db.IntegrationJob.Get(ctx, jobID)
	if ent.IsNotFound(e) {
		return nil // deleted with its client
	}
	if e != nil {
		return e
	}
	if out == runSucceeded || out == runFailed {
		// Before the end is recorded, so that whoever sees it sees the
		// pruned list.
		if err := s.pruneRuns(ctx, db, run.ClientID); err != nil {
			return err
		}
	}
	u := db.IntegrationJob.UpdateOne(run)
	to := integrationjob.StatusQUEUED
	switch out {
	case runSucceeded:
		to = integrationjob.StatusSUCCEEDED
		u.SetLastError("").ClearNextAttemptAt()
	case runWaiting:
		u.SetNextAttemptAt(next.UTC())
	case runRetrying:
		u.SetLastError(errorText(err))
		if !next.IsZero() {
			u.SetNextAttemptAt(next.UTC())
		}
	case runFailed:
		to = integrationjob.StatusFAILED
		u.SetLastError(errorText(err)).ClearNextAttemptAt()
	}
	if e := integrationstatus.Set(u, run, to); e != nil {
		return e
	}
	ended, e := u.Save(ctx)
	if ent.IsNotFound(e) {
		return nil // deleted with its client
	}
	if e != nil || run.Status == to {
		return e
	}
	switch to {
	case integrationjob.StatusSUCCEEDED:
		return s.recordRun(ctx, db, ended, p, events.LeaseSyncSucceeded)
	case integrationjob.StatusFAILED:
		p.first = false // first is the first sync that succeeded
		return s.recordRun(ctx, db, ended, p, events.LeaseSyncFailed)
	}
	return nil
}

// runData is a lease sync run's event data: the run, and the counts of the
// pass it ran, which the client's LeaseSync keeps until the next pass.
type runData struct {
	Status         integrationjob.Status `json:"status"`
	Kind           integrationjob.Kind   `json:"kind"`
	Attempts       int                   `json:"attempts"`
	LastError      string                `json:"last_error"`
	StartedAt      time.Time             `json:"started_at"`
	FinishedAt     time.Time             `json:"finished_at"`
	First          bool                  `json:"first"`
	Full           bool                  `json:"full"`
	LeasesSynced   int                   `json:"leases_synced"`
	TenantsSynced  int                   `json:"tenants_synced"`
	LeasesRemoved  int                   `json:"leases_removed"`
	RecordsSkipped int                   `json:"records_skipped"`
}

// recordRun records run's end as an event of type t.
func (s *Service) recordRun(ctx context.Context, db *ent.Client, run *ent.IntegrationJob, p pass, t events.Type) error {
	// The run began when it was first sent, or queued; a pass resumed
	// from an earlier run or attempt began earlier still, and the leases
	// it wrote are those updated since it began.
	started := run.CreatedAt
	if run.SentAt != nil {
		started = *run.SentAt
	}
	if !p.started.IsZero() && p.started.Before(started) {
		started = p.started
	}
	d := runData{Status: run.Status, Kind: run.Kind, Attempts: run.Attempts, LastError: run.LastError,
		StartedAt: started.UTC(), FinishedAt: s.now(), First: p.first, Full: p.full}
	st, err := db.LeaseSync.Query().Where(leasesync.ClientID(run.ClientID)).Only(ctx)
	switch {
	case err == nil:
		d.LeasesSynced, d.TenantsSynced, d.LeasesRemoved, d.RecordsSkipped = st.LeasesSynced, st.TenantsSynced, st.LeasesRemoved, st.RecordsSkipped
	case !ent.IsNotFound(err):
		return err
	}
	_, err = s.Events.Record(ctx, events.Event{Type: t, ClientID: run.ClientID, ObjectType: "IntegrationJob", ObjectID: run.ID, Data: d})
	return err
}

// pruneRuns deletes the ended runs of the client created more than
// RunsKept ago. A run is queued every sync period (96 a day at 15
// minutes), so without this a client's runs grow by tens of thousands a
// year that nobody reads. One indexed DELETE per run (client_id, kind,
// created_at); runs not yet ended are kept whatever their age, and every
// run when RunsKept is zero.
func (s *Service) pruneRuns(ctx context.Context, db *ent.Client, clientID int) error {
	if s.RunsKept <= 0 {
		return nil
	}
	_, err := db.IntegrationJob.Delete().Where(integrationjob.ClientID(clientID), integrationjob.KindEQ(integrationjob.KindLEASE_SYNC),
		integrationjob.CreatedAtLT(s.now().Add(-s.RunsKept)),
		integrationjob.StatusIn(integrationjob.StatusSUCCEEDED, integrationjob.StatusFAILED)).Exec(ctx)
	return err
}

// RetryAt records when the queue retries run jobID.
func (s *Service) RetryAt(ctx context.Context, jobID int, at time.Time) error {
	return s.DB.IntegrationJob.UpdateOneID(jobID).SetNextAttemptAt(at.UTC()).Exec(viewer.SystemContext(ctx))
}

// errorText is what a run shows of err: the propexo client keeps its token
// out of errors, and Propexo's messages name records, not secrets.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	return textlimit.ErrorText(err.Error())
}

package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/viewer"
)

// demoSyncWait bounds demo mode's wait for its first sync: the simulator is
// in process, so a sync still running after it is a fault to report.
const demoSyncWait = 2 * time.Minute

// awaitLeaseSync queues a sync of the client through the job queue, as
// syncLeasesNow does (joining one the periodic sync queued), and waits for
// its run to end: demo mode's leases are there before it says it listens.
func (a *app) awaitLeaseSync(ctx context.Context, clientID int) error {
	if a.leaseSync == nil || a.leaseSync.Queue == nil {
		return errors.New("the lease sync is not running")
	}
	q := a.leaseSync.Queue
	_, run, err := a.leaseSync.QueueRun(ctx, clientID, func(ctx context.Context, tx *sql.Tx, jobID int) (bool, error) {
		return q.EnqueueLeaseSync(ctx, tx, clientID, jobID)
	})
	if err != nil || run == nil {
		return err
	}
	ctx = viewer.SystemContext(ctx)
	deadline := time.Now().Add(demoSyncWait)
	for {
		j, err := a.client.IntegrationJob.Get(ctx, run.ID)
		if err != nil {
			return err
		}
		switch j.Status {
		case integrationjob.StatusSUCCEEDED:
			return nil
		case integrationjob.StatusFAILED:
			return fmt.Errorf("the sync failed: %s", j.LastError)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the sync has not ended after %s (%s, last error %q)", demoSyncWait, j.Status, j.LastError)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

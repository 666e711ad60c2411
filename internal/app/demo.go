package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/leasegraph/leasegraph/demo"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/internal/observe"
	"github.com/leasegraph/leasegraph/viewer"
)

// seedDemo seeds the demo client (a restart adds nothing) and logs its
// token. Its leases arrive through a lease sync from the Propexo
// simulator, awaited here so they are there before the server listens.
func (a *App) seedDemo(ctx context.Context) error {
	var sync demo.Syncer // a real Propexo account has no demo records: Seed's own simulator
	if a.partners.propexo != nil {
		sync = a.awaitLeaseSync
	}
	token, err := demo.Seed(ctx, a.client, a.Services.Prospects, a.cfg.DemoToken,
		[]string{"http://localhost:" + a.cfg.Port, "http://127.0.0.1:" + a.cfg.Port}, sync)
	if err != nil {
		return err
	}
	a.demoToken = token
	v, err := a.Services.Tenancy.Authenticate(ctx, token)
	if err != nil {
		return err
	}
	if err := a.registerDemoReceiver(ctx, v.ClientID); err != nil {
		return fmt.Errorf("registering the demo webhook receiver: %w", err)
	}
	// The one log line that ever carries a token: the demo's, on purpose.
	a.log.Info("demo token: send it as Authorization: Bearer <token> (pre-filled in the playground)", "token", observe.Unredacted(token))
	return nil
}

// errNoSync is awaitLeaseSync's answer when nothing syncs.
var errNoSync = errors.New("the lease sync is not running")

// demoSyncWait bounds demo mode's wait for its first sync: the simulator is
// in process, so a sync still running after it is a fault to report.
const demoSyncWait = 2 * time.Minute

// awaitLeaseSync queues a sync of the client through the job queue, as
// syncLeasesNow does (joining one the periodic sync queued), and waits for
// its run to end: demo mode's leases are there before it says it listens.
func (a *App) awaitLeaseSync(ctx context.Context, clientID int) error {
	sync := a.Services.LeaseSync
	if sync.Queue == nil || !a.works {
		return errNoSync
	}
	q := a.Queue
	_, run, err := sync.QueueRun(ctx, clientID, func(ctx context.Context, tx *sql.Tx, jobID int) (bool, error) {
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

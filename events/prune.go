package events

import (
	"context"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/event"
	"github.com/leasegraph/leasegraph/viewer"
)

// pruneBatch bounds one DELETE: a month of a busy client's events at once
// would hold SQLite's one connection for the whole statement.
const pruneBatch = 1000

// Prune deletes every client's events older than keep, with their
// deliveries and attempts (the foreign keys cascade), a batch at a time,
// and answers how many went.
func Prune(ctx context.Context, db *ent.Client, keep time.Duration, now time.Time) (int, error) {
	sys := viewer.SystemContext(ctx)
	cutoff := now.Add(-keep)
	total := 0
	for {
		ids, err := db.Event.Query().Where(event.CreatedAtLT(cutoff)).Limit(pruneBatch).IDs(sys)
		if err != nil || len(ids) == 0 {
			return total, err
		}
		n, err := db.Event.Delete().Where(event.IDIn(ids...)).Exec(sys)
		total += n
		if err != nil {
			return total, err
		}
		if len(ids) < pruneBatch {
			return total, nil
		}
	}
}

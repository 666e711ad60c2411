// Package jobs is the background work, as River jobs in the same database as
// the data, so a write and the job that follows it up commit in one
// transaction: durable outbound delivery to Propexo and invitation SMSs
// through Twilio (workers retry with
// backoff; their visible state is the IntegrationJob row, never the River
// job), and SmartMove refreshes (one after each postback that moves an
// application, and a periodic one run by the elected leader).
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// queueName is the queue partner deliveries run in.
const queueName = "partners"

// Config configures the queue.
type Config struct {
	DB      *sql.DB
	Dialect string // dialect.SQLite or dialect.Postgres
	Logger  *slog.Logger
	// Workers run delivery and screening refreshes; nil makes an
	// insert-only client.
	Workers *river.Workers
	// PeriodicJobs are inserted on schedule by the elected leader only, so
	// once across all instances (AddScreening's refresh).
	PeriodicJobs []*river.PeriodicJob
	// PollInterval is how often idle workers look for jobs: the
	// database/sql drivers poll (no LISTEN).
	PollInterval time.Duration
	// RetryBase and RetryMax shape the backoff after a failed attempt:
	// RetryBase * 2^(attempt-1), at most RetryMax.
	RetryBase, RetryMax time.Duration
	// Concurrency is how many deliveries run at once.
	Concurrency int
	// Sync says Workers hold the lease sync workers (AddLeaseSync): only
	// then does this client fetch from the lease_sync queue.
	Sync bool
	// Deliver says Workers hold the delivery worker: only then does this
	// client fetch from the partners queue. A client without it would take
	// deliveries it cannot run and fail them as jobs of an unknown kind.
	Deliver bool
	// SendSMS says Workers hold the SMS worker: only then does this client
	// fetch from the SMS queue, for the same reason.
	SendSMS bool
	// JobTimeout cancels one attempt's context after this long (default
	// 1 min). RescueAfter, which must be longer, is when a job still marked
	// running is taken to belong to a dead process (kill -9, a lost host)
	// and is scheduled again (default 5 min; River's own is an hour). A
	// rescued run resumes from the IntegrationJob's state, so rescuing a
	// job whose process is in fact alive costs duplicate requests: a send in
	// flight is found at Propexo by its marker (DeliveryWorker's
	// reconciliation) rather than sent again.
	JobTimeout, RescueAfter time.Duration
	// Middleware runs around inserts and work (the traces').
	Middleware []rivertype.Middleware
}

// Queue is the River client.
type Queue struct {
	River *river.Client[*sql.Tx]
	// started is set once Start has succeeded: River's Stopped channel
	// means nothing before.
	started atomic.Bool
}

func driver(cfg Config) riverdriver.Driver[*sql.Tx] {
	if cfg.Dialect == dialect.SQLite {
		return riversqlite.New(cfg.DB)
	}
	return riverdatabasesql.New(cfg.DB)
}

// ErrSchema is returned by New when River's tables are missing or older
// than the River this binary runs.
var ErrSchema = errors.New("the job queue's tables (River's) are not current")

// checkSchema fails unless River's tables are at the last version of River's
// migrations: they come from the project's migrations (server migrate, or
// LEASEGRAPH_MIGRATE=auto at start-up), never from here, so that
// LEASEGRAPH_MIGRATE=off leaves River's tables alone too. Without the check
// a missing table shows up only once River's first query fails, inside its
// own loops.
func checkSchema(ctx context.Context, cfg Config) error {
	m, err := rivermigrate.New(driver(cfg), &rivermigrate.Config{Logger: quiet(cfg.Logger)})
	if err != nil {
		return err
	}
	applied, err := m.ExistingVersions(ctx)
	if err != nil {
		return fmt.Errorf("reading River's migration versions: %w", err)
	}
	all := m.AllVersions()
	want := all[len(all)-1].Version
	if len(applied) == 0 {
		return fmt.Errorf("%w: they are missing (River needs its migrations up to version %d); run `server migrate`, or start with LEASEGRAPH_MIGRATE=auto", ErrSchema, want)
	}
	if have := applied[len(applied)-1].Version; have < want {
		return fmt.Errorf("%w: they are at River's version %d, and this River needs version %d; run `server migrate`, or start with LEASEGRAPH_MIGRATE=auto", ErrSchema, have, want)
	}
	return nil
}

// New returns the queue once River's tables are found current (ErrSchema
// otherwise); Start it to work jobs.
func New(ctx context.Context, cfg Config) (*Queue, error) {
	if err := checkSchema(ctx, cfg); err != nil {
		return nil, err
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 10
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = time.Minute
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = 5 * time.Minute
	}
	rc := &river.Config{
		Logger:               quiet(cfg.Logger),
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        min(cfg.PollInterval, 100*time.Millisecond),
		RetryPolicy:          newBackoff(cfg.RetryBase, cfg.RetryMax),
		MaxAttempts:          maxAttempts,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		Middleware:           cfg.Middleware,
	}
	if cfg.Workers != nil {
		rc.Workers = cfg.Workers
		rc.Queues = map[string]river.QueueConfig{screeningQueue: {MaxWorkers: screeningConcurrency}}
		if cfg.Deliver {
			rc.Queues[queueName] = river.QueueConfig{MaxWorkers: cfg.Concurrency}
		}
		if cfg.SendSMS {
			rc.Queues[smsQueue] = river.QueueConfig{MaxWorkers: cfg.Concurrency}
		}
		if cfg.Sync {
			rc.Queues[syncQueue] = river.QueueConfig{MaxWorkers: syncConcurrency}
		}
		rc.PeriodicJobs = cfg.PeriodicJobs
	}
	c, err := river.NewClient(driver(cfg), rc)
	if err != nil {
		return nil, err
	}
	return &Queue{River: c}, nil
}

// Start works jobs until Stop.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.River.Start(ctx); err != nil {
		return err
	}
	q.started.Store(true)
	return nil
}

// ErrNotRunning is Running's answer for a queue that works no jobs.
var ErrNotRunning = errors.New("the job workers are not running")

// Running answers nil while the workers work jobs: started, not stopped.
func (q *Queue) Running() error {
	if !q.started.Load() {
		return fmt.Errorf("%w: never started", ErrNotRunning)
	}
	select {
	case <-q.River.Stopped():
		return fmt.Errorf("%w: stopped", ErrNotRunning)
	default:
		return nil
	}
}

// Stop finishes the jobs in hand and stops.
func (q *Queue) Stop(ctx context.Context) error { return q.River.Stop(ctx) }

// maxAttempts bounds failed attempts of one delivery (snoozes while waiting
// on the partner's job do not count).
const maxAttempts = 12

// backoff is exponential with a cap: River's default (attempt^4 seconds)
// waits hours by the tenth attempt, too long for a prospect.
type backoff struct{ base, max time.Duration }

// newBackoff is the queue's backoff; 0 takes the defaults (5 s, 10 min).
func newBackoff(base, maxWait time.Duration) backoff {
	if base <= 0 {
		base = 5 * time.Second
	}
	if maxWait <= 0 {
		maxWait = 10 * time.Minute
	}
	return backoff{base: base, max: maxWait}
}

func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	// Failures only: job.Attempt also counts snoozes (waiting on the
	// partner), which must not lengthen the backoff.
	d := time.Duration(float64(b.base) * math.Pow(2, float64(max(len(job.Errors)-1, 0))))
	if d > b.max || d <= 0 {
		d = b.max
	}
	return time.Now().Add(d)
}

// quiet keeps River's own logging at warnings: every job start would
// otherwise be a log line.
func quiet(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.Default()
	}
	return slog.New(levelFilter{l.Handler(), slog.LevelWarn})
}

type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(a), f.min}
}

func (f levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(n), f.min}
}

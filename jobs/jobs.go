// Package jobs is River's side of the background work, in the same
// database as the data so that a write and the job that follows it up
// commit in one transaction: the job arguments, the enqueue methods the
// services' interfaces name, the workers that run each domain's workflow
// (the Propexo delivery in prospects, the invitation SMS in sms, the lease
// sync runs and webhook re-reads in leases/propexosync, the SmartMove
// refreshes in screening), and toRiver, the one mapping from a workflow's
// outcome to River's retry, snooze or cancel. A job's visible state is its
// IntegrationJob row, never the River job. The queue inserts from
// construction (services hold it) and works once Start is given the
// workers.
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

	"github.com/leasegraph/leasegraph/ent"
)

// queueName is the queue partner deliveries run in.
const queueName = "partners"

// Config configures the queue. The settings (JobTimeout, RescueAfter) come
// from the configuration table; zero leaves them to River. The knobs that
// are not settings, which only tests turn, are zero for the Default*
// constants below.
type Config struct {
	DB      *sql.DB
	Dialect string // dialect.SQLite or dialect.Postgres
	Logger  *slog.Logger
	// PollInterval is how often idle workers look for jobs: the
	// database/sql drivers poll (no LISTEN).
	PollInterval time.Duration
	// RetryBase and RetryMax shape the backoff after a failed attempt:
	// RetryBase * 2^(attempt-1), at most RetryMax.
	RetryBase, RetryMax time.Duration
	// Concurrency is how many deliveries (and SMS sends) run at once.
	Concurrency int
	// JobTimeout cancels one attempt's context after this long.
	// RescueAfter, which must be longer, is when a job still marked
	// running is taken to belong to a dead process (kill -9, a lost host)
	// and is scheduled again (River's own default is an hour). A rescued
	// run resumes from the IntegrationJob's state, so rescuing a job whose
	// process is in fact alive costs duplicate requests: a send in flight
	// is found at Propexo by its content (DeliveryWorker's reconciliation)
	// rather than sent again.
	JobTimeout, RescueAfter time.Duration
	// Middleware runs around inserts and work (the traces').
	Middleware []rivertype.Middleware
	// Ent, when set, gives a working process its heartbeat and its rescue
	// of dead processes' jobs (liveness.go); nil leaves rescue to River's
	// RescueAfter alone. Lapse is how old a process's last beat makes it
	// dead (LEASEGRAPH_HEARTBEAT_LAPSE; zero: DefaultLapse).
	Ent   *ent.Client
	Lapse time.Duration
	// BeatEvery (zero: a third of Lapse), Now (nil: time.Now; the clock
	// the beats and the lapse are judged by) and ProcessName (empty: host,
	// pid and random bits) are knobs only tests turn.
	BeatEvery   time.Duration
	Now         func() time.Time
	ProcessName string
}

// The knobs that are not settings: tests shorten them, production runs
// these.
const (
	DefaultPollInterval = time.Second
	DefaultRetryBase    = 5 * time.Second
	DefaultRetryMax     = 10 * time.Minute
	DefaultConcurrency  = 10
)

// Work is what a process works: the River workers and the periodic jobs
// its leader inserts, and which queues they serve.
type Work struct {
	Workers *river.Workers
	// Periodic jobs are inserted on schedule by the elected leader only,
	// so once across all instances.
	Periodic []*river.PeriodicJob
	// Deliver, SendSMS and Sync say Workers hold the delivery, SMS and
	// lease sync workers: only then does this process fetch from their
	// queues. A client without a kind's worker would take its jobs and
	// fail them as jobs of an unknown kind.
	Deliver, SendSMS, Sync bool
	// Webhooks says Workers hold the webhook delivery and pruning workers;
	// WebhookConcurrency is how many deliveries run at once.
	Webhooks           bool
	WebhookConcurrency int
}

// Queue inserts jobs from the moment it is built, so services can hold it
// from their construction; Start then works them with the workers those
// services make. The two River clients share the database and every
// insert-side setting (attempts, middleware), so a job is the same
// whichever inserted it.
type Queue struct {
	// River inserts; it has no workers and never starts.
	River *river.Client[*sql.Tx]
	cfg   Config
	// worker is the working client, set by Start.
	worker *river.Client[*sql.Tx]
	// started is set once Start has succeeded: River's Stopped channel
	// means nothing before.
	started atomic.Bool
	// live is the process's heartbeat and rescue (nil without Config.Ent).
	live *liveness
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

// riverConfig is what both clients share.
func (cfg Config) riverConfig() *river.Config {
	return &river.Config{
		Logger:               quiet(cfg.Logger),
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        min(cfg.PollInterval, 100*time.Millisecond),
		RetryPolicy:          backoff{base: cfg.RetryBase, max: cfg.RetryMax},
		MaxAttempts:          maxAttempts,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		Middleware:           cfg.Middleware,
	}
}

// New returns the queue, inserting only, once River's tables are found
// current (ErrSchema otherwise: the migrations create them).
func New(ctx context.Context, cfg Config) (*Queue, error) {
	if err := checkSchema(ctx, cfg); err != nil {
		return nil, err
	}
	cfg.PollInterval = orDefault(cfg.PollInterval, DefaultPollInterval)
	cfg.RetryBase = orDefault(cfg.RetryBase, DefaultRetryBase)
	cfg.RetryMax = orDefault(cfg.RetryMax, DefaultRetryMax)
	cfg.Concurrency = orDefault(cfg.Concurrency, DefaultConcurrency)
	c, err := river.NewClient(driver(cfg), cfg.riverConfig())
	if err != nil {
		return nil, err
	}
	return &Queue{River: c, cfg: cfg, live: newLiveness(cfg)}, nil
}

// Start works jobs until Stop: it builds the working client with w's
// workers and starts it. A process with nothing to work never calls it.
func (q *Queue) Start(ctx context.Context, w Work) error {
	rc := q.cfg.riverConfig()
	rc.Workers = w.Workers
	rc.Queues = map[string]river.QueueConfig{screeningQueue: {MaxWorkers: screeningConcurrency}}
	if w.Deliver {
		rc.Queues[queueName] = river.QueueConfig{MaxWorkers: q.cfg.Concurrency}
	}
	if w.SendSMS {
		rc.Queues[smsQueue] = river.QueueConfig{MaxWorkers: q.cfg.Concurrency}
	}
	if w.Sync {
		rc.Queues[syncQueue] = river.QueueConfig{MaxWorkers: syncConcurrency}
	}
	if w.Webhooks {
		// River fetches a queue's jobs at most once per cooldown, up to its
		// free workers: 64 workers every 100 ms capped deliveries at 640 a
		// second however fast the endpoints answered.
		rc.Queues[webhookQueue] = river.QueueConfig{MaxWorkers: max(w.WebhookConcurrency, 1),
			FetchCooldown: min(q.cfg.PollInterval, webhookFetchCooldown)}
	}
	rc.PeriodicJobs = w.Periodic
	if q.live != nil {
		// attempted_by names the process, whose heartbeat tells whether
		// it is alive; the row exists before the first fetch.
		rc.ID = q.live.name
	}
	c, err := river.NewClient(driver(q.cfg), rc)
	if err != nil {
		return err
	}
	if q.live != nil {
		if err := q.live.start(ctx); err != nil {
			return err
		}
	}
	if err := c.Start(ctx); err != nil {
		if q.live != nil {
			q.live.halt(ctx, true)
		}
		return err
	}
	q.worker = c
	q.started.Store(true)
	return nil
}

// Retry is the queue's backoff, for workers that record when River will
// retry them.
func (q *Queue) Retry() river.ClientRetryPolicy {
	return backoff{base: q.cfg.RetryBase, max: q.cfg.RetryMax}
}

func orDefault[T time.Duration | int](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// ErrNotRunning is Running's answer for a queue that works no jobs.
var ErrNotRunning = errors.New("the job workers are not running")

// Running answers nil while the workers work jobs: started, not stopped.
func (q *Queue) Running() error {
	if !q.started.Load() {
		return fmt.Errorf("%w: never started", ErrNotRunning)
	}
	select {
	case <-q.worker.Stopped():
		return fmt.Errorf("%w: stopped", ErrNotRunning)
	default:
		return nil
	}
}

// Stop finishes the jobs in hand and stops; a queue never started has
// nothing to stop.
func (q *Queue) Stop(ctx context.Context) error {
	if !q.started.Load() {
		return nil
	}
	err := q.worker.Stop(ctx)
	if err == nil && q.live != nil {
		q.live.halt(context.WithoutCancel(ctx), true)
	}
	return err
}

// StopAndCancel cancels the jobs in hand and waits for them to return.
func (q *Queue) StopAndCancel(ctx context.Context) error {
	if !q.started.Load() {
		return nil
	}
	err := q.worker.StopAndCancel(ctx)
	if q.live != nil {
		// Jobs that ignored their cancellation keep the row, to lapse.
		q.live.halt(context.WithoutCancel(ctx), err == nil)
	}
	return err
}

// ProcessName is the process's id: its heartbeat row's name and its River
// client id, which attempted_by records (empty without liveness).
func (q *Queue) ProcessName() string {
	if q.live == nil {
		return ""
	}
	return q.live.name
}

// CheckLiveness beats once and rescues the running jobs of processes whose
// heartbeat has lapsed, as the process does every BeatEvery once started:
// for tests, with Config.Now. It answers the jobs it made runnable.
func (q *Queue) CheckLiveness(ctx context.Context) ([]Rescued, error) {
	if q.live == nil {
		return nil, errors.New("no liveness: the queue was built without Config.Ent")
	}
	return q.live.tick(ctx)
}

// Subscribe is the working client's event stream (nil before Start).
func (q *Queue) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	if !q.started.Load() {
		return nil, func() {}
	}
	return q.worker.Subscribe(kinds...)
}

// maxAttempts bounds failed attempts of one delivery (snoozes while waiting
// on the partner's job do not count).
const maxAttempts = 12

// backoff is exponential with a cap: River's default (attempt^4 seconds)
// waits hours by the tenth attempt, too long for a prospect.
type backoff struct{ base, max time.Duration }

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

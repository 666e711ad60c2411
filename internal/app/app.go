// Package app builds leasegraph from its configuration, in one place: the
// job queue (inserting only), then every service complete at construction,
// then the partners' workers and the working queue, then the routes and
// their middleware. The server's main only parses the configuration and
// runs what this package builds; the test harness (internal/apptest) builds
// it with the same code.
package app

import (
	"context"
	"strings"

	"crypto/rand"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	gqlhandler "github.com/99designs/gqlgen/graphql/handler"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leasegraph/leasegraph/cards"
	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/graph"
	"github.com/leasegraph/leasegraph/graph/handler"
	"github.com/leasegraph/leasegraph/internal/admission"
	"github.com/leasegraph/leasegraph/internal/metrics"
	"github.com/leasegraph/leasegraph/internal/middleware"
	"github.com/leasegraph/leasegraph/internal/observe"
	"github.com/leasegraph/leasegraph/internal/tracing"
	"github.com/leasegraph/leasegraph/jobs"
	"github.com/leasegraph/leasegraph/leases"
	"github.com/leasegraph/leasegraph/leases/importer"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/properties"
	"github.com/leasegraph/leasegraph/prospects"
	"github.com/leasegraph/leasegraph/registration"
	"github.com/leasegraph/leasegraph/screening"
	"github.com/leasegraph/leasegraph/screening/notify"
	"github.com/leasegraph/leasegraph/sms"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/tenancy/guard"
	"github.com/leasegraph/leasegraph/webhooks"
	"github.com/leasegraph/leasegraph/webhooks/receiver"
	"github.com/leasegraph/leasegraph/webhooks/safehttp"
)

// Options are the knobs that only tests and demo mode turn, never read
// from the environment. The zero value is production.
type Options struct {
	// PropexoHTTP, TwilioHTTP and SmartMoveHTTP replace the partners'
	// HTTP clients (demo mode's in-process simulators, a test's).
	PropexoHTTP, TwilioHTTP, SmartMoveHTTP *http.Client
	// PropexoWindow shortens Propexo's rate-limit window (a minute), which
	// a 429 makes the client wait out.
	PropexoWindow time.Duration
	// SmartMoveTimeout shortens SmartMove's call timeout;
	// ScreeningInFlightWait how long a retried order waits for the first.
	SmartMoveTimeout, ScreeningInFlightWait time.Duration
	// DemoStep is how often demo mode's simulated applicants move one step
	// (default 4 s).
	DemoStep time.Duration
	// PollEvery is how often Propexo's write status is checked (default
	// 5 s); RetryBase the first retry's delay; JobPoll how often idle
	// workers look for jobs (jobs.Default*).
	PollEvery, RetryBase, JobPoll time.Duration
	// HeartbeatEvery is how often a working process beats and rescues the
	// jobs of dead ones (default: a third of LEASEGRAPH_HEARTBEAT_LAPSE);
	// LivenessNow the clock the beats and the lapse are judged by (nil:
	// time.Now).
	HeartbeatEvery time.Duration
	LivenessNow    func() time.Time
	// InsertOnly enqueues without working jobs, as when every worker is
	// down.
	InsertOnly bool
	// SyncPageSize is the lease sync's page size (Propexo's maximum).
	SyncPageSize int
	// NoLeaseSync leaves the lease sync out though Propexo is configured:
	// a test of deliveries alone, whose simulator's injected faults and
	// job ids a sync run would take.
	NoLeaseSync bool
	// ExportPage is a streamed /leases CSV export's page size.
	ExportPage int
	// ImportStaged runs after each batch a lease import stages
	// (importer.Service.Staged): a test holds an import between batches.
	ImportStaged func(context.Context)
	// Deadline moves requests' time for tests (zero: the wall clock).
	Deadline middleware.DeadlineHooks
	// Tracing replaces the traces started from the configuration.
	Tracing *tracing.Tracing
	// NoFastPath and FastPathServed: see handler.Config.
	NoFastPath     bool
	FastPathServed func()
	// DemoToken fills the playground's token without seeding demo data.
	DemoToken string
	// Now is the clock of events and webhook deliveries (their retry
	// schedule, the 5-day rule); nil: time.Now.
	Now func() time.Time
	// WebhookResolver resolves endpoint hosts (tests stub it; nil: the
	// system's).
	WebhookResolver safehttp.Resolver
}

// App is the application, built.
type App struct {
	cfg  config.Config
	opts Options
	log  *slog.Logger

	client  *ent.Client
	db      *sql.DB
	dialect string

	// Events records what happened, for the webhook endpoints.
	Events *events.Recorder
	// Services are what the resolvers and routes call.
	Services graph.Services
	// Queue inserts jobs from construction on; Start works them.
	Queue *jobs.Queue
	// twilioHook receives Twilio's status callbacks (every one refused
	// when no auth token can check its signature).
	twilioHook *sms.Hook
	// work is what Start gives the queue; works is false with
	// Options.InsertOnly.
	work  jobs.Work
	works bool

	metrics *metrics.Metrics
	tracing *tracing.Tracing
	guard   *guard.Guard
	secret  []byte
	// demoToken is the demo client's token once seeded.
	demoToken string
	// partners holds the simulators demo mode runs in-process and their
	// pages.
	partners partners
	// sockets are the open websockets, closed (1001) when the server stops.
	sockets *handler.OpenSockets
	// gate admits /graphql's and /leases's requests, a few at a time and
	// in arrival order (LEASEGRAPH_MAX_ACTIVE_REQUESTS).
	gate *admission.Gate
	// receiver is demo mode's webhook receiver.
	receiver *receiver.Receiver
	// gql is /graphql's handler, built with the services: the leases fast
	// path refuses there a schema its whitelist no longer describes.
	gql *gqlhandler.Server
	// schemaFile serves /schema.graphql: the schema's SDL, printed once.
	schemaFile *handler.SchemaFile
	// draining is set on SIGTERM: /readyz answers 503 from then on.
	draining atomic.Bool
	health   healthCheck
	stops    []func()
	stopJobs sync.Once
}

// New builds the application on an open database. Nothing runs until
// Start: no job is worked, nothing listens.
func New(ctx context.Context, cfg config.Config, client *ent.Client, drv *entsql.Driver, log *slog.Logger, opts Options) (*App, error) {
	// Every line the app logs carries its request id and is redacted,
	// whichever logger it was given.
	log = slog.New(observe.Wrap(log.Handler()))
	a := &App{cfg: cfg, opts: opts, log: log, client: client, db: drv.DB(), dialect: drv.Dialect(),
		metrics: metrics.New(drv.DB()), tracing: opts.Tracing, sockets: &handler.OpenSockets{}, demoToken: opts.DemoToken,
		gate: admission.New(cfg.MaxActiveRequests)}
	a.metrics.WatchAdmission(a.gate.Active, a.gate.Waiting)
	if a.tracing == nil {
		t, err := tracing.Start(ctx, tracing.Settings{Endpoint: cfg.Tracing.Endpoint, TracesEndpoint: cfg.Tracing.TracesEndpoint,
			ServiceName: cfg.Tracing.ServiceName, Log: log})
		if err != nil {
			return nil, fmt.Errorf("starting traces: %w", err)
		}
		a.tracing = t
	}
	if cfg.Secret != "" {
		a.secret = []byte(cfg.Secret)
	} else {
		log.Warn("LEASEGRAPH_SECRET is unset: card-screen forms and card fingerprints use a key that changes on every start")
		a.secret = make([]byte, 32)
		_, _ = rand.Read(a.secret)
	}
	a.partners = demoPartners(cfg, opts, log)
	if cfg.Demo {
		a.receiver = &receiver.Receiver{}
	}
	if a.partners.twilio != nil {
		// The simulator's account: sends and the status callbacks'
		// signatures use its token.
		a.cfg.SMS = a.partners.twilioCfg
	}
	q, err := jobs.New(ctx, jobs.Config{
		DB: a.db, Dialect: a.dialect, Logger: log, PollInterval: opts.JobPoll, RetryBase: opts.RetryBase,
		JobTimeout: cfg.Delivery.JobTimeout, RescueAfter: cfg.Delivery.RescueAfter,
		Middleware: []rivertype.Middleware{a.tracing.Jobs()},
		Ent:        client, Lapse: cfg.Delivery.HeartbeatLapse, BeatEvery: opts.HeartbeatEvery, Now: opts.LivenessNow,
	})
	if err != nil {
		return nil, fmt.Errorf("the job queue: %w", err)
	}
	a.Queue = q
	if err := a.buildServices(ctx); err != nil {
		a.Stop(ctx)
		return nil, err
	}
	return a, nil
}

// buildServices builds every service with its partner client and the
// queue, then the workers that serve them.
func (a *App) buildServices(ctx context.Context) error {
	cfg, client, q := a.cfg, a.client, a.Queue
	px, err := a.propexoClient()
	if err != nil {
		return err
	}
	tw, err := a.twilioClient()
	if err != nil {
		return err
	}
	sm, err := a.smartMoveClient()
	if err != nil {
		return err
	}
	box, err := a.webhookBox(ctx)
	if err != nil {
		return err
	}
	a.Events = &events.Recorder{DB: client, Now: a.opts.Now}
	if box != nil {
		a.Events.Queue = q
	}
	ten := &tenancy.Service{DB: client, CacheTTL: cfg.AuthCacheTTL}
	pros := &prospects.Service{DB: client, Events: a.Events}
	if px != nil {
		pros.Queue = q
	}
	var smsQueue registration.SMSEnqueuer
	if tw != nil {
		smsQueue = q
	}
	scr := &screening.Service{DB: client, SmartMove: sm, Log: a.log, Broker: &screening.Broker{}, PublicURL: cfg.Screening.PublicURL,
		InFlightWait: a.opts.ScreeningInFlightWait, Queue: q, Events: a.Events}
	syncer := &propexosync.Service{DB: client, WebhookKey: []byte(cfg.Delivery.WebhookSecret), PublicURL: cfg.Screening.PublicURL,
		FullEvery: cfg.Delivery.SyncFullEvery, RunsKept: cfg.Delivery.SyncRunsKept, PageSize: a.opts.SyncPageSize, Events: a.Events}
	if px != nil && !a.opts.NoLeaseSync {
		// The same client as deliveries: its pacer is the one budget of
		// the Propexo account.
		syncer.Propexo, syncer.Queue = px, q
	}
	a.Services = graph.Services{
		Registrations: &registration.Service{DB: client, Vault: cards.FingerprintVault{Key: a.secret}, Prospects: pros, SMS: smsQueue, Events: a.Events},
		Prospects:     pros, Screening: scr, Tenancy: ten,
		Leases:   &leases.Service{DB: client, Tenancy: ten},
		Importer: &importer.Service{DB: client, Events: a.Events, Staged: a.opts.ImportStaged}, Properties: &properties.Service{DB: client}, LeaseSync: syncer,
		Webhooks: &webhooks.Service{DB: client, Events: a.Events, Box: box, MaxEndpoints: cfg.Webhooks.MaxEndpoints,
			URL: a.webhookURLs(), Now: a.opts.Now},
	}
	a.guard = guard.New(ten, cfg.Limits)
	a.twilioHook = &sms.Hook{DB: client, AuthToken: cfg.SMS.AuthToken, PublicURL: cfg.Screening.PublicURL, Log: a.log, Guard: a.guard, Events: a.Events}

	workers := river.NewWorkers()
	syncs := px != nil && !a.opts.NoLeaseSync
	w := jobs.Work{Workers: workers, Deliver: px != nil, SendSMS: tw != nil, Sync: syncs}
	if px != nil {
		river.AddWorker(workers, &jobs.DeliveryWorker{DB: client, Propexo: px, PollEvery: a.opts.PollEvery, ReconcileAfter: cfg.Delivery.ReconcileAfter, Events: a.Events})
	}
	if syncs {
		w.Periodic = append(w.Periodic, jobs.AddLeaseSync(workers, syncer, cfg.Delivery.SyncInterval, q.Retry()))
	}
	if tw != nil {
		river.AddWorker(workers, &jobs.SMSWorker{DB: client, Twilio: tw, PublicURL: cfg.Screening.PublicURL, Events: a.Events})
	}
	if box != nil {
		w.Webhooks, w.WebhookConcurrency = true, cfg.Webhooks.Concurrency
		w.Periodic = append(w.Periodic, jobs.AddWebhooks(workers, a.webhookDeliverer(box), client, cfg.Webhooks.EventsKept, a.opts.Now))
	}
	w.Periodic = append(w.Periodic, jobs.AddScreening(workers, scr, cfg.Screening.RefreshInterval))
	a.work, a.works = w, !a.opts.InsertOnly
	a.gql, err = handler.New(client, a.Services, a.log, handler.Config{GraphQL: cfg.GraphQL,
		OperationTimeout: cfg.RequestTimeout, Guard: a.guard, Tenancy: ten, SocketRecheck: cfg.Limits.SocketRecheck,
		Sockets: a.sockets, NoFastPath: a.opts.NoFastPath, FastPathServed: a.opts.FastPathServed})
	if err != nil {
		return fmt.Errorf("the GraphQL handler: %w", err)
	}
	// The same generated schema /graphql executes (its types do not
	// depend on the resolvers), so the file is what introspection shows.
	a.schemaFile = handler.NewSchemaFile(graph.NewSchema(client, a.Services), cfg.GraphQL)
	a.gql.Use(a.metrics.GraphQL())
	if a.tracing.On() {
		a.gql.Use(a.tracing.GraphQL())
	}
	return nil
}

// Start runs what the application runs besides answering requests: the
// notices between instances (PostgreSQL), the job workers, and in demo
// mode the demo data, seeded once the first lease sync has ended.
func (a *App) Start(ctx context.Context) error {
	if a.dialect == "postgres" {
		stop, err := notify.Start(ctx, a.cfg.DatabaseURL, a.db, a.Services.Screening.Broker, a.log)
		if err != nil {
			return fmt.Errorf("listening for screening notices: %w", err)
		}
		a.stops = append(a.stops, stop)
	}
	if a.works {
		if err := a.Queue.Start(context.WithoutCancel(ctx), a.work); err != nil {
			return fmt.Errorf("starting background jobs: %w", err)
		}
		a.watchJobs()
	}
	if a.cfg.Demo {
		if err := a.seedDemo(ctx); err != nil {
			return fmt.Errorf("seeding demo data: %w", err)
		}
	}
	return nil
}

// StopJobs lets running jobs finish until ctx ends, then cancels them
// (River makes a cancelled attempt retryable, and each workflow resumes
// from its IntegrationJob's state). Once; later calls do nothing.
func (a *App) StopJobs(ctx context.Context) {
	a.stopJobs.Do(func() {
		if err := a.Queue.Stop(ctx); err == nil {
			return
		}
		a.log.Warn("background jobs still running at the shutdown timeout: cancelling them")
		cctx, cancel := context.WithTimeout(context.Background(), stopAndCancelWait)
		defer cancel()
		if err := a.Queue.StopAndCancel(cctx); err != nil {
			a.log.Warn("background jobs did not return after their cancellation", "error", err.Error())
		}
	})
}

// stopAndCancelWait bounds the wait for cancelled jobs to return: a job
// that ignores its context must not keep the process from exiting.
const stopAndCancelWait = 5 * time.Second

// Stop stops the jobs (within ctx), the notices and the simulators, and
// flushes the traces.
func (a *App) Stop(ctx context.Context) {
	a.StopJobs(ctx)
	for i := len(a.stops) - 1; i >= 0; i-- {
		a.stops[i]()
	}
	a.stops = nil
	a.partners.close()
	if a.opts.Tracing == nil && a.tracing != nil {
		if err := a.tracing.Shutdown(ctx); err != nil {
			a.log.Warn("flushing traces", "error", err)
		}
	}
}

// DemoToken is the demo client's token once Start has seeded it.
func (a *App) DemoToken() string { return a.demoToken }

// Draining makes /readyz answer 503 from now on: the process is stopping.
func (a *App) Draining() { a.draining.Store(true) }

// Sockets are the open websockets, to close when the server stops.
func (a *App) Sockets() *handler.OpenSockets { return a.sockets }

// watchJobs counts the queue's job outcomes from River's events (the
// subscription ends when the client stops) and reports its depth.
func (a *App) watchJobs() {
	events, _ := a.Queue.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled, river.EventKindJobSnoozed)
	if events != nil {
		go func() {
			for ev := range events {
				if ev.Job != nil {
					a.metrics.JobDone(ev.Job.Kind, strings.TrimPrefix(string(ev.Kind), "job_"))
				}
			}
		}()
	}
	a.metrics.WatchQueue(a.db)
}

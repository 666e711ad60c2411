// Command server runs leasegraph: the GraphQL API, its HTTP routes and the
// command-line administration of clients and tokens.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/demo"
	"github.com/leasegraph/leasegraph/graph/handler"
	"github.com/leasegraph/leasegraph/internal/database"
	"github.com/leasegraph/leasegraph/internal/metrics"
	"github.com/leasegraph/leasegraph/internal/observe"
	"github.com/leasegraph/leasegraph/internal/tracing"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/sms"
	"github.com/leasegraph/leasegraph/tenancy"
)

// loadConfig reads every setting once (the table is config/table.go).
func loadConfig() (config.Config, error) { return config.Load(os.Getenv) }

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// run dispatches the command line: no arguments serves, the rest administer.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage:
  server                          serve the API on $PORT
  server migrate                  apply pending schema migrations and list them
  server client create --name NAME
  server token create --client ID [--scope read|write|admin]... [--name N]
  server token create --admin [--name N]      (a platform admin token)
  server token list --client ID
  server token revoke PREFIX
  server import leases --client ID --file FEED [--map MAPPING.json] [--format json|csv] [--dry-run]

`)
		config.WriteHelp(stderr)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	log := observe.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if fs.NArg() > 0 {
		return runCommand(ctx, cfg, fs.Args(), stdout, stderr, log)
	}
	return serve(ctx, cfg, log)
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	debug.SetGCPercent(cfg.Runtime.GCPercent)
	debug.SetMemoryLimit(cfg.Runtime.MemoryLimit)
	client, drv, err := database.Open(ctx, cfg.DatabaseURL, cfg.DB, cfg.Migrate, log)
	if err != nil {
		return err
	}
	defer client.Close()
	traces, err := tracing.Start(ctx, tracing.Settings{Endpoint: cfg.Tracing.Endpoint, TracesEndpoint: cfg.Tracing.TracesEndpoint, ServiceName: cfg.Tracing.ServiceName, Log: log})
	if err != nil {
		return fmt.Errorf("starting traces: %w", err)
	}
	defer func() {
		// After the jobs and requests ended (deferred earlier, run later):
		// their last spans are flushed within the shutdown's own bound.
		ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		if err := traces.Shutdown(ctx); err != nil {
			log.Warn("flushing traces", "error", err)
		}
	}()
	a := &app{tracing: traces, db: drv.DB(), dialect: drv.Dialect(), metricsToken: cfg.MetricsToken, metrics: metrics.New(drv.DB()), client: client, log: log, corsOrigins: cfg.CORSOrigins, limits: cfg.Limits, graphql: handler.Config{GraphQL: cfg.GraphQL},
		requestTimeout: cfg.RequestTimeout, tenancy: &tenancy.Service{DB: client, CacheTTL: cfg.AuthCacheTTL}}
	if cfg.Secret != "" {
		a.secret = []byte(cfg.Secret)
	} else {
		log.Warn("LEASEGRAPH_SECRET is unset: card-screen forms and card fingerprints use a key that changes on every start")
	}
	delivery := deliveryConfig{Delivery: cfg.Delivery}
	if cfg.Demo && cfg.Delivery.PropexoToken == "" {
		delivery = demoPropexo(cfg.Delivery)
	}
	delivery.SMS, delivery.PublicURL = cfg.SMS, cfg.Screening.PublicURL
	if cfg.Demo && !cfg.SMS.Configured() {
		delivery = demoTwilio(delivery, cfg.Screening.PublicURL)
	}
	a.propexoWebhookSecret = []byte(cfg.Delivery.WebhookSecret)
	a.leaseSync = &propexosync.Service{DB: client, WebhookKey: a.propexoWebhookSecret, PublicURL: cfg.Screening.PublicURL}
	delivery.LeaseSync = a.leaseSync
	delivery.Metrics, delivery.Tracing = a.metrics, a.tracing
	stopScreening, err := a.startScreening(ctx, screeningConfig{Screening: cfg.Screening}, cfg.Port, cfg.Demo, cfg.DatabaseURL, drv, log)
	if err != nil {
		return fmt.Errorf("starting screening: %w", err)
	}
	defer stopScreening()
	jobbed, stopJobs, err := startJobs(ctx, delivery, a.screeningService(), cfg.Screening.RefreshInterval, client, drv.DB(), drv.Dialect(), log)
	if err != nil {
		return fmt.Errorf("starting background jobs: %w", err)
	}
	defer func() {
		// Only when serve returns early; a shutdown has stopped them already.
		ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		stopJobs(ctx)
	}()
	a.prospects, a.sms = jobbed.Prospects, jobbed.SMS
	a.twilioHook = &sms.Hook{DB: client, AuthToken: delivery.SMS.AuthToken, PublicURL: delivery.PublicURL, Log: log}
	if cfg.Demo {
		var sync demo.Syncer // a real Propexo account has no demo records: Seed's own simulator
		if cfg.Delivery.PropexoToken == "" {
			sync = a.awaitLeaseSync
		}
		token, err := demo.Seed(ctx, client, a.prospects, cfg.DemoToken, []string{"http://localhost:" + cfg.Port, "http://127.0.0.1:" + cfg.Port}, sync)
		if err != nil {
			return fmt.Errorf("seeding demo data: %w", err)
		}
		a.demoToken = token
		// The one log line that ever carries a token: the demo's, on purpose.
		log.Info("demo token: send it as Authorization: Bearer <token> (pre-filled in the playground)", "token", observe.Unredacted(token))
	}
	routes, err := a.routes()
	if err != nil {
		return fmt.Errorf("building the routes: %w", err)
	}
	srv := &http.Server{
		Addr:              ":" + cfg.Port,
		Handler:           routes,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	srv.RegisterOnShutdown(a.sockets.GoingAway)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("leasegraph listening", "url", "http://localhost:"+cfg.Port, "playground", "http://localhost:"+cfg.Port+"/", "database", databaseKind(cfg.DatabaseURL))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.draining.Store(true)
	drain(cfg.ShutdownDrain, log)
	return shutdown(srv, a.sockets, stopJobs, cfg.ShutdownTimeout, log)
}

// drain keeps serving for d after the shutdown signal, /readyz answering
// 503, because net/http's Shutdown closes the listener at once: a load
// balancer still routing here would see refused connections, not a failed
// readiness check. A second SIGTERM or SIGINT ends the wait.
func drain(d time.Duration, log *slog.Logger) {
	if d <= 0 {
		return
	}
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	log.Info("shutting down: draining, /readyz answers 503", "drain", d.String())
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-again:
		log.Info("second signal: drain ended early")
	}
}

// shutdown stops the process gracefully within timeout: the listener
// closes (new connections are refused), websockets are closed with 1001,
// in-flight requests run to their end, then background jobs finish or are
// cancelled; serve's deferred calls then close the database. Only a
// request still running at the timeout is cut.
func shutdown(srv *http.Server, sockets *handler.OpenSockets, stopJobs func(context.Context), timeout time.Duration, log *slog.Logger) error {
	log.Info("shutting down: waiting for in-flight requests and jobs", "timeout", timeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Warn("requests still running at the shutdown timeout were cut", "error", err.Error())
		_ = srv.Close()
	}
	// Shutdown does not wait for hijacked connections: without this wait
	// the process could exit before a websocket's close frame is written.
	if err := sockets.Wait(ctx); err != nil {
		log.Warn("websockets still open at the shutdown timeout were cut")
	}
	stopJobs(ctx)
	log.Info("stopped")
	return nil
}

func databaseKind(url string) string {
	if url == "" {
		return "sqlite " + database.DefaultSQLite
	}
	if len(url) > 8 && url[:8] == "postgres" {
		return "postgresql"
	}
	return "sqlite"
}

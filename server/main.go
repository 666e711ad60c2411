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
	"strings"
	"syscall"
	"time"
)

// config is read from the environment only.
type config struct {
	Port        string
	DatabaseURL string
	Demo        bool
	DemoToken   string
	LogLevel    slog.Level
	Delivery    deliveryConfig
	Screening   screeningConfig
	// Secret signs forms and keys card fingerprints (LEASEGRAPH_SECRET).
	Secret string
	// CORSOrigins may call the API from browsers (LEASEGRAPH_CORS_ORIGINS).
	CORSOrigins []string
	// Limits are the rate limits (LEASEGRAPH_TOKEN_RATE, ...).
	Limits rateLimits
	// GraphQL bounds queries (LEASEGRAPH_QUERY_*) and switches introspection.
	GraphQL graphQLConfig
	// RequestTimeout is the deadline of a GraphQL operation or a /leases
	// request (LEASEGRAPH_REQUEST_TIMEOUT); DB bounds waits on PostgreSQL.
	RequestTimeout time.Duration
	DB             dbConfig
	// Migrate is migrateAuto or migrateOff (LEASEGRAPH_MIGRATE).
	Migrate string
}

var envHelp = `Environment:
  PORT                   port to listen on (default 8080)
  DATABASE_URL           postgres://user@host:5432/db?sslmode=disable for PostgreSQL;
                         unset for the embedded SQLite file ./leasegraph.db (or sqlite:PATH)
  LEASEGRAPH_DEMO        1 to seed a demo client with properties, leases and prospects
                         and print its API token at start-up
  LEASEGRAPH_DEMO_TOKEN  a fixed demo token (at least 16 characters) for scripts
  LEASEGRAPH_CORS_ORIGINS  origins whose browser apps may call /graphql and /leases,
                         comma-separated (default *: any; tokens, not cookies, authenticate);
                         none turns CORS off
  LEASEGRAPH_SECRET      a key of at least 32 characters that signs the registration card
                         form and keys card fingerprints; every instance needs the same one
                         (unset: a random key per start, so both reset on restart)
  LEASEGRAPH_MIGRATE     auto (default): apply pending schema migrations at start-up and
                         before each command; off: refuse to start while any is pending
                         (apply them with server migrate)
  PROPEXO_TOKEN          Propexo API token; prospects of clients with a Propexo
                         integration id are delivered (demo mode: an in-process simulator)
  PROPEXO_BASE_URL       Propexo API (default https://api.sandbox.propexo.com)
  LEASEGRAPH_INTROSPECTION  0 switches GraphQL introspection off (default 1: on; the
                         playground is the documentation)
  GraphQL request limits (a request over one is refused before it runs, with
  extensions.code QUERY_TOO_LARGE, QUERY_TOO_DEEP or QUERY_TOO_COMPLEX):
  LEASEGRAPH_QUERY_MAX_TOKENS          parser tokens in a document (default 15000)
  LEASEGRAPH_QUERY_MAX_SELECTIONS      selections, fragments expanded (default 5000)
  LEASEGRAPH_QUERY_MAX_DEPTH           fields nested, introspection aside (default 15)
  LEASEGRAPH_QUERY_MAX_FRAGMENT_DEPTH  fragments spread within fragments (default 10)
  LEASEGRAPH_QUERY_MAX_REPEATS         one field selected again in one set (default 50)
  LEASEGRAPH_QUERY_MAX_ALIASES         aliased fields in an operation (default 100)
  LEASEGRAPH_QUERY_MAX_ROOT_FIELDS     distinct root fields (default 30)
  LEASEGRAPH_QUERY_MAX_VARIABLES       variables an operation declares (default 100)
  LEASEGRAPH_QUERY_MAX_FRAGMENTS       fragment definitions (default 100)
  LEASEGRAPH_QUERY_MAX_COMPLEXITY      complexity, about one per value (default 250000)
  LEASEGRAPH_QUERY_LIST_SIZE           items a plain list counts for (default 10)
  LEASEGRAPH_QUERY_PARTNER_FIELD_COST  complexity of reportUrl/reportStatus (default 10000)
  LEASEGRAPH_PARTNER_CONCURRENCY       partner calls in flight per request (default 4)
  LOG_LEVEL              debug, info (default), warn or error
  LEASEGRAPH_REQUEST_TIMEOUT  deadline of one GraphQL query or mutation and of a /leases
                         request (default 15s; subscriptions are not cut by it)
  LEASEGRAPH_DB_STATEMENT_TIMEOUT  PostgreSQL statement_timeout on the server's connections,
                         a backstop behind the deadline (default: request timeout + 5s; 0 off)
  LEASEGRAPH_DB_CONNECT_TIMEOUT  PostgreSQL connect timeout when DATABASE_URL sets no
                         connect_timeout (default 5s)
  LEASEGRAPH_JOB_TIMEOUT  longest run of one delivery attempt (default 1m)
  LEASEGRAPH_JOB_RESCUE_AFTER  a delivery still running after this is taken to belong to a
                         dead process and is run again (default 5m; above the job timeout)
`

func loadConfig() (config, error) {
	c := config{
		Port:        envOr("PORT", "8080"),
		DatabaseURL: os.Getenv("DATABASE_URL"),
		DemoToken:   os.Getenv("LEASEGRAPH_DEMO_TOKEN"),
		Secret:      os.Getenv("LEASEGRAPH_SECRET"),
		CORSOrigins: corsOrigins(envOr("LEASEGRAPH_CORS_ORIGINS", "*")),
		Migrate:     envOr("LEASEGRAPH_MIGRATE", migrateAuto),
		Delivery: deliveryConfig{
			PropexoToken:   os.Getenv("PROPEXO_TOKEN"),
			PropexoBaseURL: os.Getenv("PROPEXO_BASE_URL"),
		},
	}
	switch os.Getenv("LEASEGRAPH_DEMO") {
	case "", "0", "false":
	default:
		c.Demo = true
	}
	if c.Migrate != migrateAuto && c.Migrate != migrateOff {
		return c, fmt.Errorf("LEASEGRAPH_MIGRATE must be auto or off")
	}
	if c.Secret != "" && len(c.Secret) < 32 {
		return c, fmt.Errorf("LEASEGRAPH_SECRET must have at least 32 characters")
	}
	if err := loadTimeouts(&c); err != nil {
		return c, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(envOr("LOG_LEVEL", "info"))); err != nil {
		return c, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	var err error
	if c.Screening, err = loadScreeningConfig(c.Port); err != nil {
		return c, err
	}
	if c.Limits, err = loadRateLimits(); err != nil {
		return c, err
	}
	if c.GraphQL, err = loadGraphQLConfig(); err != nil {
		return c, err
	}
	return c, nil
}

// loadTimeouts reads the deadline, database and job-rescue settings.
func loadTimeouts(c *config) error {
	var err error
	d := func(key string, def time.Duration, zeroOK bool) time.Duration {
		v, e := time.ParseDuration(envOr(key, def.String()))
		if e != nil || v < 0 || (v == 0 && !zeroOK) {
			err = fmt.Errorf("%s: a positive duration such as %s", key, def)
		}
		return v
	}
	c.RequestTimeout = d("LEASEGRAPH_REQUEST_TIMEOUT", defaultRequestTimeout, false)
	c.DB.StatementTimeout = d("LEASEGRAPH_DB_STATEMENT_TIMEOUT", c.RequestTimeout+statementTimeoutMargin, true)
	c.DB.ConnectTimeout = d("LEASEGRAPH_DB_CONNECT_TIMEOUT", 5*time.Second, false)
	c.Delivery.JobTimeout = d("LEASEGRAPH_JOB_TIMEOUT", time.Minute, false)
	c.Delivery.RescueAfter = d("LEASEGRAPH_JOB_RESCUE_AFTER", 5*time.Minute, false)
	if err == nil && c.Delivery.RescueAfter <= c.Delivery.JobTimeout {
		err = fmt.Errorf("LEASEGRAPH_JOB_RESCUE_AFTER (%s) must be longer than LEASEGRAPH_JOB_TIMEOUT (%s)", c.Delivery.RescueAfter, c.Delivery.JobTimeout)
	}
	return err
}

// corsOrigins reads a comma-separated list; "none" turns CORS off.
func corsOrigins(v string) []string {
	if strings.TrimSpace(v) == "none" {
		return nil
	}
	var out []string
	for _, o := range strings.Split(v, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	return out
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

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

`+envHelp)
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
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if fs.NArg() > 0 {
		return runCommand(ctx, cfg, fs.Args(), stdout, stderr, log)
	}
	return serve(ctx, cfg, log)
}

func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	client, drv, err := openDatabase(ctx, cfg.DatabaseURL, cfg.DB, cfg.Migrate, log)
	if err != nil {
		return err
	}
	defer client.Close()
	a := &app{client: client, log: log, corsOrigins: cfg.CORSOrigins, limits: cfg.Limits, graphql: cfg.GraphQL, requestTimeout: cfg.RequestTimeout}
	if cfg.Secret != "" {
		a.secret = []byte(cfg.Secret)
	} else {
		log.Warn("LEASEGRAPH_SECRET is unset: card-screen forms and card fingerprints use a key that changes on every start")
	}
	if cfg.Demo && cfg.Delivery.PropexoToken == "" {
		demo := demoPropexo()
		demo.JobTimeout, demo.RescueAfter = cfg.Delivery.JobTimeout, cfg.Delivery.RescueAfter
		cfg.Delivery = demo
	}
	stopScreening, err := a.startScreening(ctx, cfg.Screening, cfg.Port, cfg.Demo, cfg.DatabaseURL, drv, log)
	if err != nil {
		return fmt.Errorf("starting screening: %w", err)
	}
	defer stopScreening()
	prospectService, stopJobs, err := startJobs(ctx, cfg.Delivery, a.screeningService(), cfg.Screening.RefreshInterval, client, drv.DB(), drv.Dialect(), log)
	if err != nil {
		return fmt.Errorf("starting background jobs: %w", err)
	}
	defer stopJobs()
	a.prospects = prospectService
	if cfg.Demo {
		token, err := seedDemo(ctx, client, a.prospects, cfg.DemoToken, []string{"http://localhost:" + cfg.Port, "http://127.0.0.1:" + cfg.Port})
		if err != nil {
			return fmt.Errorf("seeding demo data: %w", err)
		}
		a.demoToken = token
		// The one log line that ever carries a token: the demo's, on purpose.
		log.Info("demo token: send it as Authorization: Bearer <token> (pre-filled in the playground)", "token", token)
	}
	srv := &http.Server{
		Addr:              ":" + cfg.Port,
		Handler:           a.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("leasegraph listening", "url", "http://localhost:"+cfg.Port, "playground", "http://localhost:"+cfg.Port+"/", "database", databaseKind(cfg.DatabaseURL))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

func databaseKind(url string) string {
	if url == "" {
		return "sqlite " + defaultSQLite
	}
	if len(url) > 8 && url[:8] == "postgres" {
		return "postgresql"
	}
	return "sqlite"
}

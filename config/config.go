// Package config is the server's configuration: every setting is one row of
// one table (table.go) with its environment variable, default, help text and
// parser, read once at start into Config. `server -h` and the table in
// docs/configuration.md are generated from the same rows, so neither drifts.
//
// The test suites' own knobs (which database, what to skip) are not settings
// of the server: they live in config/testknobs.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/leasegraph/leasegraph/graph/cost"
	"github.com/leasegraph/leasegraph/internal/loopback"
)

// Config is every setting, parsed.
type Config struct {
	Port string
	// Tracing turns OpenTelemetry's traces on (an OTLP endpoint is set).
	Tracing     Tracing
	DatabaseURL string
	Demo        bool
	DemoToken   string
	// Secret signs forms and keys card fingerprints; "" means a random key
	// per start.
	Secret string
	// CORSOrigins may call the API from browsers; none: CORS off.
	CORSOrigins []string
	// Migrate is MigrateAuto or MigrateOff.
	Migrate  string
	LogLevel slog.Level
	// MetricsToken is the bearer token /metrics asks for; "" serves it
	// only in demo mode.
	MetricsToken string
	// LogFormat is LogText or LogJSON.
	LogFormat string
	// RequestTimeout is the deadline of a GraphQL operation or a /leases
	// request.
	RequestTimeout time.Duration
	// MaxActiveRequests is how many /graphql and /leases requests are
	// worked on at once; the rest wait in arrival order (0: no bound).
	MaxActiveRequests int
	// ShutdownTimeout is how long a stopping server waits for in-flight
	// requests and running jobs before it cuts them.
	ShutdownTimeout time.Duration
	// ShutdownDrain is how long, after SIGTERM, the server keeps serving
	// with /readyz answering 503, so a load balancer stops routing to it
	// before its listener closes.
	ShutdownDrain time.Duration
	// AuthCacheTTL is how long a token's authentication and its client's
	// status sets are reused (tenancy.Service.CacheTTL).
	AuthCacheTTL time.Duration
	DB           DB
	Limits       RateLimits
	GraphQL      GraphQL
	Delivery     Delivery
	Webhooks     Webhooks
	SMS          SMS
	Screening    Screening
	Runtime      Runtime
}

// Runtime is the Go runtime's memory settings, applied at start-up
// (debug.SetGCPercent, debug.SetMemoryLimit). They keep the runtime's own
// names, GOGC and GOMEMLIMIT, and the runtime reads the same variables,
// so the two never disagree; only the defaults are ours.
type Runtime struct {
	GCPercent   int   // -1: off
	MemoryLimit int64 // bytes; math.MaxInt64: none
}

// DB is how long the process waits on PostgreSQL (SQLite is local: its
// waits are the busy timeout and the request's context).
type DB struct {
	// ConnectTimeout is lib/pq's connect_timeout when the URL and
	// PGCONNECT_TIMEOUT set none: without it a connection attempt to a
	// host that drops packets waits for the kernel (minutes).
	ConnectTimeout time.Duration
	// StatementTimeout is PostgreSQL's statement_timeout for every pooled
	// connection (0: the server's own). It is a backstop behind request
	// deadlines: a cancelled request asks PostgreSQL to cancel its statement
	// over a new connection, which a partitioned network may never deliver;
	// this makes PostgreSQL end the statement by itself.
	StatementTimeout time.Duration
	// MaxConns is the PostgreSQL pool's size, open and idle alike: an idle
	// bound below the open one closes connections a busy moment opened, and
	// the next requests pay a new session each.
	MaxConns int
	// StatementCache is how many prepared statements each PostgreSQL
	// connection keeps, by text (0: none; see internal/database).
	StatementCache int
}

// RateLimits are the request budgets, per server instance. A zero rate
// turns its limit off.
type RateLimits struct {
	// TokenRate is requests per second per token, TokenBurst how many it
	// may send at once.
	TokenRate  float64
	TokenBurst int
	// AuthFailures is failed authentications per minute per client
	// address (also the burst).
	AuthFailures int
	// MaxKeys bounds each table of buckets (tokens, addresses).
	MaxKeys int
	// TrustedProxies may tell the client's address in X-Forwarded-For.
	TrustedProxies []netip.Prefix
	// SocketRecheck is how often an open websocket's token is checked for
	// revocation.
	SocketRecheck time.Duration
	// SocketsPerToken bounds the websockets one token holds open at once
	// (0: no bound): each costs a goroutine and a re-check per interval.
	SocketsPerToken int
}

// GraphQL is what one request may cost, and whether it may introspect.
type GraphQL struct {
	// Limits bound a request's size, depth, complexity and partner calls.
	Limits cost.Limits
	// NoIntrospection switches introspection off; it is on by default
	// because the playground is the documentation.
	NoIntrospection bool
}

// Webhooks are the outbound events' settings (package webhooks).
type Webhooks struct {
	// Key encrypts endpoint secrets (base64 of 32 bytes); "" turns
	// webhooks off outside demo mode.
	Key string
	// AllowPrivate lets endpoints use plain http and addresses inside the
	// network (development, on-premises receivers).
	AllowPrivate bool
	// MaxEndpoints bounds a client's endpoints.
	MaxEndpoints int
	// EventsKept is how long events and their deliveries are kept.
	EventsKept time.Duration
	// Timeout bounds one delivery attempt, reading the answer included.
	Timeout time.Duration
	// Concurrency is how many deliveries run at once in a process;
	// EndpointConcurrency how many of them may go to one endpoint.
	Concurrency, EndpointConcurrency int
}

// Delivery is how prospects reach Propexo.
type Delivery struct {
	PropexoToken   string
	PropexoBaseURL string
	// JobTimeout bounds one delivery attempt; RescueAfter is when a job a
	// dead process held is run again; ReconcileAfter is how long a write
	// whose answer was lost is given before it is looked up at Propexo.
	JobTimeout, RescueAfter, ReconcileAfter time.Duration
	// HeartbeatLapse is how old a working process's heartbeat makes it
	// dead, its running jobs run again at once.
	HeartbeatLapse time.Duration
	// SyncInterval is how often every client with a Propexo integration
	// has its leases synced; SyncFullEvery how often a sync reads
	// everything (and finds leases removed at Propexo) rather than changes.
	SyncInterval, SyncFullEvery time.Duration
	// SyncRunsKept is how long an ended lease sync run is kept.
	SyncRunsKept time.Duration
	// WebhookSecret is the key each client's Propexo webhook secret is
	// derived from (propexosync.WebhookSecret); empty registers no webhook
	// and refuses every delivery.
	WebhookSecret string
}

// SMS is how registration invitations reach prospects: Twilio
// Programmable Messaging. Unset (no account SID), invitations are recorded
// NOT_SENT.
type SMS struct {
	AccountSID, AuthToken string
	// From is the sender: a phone number in E.164, or a Messaging Service
	// SID ("MG...").
	From    string
	BaseURL string
}

// Configured says every Twilio setting needed to send is set.
func (s SMS) Configured() bool { return s.AccountSID != "" }

// Screening is how screenings reach SmartMove.
type Screening struct {
	APIKey  string
	BaseURL string
	// PublicURL is this server's base URL as SmartMove reaches it, for
	// postbacks; no trailing slash.
	PublicURL       string
	RefreshInterval time.Duration
}

// LEASEGRAPH_MIGRATE's values.
const (
	MigrateAuto = "auto" // apply pending migrations when opening the database
	MigrateOff  = "off"  // refuse to run while migrations are pending
)

// LOG_FORMAT's values.
const (
	LogText = "text"
	LogJSON = "json"
)

// StatementTimeoutMargin lets a request's own deadline (and its clear
// TIMEOUT answer) always come before PostgreSQL's statement_timeout.
const StatementTimeoutMargin = 5 * time.Second

// Setting is one row of the table.
type Setting struct {
	Name string
	// Default is what an unset or empty variable means, in the variable's
	// own syntax ("": nothing).
	Default string
	// Shown is how the documentation states the default when it is not
	// Default itself (a computed default, or what "unset" means).
	Shown string
	// Help says what the setting does (Markdown, one paragraph).
	Help string
	// set parses a value (or the default) into the Config being loaded.
	set func(string) error
	// derive computes the default from the settings above this one.
	derive func() string
}

// Settings lists the table's rows, in order.
func Settings() []Setting { return table(new(Config)) }

// Load reads every setting once through getenv (os.Getenv in the server).
// An unset or empty variable takes its default. Every invalid value is
// reported, each error naming its variable; values are not echoed, since
// some are secrets.
func Load(getenv func(string) string) (Config, error) {
	var c Config
	var errs []error
	for _, s := range table(&c) {
		v := getenv(s.Name)
		if v == "" {
			v = s.Default
			if s.derive != nil {
				v = s.derive()
			}
		}
		if err := s.set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name, err))
		}
	}
	if len(errs) == 0 {
		errs = append(errs, c.check()...)
	}
	return c, errors.Join(errs...)
}

// Defaults is the configuration of an empty environment: the values the
// server falls back on where a caller (a test) leaves a field zero.
func Defaults() Config {
	c, err := Load(func(string) string { return "" })
	if err != nil {
		panic("config: a default does not parse: " + err.Error()) // TestDefaults keeps this from happening
	}
	return c
}

// check holds the rules that tie two settings together.
func (c *Config) check() []error {
	var errs []error
	if c.Limits.TokenRate > 0 && c.Limits.TokenBurst < 1 {
		errs = append(errs, errors.New("LEASEGRAPH_TOKEN_BURST: at least 1 while LEASEGRAPH_TOKEN_RATE is on"))
	}
	if c.Delivery.RescueAfter <= c.Delivery.JobTimeout {
		errs = append(errs, fmt.Errorf("LEASEGRAPH_JOB_RESCUE_AFTER (%s) must be longer than LEASEGRAPH_JOB_TIMEOUT (%s)",
			c.Delivery.RescueAfter, c.Delivery.JobTimeout))
	}
	if c.Delivery.HeartbeatLapse < 3*time.Second {
		errs = append(errs, fmt.Errorf("LEASEGRAPH_HEARTBEAT_LAPSE (%s) must be at least 3s: a process beats every third of it", c.Delivery.HeartbeatLapse))
	}
	if c.SMS.AccountSID != "" && (c.SMS.AuthToken == "" || c.SMS.From == "") {
		errs = append(errs, errors.New("TWILIO_ACCOUNT_SID is set: TWILIO_AUTH_TOKEN and TWILIO_FROM are required too"))
	}
	// A partner outside this machine cannot call a loopback address back:
	// starting would register at Propexo, or send with every SMS, an
	// address that never answers, and nothing would say why.
	if public := c.Screening.PublicURL; loopback.URL(public) {
		if c.Delivery.WebhookSecret != "" && c.Delivery.PropexoToken != "" && !loopback.URL(c.Delivery.PropexoBaseURL) {
			errs = append(errs, fmt.Errorf("LEASEGRAPH_PUBLIC_URL (%s) is a loopback address, where Propexo cannot deliver "+
				"the webhooks PROPEXO_WEBHOOK_SECRET registers: set it to the URL Propexo reaches this server at", public))
		}
		if c.SMS.Configured() && !loopback.URL(c.SMS.BaseURL) {
			errs = append(errs, fmt.Errorf("LEASEGRAPH_PUBLIC_URL (%s) is a loopback address, where Twilio cannot post "+
				"its SMS status callbacks: set it to the URL Twilio reaches this server at", public))
		}
	}
	return errs
}

// Tracing is the OTLP endpoint settings whose presence turns traces on;
// the OpenTelemetry SDK reads the endpoint and every other OTEL_* variable
// itself.
type Tracing struct {
	Endpoint, TracesEndpoint string
	ServiceName              string
}

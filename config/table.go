package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/graph/cost"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/ratelimit"
	"github.com/leasegraph/leasegraph/smartmove"
	"github.com/leasegraph/leasegraph/twilio"
)

// table is every setting, each bound to its field of c. The order is the
// documentation's; a derived default may only use rows above it.
func table(c *Config) []Setting {
	q := cost.DefaultLimits()
	l := &c.GraphQL.Limits
	limit := func(name string, def int, dst *int, help string) Setting {
		return Setting{Name: name, Default: strconv.Itoa(def), Help: help, set: atLeastOne(dst)}
	}
	return []Setting{
		{Name: "PORT", Default: "8080", Help: "port to listen on", set: text(&c.Port)},
		{Name: "DATABASE_URL", Shown: "unset: `./leasegraph.db`",
			Help: "`postgres://user@host:5432/db?sslmode=disable` for PostgreSQL (always set `sslmode`), or `sqlite:PATH`",
			set:  text(&c.DatabaseURL)},
		{Name: "LEASEGRAPH_DEMO", Help: "`1` seeds the demo client and prints its token", set: lenientBool(&c.Demo)},
		{Name: "LEASEGRAPH_DEMO_TOKEN", Help: "a fixed demo token (16+ characters) for scripts", set: text(&c.DemoToken)},
		{Name: "LEASEGRAPH_CORS_ORIGINS", Default: "*",
			Help: "origins whose browser apps may call `/graphql` and `/leases` (comma-separated; `none` turns CORS off). " +
				"Bearer tokens, never cookies, authenticate, so `*` lets no page act without a token of its own",
			set: origins(&c.CORSOrigins)},
		{Name: "LEASEGRAPH_SECRET", Shown: "unset: random per start",
			Help: "32+ characters; signs the registration card form and keys card fingerprints. Set the same value on every " +
				"instance (unset, an open card form and duplicate-card detection do not survive a restart)",
			set: secret(&c.Secret, 32)},
		{Name: "PROPEXO_TOKEN",
			Help: "Propexo API token: deliver prospects of clients with a Propexo integration id " +
				"(unset: recorded as `NOT_SENT`; demo mode: an in-process simulator)",
			set: text(&c.Delivery.PropexoToken)},
		{Name: "PROPEXO_BASE_URL", Default: propexo.SandboxURL, Help: "Propexo API", set: text(&c.Delivery.PropexoBaseURL)},
		{Name: "TWILIO_ACCOUNT_SID",
			Help: "Twilio account: send registration invitations by SMS " +
				"(unset: recorded as `NOT_SENT`; demo mode: an in-process simulator)",
			set: text(&c.SMS.AccountSID)},
		{Name: "TWILIO_AUTH_TOKEN", Help: "Twilio auth token: authenticates sends and checks the status callbacks' signatures",
			set: text(&c.SMS.AuthToken)},
		{Name: "TWILIO_FROM", Help: "the SMS sender: an E.164 number of the account, or a Messaging Service SID (`MG...`)",
			set: smsSender(&c.SMS.From)},
		{Name: "TWILIO_BASE_URL", Default: twilio.BaseURL, Help: "Twilio API", set: text(&c.SMS.BaseURL)},
		{Name: "SMARTMOVE_API_KEY", Help: "RentPrep SmartMove key (unset: screening off, except demo mode's in-process simulator)",
			set: text(&c.Screening.APIKey)},
		{Name: "SMARTMOVE_BASE_URL", Default: smartmove.SandboxURL, Help: "SmartMove API (the sandbox)", set: text(&c.Screening.BaseURL)},
		{Name: "SMARTMOVE_REFRESH_INTERVAL", Default: "15m",
			Help: "how often, and after how long without a postback, open screenings are refreshed",
			set:  duration(&c.Screening.RefreshInterval, false)},
		{Name: "LEASEGRAPH_PUBLIC_URL", Shown: "`http://localhost:$PORT`", Help: "this server's public URL, for SmartMove's postbacks, Twilio's status callbacks (`/webhooks/twilio/status`) and Propexo's webhooks (`/webhooks/propexo/{client id}`); " +
			"a loopback one (the default) refuses to start with `PROPEXO_WEBHOOK_SECRET` or `TWILIO_ACCOUNT_SID` set against a partner off this machine, which could never call it",
			derive: func() string { return "http://localhost:" + c.Port }, set: baseURL(&c.Screening.PublicURL)},
		{Name: "LEASEGRAPH_TOKEN_RATE", Default: "20",
			Help: "requests per second per API token, on every route and websocket operation (`0`: no limit)",
			set:  nonNegative(&c.Limits.TokenRate)},
		{Name: "LEASEGRAPH_TOKEN_BURST", Default: "40",
			Help: "requests a token may send at once before `LEASEGRAPH_TOKEN_RATE` applies", set: nonNegativeInt(&c.Limits.TokenBurst)},
		{Name: "LEASEGRAPH_AUTH_FAILURES", Default: "10",
			Help: "failed authentications per minute per client address (also the burst), on every route that takes a secret (`0`: no limit)",
			set:  nonNegativeInt(&c.Limits.AuthFailures)},
		{Name: "LEASEGRAPH_RATE_LIMIT_KEYS", Default: strconv.Itoa(ratelimit.DefaultMaxKeys),
			Help: "tokens, and addresses, tracked by the limits (each table; about 300 bytes a key, so at most some 30 MB each); " +
				"when full the least recently used is forgotten",
			set: nonNegativeInt(&c.Limits.MaxKeys)},
		{Name: "LEASEGRAPH_TRUSTED_PROXIES", Help: "addresses or CIDRs of your reverse proxies (comma-separated): only a request from " +
			"one of them may name the client in `X-Forwarded-For`. Unset: the peer address is the client's",
			set: prefixes(&c.Limits.TrustedProxies)},
		{Name: "LEASEGRAPH_WS_RECHECK", Default: "30s", Help: "how often an open websocket's token is checked for revocation",
			set: duration(&c.Limits.SocketRecheck, false)},
		{Name: "LEASEGRAPH_WS_PER_TOKEN", Default: "100",
			Help: "websockets one API token may hold open at once, per instance (`0`: no limit); one more is closed with 4429",
			set:  nonNegativeInt(&c.Limits.SocketsPerToken)},
		{Name: "LEASEGRAPH_INTROSPECTION", Default: "1",
			Help: "`0` switches GraphQL introspection off (`__schema`, `__type` answer `INTROSPECTION_DISABLED`); " +
				"on by default because the playground is the documentation",
			set: introspection(&c.GraphQL.NoIntrospection)},
		limit("LEASEGRAPH_QUERY_MAX_TOKENS", q.MaxTokens, &l.MaxTokens, "parser tokens in a GraphQL document"),
		limit("LEASEGRAPH_QUERY_MAX_SELECTIONS", q.MaxSelections, &l.MaxSelections,
			"selections in a document, every fragment expanded where it is spread"),
		limit("LEASEGRAPH_QUERY_MAX_DEPTH", q.MaxDepth, &l.MaxDepth, "fields nested in one another (introspection excluded)"),
		limit("LEASEGRAPH_QUERY_MAX_FRAGMENT_DEPTH", q.MaxFragmentDepth, &l.MaxFragmentDepth, "fragments spread within one another"),
		limit("LEASEGRAPH_QUERY_MAX_REPEATS", q.MaxRepeats, &l.MaxRepeats,
			"times one field (response name) is selected in one selection set"),
		limit("LEASEGRAPH_QUERY_MAX_ALIASES", q.MaxAliases, &l.MaxAliases, "aliased fields in an operation"),
		limit("LEASEGRAPH_QUERY_MAX_ROOT_FIELDS", q.MaxRootFields, &l.MaxRootFields, "distinct root fields in an operation"),
		limit("LEASEGRAPH_QUERY_MAX_VARIABLES", q.MaxVariables, &l.MaxVariables, "variables an operation declares"),
		limit("LEASEGRAPH_QUERY_MAX_FRAGMENTS", q.MaxFragments, &l.MaxFragments, "fragment definitions in a document"),
		limit("LEASEGRAPH_QUERY_MAX_COMPLEXITY", q.MaxComplexity, &l.MaxComplexity,
			"an operation's complexity, about one per value answered (see [Query limits](api.md#query-limits))"),
		limit("LEASEGRAPH_QUERY_LIST_SIZE", q.ListSize, &l.ListSize, "items a plain list is assumed to hold in the complexity"),
		limit("LEASEGRAPH_QUERY_PARTNER_FIELD_COST", q.PartnerFieldCost, &l.PartnerFieldCost,
			"complexity of one value of a partner-backed field (marked `@partner` in the schema, such as `reportUrl`)"),
		limit("LEASEGRAPH_PARTNER_CONCURRENCY", q.PartnerConcurrency, &l.PartnerConcurrency,
			"partner calls (fields marked `@partner`) one request makes at once; the others wait their turn, within the request's deadline"),
		{Name: "LEASEGRAPH_MIGRATE", Default: MigrateAuto,
			Help: "`auto` applies pending schema migrations, River's job tables among them, at start-up and before each command; " +
				"`off` creates or alters no table, River's included, and refuses to start (or run a command) while any migration " +
				"is pending, for deployments that run `server migrate` as their own step",
			set: oneOf(&c.Migrate, MigrateAuto, MigrateOff)},
		{Name: "LOG_LEVEL", Default: "info", Help: "`debug`, `info`, `warn`, `error`", set: logLevel(&c.LogLevel)},
		{Name: "LEASEGRAPH_METRICS_TOKEN",
			Help: "16+ characters: `/metrics` (Prometheus) answers a scraper that sends it as `Authorization: Bearer <token>`. " +
				"Unset: `/metrics` is not served, except in demo mode, where it is open",
			set: secret(&c.MetricsToken, 16)},
		{Name: "LOG_FORMAT", Default: LogText, Help: "`text` (key=value lines) or `json` (one object a line, for a log collector)",
			set: oneOf(&c.LogFormat, LogText, LogJSON)},
		{Name: "OTEL_EXPORTER_OTLP_ENDPOINT", Shown: "unset: no traces",
			Help: "OpenTelemetry traces (HTTP requests by route, GraphQL operations, partner calls, River jobs) are exported over OTLP/HTTP to this " +
				"base URL (`/v1/traces` appended). Unset together with `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`: no tracer is installed, nothing is exported. " +
				"The exporter and the SDK read the other standard OpenTelemetry variables themselves (sampler, headers, resource attributes: " +
				"the OpenTelemetry SDK's environment specification)",
			set: text(&c.Tracing.Endpoint)},
		{Name: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", Shown: "unset: no traces",
			Help: "the full OTLP/HTTP URL for traces (used as is); either this or `OTEL_EXPORTER_OTLP_ENDPOINT` turns tracing on",
			set:  text(&c.Tracing.TracesEndpoint)},
		{Name: "OTEL_SERVICE_NAME", Default: "leasegraph", Help: "the service name of the traces (when tracing is on)",
			set: text(&c.Tracing.ServiceName)},
		{Name: "LEASEGRAPH_REQUEST_TIMEOUT", Default: "15s",
			Help: "deadline of each GraphQL query or mutation (over HTTP or the websocket; subscriptions are not cut) and of each " +
				"`/leases` request: then it answers 503 `TIMEOUT` and its SQL is cancelled. For a streamed `/leases` CSV export it is " +
				"an idle deadline: each page sent pushes it back",
			set: duration(&c.RequestTimeout, false)},
		{Name: "LEASEGRAPH_SHUTDOWN_TIMEOUT", Default: "30s",
			Help: "on SIGTERM or SIGINT, how long in-flight requests and running background jobs may take to finish (new " +
				"connections are refused at once, websockets are closed with 1001); then jobs are cancelled and the process exits",
			set: duration(&c.ShutdownTimeout, false)},
		{Name: "LEASEGRAPH_SHUTDOWN_DRAIN", Default: "0",
			Help: "on SIGTERM or SIGINT, how long the server keeps serving while `/readyz` answers 503, before the shutdown above " +
				"begins, so a load balancer polling `/readyz` stops routing to it first (a second signal ends it early); set it " +
				"above the balancer's check interval times its failure threshold",
			set: duration(&c.ShutdownDrain, true)},
		{Name: "LEASEGRAPH_DB_STATEMENT_TIMEOUT", Shown: "request timeout + `5s`",
			Help: "PostgreSQL `statement_timeout` on the server's connections, a backstop in case a cancel cannot reach the " +
				"database (`0`: off; migrations and CLI commands run without it)",
			derive: func() string { return (c.RequestTimeout + StatementTimeoutMargin).String() },
			set:    duration(&c.DB.StatementTimeout, true)},
		{Name: "LEASEGRAPH_DB_CONNECT_TIMEOUT", Default: "5s",
			Help: "PostgreSQL connect timeout, used when neither `DATABASE_URL` (`connect_timeout`) nor libpq's `PGCONNECT_TIMEOUT` sets one", set: duration(&c.DB.ConnectTimeout, false)},
		{Name: "LEASEGRAPH_MAX_ACTIVE_REQUESTS", Default: "16",
			Help: "`/graphql` and `/leases` requests worked on at once; the rest wait for a slot in the order they came, the wait " +
				"counting against their request timeout, so that under a burst the slowest answers are not slower than their " +
				"place in the queue (a partner call gives its slot back while it waits on the partner; websockets take none; " +
				"`0`: no bound)",
			set: nonNegativeInt(&c.MaxActiveRequests)},
		{Name: "LEASEGRAPH_DB_MAX_CONNS", Default: "20",
			Help: "PostgreSQL connections in the server's pool, all kept open while idle (up to 5 minutes) so a busy server " +
				"never pays a new session per request; keep it under the database's `max_connections` divided by the instances " +
				"(SQLite always uses one)",
			set: atLeastOne(&c.DB.MaxConns)},
		{Name: "LEASEGRAPH_DB_STATEMENT_CACHE", Default: "32",
			Help: "prepared statements each PostgreSQL connection keeps, by text: a statement the server sends again (the leases " +
				"page is two) then costs one round trip instead of two, and PostgreSQL neither parses nor, when its generic plan " +
				"serves, plans it again; `0` for a pooler in transaction mode that does not track prepared statements " +
				"(PgBouncer before 1.21)",
			set: nonNegativeInt(&c.DB.StatementCache)},
		{Name: "LEASEGRAPH_AUTH_CACHE_TTL", Default: "2s",
			Help: "how long an authenticated API token and its client's status sets are reused before the database is asked " +
				"again; a revocation or status-set change made through this instance applies at once, one made elsewhere (the CLI, " +
				"another instance) within this time (`0`: ask every time)",
			set: duration(&c.AuthCacheTTL, true)},
		{Name: "GOGC", Default: "400",
			Help: "Go's garbage collector target: the heap may grow to this percent over live data before a collection. " +
				"Requests allocate about 1 MB each and keep little, so collecting at Go's 100 spent a fifth of the CPU on it; " +
				"`GOMEMLIMIT` bounds what the higher target may cost (`off`: collect only at the memory limit)",
			set: gcPercent(&c.Runtime.GCPercent)},
		{Name: "GOMEMLIMIT", Default: "128MiB",
			Help: "soft limit of the Go heap (`B`, `KiB`, `MiB`, `GiB`; `off`: none): near it the collector runs as often " +
				"as it must, whatever `GOGC` says; the process's RSS stays a few tens of MB above it",
			set: memLimit(&c.Runtime.MemoryLimit)},
		{Name: "LEASEGRAPH_JOB_TIMEOUT", Default: "1m", Help: "longest run of one delivery attempt", set: duration(&c.Delivery.JobTimeout, false)},
		{Name: "LEASEGRAPH_JOB_RESCUE_AFTER", Default: "5m",
			Help: "the last resort of crash recovery: a job still marked running after this is run again whatever its " +
				"process's heartbeat says (the heartbeat below rescues a dead process's jobs far sooner); must exceed the job timeout",
			set: duration(&c.Delivery.RescueAfter, false)},
		{Name: "LEASEGRAPH_HEARTBEAT_LAPSE", Default: "15s",
			Help: "each process that works jobs writes a heartbeat to the database every third of this; a job still running " +
				"under a process whose heartbeat is this old (`kill -9`, a lost host) is run again at once, resuming from its " +
				"recorded state, so a crash's work resumes 15 to 20 s after it with the default. A live process's job is never " +
				"taken however long it runs; the hosts' clocks must agree to well within it. At least `3s`; " +
				"`LEASEGRAPH_JOB_RESCUE_AFTER` stays as the last resort",
			set: duration(&c.Delivery.HeartbeatLapse, false)},
		{Name: "PROPEXO_RECONCILE_AFTER", Default: "2m",
			Help: "Propexo documents no idempotency: a write whose answer was lost (or whose sender died mid-send) is looked up at Propexo " +
				"(by its content: names, email and phone; a note by its count) this long after it was sent, and resent only when not found there; " +
				"it must exceed how long Propexo takes to run a write and list it. Only such a write waits: a delivery whose send had not " +
				"started, or whose Propexo job id was recorded, resumes at once",
			set: duration(&c.Delivery.ReconcileAfter, false)},
		{Name: "PROPEXO_SYNC_INTERVAL", Default: "15m",
			Help: "how often the leases and tenants of every client with a Propexo integration id are synced from Propexo " +
				"(needs `PROPEXO_TOKEN`; one instance runs it); a sync reads only what changed since the last one",
			set: duration(&c.Delivery.SyncInterval, false)},
		{Name: "PROPEXO_SYNC_FULL_EVERY", Default: "24h",
			Help: "how often a lease sync reads every lease rather than the changes: only a full sync finds leases deleted at Propexo " +
				"(marked removed, no longer served)",
			set: duration(&c.Delivery.SyncFullEvery, false)},
		{Name: "PROPEXO_SYNC_RUNS_KEPT", Default: "720h",
			Help: "how long an ended lease sync run (`integrationJobs` of kind `LEASE_SYNC`, one per client per sync) is kept; " +
				"each run's end deletes the client's older ones",
			set: duration(&c.Delivery.SyncRunsKept, false)},
		{Name: "LEASEGRAPH_WEBHOOK_KEY", Shown: "unset: webhooks off (demo mode makes one)",
			Help: "base64 of 32 random bytes (`openssl rand -base64 32`): encrypts each webhook endpoint's signing secret in the database, " +
				"so a dump alone does not reveal them. Set the same value on every instance and keep it: a lost key makes every endpoint's " +
				"secret unreadable (rotate each). Unset, no endpoint can be created and the server refuses to start while enabled endpoints exist; " +
				"events are still recorded and listed",
			set: text(&c.Webhooks.Key)},
		{Name: "LEASEGRAPH_WEBHOOK_ALLOW_PRIVATE", Shown: "`0` (demo mode: `1`)",
			Help: "`1` lets webhook endpoints use plain http and addresses inside the network (loopback, private, link-local, cloud metadata), " +
				"for development and on-premises receivers; otherwise such URLs are refused when an endpoint is saved and again at every " +
				"connection, after DNS resolution",
			set: lenientBool(&c.Webhooks.AllowPrivate)},
		{Name: "LEASEGRAPH_WEBHOOK_ENDPOINTS_MAX", Default: "20",
			Help: "webhook endpoints a client may have", set: atLeastOne(&c.Webhooks.MaxEndpoints)},
		{Name: "LEASEGRAPH_EVENTS_KEPT", Default: "720h",
			Help: "how long events (the graph's `events`) and their webhook deliveries are kept; older ones are deleted hourly",
			set:  duration(&c.Webhooks.EventsKept, false)},
		{Name: "LEASEGRAPH_WEBHOOK_TIMEOUT", Default: "15s",
			Help: "how long one webhook delivery attempt may take, reading the answer (at most 64 KiB) included; slower is a failed attempt",
			set:  duration(&c.Webhooks.Timeout, false)},
		{Name: "LEASEGRAPH_WEBHOOK_CONCURRENCY", Default: "64",
			Help: "webhook deliveries a process runs at once", set: atLeastOne(&c.Webhooks.Concurrency)},
		{Name: "LEASEGRAPH_WEBHOOK_ENDPOINT_CONCURRENCY", Default: "8",
			Help: "of those, how many may go to one endpoint at once, so a slow or dead endpoint cannot hold up the others' deliveries",
			set:  atLeastOne(&c.Webhooks.EndpointConcurrency)},
		{Name: "PROPEXO_WEBHOOK_SECRET",
			Help: "the key each client's Propexo webhook secret is derived from (HMAC-SHA256 of the client id): a lease sync registers " +
				"the client's webhook at Propexo with `LEASEGRAPH_PUBLIC_URL` + `/webhooks/propexo/{client id}` and that secret, and the route " +
				"checks each delivery's `propexo-signature` with it before re-fetching the record (unset: no webhook is registered, every delivery is refused)",
			set: text(&c.Delivery.WebhookSecret)},
	}
}

// The parsers: each binds a field and returns the row's set function.

func text(dst *string) func(string) error {
	return func(v string) error { *dst = v; return nil }
}

// smsSender accepts what Twilio takes as a sender (docs/partners/twilio.md#create-message): a
// phone number in E.164, or a Messaging Service SID.
func smsSender(dst *string) func(string) error {
	return func(v string) error {
		if v != "" && !senderPattern.MatchString(v) {
			return errors.New("an E.164 number (+15005550006) or a Messaging Service SID (MG and 32 hex digits)")
		}
		*dst = v
		return nil
	}
}

var senderPattern = regexp.MustCompile(`^(\+[1-9][0-9]{1,14}|MG[0-9a-fA-F]{32})$`)

func secret(dst *string, min int) func(string) error {
	return func(v string) error {
		if v != "" && len(v) < min {
			return fmt.Errorf("at least %d characters", min)
		}
		*dst = v
		return nil
	}
}

// baseURL drops a trailing slash, so paths can be appended.
func baseURL(dst *string) func(string) error {
	return func(v string) error { *dst = strings.TrimRight(v, "/"); return nil }
}

// gcPercent reads GOGC as the Go runtime does: a percentage or off (-1).
func gcPercent(dst *int) func(string) error {
	return func(v string) error {
		if v == "off" {
			*dst = -1
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("a percentage such as 100, or off")
		}
		*dst = n
		return nil
	}
}

// memLimit reads GOMEMLIMIT as the Go runtime does: bytes with an optional
// B, KiB, MiB, GiB or TiB suffix, or off (math.MaxInt64).
func memLimit(dst *int64) func(string) error {
	return func(v string) error {
		if v == "off" {
			*dst = math.MaxInt64
			return nil
		}
		num, mult := v, int64(1)
		for i, suffix := range []string{"TiB", "GiB", "MiB", "KiB", "B"} {
			if n, ok := strings.CutSuffix(v, suffix); ok {
				num, mult = n, int64(1)<<(10*(4-i))
				break
			}
		}
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n <= 0 || n > math.MaxInt64/mult {
			return errors.New("a size such as 128MiB or 1GiB, or off")
		}
		*dst = n * mult
		return nil
	}
}

// lenientBool is on for any value but 0 and false.
func lenientBool(dst *bool) func(string) error {
	return func(v string) error {
		switch v {
		case "", "0", "false":
			*dst = false
		default:
			*dst = true
		}
		return nil
	}
}

func introspection(off *bool) func(string) error {
	return func(v string) error {
		switch v {
		case "1", "true", "on":
			*off = false
		case "0", "false", "off":
			*off = true
		default:
			return fmt.Errorf("want 1 or 0, got %q", v)
		}
		return nil
	}
}

func oneOf(dst *string, values ...string) func(string) error {
	return func(v string) error {
		for _, ok := range values {
			if v == ok {
				*dst = v
				return nil
			}
		}
		return fmt.Errorf("must be %s", strings.Join(values, " or "))
	}
}

func logLevel(dst *slog.Level) func(string) error {
	return func(v string) error { return dst.UnmarshalText([]byte(v)) }
}

func duration(dst *time.Duration, zeroOK bool) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || (d == 0 && !zeroOK) {
			if zeroOK {
				return errors.New("a duration such as 20s, or 0")
			}
			return errors.New("a positive duration such as 30s")
		}
		*dst = d
		return nil
	}
}

func nonNegative(dst *float64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 {
			return errors.New("a number, 0 or more")
		}
		*dst = n
		return nil
	}
}

// nonNegativeInt accepts what nonNegative does and drops the fraction, as
// the server always has.
func nonNegativeInt(dst *int) func(string) error {
	return func(v string) error {
		var f float64
		if err := nonNegative(&f)(v); err != nil {
			return err
		}
		*dst = int(f)
		return nil
	}
}

func atLeastOne(dst *int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("want a whole number of at least 1, got %q", v)
		}
		*dst = n
		return nil
	}
}

// origins reads a comma-separated list; "none" turns CORS off.
func origins(dst *[]string) func(string) error {
	return func(v string) error {
		*dst = nil
		if strings.TrimSpace(v) == "none" {
			return nil
		}
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				*dst = append(*dst, o)
			}
		}
		return nil
	}
}

func prefixes(dst *[]netip.Prefix) func(string) error {
	return func(v string) (err error) {
		*dst, err = ratelimit.ParsePrefixes(v)
		return err
	}
}

package config_test

import (
	"bytes"
	"flag"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/config/testknobs"
	"github.com/leasegraph/leasegraph/graph/cost"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md's configuration table from the settings")

func env(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

// TestDefaults: an empty environment gives the documented defaults,
// including the two computed from other settings.
func TestDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		Port: "8080", CORSOrigins: []string{"*"}, Migrate: "auto", LogFormat: "text", RequestTimeout: 15 * time.Second, MaxActiveRequests: 16, ShutdownTimeout: 30 * time.Second, AuthCacheTTL: 2 * time.Second,
		DB:      config.DB{ConnectTimeout: 5 * time.Second, StatementTimeout: 20 * time.Second, MaxConns: 20, StatementCache: 32},
		Limits:  config.RateLimits{TokenRate: 20, TokenBurst: 40, AuthFailures: 10, MaxKeys: 100000, SocketRecheck: 30 * time.Second, SocketsPerToken: 100},
		GraphQL: config.GraphQL{Limits: cost.DefaultLimits()},
		Tracing: config.Tracing{ServiceName: "leasegraph"},
		Runtime: config.Runtime{GCPercent: 400, MemoryLimit: 128 << 20},
		Delivery: config.Delivery{PropexoBaseURL: "https://api.sandbox.propexo.com", JobTimeout: time.Minute, RescueAfter: 5 * time.Minute, ReconcileAfter: 2 * time.Minute, HeartbeatLapse: 15 * time.Second,
			SyncInterval: 15 * time.Minute, SyncFullEvery: 24 * time.Hour, SyncRunsKept: 30 * 24 * time.Hour},
		Webhooks: config.Webhooks{MaxEndpoints: 20, EventsKept: 30 * 24 * time.Hour, Timeout: 15 * time.Second, Concurrency: 64, EndpointConcurrency: 8},
		SMS:      config.SMS{BaseURL: "https://api.twilio.com"},
		Screening: config.Screening{BaseURL: "https://stage.rentprep.com", PublicURL: "http://localhost:8080",
			RefreshInterval: 15 * time.Minute},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("defaults\n got %+v\nwant %+v", c, want)
	}
	if !reflect.DeepEqual(config.Defaults(), want) {
		t.Fatalf("Defaults() = %+v", config.Defaults())
	}
	c, err = config.Load(env(map[string]string{"PORT": "9000", "LEASEGRAPH_REQUEST_TIMEOUT": "3s"}))
	if err != nil || c.Screening.PublicURL != "http://localhost:9000" || c.DB.StatementTimeout != 8*time.Second {
		t.Fatalf("computed defaults: %q %v %v", c.Screening.PublicURL, c.DB.StatementTimeout, err)
	}
	c, err = config.Load(env(map[string]string{"LEASEGRAPH_PUBLIC_URL": "https://api.example/", "LEASEGRAPH_DB_STATEMENT_TIMEOUT": "0"}))
	if err != nil || c.Screening.PublicURL != "https://api.example" || c.DB.StatementTimeout != 0 {
		t.Fatalf("set over computed defaults: %q %v %v", c.Screening.PublicURL, c.DB.StatementTimeout, err)
	}
}

// companions are the settings a setting is only valid with.
var companions = map[string]map[string]string{
	"TWILIO_ACCOUNT_SID": {"TWILIO_AUTH_TOKEN": "token", "TWILIO_FROM": "+15005550006", "LEASEGRAPH_PUBLIC_URL": "https://api.example"},
}

// TestEverySettingIsRead: each row reaches a field: setting its variable
// alone to some valid value changes the configuration.
func TestEverySettingIsRead(t *testing.T) {
	probes := []string{"7", "7m", "2m", "off", "0", "debug", "json", "10.0.0.0/8", "https://x.example", strings.Repeat("s", 40), "+15005550006"}
	seen := map[string]bool{}
	for _, s := range config.Settings() {
		if seen[s.Name] {
			t.Errorf("%s is in the table twice", s.Name)
		}
		seen[s.Name] = true
		if s.Help == "" {
			t.Errorf("%s has no help", s.Name)
		}
		// A setting that needs others is probed with them set, against
		// the configuration they alone make.
		with := companions[s.Name]
		base, err := config.Load(env(with))
		if err != nil {
			t.Fatal(err)
		}
		changed := false
		for _, p := range probes {
			vars := map[string]string{s.Name: p}
			for k, v := range with {
				vars[k] = v
			}
			c, err := config.Load(env(vars))
			if err == nil && !reflect.DeepEqual(c, base) {
				changed = true
				break
			}
		}
		if !changed {
			t.Errorf("%s: no value changes the configuration", s.Name)
		}
	}
}

// TestInvalidValues: a bad value stops the start with an error naming its
// variable; every bad variable is named at once; a secret is not echoed.
func TestInvalidValues(t *testing.T) {
	bad := map[string]string{
		"LEASEGRAPH_SECRET": "too-short", "LEASEGRAPH_MIGRATE": "sometimes", "LOG_LEVEL": "loud",
		"LEASEGRAPH_REQUEST_TIMEOUT": "soon", "LEASEGRAPH_DB_STATEMENT_TIMEOUT": "-1s", "LEASEGRAPH_DB_CONNECT_TIMEOUT": "0",
		"LEASEGRAPH_JOB_TIMEOUT": "1", "SMARTMOVE_REFRESH_INTERVAL": "0s", "LEASEGRAPH_WS_RECHECK": "0s",
		"LEASEGRAPH_TOKEN_RATE": "fast", "LEASEGRAPH_AUTH_FAILURES": "-1", "LEASEGRAPH_RATE_LIMIT_KEYS": "many",
		"LEASEGRAPH_TRUSTED_PROXIES": "proxy.example", "LEASEGRAPH_INTROSPECTION": "maybe",
		"LEASEGRAPH_QUERY_MAX_DEPTH": "0", "LEASEGRAPH_QUERY_MAX_TOKENS": "-1", "LEASEGRAPH_PARTNER_CONCURRENCY": "ten",
		"LEASEGRAPH_DB_MAX_CONNS": "0", "LEASEGRAPH_AUTH_CACHE_TTL": "-2s", "GOGC": "-5", "GOMEMLIMIT": "128MB",
		"TWILIO_FROM": "5005550006",
	}
	for name, v := range bad {
		if _, err := config.Load(env(map[string]string{name: v})); err == nil || !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("%s=%s: %v", name, v, err)
		}
	}
	_, err := config.Load(env(bad))
	for name := range bad {
		if err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("all bad at once: %s not named in %v", name, err)
		}
	}
	if strings.Contains(err.Error(), "too-short") {
		t.Errorf("the secret's value is in the error: %v", err)
	}
	// Rules across two settings.
	for _, tc := range []struct {
		vars map[string]string
		name string
	}{
		{map[string]string{"LEASEGRAPH_TOKEN_BURST": "0"}, "LEASEGRAPH_TOKEN_BURST"},
		{map[string]string{"LEASEGRAPH_JOB_RESCUE_AFTER": "30s"}, "LEASEGRAPH_JOB_RESCUE_AFTER"},
		{map[string]string{"LEASEGRAPH_HEARTBEAT_LAPSE": "2s"}, "LEASEGRAPH_HEARTBEAT_LAPSE"},
		{map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_FROM": "+15005550006"}, "TWILIO_AUTH_TOKEN"},
	} {
		if _, err := config.Load(env(tc.vars)); err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%v: %v", tc.vars, err)
		}
	}
	// Partners that call back, against a loopback public URL (the
	// default, or one set): refused, unless the partner is on this
	// machine too (a simulator) or the URL is public.
	propexo := map[string]string{"PROPEXO_TOKEN": "pt", "PROPEXO_WEBHOOK_SECRET": "0123456789abcdef"}
	twilio := map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "token", "TWILIO_FROM": "+15005550006"}
	with := func(a map[string]string, k, v string) map[string]string {
		m := maps.Clone(a)
		m[k] = v
		return m
	}
	for _, tc := range []struct {
		vars    map[string]string
		refused string
	}{
		{propexo, "Propexo"},
		{with(propexo, "LEASEGRAPH_PUBLIC_URL", "http://127.0.0.1:9000"), "Propexo"},
		{with(propexo, "LEASEGRAPH_PUBLIC_URL", "http://[::1]:9000/"), "Propexo"},
		{with(propexo, "LEASEGRAPH_PUBLIC_URL", "http://app.localhost"), "Propexo"},
		{twilio, "Twilio"},
		{with(twilio, "LEASEGRAPH_PUBLIC_URL", "http://0.0.0.0:8080"), "Twilio"},
		{with(propexo, "LEASEGRAPH_PUBLIC_URL", "https://api.example"), ""},
		{with(propexo, "PROPEXO_BASE_URL", "http://127.0.0.1:7000"), ""},
		{with(propexo, "PROPEXO_WEBHOOK_SECRET", ""), ""},
		{with(twilio, "LEASEGRAPH_PUBLIC_URL", "https://10.0.0.5"), ""},
		{with(twilio, "TWILIO_BASE_URL", "http://localhost:7001"), ""},
	} {
		_, err := config.Load(env(tc.vars))
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("%v: %v", tc.vars, err)
		case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), "LEASEGRAPH_PUBLIC_URL") || !strings.Contains(err.Error(), tc.refused)):
			t.Errorf("%v: %v; want LEASEGRAPH_PUBLIC_URL refused for %s", tc.vars, err, tc.refused)
		}
	}
	if c, err := config.Load(env(map[string]string{"LEASEGRAPH_TOKEN_RATE": "0", "LEASEGRAPH_TOKEN_BURST": "0"})); err != nil || c.Limits.TokenRate != 0 {
		t.Errorf("no token limit, no burst: %v", err)
	}
}

// TestQueryLimits: a limit set alone changes only itself.
func TestQueryLimits(t *testing.T) {
	c, err := config.Load(env(map[string]string{"LEASEGRAPH_QUERY_MAX_DEPTH": "7"}))
	if err != nil || c.GraphQL.Limits.MaxDepth != 7 || c.GraphQL.Limits.MaxTokens != cost.DefaultLimits().MaxTokens {
		t.Fatalf("%v %+v", err, c.GraphQL.Limits)
	}
}

// TestLists: list settings are trimmed, and "none" is the empty list.
func TestLists(t *testing.T) {
	for in, want := range map[string]string{"*": "*", "none": "", " https://a.example , https://b.example ": "https://a.example|https://b.example"} {
		c, err := config.Load(env(map[string]string{"LEASEGRAPH_CORS_ORIGINS": in}))
		if got := strings.Join(c.CORSOrigins, "|"); err != nil || got != want {
			t.Errorf("LEASEGRAPH_CORS_ORIGINS=%q: %q %v, want %q", in, got, err, want)
		}
	}
	c, err := config.Load(env(map[string]string{"LEASEGRAPH_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"}))
	if err != nil || len(c.Limits.TrustedProxies) != 2 {
		t.Errorf("LEASEGRAPH_TRUSTED_PROXIES: %v %v", c.Limits.TrustedProxies, err)
	}
}

// TestHelp: the -h text lists every setting with its default, as plain text.
func TestHelp(t *testing.T) {
	var b bytes.Buffer
	config.WriteHelp(&b)
	for _, s := range config.Settings() {
		if !strings.Contains(b.String(), "  "+s.Name+" (default ") {
			t.Errorf("-h does not list %s", s.Name)
		}
	}
	if strings.Contains(b.String(), "`") {
		t.Errorf("-h shows Markdown:\n%s", b.String())
	}
}

var (
	settingsTable = regexp.MustCompile("(?s)(<!-- settings:begin[^\n]*-->\n)(.*?)(<!-- settings:end -->)")
	envName       = regexp.MustCompile(`\b(?:LEASEGRAPH|SMARTMOVE|PROPEXO|TEST)_[A-Z0-9_]*[A-Z0-9]\b`)
)

// configurationDoc holds the generated table; userDocs are every document
// a user reads for settings (the README and docs/, partners included).
const configurationDoc = "../docs/configuration.md"

func userDocs(t *testing.T) map[string]string {
	t.Helper()
	docs := map[string]string{}
	read := func(path string) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		docs[path] = string(raw)
	}
	read("../README.md")
	err := filepath.WalkDir("../docs", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			read(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// TestConfigurationDoc: docs/configuration.md's table is the one generated
// from the settings (go test ./config -update rewrites it); every variable
// the README or docs/ names anywhere is a setting or a test knob, and
// every test knob is named somewhere; and another table that states a
// setting's default (Query limits) states the real one.
func TestConfigurationDoc(t *testing.T) {
	docs := userDocs(t)
	doc := docs[configurationDoc]
	m := settingsTable.FindStringSubmatchIndex(doc)
	if m == nil {
		t.Fatalf("%s has no <!-- settings:begin --> ... <!-- settings:end --> table", configurationDoc)
	}
	if got := doc[m[4]:m[5]]; got != config.Markdown() {
		if *update {
			doc = doc[:m[4]] + config.Markdown() + doc[m[5]:]
			if err := os.WriteFile(configurationDoc, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
		} else {
			t.Errorf("%s's configuration table differs from config/table.go (go test ./config -update rewrites it):\n%s", configurationDoc, got)
		}
	}
	known := map[string]config.Setting{}
	for _, s := range config.Settings() {
		known[s.Name] = s
	}
	for _, k := range testknobs.Knobs {
		known[k.Name] = config.Setting{Name: k.Name}
	}
	var outside strings.Builder // every document but the generated table
	// GraphQL enum values the guide shows that look like variables.
	notVariables := map[string]bool{"PROPEXO_CREATE_PROSPECT": true, "PROPEXO_UPDATE_PROSPECT": true}
	for path, text := range docs {
		for _, name := range envName.FindAllString(text, -1) {
			if _, ok := known[name]; !ok && !notVariables[name] {
				t.Errorf("%s names %s, which is neither a setting nor a test knob", path, name)
			}
		}
		if path == configurationDoc {
			text = text[:m[2]] + text[m[5]:]
		}
		outside.WriteString(text)
		for _, line := range strings.Split(text, "\n") {
			if !strings.HasPrefix(line, "|") {
				continue
			}
			cells := strings.Split(line, "|")
			for i := 0; i+1 < len(cells); i++ {
				s, ok := known[strings.Trim(strings.TrimSpace(cells[i]), "`")]
				if def := strings.Trim(strings.TrimSpace(cells[i+1]), "`"); ok && def != "" && s.Default != "" && def != s.Default {
					t.Errorf("%s gives %s the default %q; it is %q", path, s.Name, def, s.Default)
				}
			}
		}
	}
	for _, k := range testknobs.Knobs {
		if !strings.Contains(outside.String(), k.Name) {
			t.Errorf("neither the README nor docs/ mentions the test knob %s", k.Name)
		}
	}
	if slices.ContainsFunc(config.Settings(), func(s config.Setting) bool { return strings.Contains(s.Name, "TEST") }) {
		t.Error("a test knob is in the runtime table")
	}
}

// GOGC and GOMEMLIMIT read as the Go runtime reads them.
func TestRuntimeSettings(t *testing.T) {
	for _, c := range []struct {
		gogc, limit string
		want        config.Runtime
	}{
		{"100", "1GiB", config.Runtime{GCPercent: 100, MemoryLimit: 1 << 30}},
		{"off", "off", config.Runtime{GCPercent: -1, MemoryLimit: math.MaxInt64}},
		{"0", "500000B", config.Runtime{GCPercent: 0, MemoryLimit: 500000}},
		{"250", "64KiB", config.Runtime{GCPercent: 250, MemoryLimit: 64 << 10}},
	} {
		got, err := config.Load(env(map[string]string{"GOGC": c.gogc, "GOMEMLIMIT": c.limit}))
		if err != nil || got.Runtime != c.want {
			t.Errorf("GOGC=%s GOMEMLIMIT=%s: %+v %v, want %+v", c.gogc, c.limit, got.Runtime, err, c.want)
		}
	}
}

// Package testknobs reads the environment variables of the test suites.
// They are not settings of the server (config's table, `server -h` and the
// table in docs/configuration.md leave them out): they choose the database
// the tests use and let a developer without PostgreSQL or Chromium skip
// those parts, never in CI. Poll intervals and other delays that tests
// shorten are not variables at all: they are fields of the server's own
// structs that only tests set (deliveryConfig, screeningConfig).
package testknobs

import (
	"os"
	"testing"
)

// Knob is one test variable, for the documentation.
type Knob struct{ Name, Default, Help string }

// DefaultPostgres is the PostgreSQL the tests use when TEST_DATABASE_URL is
// unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Knobs lists every test variable.
var Knobs = []Knob{
	{"TEST_DATABASE_URL", DefaultPostgres, "the PostgreSQL the suites run on; each test creates a schema of its own there"},
	{"LEASEGRAPH_TEST_SKIP_POSTGRES", "unset", "1 skips the PostgreSQL half of every suite (ignored when CI is set)"},
	{"LEASEGRAPH_TEST_SKIP_BROWSER", "unset", "1 skips the registration page's real-browser test when Chromium is missing (ignored when CI is set)"},
	{"LEASEGRAPH_TEST_BROWSER_DEBUG", "unset", "1 logs the browser test's Chromium protocol traffic"},
}

// PostgresURL is the PostgreSQL the tests use (TEST_DATABASE_URL).
func PostgresURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgres
}

// SkipPostgres skips t when LEASEGRAPH_TEST_SKIP_POSTGRES=1 outside CI.
func SkipPostgres(t testing.TB) {
	t.Helper()
	if skip("LEASEGRAPH_TEST_SKIP_POSTGRES") {
		t.Skip("LEASEGRAPH_TEST_SKIP_POSTGRES=1: PostgreSQL suite skipped (never allowed in CI)")
	}
}

// SkipBrowser skips t when LEASEGRAPH_TEST_SKIP_BROWSER=1 outside CI.
func SkipBrowser(t testing.TB) {
	t.Helper()
	if skip("LEASEGRAPH_TEST_SKIP_BROWSER") {
		t.Skip("LEASEGRAPH_TEST_SKIP_BROWSER=1: browser test skipped (never allowed in CI)")
	}
}

// BrowserDebug says whether the browser test logs Chromium's traffic.
func BrowserDebug() bool { return os.Getenv("LEASEGRAPH_TEST_BROWSER_DEBUG") == "1" }

// skip: a skip knob counts only outside CI, so CI never runs less.
func skip(name string) bool { return os.Getenv(name) == "1" && os.Getenv("CI") == "" }

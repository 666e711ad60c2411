package apptest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leasegraph/leasegraph/config/testknobs"
)

// A real browser (headless Chromium, through chromedp), for the pages the
// app serves to people: the registration page in a CRM's frame, the
// playground, the demo CRM.

// chromiumPath finds Chromium. In CI a missing browser fails the test; only a
// developer may skip it, with LEASEGRAPH_TEST_SKIP_BROWSER=1.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	testknobs.SkipBrowser(t)
	t.Fatal("the registration browser test needs Chromium (Debian: apt-get install chromium); " +
		"a developer without it may set LEASEGRAPH_TEST_SKIP_BROWSER=1 outside CI")
	return ""
}

// StartBrowser starts one headless Chromium for the test; its tabs are
// children of the returned context. It is stopped by the test's cleanup
// (not by a defer: EachDB's subtests run after the test function returns).
func StartBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	dir, err := os.MkdirTemp("", "leasegraph-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox, // Chromium refuses to run as root with its sandbox
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1024, 800),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	var copts []chromedp.ContextOption
	if testknobs.BrowserDebug() {
		logf := func(f string, a ...any) {
			s := fmt.Sprintf(f, a...)
			if len(s) > 600 {
				s = s[:600]
			}
			fmt.Fprintln(os.Stderr, time.Now().Format("15:04:05.000"), s)
		}
		copts = append(copts, chromedp.WithErrorf(logf), chromedp.WithLogf(logf), chromedp.WithDebugf(logf))
	}
	ctx, cancel := chromedp.NewContext(allocCtx, copts...)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(dir)
	})
	// The first Run starts the browser: no timeout on it, or the timeout
	// would end the browser.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// BrowserTab is one tab of a StartBrowser browser; its actions fail T.
type BrowserTab struct {
	T   *testing.T
	Ctx context.Context
}

// NewBrowserTab opens a tab of browser, closed by the test's cleanup.
func NewBrowserTab(t *testing.T, browser context.Context) *BrowserTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	// The first Run opens the tab and binds it to the context it is given:
	// no timeout on it either.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return &BrowserTab{T: t, Ctx: ctx}
}

// Do runs actions in the tab with a timeout: a page that never gets there
// fails the test instead of hanging it.
func (b *BrowserTab) Do(timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.T.Fatal(err)
	}
}

// BrowserTables lists the database's tables (of the dialect, as
// Env.Dialect names it), for a scan of every row after what a browser
// entered: the cards table must be among them.
func BrowserTables(t *testing.T, db *sql.DB, dialectName string) []string {
	t.Helper()
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	if dialectName == "sqlite3" || dialectName == "sqlite" {
		q = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		out = append(out, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 || !slices.Contains(out, "cards") {
		t.Fatalf("tables %v: the cards table is missing", out)
	}
	return out
}

// ScanForString fails when any column of any row of the table holds s (a
// card number), and when the cards table is empty (nothing was scanned).
func ScanForString(t *testing.T, db *sql.DB, table, s string) {
	t.Helper()
	hits, n := ColumnsHolding(t, db, table, s)
	for _, h := range hits {
		t.Errorf("%s holds the card number", h)
	}
	if table == "cards" && n == 0 {
		t.Error("the cards table is empty")
	}
}

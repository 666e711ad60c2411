package page_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/leasegraph/leasegraph/internal/apptest"
)

// The demo CRM page, as demo mode serves it, registers a prospect through
// the embed and shows the invitation SMS's status until the Twilio
// simulator's signed callbacks report it delivered (issue 14). Demo mode
// runs on SQLite only: it is the binary's own start-up, not the harness.
func TestDemoCRMShowsSMSDelivery(t *testing.T) {
	browser := apptest.StartBrowser(t)
	port := apptest.FreePort(t)
	apptest.Serve(t, map[string]string{"PORT": port, "DATABASE_URL": "sqlite:" + t.TempDir() + "/demo.db", "LEASEGRAPH_DEMO": "1",
		"LEASEGRAPH_PUBLIC_URL": "http://localhost:" + port})
	tab, cancelTab := chromedp.NewContext(browser)
	defer cancelTab()
	tctx, cancelT := context.WithTimeout(tab, 60*time.Second)
	defer cancelT()
	if err := chromedp.Do(tctx,
		chromedp.Navigate("http://localhost:"+port+"/demo/crm"),
		chromedp.WaitVisible(`#crm button`),
		chromedp.Click(`#crm button`),
	); err != nil {
		t.Fatal(err)
	}
	// Every status the page showed, in order: the user sees it progress.
	var seen []string
	var out string
	for {
		sms, err := chromedp.Run(tctx, chromedp.Text(`#sms`))
		if err == nil {
			out, err = chromedp.Run(tctx, chromedp.Text(`#out`))
		}
		if err != nil {
			t.Fatalf("the SMS status never reached delivered: %v; shown %q; result %q", err, seen, out)
		}
		if len(seen) == 0 || seen[len(seen)-1] != sms {
			seen = append(seen, sms)
		}
		if strings.HasPrefix(sms, "SUCCEEDED (Twilio: delivered)") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !slices.ContainsFunc(seen, func(s string) bool { return strings.HasPrefix(s, "SENT") }) {
		t.Errorf("the page never showed the SMS sent before delivered: %q", seen)
	}
	if !strings.Contains(out, "promise:") {
		t.Errorf("registration result not shown: %q", out)
	}
}

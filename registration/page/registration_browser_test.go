package page_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/chromedp/cdproto"
	cdptarget "github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/ent/prospect"
	entreg "github.com/leasegraph/leasegraph/ent/registration"
	"github.com/leasegraph/leasegraph/internal/apptest"
)

// The registration page in a real browser. A CRM page on one origin
// (http://127.0.0.1:CRMPORT) opens the page from another origin
// (http://localhost:PORT, the test server under another host name) with
// embed.js, and listens with the spec's listener:
//
//	window.addEventListener("message", receiveMessage, false);
//	function receiveMessage(event) { var result = JSON.parse(event.data); ... }
//
// The page and the CRM are on different sites, so Chromium runs the frame in
// a process of its own (site isolation stays on, as for a real CRM): the test
// reaches into the frame through its own DevTools target.

// browserCRMPage is the CRM page. It records every message it receives, raw,
// before the spec's listener parses it, and the result of embed.js's promise.
var browserCRMPage = template.Must(template.New("crm").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test CRM</title></head>
<body>
<h1>Test CRM</h1>
<script src="{{.Base}}/embed.js"></script>
<script>
window.received = [];
window.promised = [];
window.addEventListener("message", receiveMessage, false);
function receiveMessage(event) {
  var rec = {type: typeof event.data, origin: event.origin,
    raw: typeof event.data === "string" ? event.data : JSON.stringify(event.data)};
  window.received.push(rec);
  var result = JSON.parse(event.data); // the spec's listener
  rec.status = result.status;
  rec.message = result.message;
  rec.stringified = JSON.stringify({status: result.status, message: result.message});
}
// openPlain frames the page as the spec shows it: a plain iframe, no
// embed.js, no crm_origin.
window.openPlain = function (src) {
  var f = document.createElement("iframe");
  f.src = src;
  document.body.appendChild(f);
  return true;
};
window.openRegistration = function (opts) {
  leasegraph.register(opts).then(function (r) { window.promised.push(r); });
  return true;
};
</script>
</body></html>`))

// crmServer serves the CRM page on an origin of its own.
func crmServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/crm" {
			w.WriteHeader(http.StatusNoContent) // favicon.ico: no error in the console
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = browserCRMPage.Execute(w, map[string]string{"Base": r.URL.Query().Get("base")})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// browserMessage is one message event as the CRM page saw it.
type browserMessage struct {
	Type    string `json:"type"`
	Origin  string `json:"origin"`
	Raw     string `json:"raw"`
	Status  string `json:"status"`
	Message string `json:"message"`
	// Stringified is JSON.stringify({status, message}) of the parsed result:
	// the spec's JSON string, which Raw must equal.
	Stringified string `json:"stringified"`
}

// browserTab is a tab showing the CRM page, framing the registration page
// of one test server.
type browserTab struct {
	*apptest.BrowserTab
	crmURL  string // the CRM page, with the registration host in base
	regBase string // http://localhost:PORT
}

func newBrowserTab(t *testing.T, browser context.Context, crm *httptest.Server, e *apptest.Env) *browserTab {
	t.Helper()
	tab := apptest.NewBrowserTab(t, browser)
	u, _ := url.Parse(e.Srv.URL)
	regBase := "http://localhost:" + u.Port()
	return &browserTab{BrowserTab: tab, regBase: regBase, crmURL: crm.URL + "/crm?base=" + url.QueryEscape(regBase)}
}

// open loads the CRM page afresh and calls leasegraph.register(opts).
func (b *browserTab) open(opts map[string]any) {
	b.T.Helper()
	js, _ := json.Marshal(opts)
	b.load(`typeof window.leasegraph === "object" && typeof window.openRegistration === "function"`,
		`window.openRegistration(`+string(js)+`)`)
}

// openPlain loads the CRM page afresh and frames the page at src with a
// plain iframe, as the spec does.
func (b *browserTab) openPlain(src string) {
	b.T.Helper()
	js, _ := json.Marshal(src)
	b.load(`typeof window.openPlain === "function"`, `window.openPlain(`+string(js)+`)`)
}

// load navigates to the CRM page, waits until ready holds there and
// evaluates call. Right after a navigation the tab's execution context may
// still be the old document's (seen on a loaded machine): Chromium then
// answers "Cannot find context with specified id" and ran nothing, so the
// page is loaded again, at most twice more; any other failure fails the test.
func (b *browserTab) load(ready, call string) {
	b.T.Helper()
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
		err := chromedp.Do(ctx,
			chromedp.Navigate(b.crmURL),
			chromedp.Poll[chromedp.Void](ready, chromedp.WithPollingTimeout(10*time.Second)),
			chromedp.Evaluate[chromedp.Void](call),
		)
		cancel()
		var cdpErr *cdproto.Error
		if err != nil && attempt < 2 && errors.As(err, &cdpErr) && cdpErr.Message == "Cannot find context with specified id" {
			b.T.Logf("loading the CRM page again: %v", err)
			continue
		}
		if err != nil {
			b.T.Fatal(err)
		}
		return
	}
}

// messages waits up to wait for at least one message, then a little longer
// to catch a second one, and returns them all (at once when wait is 0).
func (b *browserTab) messages(wait time.Duration) []browserMessage {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, wait+5*time.Second)
	defer cancel()
	if wait > 0 {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.received.length > 0`,
			chromedp.WithPollingTimeout(wait), chromedp.WithPollingInterval(25*time.Millisecond)))
		if err != nil && !errors.Is(err, chromedp.ErrPollingTimeout) {
			b.T.Fatalf("waiting for a message: %v", err)
		}
		if err == nil {
			time.Sleep(300 * time.Millisecond) // a duplicate would arrive now
		}
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]browserMessage](`window.received`))
	if err != nil {
		b.T.Fatal(err)
	}
	return got
}

// promised returns the results embed.js's promise resolved to.
func (b *browserTab) promised() []map[string]string {
	b.T.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]map[string]string](`window.promised`))
	if err != nil {
		b.T.Fatal(err)
	}
	return got
}

// frame returns a context acting inside the registration frame: the frame
// is cross-site, so it is a target of its own, whose parent is this tab.
// It waits until the frame's target shows a URL under the page's path.
func (b *browserTab) frame() (context.Context, context.CancelFunc) {
	b.T.Helper()
	tabID := chromedp.FromContext(b.Ctx).Target.TargetID
	deadline := time.Now().Add(10 * time.Second)
	var seen []*cdptarget.Info
	var attachErr error // the last failed attach, if any
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(b.Ctx)
		if err != nil {
			b.T.Fatal(err)
		}
		seen = infos
		for _, info := range infos {
			if info.Type == "iframe" && info.ParentID == tabID && strings.HasPrefix(info.URL, b.regBase+"/prospects/registration") {
				ctx, cancel := chromedp.NewContext(b.Ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
				// Attaches, bound to ctx: no timeout. A frame that is
				// navigating (its form just submitted) refuses the attach
				// ("Inspected target navigated or closed"): look again,
				// until the deadline.
				if err := chromedp.Do(ctx); err != nil {
					cancel()
					attachErr = err
					continue
				}
				return ctx, cancel
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	var list []string
	for _, info := range seen {
		list = append(list, fmt.Sprintf("%s %s parent=%s", info.Type, info.URL, info.ParentID))
	}
	b.T.Fatalf("no registration frame under tab %s (last attach: %v); targets:\n%s", tabID, attachErr, strings.Join(list, "\n"))
	return nil, nil
}

// frameDo runs actions inside the frame with a timeout.
func frameDo(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func frameRun[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRegistrationBrowser(t *testing.T) {
	browser := apptest.StartBrowser(t)
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		start := time.Now()
		defer func() { t.Logf("browser cases took %s", time.Since(start).Round(time.Millisecond)) }()
		crm, other := crmServer(t), crmServer(t)
		clientID, token := e.NewClient("Acme")
		ctx := e.Sys()
		// The client sets its allow-list to the CRM's origin only (given with
		// a trailing slash, which the mutation normalizes away); other is
		// another origin (another port) of the same host.
		var set struct{ UpdateClientCrmOrigins struct{ CrmOrigins []string } }
		e.MustGQL(token, `mutation($id: ID!, $o: [String!]!) { updateClientCrmOrigins(id: $id, origins: $o) { crmOrigins } }`,
			map[string]any{"id": strconv.Itoa(clientID), "o": []string{crm.URL + "/"}}, &set)
		if got := set.UpdateClientCrmOrigins.CrmOrigins; len(got) != 1 || got[0] != crm.URL {
			t.Fatalf("crmOrigins = %q", got)
		}
		// A name with an ampersand: the message must still be exactly what
		// JSON.stringify gives, not an HTML-escaped variant (\u0026).
		for tag, name := range map[string]string{"OPEN": "Tower OPEN", "SOON": "Smith & Sons Lofts"} {
			mode := property.ShowingModeSELF_SHOWING
			if tag == "SOON" {
				mode = property.ShowingModePRELEASE
			}
			if err := e.Client.Property.Create().SetClientID(clientID).SetTag(tag).SetName(name).SetShowingMode(mode).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Client.Ban.Create().SetClientID(clientID).SetPhone("+15125550199").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		tab := newBrowserTab(t, browser, crm, e)
		registrations := func() int {
			n, err := e.Client.Registration.Query().Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		expiry := fmt.Sprintf("12/%02d", (time.Now().Year()+2)%100)
		fillCard := func(t *testing.T, fctx context.Context, number string) {
			frameDo(t, fctx,
				chromedp.WaitVisible(chromedp.ID("cc-number")),
				chromedp.SendKeys(chromedp.ID("cc-name"), "Jordan Miles"),
				chromedp.SendKeys(chromedp.ID("cc-number"), number),
				chromedp.SendKeys(chromedp.ID("cc-exp"), expiry),
				chromedp.SendKeys(chromedp.ID("cc-csc"), "123"),
				chromedp.SendKeys(chromedp.ID("cc-zip"), "78701"),
			)
		}

		cases := []struct {
			name string
			opts map[string]any
			// card acts on the card screen; nil when there is none.
			card func(t *testing.T)
			want string
			// unrecorded: no registration is recorded (no client is known).
			unrecorded bool
		}{
			{
				name: "invited",
				opts: map[string]any{"propertyTag": "OPEN", "fullName": "Jordan Miles", "mobilePhone": "(512) 555-0134", "smsNotes": "Gate code 1234"},
				want: `{"status":"invited","message":"Registered for a self-showing at Tower OPEN. No SMS provider is set up, so no invitation was sent."}`,
			},
			{
				name: "prelease",
				opts: map[string]any{"propertyTag": "SOON", "fullName": "Sam Lee", "mobilePhone": "512-555-0135"},
				want: `{"status":"prelease","message":"Added to the pre-lease wait list for Smith & Sons Lofts."}`,
			},
			{
				name: "banned",
				opts: map[string]any{"propertyTag": "OPEN", "fullName": "Pat Doe", "mobilePhone": "+1 512 555 0199"},
				want: `{"status":"banned","message":"This prospect cannot be registered for showings."}`,
			},
			{
				name: "incomplete",
				opts: map[string]any{"propertyTag": "NOPE", "fullName": "Alex Roe", "mobilePhone": "(512) 555-0136"},
				want: `{"status":"incomplete","message":"No property with the tag \"NOPE\" was found: check the property in the CRM."}`,
			},
			{
				name: "card",
				opts: map[string]any{"propertyTag": "OPEN", "fullName": "Jordan Card", "mobilePhone": "(512) 555-0142", "requireCc": true},
				card: func(t *testing.T) {
					fctx, cancel := tab.frame()
					defer cancel()
					// A mistyped number: the screen comes back with the error,
					// and nothing is posted to the CRM yet.
					fillCard(t, fctx, "4242424242424241")
					frameDo(t, fctx, chromedp.Click(chromedp.ID("submit")))
					cancel()
					fctx, cancel = tab.frame()
					defer cancel()
					frameDo(t, fctx, chromedp.WaitVisible(chromedp.ID("card-error")))
					if msg := frameRun(t, fctx, chromedp.Text(chromedp.ID("card-error"))); msg != "The card number is not valid: check for a typo." {
						t.Errorf("card error = %q", msg)
					}
					if got := tab.messages(0); len(got) != 0 {
						t.Fatalf("a message was posted while the card screen is shown: %+v", got)
					}
					// The name, expiry and postal code are kept; the number
					// and the security code are typed again.
					values := frameRun(t, fctx, chromedp.Evaluate[map[string]string](`({name: document.getElementById("cc-name").value,
						number: document.getElementById("cc-number").value, expiry: document.getElementById("cc-exp").value,
						cvc: document.getElementById("cc-csc").value, zip: document.getElementById("cc-zip").value})`))
					if want := map[string]string{"name": "Jordan Miles", "number": "", "expiry": expiry, "cvc": "", "zip": "78701"}; !maps.Equal(values, want) {
						t.Errorf("after the card error the screen holds %v, want %v", values, want)
					}
					frameDo(t, fctx,
						chromedp.SendKeys(chromedp.ID("cc-number"), apptest.BrowserCardNumber),
						chromedp.SendKeys(chromedp.ID("cc-csc"), "123"),
						chromedp.Click(chromedp.ID("submit")))
				},
				want: `{"status":"invited","message":"Registered for a self-showing at Tower OPEN. No SMS provider is set up, so no invitation was sent."}`,
			},
			{
				name: "card cancelled",
				opts: map[string]any{"propertyTag": "OPEN", "fullName": "Casey Cancel", "mobilePhone": "(512) 555-0143", "requireCc": true},
				card: func(t *testing.T) {
					fctx, cancel := tab.frame()
					defer cancel()
					frameDo(t, fctx, chromedp.WaitVisible(chromedp.ID("cancel")), chromedp.Click(chromedp.ID("cancel")))
				},
				want: `{"status":"incomplete","message":"The card screen was not completed."}`,
			},
			{
				name: "phone missing",
				opts: map[string]any{"propertyTag": "OPEN", "fullName": "Nora Phoneless"},
				want: `{"status":"incomplete","message":"Enter the prospect's mobile phone number."}`,
			},
			{
				// No token: no client is known, yet the CRM hears back and
				// embed.js's promise settles.
				name:       "token missing",
				opts:       map[string]any{"authToken": nil, "propertyTag": "OPEN", "mobilePhone": "(512) 555-0144"},
				want:       `{"status":"incomplete","message":"The CRM did not pass the agent's leasegraph token (auth_token): the agent cannot be signed in."}`,
				unrecorded: true,
			},
			{
				name:       "token unknown",
				opts:       map[string]any{"authToken": "lg_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "propertyTag": "OPEN", "mobilePhone": "(512) 555-0145"},
				want:       `{"status":"incomplete","message":"The agent's leasegraph token (auth_token) is not valid: it is unknown or revoked."}`,
				unrecorded: true,
			},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				tab.T = t // the cases share the tab, one after another
				before := registrations()
				opts := map[string]any{"authToken": token}
				for k, v := range c.opts {
					opts[k] = v
				}
				tab.open(opts)
				if c.card != nil {
					c.card(t)
				}
				got := tab.messages(10 * time.Second)
				if len(got) != 1 {
					t.Fatalf("the CRM page received %d messages, want exactly 1: %+v", len(got), got)
				}
				m := got[0]
				if m.Type != "string" || m.Raw != c.want {
					t.Errorf("event.data = (%s) %s\nwant (string) %s", m.Type, m.Raw, c.want)
				}
				if m.Raw != m.Stringified {
					t.Errorf("event.data is not JSON.stringify({status, message}):\n got %s\nwant %s", m.Raw, m.Stringified)
				}
				if m.Origin != tab.regBase {
					t.Errorf("event.origin = %q, want %q", m.Origin, tab.regBase)
				}
				var want map[string]string
				if err := json.Unmarshal([]byte(c.want), &want); err != nil {
					t.Fatal(err)
				}
				if m.Status != want["status"] || m.Message != want["message"] {
					t.Errorf("the spec's listener parsed %q / %q", m.Status, m.Message)
				}
				if p := tab.promised(); len(p) != 1 || p[0]["status"] != want["status"] || p[0]["message"] != want["message"] {
					t.Errorf("embed.js resolved %+v, want %v", p, want)
				}

				// The frame shows the result, and its URL no longer holds the token.
				fctx, cancel := tab.frame()
				defer cancel()
				href := frameRun(t, fctx, chromedp.Evaluate[string](`location.href`))
				if strings.Contains(href, "auth_token") || strings.Contains(href, token) {
					t.Errorf("the frame's URL still holds the token: %s", href)
				}
				if s := frameRun(t, fctx, chromedp.Text(chromedp.CSS("#result .status"))); !strings.EqualFold(s, want["status"]) {
					t.Errorf("the frame shows status %q", s)
				}
				if s := frameRun(t, fctx, chromedp.Text(chromedp.ID("message"))); s != want["message"] {
					t.Errorf("the frame shows message %q", s)
				}
				if c.unrecorded {
					if n := registrations(); n != before {
						t.Errorf("%d registrations recorded, want none", n-before)
					}
					return
				}
				if n := registrations(); n != before+1 {
					t.Errorf("%d registrations recorded, want 1", n-before)
				}
				last, err := e.Client.Registration.Query().Order(entreg.ByID(entsql.OrderDesc())).First(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if string(last.Status) != strings.ToUpper(want["status"]) || last.Channel != entreg.ChannelIFRAME || last.Message != want["message"] {
					t.Errorf("recorded %s %s %q", last.Status, last.Channel, last.Message)
				}
			})
		}
		tab.T = t

		t.Run("card stored as brand and last 4 only", func(t *testing.T) {
			cards, err := e.Client.Card.Query().All(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(cards) != 1 || cards[0].Brand != "visa" || cards[0].Last4 != "4242" || cards[0].ExpMonth != 12 || cards[0].ExpYear != time.Now().Year()+2 {
				t.Fatalf("cards: %+v", cards)
			}
			db := e.Queries.Driver.(*entsql.Driver).DB()
			for _, table := range apptest.BrowserTables(t, db, e.Dialect) {
				apptest.ScanForString(t, db, table, apptest.BrowserCardNumber)
			}
			if strings.Contains(e.Logs.String(), apptest.BrowserCardNumber) {
				t.Error("the card number is in the server's log")
			}
		})

		// What a registration writes: registrations, prospects, deliveries
		// (Propexo and SMS).
		written := func() [3]int {
			var n [3]int
			var err error
			if n[0], err = e.Client.Registration.Query().Count(ctx); err == nil {
				if n[1], err = e.Client.Prospect.Query().Count(ctx); err == nil {
					n[2], err = e.Client.IntegrationJob.Query().Count(ctx)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		specURL := func(phone string) string {
			return tab.regBase + "/prospects/registration?" + url.Values{"property_tag": {"OPEN"}, "full_name": {"Plain Frame"},
				"mobile_phone": {phone}, "auth_token": {token}}.Encode()
		}

		// From here a registration also queues the prospect's delivery to
		// Propexo.
		if err := e.Client.Company.UpdateOneID(clientID).SetPropexoIntegrationID("browser-integration").Exec(ctx); err != nil {
			t.Fatal(err)
		}

		t.Run("plain iframe from an allowed origin", func(t *testing.T) {
			tab := newBrowserTab(t, browser, crm, e)
			before := written()
			tab.openPlain(specURL("(512) 555-0146"))
			got := tab.messages(10 * time.Second)
			want := `{"status":"invited","message":"Registered for a self-showing at Tower OPEN. No SMS provider is set up, so no invitation was sent."}`
			if len(got) != 1 || got[0].Raw != want || got[0].Origin != tab.regBase {
				t.Fatalf("the CRM page received %+v, want one %s", got, want)
			}
			// A registration, a prospect, its Propexo delivery and its SMS.
			if after := written(); after != [3]int{before[0] + 1, before[1] + 1, before[2] + 2} {
				t.Errorf("written %v, then %v", before, after)
			}
		})

		t.Run("plain iframe from an origin not allowed", func(t *testing.T) {
			tab := newBrowserTab(t, browser, other, e)
			before := written()
			tab.openPlain(specURL("(512) 555-0147"))
			fctx, cancel := tab.frame()
			defer cancel()
			// The browser answered the GET and refused to show it.
			frameDo(t, fctx, chromedp.Poll[chromedp.Void](`location.href === "chrome-error://chromewebdata/"`,
				chromedp.WithPollingTimeout(10*time.Second)))
			if got := tab.messages(0); len(got) != 0 {
				t.Errorf("a CRM not on the allow-list received %+v", got)
			}
			// Nobody registered, nothing queued.
			if after := written(); after != before {
				t.Errorf("written %v, then %v: registrations, prospects, deliveries", before, after)
			}
			if n, err := e.Client.Prospect.Query().Where(prospect.Phone1("+15125550147")).Count(ctx); err != nil || n != 0 {
				t.Errorf("%d prospects registered from a CRM not on the allow-list (%v)", n, err)
			}
		})

		t.Run("origin not allowed", func(t *testing.T) {
			tab := newBrowserTab(t, browser, other, e)
			cctx, stopConsole := context.WithCancel(tab.Ctx)
			console := make(chan []string, 1)
			msgs := chromedp.Console(cctx)
			go func() {
				var texts []string
				for m, err := range msgs {
					if err != nil {
						break
					}
					texts = append(texts, string(m.Type)+": "+m.Text)
				}
				console <- texts
			}()
			tab.open(map[string]any{"authToken": token, "propertyTag": "OPEN", "fullName": "Eve", "mobilePhone": "(512) 555-0150"})
			time.Sleep(2 * time.Second)
			if got := tab.messages(0); len(got) != 0 {
				t.Errorf("a CRM not on the allow-list received %+v", got)
			}
			if p := tab.promised(); len(p) != 0 {
				t.Errorf("embed.js resolved %+v for a CRM not on the allow-list", p)
			}
			// The frame holds Chromium's error page, not the registration page,
			// because of frame-ancestors.
			fctx, cancel := tab.frame()
			defer cancel()
			frame := frameRun(t, fctx, chromedp.Evaluate[map[string]any](
				`({href: location.href, page: !!document.getElementById("result") || !!document.getElementById("cc-number")})`))
			if frame["href"] != "chrome-error://chromewebdata/" || frame["page"] != false {
				t.Errorf("the frame was rendered for a CRM not on the allow-list: %+v", frame)
			}
			stopConsole()
			var blocked bool
			texts := <-console
			for _, m := range texts {
				blocked = blocked || strings.Contains(m, `violates the following Content Security Policy directive: "frame-ancestors `+crm.URL+`"`)
			}
			if !blocked {
				t.Errorf("no frame-ancestors violation in the console: %q", texts)
			}
		})
	})
}

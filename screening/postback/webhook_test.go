package postback_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// The postback route: authentication, storage once (redacted), duplicates,
// reordering.

// specAuthParts splits the spec's base64(user):base64(password) header.
func specAuthParts(t *testing.T, h string) (user, pass string) {
	t.Helper()
	u64, p64, ok := strings.Cut(h, ":")
	u, err1 := base64.StdEncoding.DecodeString(u64)
	p, err2 := base64.StdEncoding.DecodeString(p64)
	if !ok || err1 != nil || err2 != nil || len(u) < 8 || len(p) < 16 {
		t.Fatalf("the simulator sent Authorization %q: not the spec's form with random credentials", h)
	}
	return string(u), string(p)
}

func withText(t *testing.T, body []byte, text string, set map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	m["notificationText"] = text
	for k, v := range set {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

func TestScreeningPostbackAuthentication(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Alpha")
		_, bToken := e.ScreeningClient("Beta")
		a := e.CreateEmbedded(token, "a", false, "lisa@example.com", "marge@example.com")
		b := e.CreateEmbedded(bToken, "b", false, "bart@example.com")
		if _, err := sm.Sim.Advance(*a.SmartmoveApplicationID); err != nil {
			t.Fatal(err)
		}
		if _, err := sm.Sim.Advance(*b.SmartmoveApplicationID); err != nil {
			t.Fatal(err)
		}
		sm.Flush(t)
		d := sm.Sim.Deliveries()
		if len(d) != 2 || d[0].Status != 200 || d[1].Status != 200 {
			t.Fatalf("deliveries: %+v", d)
		}
		aURL, aAuth, aBody := d[0].URL, d[0].Authorization, d[0].Body
		bURL, bAuth := d[1].URL, d[1].Authorization
		if !strings.HasPrefix(aURL, e.Srv.URL+"/webhooks/smartmove/") || aURL == bURL || aAuth == bAuth {
			t.Fatalf("each application needs its own URL and credentials: %s %s", aURL, bURL)
		}
		user, pass := specAuthParts(t, aAuth)
		// Neither the URL key nor the password is stored as sent.
		e.AssertNoColumnHolds(t, pass)
		if e.InboundEvents() != 2 {
			t.Fatalf("%d events", e.InboundEvents())
		}

		// Refused: 401 and nothing stored, nothing applied.
		next := withText(t, aBody, "marge@example.com has accepted the request", map[string]any{"reportStatus": "Ready"})
		basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
		spec := func(u, p string) string {
			return base64.StdEncoding.EncodeToString([]byte(u)) + ":" + base64.StdEncoding.EncodeToString([]byte(p))
		}
		for _, c := range []struct{ name, url, auth string }{
			{"missing", aURL, ""},
			{"wrong password", aURL, spec(user, pass+"x")},
			{"wrong password, Basic", aURL, basic(user, "nope")},
			{"wrong user", aURL, spec(user+"x", pass)},
			{"bearer", aURL, "Bearer " + pass},
			{"garbage", aURL, "!!!:???"},
			{"password only", aURL, base64.StdEncoding.EncodeToString([]byte(pass))},
			{"another client's credentials", aURL, bAuth},
			{"this client's credentials on another client's URL", bURL, aAuth},
			{"unknown URL", e.Srv.URL + "/webhooks/smartmove/unknownkey", aAuth},
		} {
			status, body := apptest.Postback(t, c.url, c.auth, next)
			if status != http.StatusUnauthorized || !strings.Contains(body, `"UNAUTHENTICATED"`) {
				t.Fatalf("%s: HTTP %d %s", c.name, status, body)
			}
		}
		if e.InboundEvents() != 2 {
			t.Fatalf("a refused postback was stored: %d events", e.InboundEvents())
		}
		if st := e.ScreeningApp(token, a.ID, "").Status; st != "IN_PROGRESS" {
			t.Fatalf("a refused postback was applied: %s", st)
		}
		if strings.Contains(e.Logs.String(), pass) {
			t.Fatal("the log holds a postback password")
		}

		// Valid credentials, but a message that is not this application's: 400.
		for _, c := range []struct {
			name string
			body []byte
		}{
			{"other application id", withText(t, aBody, "x", map[string]any{"applicationId": *b.SmartmoveApplicationID})},
			{"other customer", withText(t, aBody, "x", map[string]any{"customerReferenceId": "ref-Beta"})},
			{"not json", []byte(`{"applicationId":`)},
			{"no status", withText(t, aBody, "x", map[string]any{"reportStatus": ""})},
		} {
			if status, body := apptest.Postback(t, aURL, aAuth, c.body); status != http.StatusBadRequest {
				t.Fatalf("%s: HTTP %d %s", c.name, status, body)
			}
		}
		if e.InboundEvents() != 2 {
			t.Fatalf("a rejected postback was stored")
		}

		// Accepted: the spec's form and standard Basic alike.
		if status, body := apptest.Postback(t, aURL, basic(user, pass), next); status != 200 || body != `{"status":"applied"}` {
			t.Fatalf("Basic: HTTP %d %s", status, body)
		}
		if status, body := apptest.Postback(t, aURL, spec(user, pass), next); status != 200 || body != `{"status":"duplicate"}` {
			t.Fatalf("spec form, repeated: HTTP %d %s", status, body)
		}
		got := e.ScreeningApp(token, a.ID, "")
		if got.Status != "READY" || got.LastNotification != "marge@example.com has accepted the request" {
			t.Fatalf("applied: %+v", got)
		}
		// Stored redacted: no email address, no credentials.
		var ev struct {
			Node struct {
				InboundEvents []struct {
					ReportStatus, Outcome string
					Payload               map[string]any
				}
			}
		}
		e.MustGQL(token, `query($id: ID!) { node(id: $id) { ... on ScreeningApplication { inboundEvents { reportStatus outcome payload } } } }`, map[string]any{"id": a.ID}, &ev)
		if len(ev.Node.InboundEvents) != 2 {
			t.Fatalf("events: %+v", ev)
		}
		raw, _ := json.Marshal(ev)
		if strings.Contains(string(raw), "marge@example.com") || strings.Contains(string(raw), "lisa@example.com") || !strings.Contains(string(raw), "m***@example.com") {
			t.Fatalf("events are not redacted: %s", raw)
		}
		e.AssertNoColumnHolds(t, pass, "lisa@example.com has")
	})
}

func TestScreeningPostbackDuplicatesAndReordering(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{PostbackCopies: 3}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Acme")
		app := e.CreateEmbedded(token, "k", true, "lisa@example.com")
		smID := *app.SmartmoveApplicationID

		// Every postback arrives three times, newest first.
		sm.Sim.HoldPostbacks()
		if err := sm.Sim.CompleteApplicant(smID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		sm.Sim.ReleasePostbacksReversed()
		sm.Flush(t)
		d := sm.Sim.Deliveries()
		if len(d) != 12 {
			t.Fatalf("%d deliveries, want 4 postbacks x 3", len(d))
		}
		for _, x := range d {
			if x.Status != 200 {
				t.Fatalf("a delivery got HTTP %d", x.Status)
			}
		}
		var out struct {
			Node struct {
				Status           string
				LastNotification string
				InboundEvents    []struct{ ID, ReportStatus, Outcome string }
			}
		}
		e.MustGQL(token, `query($id: ID!) { node(id: $id) { ... on ScreeningApplication { status lastNotification inboundEvents { id reportStatus outcome } } } }`, map[string]any{"id": app.ID}, &out)
		slices.SortFunc(out.Node.InboundEvents, func(a, b struct{ ID, ReportStatus, Outcome string }) int {
			x, _ := strconv.Atoi(a.ID)
			y, _ := strconv.Atoi(b.ID)
			return x - y
		})
		if out.Node.Status != "READY" || out.Node.LastNotification != "Reports are available for lisa@example.com" {
			t.Fatalf("after reversed postbacks: %+v", out.Node)
		}
		var got []string
		for _, ev := range out.Node.InboundEvents {
			got = append(got, ev.ReportStatus+":"+ev.Outcome)
		}
		if strings.Join(got, ",") != "Ready:APPLIED,InProgress:STALE,InProgress:STALE,InProgress:STALE" {
			t.Fatalf("events (stored once each, oldest first): %v", got)
		}
		// READY is final: a later Expired is recorded and moves nothing, nor
		// does anything after it.
		if err := sm.Sim.Expire(smID); err != nil {
			t.Fatal(err)
		}
		sm.Flush(t)
		if st := e.ScreeningApp(token, app.ID, "").Status; st != "READY" {
			t.Fatalf("status %s, want READY kept", st)
		}
		if err := sm.Sim.SetApplicantStatus(smID, "lisa@example.com", smartmovetest.RequestAccepted); err != nil {
			t.Fatal(err)
		}
		sm.Flush(t)
		if st := e.ScreeningApp(token, app.ID, "").Status; st != "READY" {
			t.Fatalf("a final status moved to %s", st)
		}
	})
}

// relay is a simulator's postback transport that keeps each postback
// instead of sending it, so that a test posts them (as sent, or changed) to
// the real route itself.
type relay struct {
	mu   sync.Mutex
	sent []smartmovetest.Delivery
}

func (r *relay) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.sent = append(r.sent, smartmovetest.Delivery{URL: req.URL.String(), Authorization: req.Header.Get("Authorization"), Body: body})
	r.mu.Unlock()
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req}, nil
}

func (r *relay) all() []smartmovetest.Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sent)
}

// TestScreeningPostbackIDsAndStatusWords: a LINK order learns SmartMove's
// application id from its first postback even when the ids arrive as JSON
// numbers (or applicationId as a string); a status word SmartMove does not
// document is stored as UNKNOWN_STATUS and moves nothing; READY is final, so
// a later failure postback is recorded as STALE and the report link stays.
func TestScreeningPostbackIDsAndStatusWords(t *testing.T) {
	var relays sync.Map // test name -> *relay: the databases' runs are parallel
	setup := func(t *testing.T, s *apptest.Settings) {
		pb := &relay{}
		relays.Store(t.Name(), pb)
		apptest.WithSmartMove(smartmovetest.Options{PostbackNumericIDs: true, PostbackClient: &http.Client{Transport: pb}})(t, s)
	}
	apptest.EachDBSetup(t, setup, func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		v, _ := relays.Load(t.Name())
		pb := v.(*relay)
		id, token := e.ScreeningClient("Acme")
		if err := e.Client.Company.UpdateOneID(id).SetSmartmoveReference("40417").Exec(e.Sys()); err != nil {
			t.Fatal(err)
		}
		link, app := e.CreateLink(token, "order-1", "lisa@example.com")
		smID, err := sm.Sim.FinishCreate(link)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sm.Sim.Advance(smID); err != nil {
			t.Fatal(err)
		}
		sm.Flush(t)
		first := pb.all()[0]
		if !strings.Contains(string(first.Body), `"applicationId":`+strconv.Itoa(smID)+`,"customerReferenceId":40417,`) ||
			!strings.Contains(string(first.Body), `"referenceId":`+app.ID+`,`) {
			t.Fatalf("the simulator did not send numbers: %s", first.Body)
		}
		send := func(body []byte, want string) {
			t.Helper()
			if status, got := apptest.Postback(t, first.URL, first.Authorization, body); status != http.StatusOK || got != `{"status":"`+want+`"}` {
				t.Fatalf("postback %s: HTTP %d %s, want %s", body, status, got, want)
			}
		}
		type event struct{ ReportStatus, Outcome string }
		events := func() []event {
			var out struct {
				Node struct{ InboundEvents []event }
			}
			e.MustGQL(token, `query($id: ID!) { node(id: $id) { ... on ScreeningApplication { inboundEvents { reportStatus outcome } } } }`, map[string]any{"id": app.ID}, &out)
			return out.Node.InboundEvents
		}

		// An undocumented word first: stored, nothing moves, but the order
		// is confirmed and its SmartMove id learned.
		send(withText(t, first.Body, "on hold", map[string]any{"reportStatus": "OnHold"}), "unknown_status")
		got := e.ScreeningApp(token, app.ID, "")
		if got.Status != "PENDING" || got.SmartmoveApplicationID == nil || *got.SmartmoveApplicationID != smID || got.LastNotification != "" {
			t.Fatalf("after an unknown status word: %+v", got)
		}
		if ev := events(); len(ev) != 1 || ev[0] != (event{"OnHold", "UNKNOWN_STATUS"}) {
			t.Fatalf("events %+v", ev)
		}

		// The simulator's own postbacks, ids as numbers, move it to READY.
		if err := sm.Sim.CompleteApplicant(smID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		sm.Flush(t)
		for _, d := range pb.all() {
			send(d.Body, "applied")
		}
		got = e.ScreeningApp(token, app.ID, "reportUrl")
		if got.Status != "READY" || got.ReportURL == nil {
			t.Fatalf("after the postbacks: %+v", got)
		}

		// READY is final: late failures are recorded, the report stays. One
		// sends applicationId as a string.
		last := pb.all()[len(pb.all())-1].Body
		send(withText(t, last, "A report error occurred", map[string]any{"reportStatus": "Error", "applicationId": strconv.Itoa(smID)}), "stale")
		send(withText(t, last, "The application has expired", map[string]any{"reportStatus": "Expired"}), "stale")
		send(withText(t, last, "what now", map[string]any{"reportStatus": "Archived"}), "unknown_status")
		got = e.ScreeningApp(token, app.ID, "reportUrl")
		if got.Status != "READY" || got.ReportURL == nil || !strings.HasPrefix(*got.ReportURL, sm.SimURL+"/smartmove/api/application/report/") ||
			got.LastNotification != "Reports are available for lisa@example.com" {
			t.Fatalf("after late failures: %+v", got)
		}
		var tail []string
		for _, ev := range events() {
			tail = append(tail, ev.ReportStatus+":"+ev.Outcome)
		}
		slices.Sort(tail)
		if strings.Join(tail, ",") != "Archived:UNKNOWN_STATUS,Error:STALE,Expired:STALE,InProgress:APPLIED,InProgress:APPLIED,InProgress:APPLIED,OnHold:UNKNOWN_STATUS,Ready:APPLIED" {
			t.Fatalf("events %v", tail)
		}
	})
}

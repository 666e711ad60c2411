package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// The postback route: authentication, storage once (redacted), duplicates,
// reordering.

// postback sends a postback to url with the Authorization header (none if
// empty) and returns the status and body.
func postback(t *testing.T, url, auth string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b))
}

func (e *env) inboundEvents() int {
	e.t.Helper()
	n, err := e.client.InboundEvent.Query().Count(e.sys())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

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
	forEachDBSetup(t, withSmartMove(smartmovetest.Options{}), func(t *testing.T, e *env) {
		sm := smartMove(t, e)
		_, token := e.screeningClient("Alpha")
		_, bToken := e.screeningClient("Beta")
		a := e.createEmbedded(token, "a", false, "lisa@example.com", "marge@example.com")
		b := e.createEmbedded(bToken, "b", false, "bart@example.com")
		if _, err := sm.sim.Advance(*a.SmartmoveApplicationID); err != nil {
			t.Fatal(err)
		}
		if _, err := sm.sim.Advance(*b.SmartmoveApplicationID); err != nil {
			t.Fatal(err)
		}
		sm.flush(t)
		d := sm.sim.Deliveries()
		if len(d) != 2 || d[0].Status != 200 || d[1].Status != 200 {
			t.Fatalf("deliveries: %+v", d)
		}
		aURL, aAuth, aBody := d[0].URL, d[0].Authorization, d[0].Body
		bURL, bAuth := d[1].URL, d[1].Authorization
		if !strings.HasPrefix(aURL, e.srv.URL+"/webhooks/smartmove/") || aURL == bURL || aAuth == bAuth {
			t.Fatalf("each application needs its own URL and credentials: %s %s", aURL, bURL)
		}
		user, pass := specAuthParts(t, aAuth)
		// Neither the URL key nor the password is stored as sent.
		e.assertNoColumnHolds(t, pass)
		if e.inboundEvents() != 2 {
			t.Fatalf("%d events", e.inboundEvents())
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
			{"unknown URL", e.srv.URL + "/webhooks/smartmove/unknownkey", aAuth},
		} {
			status, body := postback(t, c.url, c.auth, next)
			if status != http.StatusUnauthorized || !strings.Contains(body, `"UNAUTHENTICATED"`) {
				t.Fatalf("%s: HTTP %d %s", c.name, status, body)
			}
		}
		if e.inboundEvents() != 2 {
			t.Fatalf("a refused postback was stored: %d events", e.inboundEvents())
		}
		if st := e.screeningApp(token, a.ID, "").Status; st != "IN_PROGRESS" {
			t.Fatalf("a refused postback was applied: %s", st)
		}
		if strings.Contains(e.logs.String(), pass) {
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
			if status, body := postback(t, aURL, aAuth, c.body); status != http.StatusBadRequest {
				t.Fatalf("%s: HTTP %d %s", c.name, status, body)
			}
		}
		if e.inboundEvents() != 2 {
			t.Fatalf("a rejected postback was stored")
		}

		// Accepted: the spec's form and standard Basic alike.
		if status, body := postback(t, aURL, basic(user, pass), next); status != 200 || body != `{"status":"applied"}` {
			t.Fatalf("Basic: HTTP %d %s", status, body)
		}
		if status, body := postback(t, aURL, spec(user, pass), next); status != 200 || body != `{"status":"duplicate"}` {
			t.Fatalf("spec form, repeated: HTTP %d %s", status, body)
		}
		got := e.screeningApp(token, a.ID, "")
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
		e.mustGQL(token, `query($id: ID!) { node(id: $id) { ... on ScreeningApplication { inboundEvents { reportStatus outcome payload } } } }`, map[string]any{"id": a.ID}, &ev)
		if len(ev.Node.InboundEvents) != 2 {
			t.Fatalf("events: %+v", ev)
		}
		raw, _ := json.Marshal(ev)
		if strings.Contains(string(raw), "marge@example.com") || strings.Contains(string(raw), "lisa@example.com") || !strings.Contains(string(raw), "m***@example.com") {
			t.Fatalf("events are not redacted: %s", raw)
		}
		e.assertNoColumnHolds(t, pass, "lisa@example.com has")
	})
}

func TestScreeningPostbackDuplicatesAndReordering(t *testing.T) {
	forEachDBSetup(t, withSmartMove(smartmovetest.Options{PostbackCopies: 3}), func(t *testing.T, e *env) {
		sm := smartMove(t, e)
		_, token := e.screeningClient("Acme")
		app := e.createEmbedded(token, "k", true, "lisa@example.com")
		smID := *app.SmartmoveApplicationID

		// Every postback arrives three times, newest first.
		sm.sim.HoldPostbacks()
		if err := sm.sim.CompleteApplicant(smID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		sm.sim.ReleasePostbacksReversed()
		sm.flush(t)
		d := sm.sim.Deliveries()
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
		e.mustGQL(token, `query($id: ID!) { node(id: $id) { ... on ScreeningApplication { status lastNotification inboundEvents { id reportStatus outcome } } } }`, map[string]any{"id": app.ID}, &out)
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
		// A final status stays: a late Expired after Ready moves on, nothing after it moves back.
		if err := sm.sim.Expire(smID); err != nil {
			t.Fatal(err)
		}
		sm.flush(t)
		if st := e.screeningApp(token, app.ID, "").Status; st != "EXPIRED" {
			t.Fatalf("status %s, want EXPIRED", st)
		}
		if err := sm.sim.SetApplicantStatus(smID, "lisa@example.com", smartmovetest.RequestAccepted); err != nil {
			t.Fatal(err)
		}
		sm.flush(t)
		if st := e.screeningApp(token, app.ID, "").Status; st != "EXPIRED" {
			t.Fatalf("a final status moved to %s", st)
		}
	})
}

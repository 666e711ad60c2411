package webhooks_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/jobs"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/viewer"
)

// Every delivery here is verified with the Standard Webhooks reference
// library, never with the code that signs.

const createEndpoint = `mutation($in: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $in) { secret endpoint { id url enabled eventTypes } }
}`

const sendTest = `mutation($id: ID!) {
  sendTestWebhookEvent(endpointId: $id) { event { id webhookId type } delivery { id status } }
}`

const deliveryQuery = `query($id: ID!) { node(id: $id) { ... on WebhookDelivery {
  status attemptCount nextAttemptAt lastStatusCode lastError deliveredAt
  attempts { statusCode durationMs response error createdAt }
  event { webhookId type } } } }`

type created struct {
	Secret   string
	Endpoint struct {
		ID         string
		URL        string
		Enabled    bool
		EventTypes []string
	}
}

type delivery struct {
	Status        string
	AttemptCount  int
	NextAttemptAt *time.Time
	LastStatus    *int `json:"lastStatusCode"`
	LastError     string
	Attempts      []struct {
		StatusCode *int
		Response   string
		Error      string
		CreatedAt  time.Time
	}
	Event struct{ WebhookID, Type string }
}

// start is the tests' clock's start.
var start = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// site is one client with an admin token and an endpoint at a receiver.
type site struct {
	e        *apptest.Env
	admin    string
	clientID int
	rcv      *apptest.Receiver
	endpoint created
}

func newSite(t *testing.T, e *apptest.Env, name string, types ...string) *site {
	t.Helper()
	id, admin := e.NewClient(name, viewer.ScopeAdmin)
	s := &site{e: e, admin: admin, clientID: id, rcv: apptest.NewReceiver(t)}
	in := map[string]any{"url": s.rcv.URL + "/hooks", "description": "test receiver"}
	if types != nil {
		in["eventTypes"] = types
	}
	var out struct{ CreateWebhookEndpoint created }
	e.MustGQL(admin, createEndpoint, map[string]any{"in": in}, &out)
	s.endpoint = out.CreateWebhookEndpoint
	return s
}

func (s *site) test(t *testing.T) (eventID, webhookID, deliveryID string) {
	t.Helper()
	var out struct {
		SendTestWebhookEvent struct {
			Event    struct{ ID, WebhookID, Type string }
			Delivery struct{ ID, Status string }
		}
	}
	s.e.MustGQL(s.admin, sendTest, map[string]any{"id": s.endpoint.Endpoint.ID}, &out)
	p := out.SendTestWebhookEvent
	return p.Event.ID, p.Event.WebhookID, p.Delivery.ID
}

func (s *site) delivery(t *testing.T, id string) delivery {
	t.Helper()
	var out struct{ Node delivery }
	s.e.MustGQL(s.admin, deliveryQuery, map[string]any{"id": id}, &out)
	return out.Node
}

// waitDelivery waits until the delivery has made n attempts.
func (s *site) waitDelivery(t *testing.T, id string, n int) delivery {
	t.Helper()
	var d delivery
	apptest.Until(t, "the delivery's attempt "+strconv.Itoa(n), func() bool {
		d = s.delivery(t, id)
		return d.AttemptCount >= n
	})
	return d
}

func verify(t *testing.T, secret string, r apptest.Request, ignoreTime bool) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if ignoreTime {
		err = wh.VerifyIgnoringTimestamp(r.Body, r.Header)
	} else {
		err = wh.Verify(r.Body, r.Header)
	}
	if err != nil {
		t.Fatalf("the reference library refuses the delivery: %v\nheaders %v\nbody %s", err, r.Header, r.Body)
	}
}

func TestEndpointsAndATestEvent(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithWebhooks(time.Time{}), func(t *testing.T, e *apptest.Env) {
		s := newSite(t, e, "acme")
		if !strings.HasPrefix(s.endpoint.Secret, "whsec_") {
			t.Fatalf("secret %q", s.endpoint.Secret)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s.endpoint.Secret, "whsec_"))
		if err != nil || len(key) < 24 {
			t.Fatalf("secret %q: %d bytes, %v", s.endpoint.Secret, len(key), err)
		}
		if !s.endpoint.Endpoint.Enabled {
			t.Fatal("a new endpoint is disabled")
		}
		_, webhookID, deliveryID := s.test(t)
		got := s.rcv.WaitFor(t, 1)
		verify(t, s.endpoint.Secret, got[0], false)
		if id := got[0].Header.Get("webhook-id"); id != webhookID {
			t.Fatalf("webhook-id %q, the event's is %q", id, webhookID)
		}
		var body struct {
			Type      string
			Timestamp time.Time
			Data      map[string]any
		}
		if err := json.Unmarshal(got[0].Body, &body); err != nil {
			t.Fatal(err)
		}
		if body.Type != "webhook.test" || body.Data["id"] != s.endpoint.Endpoint.ID || body.Data["client_id"] != strconv.Itoa(s.clientID) ||
			body.Data["version"] == nil || body.Timestamp.IsZero() {
			t.Fatalf("body %s", got[0].Body)
		}
		d := s.waitDelivery(t, deliveryID, 1)
		if d.Status != "SUCCEEDED" || len(d.Attempts) != 1 || d.Attempts[0].StatusCode == nil || *d.Attempts[0].StatusCode != 204 {
			t.Fatalf("delivery %+v", d)
		}

		// The secret is stored sealed: no column holds it, in any form.
		for _, secret := range []string{s.endpoint.Secret, strings.TrimPrefix(s.endpoint.Secret, "whsec_"), string(key)} {
			if hits, rows := apptest.ColumnsHolding(t, e.SQL, "webhook_endpoints", secret); len(hits) > 0 || rows != 1 {
				t.Fatalf("the secret is readable in %v (%d rows)", hits, rows)
			}
		}
		// Nor does any answer carry it after creation.
		r := e.GQL(s.admin, `{ webhookEndpoints { edges { node { id url description eventTypes enabled } } } }`, nil)
		if strings.Contains(string(r.Data), strings.TrimPrefix(s.endpoint.Secret, "whsec_")) || len(r.Errors) > 0 {
			t.Fatalf("%s %+v", r.Data, r.Errors)
		}
	})
}

func TestEndpointInputAndScopes(t *testing.T) {
	apptest.EachDBSetup(t, apptest.Then(apptest.WithWebhooks(time.Time{}), func(t *testing.T, s *apptest.Settings) {
		s.Config.Webhooks.MaxEndpoints = 2
	}), func(t *testing.T, e *apptest.Env) {
		id, admin := e.NewClient("acme", viewer.ScopeAdmin)
		writer := e.Token(id, viewer.ScopeRead, viewer.ScopeWrite)
		create := func(token string, in map[string]any) apptest.GQLResponse {
			return e.GQLNoFatal(token, createEndpoint, map[string]any{"in": in})
		}
		r := create(writer, map[string]any{"url": "http://127.0.0.1:1/x"})
		apptest.WantCode(t, r, "FORBIDDEN")
		r = e.GQLNoFatal(writer, `{ webhookEndpoints { edges { node { id } } } }`, nil)
		if len(r.Errors) == 0 {
			t.Fatalf("a write token lists endpoints: %s", r.Data)
		}
		for _, c := range []struct {
			in   map[string]any
			path string
		}{
			{map[string]any{"url": "not a url"}, "input.url"},
			{map[string]any{"url": "ftp://127.0.0.1/x"}, "input.url"},
			{map[string]any{"url": "http://user:pw@127.0.0.1/x"}, "input.url"},
			{map[string]any{"url": "http://127.0.0.1:1/x", "eventTypes": []string{"lease.updated", "lease.exploded"}}, "input.eventTypes.1"},
			{map[string]any{"url": "http://127.0.0.1:1/x", "description": strings.Repeat("d", 501)}, "input.description"},
		} {
			r := create(admin, c.in)
			apptest.WantCode(t, r, "BAD_USER_INPUT")
			if p := pathOf(r); p != c.path {
				t.Errorf("%v: path %q, want %q (%+v)", c.in, p, c.path, r.Errors)
			}
		}
		// The bound on endpoints, and a refused write writes nothing.
		for range 2 {
			if r := create(admin, map[string]any{"url": "http://127.0.0.1:1/x"}); len(r.Errors) > 0 {
				t.Fatalf("%+v", r.Errors)
			}
		}
		apptest.WantCode(t, create(admin, map[string]any{"url": "http://127.0.0.1:1/x"}), "BAD_USER_INPUT")
		var list struct {
			WebhookEndpoints struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		e.MustGQL(admin, `{ webhookEndpoints { edges { node { id } } } }`, nil, &list)
		if n := len(list.WebhookEndpoints.Edges); n != 2 {
			t.Fatalf("%d endpoints", n)
		}
	})
}

func pathOf(r apptest.GQLResponse) string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	if f != "" {
		return f
	}
	var parts []string
	if fs, ok := r.Errors[0].Extensions["field"].([]any); ok {
		for _, p := range fs {
			parts = append(parts, fmtAny(p))
		}
	}
	return strings.Join(parts, ".")
}

func fmtAny(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.Itoa(int(v))
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestRetryScheduleRetryAfterAndTheSameID(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithWebhooks(start), func(t *testing.T, e *apptest.Env) {
		clock := e.Clock(t)
		s := newSite(t, e, "acme")
		s.rcv.SetAnswer(func(n int, _ *http.Request, w http.ResponseWriter) {
			switch n {
			case 1:
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(strings.Repeat("x", 5000)))
			case 2:
				w.Header().Set("Retry-After", "120")
				w.WriteHeader(http.StatusTooManyRequests)
			default:
				w.WriteHeader(http.StatusOK)
			}
		})
		_, webhookID, id := s.test(t)
		d := s.waitDelivery(t, id, 1)
		wait := d.NextAttemptAt.Sub(d.Attempts[0].CreatedAt)
		if d.Status != "PENDING" || wait < 4500*time.Millisecond || wait > 5500*time.Millisecond {
			t.Fatalf("after a 500: %s, next attempt in %s (want 5 s ± 10%%)", d.Status, wait)
		}
		if len(d.Attempts[0].Response) != 1024 || d.Attempts[0].Error != "500 Internal Server Error" {
			t.Fatalf("attempt kept %d bytes of the answer, error %q", len(d.Attempts[0].Response), d.Attempts[0].Error)
		}
		// Not yet due: running the job early changes nothing.
		e.DueWebhooks(t)
		time.Sleep(200 * time.Millisecond)
		if n := len(s.rcv.Got()); n != 1 {
			t.Fatalf("%d requests before the next attempt was due", n)
		}
		clock.Advance(6 * time.Second)
		e.DueWebhooks(t)
		d = s.waitDelivery(t, id, 2)
		if wait := d.NextAttemptAt.Sub(d.Attempts[1].CreatedAt); wait != 120*time.Second {
			t.Fatalf("after a 429 with Retry-After: 120, next attempt in %s", wait)
		}
		clock.Advance(121 * time.Second)
		e.DueWebhooks(t)
		d = s.waitDelivery(t, id, 3)
		if d.Status != "SUCCEEDED" {
			t.Fatalf("%+v", d)
		}
		for _, r := range s.rcv.Got() {
			if r.Header.Get("webhook-id") != webhookID {
				t.Fatalf("webhook-id %q on a retry, want %q", r.Header.Get("webhook-id"), webhookID)
			}
			verify(t, s.endpoint.Secret, r, true)
		}
	})
}

func TestAttemptsSpentThenReplay(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithWebhooks(start), func(t *testing.T, e *apptest.Env) {
		clock := e.Clock(t)
		s := newSite(t, e, "acme")
		s.rcv.SetAnswer(func(_ int, _ *http.Request, w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) })
		eventID, webhookID, id := s.test(t)
		// The specification's example schedule: ten attempts.
		want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
			10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour}
		for i, w := range want {
			d := s.waitDelivery(t, id, i+1)
			got := d.NextAttemptAt.Sub(d.Attempts[i].CreatedAt)
			if got < w*9/10 || got > w*11/10 {
				t.Fatalf("after attempt %d: next in %s, want %s ± 10%%", i+1, got, w)
			}
			clock.Advance(got + time.Second)
			e.DueWebhooks(t)
		}
		d := s.waitDelivery(t, id, 10)
		if d.Status != "FAILED" || d.NextAttemptAt != nil || d.AttemptCount != 10 {
			t.Fatalf("after the tenth attempt: %+v", d)
		}
		// A replay: a new delivery of the same event, the same webhook-id.
		s.rcv.SetAnswer(nil)
		var out struct{ ReplayWebhookEvent struct{ ID string } }
		s.e.MustGQL(s.admin, `mutation($ep: ID!, $ev: ID!) { replayWebhookEvent(endpointId: $ep, eventId: $ev) { id } }`,
			map[string]any{"ep": s.endpoint.Endpoint.ID, "ev": eventID}, &out)
		d = s.waitDelivery(t, out.ReplayWebhookEvent.ID, 1)
		got := s.rcv.Got()
		if d.Status != "SUCCEEDED" || len(got) != 11 || got[10].Header.Get("webhook-id") != webhookID {
			t.Fatalf("the replay: %+v, %d requests", d, len(got))
		}
		verify(t, s.endpoint.Secret, got[10], true)
	})
}

func TestGoneDisablesAndFiveDaysOfFailures(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithWebhooks(start), func(t *testing.T, e *apptest.Env) {
		clock := e.Clock(t)
		endpointState := func(s *site) (enabled bool, reason string) {
			var out struct {
				Node struct {
					Enabled        bool
					DisabledReason string
				}
			}
			e.MustGQL(s.admin, `query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { enabled disabledReason } } }`,
				map[string]any{"id": s.endpoint.Endpoint.ID}, &out)
			return out.Node.Enabled, out.Node.DisabledReason
		}
		gone := newSite(t, e, "gone")
		gone.rcv.SetAnswer(func(_ int, _ *http.Request, w http.ResponseWriter) { w.WriteHeader(http.StatusGone) })
		_, _, id := gone.test(t)
		if d := gone.waitDelivery(t, id, 1); d.Status != "FAILED" {
			t.Fatalf("after 410: %+v", d)
		}
		if on, why := endpointState(gone); on || !strings.Contains(why, "410") {
			t.Fatalf("after 410 the endpoint is enabled=%v (%q)", on, why)
		}

		failing := newSite(t, e, "failing")
		failing.rcv.SetAnswer(func(_ int, _ *http.Request, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) })
		_, _, first := failing.test(t)
		failing.waitDelivery(t, first, 1)
		clock.Advance(4 * 24 * time.Hour)
		_, _, second := failing.test(t)
		failing.waitDelivery(t, second, 1)
		if on, _ := endpointState(failing); !on {
			t.Fatal("disabled after 4 days of failures")
		}
		clock.Advance(24*time.Hour + time.Minute)
		e.DueWebhooks(t)
		apptest.Until(t, "the 5-day rule", func() bool { on, _ := endpointState(failing); return !on })
		if _, why := endpointState(failing); !strings.Contains(why, "5 days") {
			t.Fatalf("reason %q", why)
		}
		// What it missed while disabled is replayable once it is enabled
		// again (test events are not replayed in bulk: a lease import's
		// summary stands for a missed event here).
		failing.rcv.SetAnswer(nil)
		missed := raiseOne(t, e, failing.clientID)
		e.MustGQL(failing.admin, `mutation($id: ID!) { enableWebhookEndpoint(id: $id) { enabled } }`, map[string]any{"id": failing.endpoint.Endpoint.ID}, nil)
		before := len(failing.rcv.Got())
		var out struct{ ReplayWebhookEndpoint struct{ Queued int } }
		e.MustGQL(failing.admin, `mutation($id: ID!, $since: Time!) { replayWebhookEndpoint(endpointId: $id, since: $since) { queued more } }`,
			map[string]any{"id": failing.endpoint.Endpoint.ID, "since": "2026-01-01T00:00:00Z"}, &out)
		if out.ReplayWebhookEndpoint.Queued != 1 {
			t.Fatalf("queued %d, want the one missed event", out.ReplayWebhookEndpoint.Queued)
		}
		got := failing.rcv.WaitFor(t, before+1)
		if id := got[before].Header.Get("webhook-id"); id != events.WebhookID(missed) {
			t.Fatalf("replayed %q, want %q", id, events.WebhookID(missed))
		}
		verify(t, failing.endpoint.Secret, got[before], true)
	})
}

func TestRotationSignsWithBothSecrets(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithWebhooks(start), func(t *testing.T, e *apptest.Env) {
		clock := e.Clock(t)
		s := newSite(t, e, "acme")
		old := s.endpoint.Secret
		var out struct{ RotateWebhookSecret created }
		e.MustGQL(s.admin, `mutation($id: ID!) { rotateWebhookSecret(id: $id, keepPreviousForSeconds: 3600) { secret endpoint { id } } }`,
			map[string]any{"id": s.endpoint.Endpoint.ID}, &out)
		fresh := out.RotateWebhookSecret.Secret
		if fresh == old || !strings.HasPrefix(fresh, "whsec_") {
			t.Fatalf("rotated to %q", fresh)
		}
		s.test(t)
		got := s.rcv.WaitFor(t, 1)
		if sigs := strings.Fields(got[0].Header.Get("webhook-signature")); len(sigs) != 2 {
			t.Fatalf("signatures during the overlap: %v", sigs)
		}
		verify(t, fresh, got[0], true)
		verify(t, old, got[0], true)
		clock.Advance(time.Hour + time.Second)
		s.test(t)
		got = s.rcv.WaitFor(t, 2)
		if sigs := strings.Fields(got[1].Header.Get("webhook-signature")); len(sigs) != 1 {
			t.Fatalf("signatures after the overlap: %v", sigs)
		}
		verify(t, fresh, got[1], true)
		if wh, _ := standardwebhooks.NewWebhook(old); wh.VerifyIgnoringTimestamp(got[1].Body, got[1].Header) == nil {
			t.Fatal("the previous secret still verifies after its overlap")
		}
	})
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithWebhooks(time.Time{}), func(t *testing.T, e *apptest.Env) {
		s := newSite(t, e, "acme")
		target := apptest.NewReceiver(t)
		s.rcv.SetAnswer(func(_ int, r *http.Request, w http.ResponseWriter) {
			http.Redirect(w, r, target.URL+"/elsewhere", http.StatusFound)
		})
		_, _, id := s.test(t)
		d := s.waitDelivery(t, id, 1)
		if d.Status != "PENDING" || d.LastStatus == nil || *d.LastStatus != 302 || !strings.Contains(d.LastError, "redirects are not followed") {
			t.Fatalf("%+v", d)
		}
		if n := len(target.Got()); n != 0 {
			t.Fatalf("the redirect's target got %d requests", n)
		}
	})
}

// stubResolver answers each host's addresses as the test sets them.
type stubResolver struct{ addrs func(host string) []string }

func (s stubResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	var out []net.IPAddr
	for _, a := range s.addrs(host) {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func TestPrivateAddressesAreRefusedAtConnection(t *testing.T) {
	// Each database's run has a host name of its own (they run at once),
	// resolving as the run sets it.
	var resolves sync.Map // host -> address
	resolver := stubResolver{addrs: func(host string) []string {
		if a, ok := resolves.Load(host); ok {
			return []string{a.(string)}
		}
		return nil
	}}
	apptest.EachDBSetup(t, apptest.Then(apptest.WithWebhooks(time.Time{}), func(t *testing.T, s *apptest.Settings) {
		s.Config.Webhooks.AllowPrivate = false
		s.Options.WebhookResolver = resolver
	}), func(t *testing.T, e *apptest.Env) {
		host := "hooks-" + e.Dialect + ".example.test"
		resolves.Store(host, "203.0.113.10") // public (documentation range) while the endpoint is created
		_, admin := e.NewClient("acme", viewer.ScopeAdmin)
		rcv := apptest.NewReceiver(t)
		_, port, _ := net.SplitHostPort(rcv.Listener.Addr().String())
		for _, url := range []string{
			"http://" + host + "/x",            // plain http
			"https://169.254.169.254/latest",   // cloud metadata
			"https://127.0.0.1:" + port + "/x", // loopback
			"https://[::1]:" + port + "/x",     // loopback, v6
			"https://10.1.2.3/x",               // private
			"https://[::ffff:127.0.0.1]:1/x",   // mapped loopback
		} {
			apptest.WantCode(t, e.GQLNoFatal(admin, createEndpoint, map[string]any{"in": map[string]any{"url": url}}), "BAD_USER_INPUT")
		}
		var out struct{ CreateWebhookEndpoint created }
		e.MustGQL(admin, createEndpoint, map[string]any{"in": map[string]any{"url": "https://" + host + ":" + port + "/x"}}, &out)
		s := &site{e: e, admin: admin, rcv: rcv, endpoint: out.CreateWebhookEndpoint}
		for i, addr := range []string{"127.0.0.1", "169.254.169.254"} {
			resolves.Store(host, addr) // the name now resolves inward
			_, _, id := s.test(t)
			d := s.waitDelivery(t, id, 1)
			if d.Status != "PENDING" || d.LastStatus != nil || !strings.Contains(d.LastError, "refused") {
				t.Fatalf("%s (case %d): %+v", addr, i, d)
			}
		}
		if n := rcv.Accepted.Load(); n != 0 {
			t.Fatalf("the receiver accepted %d connections", n)
		}
	})
}

func TestClientsNeverSeeEachOthersWebhooks(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithWebhooks(time.Time{}), func(t *testing.T, e *apptest.Env) {
		a := newSite(t, e, "a")
		b := newSite(t, e, "b")
		eventA, _, _ := a.test(t)
		a.rcv.WaitFor(t, 1)
		time.Sleep(100 * time.Millisecond)
		if n := len(b.rcv.Got()); n != 0 {
			t.Fatalf("b's endpoint got %d of a's events", n)
		}
		for _, q := range []struct {
			query string
			vars  map[string]any
		}{
			{`mutation($ep: ID!, $ev: ID!) { replayWebhookEvent(endpointId: $ep, eventId: $ev) { id } }`, map[string]any{"ep": b.endpoint.Endpoint.ID, "ev": eventA}},
			{`mutation($id: ID!) { sendTestWebhookEvent(endpointId: $id) { event { id } } }`, map[string]any{"id": a.endpoint.Endpoint.ID}},
			{`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }`, map[string]any{"id": a.endpoint.Endpoint.ID}},
		} {
			apptest.WantCode(t, e.GQLNoFatal(b.admin, q.query, q.vars), "NOT_FOUND")
		}
		// Another client's event is not found, as if it did not exist.
		apptest.WantCode(t, e.GQLNoFatal(b.admin, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": eventA}), "NOT_FOUND")
	})
}

func TestARolledBackOperationRaisesNothing(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithWebhooks(time.Time{}), func(t *testing.T, e *apptest.Env) {
		s := newSite(t, e, "acme")
		r := e.GQLNoFatal(s.admin, `mutation($id: ID!) {
  a: sendTestWebhookEvent(endpointId: $id) { event { id } }
  b: disableWebhookEndpoint(id: "1") { id }
}`, map[string]any{"id": s.endpoint.Endpoint.ID})
		apptest.WantCode(t, r, "NOT_FOUND")
		var out struct {
			Events struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		e.MustGQL(s.admin, `{ events(first: 10) { edges { node { id } } } }`, nil, &out)
		if n := len(out.Events.Edges); n != 0 {
			t.Fatalf("%d events from a rolled-back operation", n)
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(s.rcv.Got()); n != 0 {
			t.Fatalf("the endpoint got %d requests", n)
		}
	})
}

// raiseOne records a lease import's summary for the client, as an import's
// transaction does: the delivery side's tests need an event that is not a
// test event, whatever raised it (its causes have their own tests).
func raiseOne(t *testing.T, e *apptest.Env, clientID int) *ent.Event {
	t.Helper()
	ev, err := ent.WithTx(e.Sys(), e.Client, func(ctx context.Context, _ *ent.Client) (*ent.Event, error) {
		return e.App.Events.Record(ctx, events.Event{Type: events.LeaseImportCompleted, ClientID: clientID, ObjectType: "Client",
			ObjectID: clientID, Data: map[string]int{"leases_created": 1}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestOldEventsArePruned(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithWebhooks(start), func(t *testing.T, e *apptest.Env) {
		s := newSite(t, e, "acme")
		raiseOne(t, e, s.clientID)
		s.rcv.WaitFor(t, 1)
		count := func() int {
			var out struct{ Events struct{ TotalCount int } }
			e.MustGQL(s.admin, `{ events { totalCount } }`, nil, &out)
			return out.Events.TotalCount
		}
		prune := func() {
			t.Helper()
			if _, err := e.App.Queue.River.Insert(context.Background(), jobs.PruneEventsArgs{}, nil); err != nil {
				t.Fatal(err)
			}
		}
		e.Clock(t).Advance(29 * 24 * time.Hour)
		recent := raiseOne(t, e, s.clientID)
		e.Clock(t).Advance(2 * 24 * time.Hour) // the first is 31 days old, the second 2
		prune()
		apptest.Until(t, "the old event pruned", func() bool { return count() == 1 })
		var out struct {
			Events struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		e.MustGQL(s.admin, `{ events { edges { node { id } } } }`, nil, &out)
		if out.Events.Edges[0].Node.ID != strconv.Itoa(recent.ID) {
			t.Fatalf("kept %v, want the recent event %d", out.Events.Edges, recent.ID)
		}
	})
}

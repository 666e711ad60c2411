package propexotest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The webhook bodies are checked field by field against the extract
// (_v1_webhooks__post_input, _v1_webhooks_{webhook_id}_put_input).
func TestWebhookRules(t *testing.T) {
	_, srv := start(t, Options{})
	const ok = `"url":"https://example.com/hook","triggers":["DATA_UPDATE"]`
	for _, c := range []struct {
		name, body string
		code       string // "" accepted; else the first issue's code
		path       string
	}{
		{"minimal", `{` + ok + `}`, "", ""},
		{"every field", `{` + ok + `,"active":true,"secret":"0123456789","model":"leases","headers":[{"header":"x-a","value":"b"}]}`, "", ""},
		{"url missing", `{"triggers":["DATA_NEW"]}`, "invalid_type", "url"},
		{"url not a uri", `{"url":"not a url","triggers":["DATA_NEW"]}`, "invalid_string", "url"},
		{"url relative", `{"url":"/hook","triggers":["DATA_NEW"]}`, "invalid_string", "url"},
		{"triggers missing", `{"url":"https://example.com/hook"}`, "invalid_type", "triggers"},
		{"triggers empty (minItems 1)", `{"url":"https://example.com/hook","triggers":[]}`, "too_small", "triggers"},
		{"trigger not in the enum", `{"url":"https://example.com/hook","triggers":["DATA_CHANGED"]}`, "invalid_enum_value", "triggers"},
		{"JOB_SUCCESS is PUT's only", `{"url":"https://example.com/hook","triggers":["JOB_SUCCESS"]}`, "invalid_enum_value", "triggers"},
		{"secret of 9 (minLength 10)", `{` + ok + `,"secret":"012345678"}`, "too_small", "secret"},
		{"model not in the enum", `{` + ok + `,"model":"prospects"}`, "invalid_enum_value", "model"},
		{"active not boolean", `{` + ok + `,"active":"yes"}`, "invalid_type", "active"},
		{"header without value", `{` + ok + `,"headers":[{"header":"x-a"}]}`, "invalid_type", "headers"},
		{"unknown key", `{` + ok + `,"events":["x"]}`, "unrecognized_keys", ""},
	} {
		r := do(t, srv, http.MethodPost, "/v1/webhooks/", c.body)
		if c.code == "" {
			if r.status != http.StatusOK {
				t.Errorf("%s: HTTP %d %s", c.name, r.status, r.raw)
			}
			continue
		}
		issues := r.errorBody(t).Error.Details.Details.Issues
		if r.status != http.StatusBadRequest || len(issues) == 0 || issues[0].Code != c.code ||
			(c.path != "" && (len(issues[0].Path) == 0 || issues[0].Path[0] != c.path)) {
			t.Errorf("%s: HTTP %d %s; want 400 %s at %s", c.name, r.status, r.raw, c.code, c.path)
		}
	}

	// A created webhook: active false and a generated secret by default.
	res := do(t, srv, http.MethodPost, "/v1/webhooks/", `{`+ok+`}`).json(t)["result"].(map[string]any)
	id := res["id"].(string)
	if res["active"] != false || len(res["secret"].(string)) < 10 || res["system"] != "SANDBOX" {
		t.Fatalf("created %v", res)
	}
	// PUT takes JOB_SUCCESS, has nothing required, and checks the rest.
	if r := do(t, srv, http.MethodPut, "/v1/webhooks/"+id, `{"triggers":["JOB_SUCCESS"],"active":true}`); r.status != http.StatusOK {
		t.Fatalf("PUT: HTTP %d %s", r.status, r.raw)
	}
	if r := do(t, srv, http.MethodPut, "/v1/webhooks/"+id, `{"secret":"short"}`); r.status != http.StatusBadRequest {
		t.Fatalf("PUT of a short secret: HTTP %d %s", r.status, r.raw)
	}
	// active filters the list, true by default: "every field" and id are
	// active, "minimal" is not.
	listed := func(q string) int {
		return len(do(t, srv, http.MethodGet, "/v1/webhooks/"+q, "").json(t)["results"].([]any))
	}
	if a, i := listed(""), listed("?active=false"); a != 2 || i != 1 {
		t.Fatalf("listed %d active, %d inactive; want 2 and 1", a, i)
	}
	if r := do(t, srv, http.MethodGet, "/v1/webhooks/?active=maybe", ""); r.status != http.StatusBadRequest {
		t.Fatalf("active=maybe: HTTP %d", r.status)
	}
	// An unknown id is a 400, the only error documented; no token is a 401.
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		if r := do(t, srv, m, "/v1/webhooks/wh_404", `{}`); r.status != http.StatusBadRequest {
			t.Errorf("%s of an unknown webhook: HTTP %d", m, r.status)
		}
	}
	if r := do(t, srv, http.MethodGet, "/v1/webhooks/"+id, ""); r.status != http.StatusOK || r.json(t)["results"].(map[string]any)["id"] != id {
		t.Fatalf("GET by id: HTTP %d %s", r.status, r.raw)
	}
	if r := do(t, srv, http.MethodGet, "/v1/webhooks/"+id+"?active=true", ""); r.status != http.StatusBadRequest {
		t.Fatalf("GET by id with an undocumented parameter: HTTP %d", r.status)
	}
	if r := doAuth(t, srv, http.MethodGet, "/v1/webhooks/", "", ""); r.status != http.StatusUnauthorized {
		t.Fatalf("no token: HTTP %d", r.status)
	}
	if r := do(t, srv, http.MethodDelete, "/v1/webhooks/"+id, ""); r.status != http.StatusOK || listed("") != 1 {
		t.Fatalf("DELETE: HTTP %d %s", r.status, r.raw)
	}
}

// hookReceiver records deliveries and answers each with the next status.
type hookReceiver struct {
	mu       sync.Mutex
	statuses []int
	got      []delivery
}

type delivery struct {
	body            []byte
	signature, xTag string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, delivery{body: b, signature: r.Header.Get("propexo-signature"), xTag: r.Header.Get("x-tag")})
	status := http.StatusNoContent
	if len(h.statuses) > 0 {
		status, h.statuses = h.statuses[0], h.statuses[1:]
	}
	w.WriteHeader(status)
}

func (h *hookReceiver) deliveries() []delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]delivery(nil), h.got...)
}

// A change is posted to each active webhook whose triggers and model
// match, signed with that webhook's secret over the raw body, with its
// custom headers; a non-2xx is retried with the same event, WebhookTries
// times at most.
func TestWebhookDeliveries(t *testing.T) {
	sim, srv := start(t, Options{WebhookTries: 3, WebhookRetryEvery: 10 * time.Millisecond})
	flaky := &hookReceiver{statuses: []int{500, 502}} // two failures, then 204
	down := &hookReceiver{statuses: []int{500, 500, 500, 500, 500}}
	other := &hookReceiver{}
	for _, rcv := range []*hookReceiver{flaky, down, other} {
		s := httptest.NewServer(rcv)
		t.Cleanup(s.Close)
		body := map[string]any{"url": s.URL, "triggers": []string{"DATA_UPDATE"}, "active": true, "secret": "secret-" + s.URL[len(s.URL)-5:],
			"headers": []map[string]string{{"header": "x-tag", "value": "t1"}}}
		if rcv == other {
			body["model"] = "residents" // leases changes are not its
		}
		b, _ := json.Marshal(body)
		if r := do(t, srv, http.MethodPost, "/v1/webhooks/", string(b)); r.status != http.StatusOK {
			t.Fatalf("register: HTTP %d %s", r.status, r.raw)
		}
	}
	hooks := sim.Webhooks()

	sim.PutLease(LeaseRecord{ID: "L1", IntegrationID: "int-1"}) // DATA_NEW: no webhook asked for it
	sim.PutLease(LeaseRecord{ID: "L1", IntegrationID: "int-1", Status: "Notice"})
	sim.WaitWebhooks() // every delivery succeeded or used its tries

	for i, rcv := range []*hookReceiver{flaky, down} {
		got := rcv.deliveries()
		if len(got) != 3 {
			t.Fatalf("receiver %d: %d tries; want 3 (WebhookTries)", i, len(got))
		}
		var ev Webhook
		if err := json.Unmarshal(got[0].body, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Trigger != "DATA_UPDATE" || ev.Model != ModelLeases || ev.RecordID != "L1" || ev.IntegrationID != "int-1" || ev.EventID == "" {
			t.Fatalf("delivery %+v", ev)
		}
		for _, d := range got {
			if string(d.body) != string(got[0].body) || d.signature != Sign(hooks[i].Secret, d.body) || d.xTag != "t1" {
				t.Fatalf("receiver %d: a try differs or is not signed with its secret: %+v", i, d)
			}
		}
		if d := got[0]; d.signature == Sign(hooks[1-i].Secret, d.body) {
			t.Fatal("two webhooks signed alike")
		}
	}
	if n := len(other.deliveries()); n != 0 {
		t.Fatalf("a residents webhook got %d lease deliveries", n)
	}
	if !strings.HasPrefix(hooks[0].Secret, "secret-") {
		t.Fatalf("stored secret %q", hooks[0].Secret)
	}
}

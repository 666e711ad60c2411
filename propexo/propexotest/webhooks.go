package propexotest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The webhook configuration (docs/partners/propexo.md#webhook-configuration) and the
// deliveries it causes: every change PutLease, PutResident and PutTransfer
// make is posted, signed with propexo-signature (the hex HMAC-SHA256 of the
// raw body keyed by the webhook's secret, docs/partners/propexo.md#webhook-deliveries), to each
// active webhook whose triggers match; a non-2xx or unanswered delivery is
// tried again after WebhookRetryEvery, WebhookTries times in all
// (docs/partners/propexo.md#webhook-deliveries: every 15 minutes, 10 tries in production, 2 in the
// sandbox).

// The triggers enums: POST's (docs/partners/propexo.md#webhook-configuration) and
// PUT's, which adds JOB_SUCCESS (docs/partners/propexo.md#webhook-configuration).
var (
	postTriggers = []string{"DATA_UPDATE", "DATA_NEW", "JOB_FAILURE", "SYNC_COMPLETE", "FIRST_SYNC_COMPLETE", "WRITE_OPERATION_FAILURE"}
	putTriggers  = []string{"DATA_UPDATE", "DATA_NEW", "JOB_FAILURE", "JOB_SUCCESS", "SYNC_COMPLETE", "FIRST_SYNC_COMPLETE", "WRITE_OPERATION_FAILURE"}
)

// Model names of the records the simulator holds, from the model enum.
const (
	ModelLeases         = "leases"
	ModelResidents      = "residents"
	ModelLeaseTransfers = "lease_transfers"
)

// Header is one custom header a webhook is sent with.
type Header struct {
	Header string `json:"header"`
	Value  string `json:"value"`
}

// RegisteredWebhook is a webhook as the simulator stores it.
type RegisteredWebhook struct {
	ID               string
	Created, Updated time.Time
	URL              string
	Headers          []Header
	Active           bool
	Secret           string
	Triggers         []string
	Model            string // "" is every model
}

// webhookInput is a validated POST or PUT body; nil is "not sent".
type webhookInput struct {
	URL      *string   `json:"url"`
	Headers  *[]Header `json:"headers"`
	Triggers *[]string `json:"triggers"`
	Active   *bool     `json:"active"`
	Secret   *string   `json:"secret"`
	Model    *string   `json:"model"`
}

// Webhooks returns the registered webhooks, oldest first.
func (s *Sim) Webhooks() []RegisteredWebhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RegisteredWebhook, 0, len(s.hookOrder))
	for _, id := range s.hookOrder {
		h := *s.hooks[id]
		h.Headers, h.Triggers = slices.Clone(h.Headers), slices.Clone(h.Triggers)
		out = append(out, h)
	}
	return out
}

// WaitWebhooks waits until every delivery queued so far has been answered
// 2xx or has used its tries.
func (s *Sim) WaitWebhooks() { s.deliveries.Wait() }

// WebhookAttempts counts delivery attempts, retries included.
func (s *Sim) WebhookAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hookAttempts
}

// checkWebhookBody validates a POST (create) or PUT body against
// _v1_webhooks__post_input or _v1_webhooks_{webhook_id}_put_input: url
// format uri, headers [{header, value}], triggers from the enum with
// minItems 1, active boolean, secret minLength 10, model from the enum;
// url and triggers are required on a create. Unknown keys are refused,
// as on every body the simulator reads.
func checkWebhookBody(raw []byte, create bool) (webhookInput, []Issue) {
	var in webhookInput
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return in, []Issue{{Code: "invalid_type", Path: []any{}, Message: "Expected object"}}
	}
	var issues []Issue
	present := func(k string) (json.RawMessage, bool) {
		v, ok := fields[k]
		return v, ok && string(v) != "null"
	}
	var unknown []string
	for k := range fields {
		if !slices.Contains([]string{"url", "headers", "triggers", "active", "secret", "model"}, k) {
			unknown = append(unknown, "'"+k+"'")
		}
	}
	if v, ok := present("url"); ok {
		var u string
		if json.Unmarshal(v, &u) != nil {
			issues = append(issues, issue("invalid_type", "url", "Expected string"))
		} else if p, err := url.Parse(u); err != nil || !p.IsAbs() || p.Host == "" {
			issues = append(issues, issue("invalid_string", "url", "Invalid url"))
		}
		in.URL = &u
	} else if create {
		issues = append(issues, issue("invalid_type", "url", "Required"))
	}
	if v, ok := present("headers"); ok {
		var hs []map[string]json.RawMessage
		if json.Unmarshal(v, &hs) != nil {
			issues = append(issues, issue("invalid_type", "headers", "Expected array"))
		} else {
			list := make([]Header, 0, len(hs))
			for i, h := range hs {
				var name, value string
				if json.Unmarshal(h["header"], &name) != nil || json.Unmarshal(h["value"], &value) != nil {
					issues = append(issues, Issue{Code: "invalid_type", Path: []any{"headers", i}, Message: "Expected {header: string, value: string}"})
				}
				list = append(list, Header{Header: name, Value: value})
			}
			in.Headers = &list
		}
	}
	enum := putTriggers
	if create {
		enum = postTriggers
	}
	if v, ok := present("triggers"); ok {
		var ts []string
		switch {
		case json.Unmarshal(v, &ts) != nil:
			issues = append(issues, issue("invalid_type", "triggers", "Expected array of strings"))
		case len(ts) == 0:
			issues = append(issues, issue("too_small", "triggers", "Array must contain at least 1 element(s)"))
		}
		for i, t := range ts {
			if !slices.Contains(enum, t) {
				issues = append(issues, Issue{Code: "invalid_enum_value", Path: []any{"triggers", i}, Message: "Invalid enum value"})
			}
		}
		in.Triggers = &ts
	} else if create {
		issues = append(issues, issue("invalid_type", "triggers", "Required"))
	}
	if v, ok := present("active"); ok {
		var b bool
		if json.Unmarshal(v, &b) != nil {
			issues = append(issues, issue("invalid_type", "active", "Expected boolean"))
		}
		in.Active = &b
	}
	if v, ok := present("secret"); ok {
		var sec string
		if json.Unmarshal(v, &sec) != nil {
			issues = append(issues, issue("invalid_type", "secret", "Expected string"))
		} else if utf8.RuneCountInString(sec) < 10 {
			issues = append(issues, issue("too_small", "secret", "String must contain at least 10 character(s)"))
		}
		in.Secret = &sec
	}
	if v, ok := present("model"); ok {
		var m string
		if json.Unmarshal(v, &m) != nil || !slices.Contains(webhookModels, m) {
			issues = append(issues, issue("invalid_enum_value", "model", "Invalid enum value"))
		}
		in.Model = &m
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		issues = append(issues, Issue{Code: "unrecognized_keys", Path: []any{},
			Message: "Unrecognized key(s) in object: " + strings.Join(unknown, ", ")})
	}
	return in, issues
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "unreadable body", nil)
		return nil, false
	}
	return raw, true
}

func (s *Sim) createWebhook(w http.ResponseWriter, r *http.Request) {
	raw, ok := readBody(w, r)
	if !ok {
		return
	}
	in, issues := checkWebhookBody(raw, true)
	if len(issues) > 0 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "invalid request body", issues)
		return
	}
	s.mu.Lock()
	s.hookSeq++
	now := s.now()
	h := &RegisteredWebhook{ID: fmt.Sprintf("wh_%d", s.hookSeq), Created: now, Updated: now}
	// "If you do not provide a secret, one will be generated for you";
	// active defaults to false (_v1_webhooks__post_input).
	h.Secret = rand.Text()
	applyWebhook(h, in)
	if s.hooks == nil {
		s.hooks = map[string]*RegisteredWebhook{}
	}
	s.hooks[h.ID] = h
	s.hookOrder = append(s.hookOrder, h.ID)
	out := renderWebhook(h, true)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"result": out})
}

func applyWebhook(h *RegisteredWebhook, in webhookInput) {
	if in.URL != nil {
		h.URL = *in.URL
	}
	if in.Headers != nil {
		h.Headers = slices.Clone(*in.Headers)
	}
	if in.Triggers != nil {
		h.Triggers = slices.Clone(*in.Triggers)
	}
	if in.Active != nil {
		h.Active = *in.Active
	}
	if in.Secret != nil {
		h.Secret = *in.Secret
	}
	if in.Model != nil {
		h.Model = *in.Model
	}
}

// renderWebhook answers a webhook with the required keys of its output
// schemas; the write outputs require headers, which may be null
// (_v1_webhooks__post_output), the reads leave it out when unset.
func renderWebhook(h *RegisteredWebhook, write bool) map[string]any {
	triggers := make([]map[string]any, len(h.Triggers))
	for i, t := range h.Triggers {
		triggers[i] = map[string]any{"id": h.ID + "_t" + strconv.Itoa(i), "trigger": t, "model": null(h.Model)}
	}
	m := map[string]any{"id": h.ID, "created_at": h.Created.UTC().Format(time.RFC3339Nano),
		"updated_at": h.Updated.UTC().Format(time.RFC3339Nano), "url": h.URL, "active": h.Active,
		"secret": h.Secret, "system": "SANDBOX", "triggers": triggers}
	switch {
	case h.Headers != nil:
		m["headers"] = h.Headers
	case write:
		m["headers"] = nil
	}
	return m
}

// listWebhooks answers GET /v1/webhooks/: active (default true), order-by,
// offset and limit (docs/partners/propexo.md#webhook-configuration).
func (s *Sim) listWebhooks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var issues []Issue
	for k := range q {
		if !slices.Contains([]string{"active", "order-by", "offset", "limit"}, k) {
			issues = append(issues, Issue{Code: "unrecognized_keys", Path: []any{}, Message: "Unrecognized key(s) in object: '" + k + "'"})
		}
	}
	active := true
	switch q.Get("active") {
	case "", "true":
	case "false":
		active = false
	default:
		issues = append(issues, issue("invalid_type", "active", "Expected boolean"))
	}
	offset := intParam(q.Get("offset"), 0, 0, -1, "offset", &issues)
	limit := intParam(q.Get("limit"), 100, 0, 250, "limit", &issues)
	field, dir, _ := strings.Cut(cmpStr(q.Get("order-by"), "created_at:desc"), ":")
	if (field != "created_at" && field != "updated_at") || (dir != "" && dir != "asc" && dir != "desc") {
		issues = append(issues, issue("invalid_enum_value", "order-by", "Invalid order-by"))
	}
	if len(issues) > 0 {
		writeError(w, http.StatusBadRequest, "invalid_request", "invalid query", issues)
		return
	}
	s.mu.Lock()
	var all []*RegisteredWebhook
	for _, id := range s.hookOrder {
		if h := s.hooks[id]; h.Active == active {
			cp := *h
			all = append(all, &cp)
		}
	}
	s.mu.Unlock()
	slices.SortStableFunc(all, func(a, b *RegisteredWebhook) int {
		at, bt := a.Created, b.Created
		if field == "updated_at" {
			at, bt = a.Updated, b.Updated
		}
		if dir == "desc" {
			return bt.Compare(at)
		}
		return at.Compare(bt)
	})
	page := all[min(offset, len(all)):min(offset+limit, len(all))]
	results := make([]map[string]any, len(page))
	for i, h := range page {
		results[i] = renderWebhook(h, false)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"meta":    map[string]any{"offset": offset, "limit": limit, "orderBy": []any{}, "hasMore": offset+len(page) < len(all), "total": len(all)},
		"results": results,
	})
}

// webhookByID finds a webhook; an unknown id is a 400, the only error the
// extract documents for /v1/webhooks/{webhook_id}
// (docs/partners/propexo.md#webhook-configuration).
func (s *Sim) webhookByID(w http.ResponseWriter, r *http.Request) (*RegisteredWebhook, bool) {
	h, ok := s.hooks[r.PathValue("id")]
	if !ok {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "invalid_request", "webhook "+r.PathValue("id")+" not found", nil)
	}
	return h, ok
}

func (s *Sim) getWebhook(w http.ResponseWriter, r *http.Request) {
	// Its documented parameters are order-by, offset and limit
	// (docs/partners/propexo.md#webhook-configuration); nothing else is taken.
	for k := range r.URL.Query() {
		if k != "order-by" && k != "offset" && k != "limit" {
			writeError(w, http.StatusBadRequest, "invalid_request", "invalid query",
				[]Issue{{Code: "unrecognized_keys", Path: []any{}, Message: "Unrecognized key(s) in object: '" + k + "'"}})
			return
		}
	}
	s.mu.Lock()
	h, ok := s.webhookByID(w, r)
	if !ok {
		return
	}
	out := renderWebhook(h, false)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]any{"offset": 0, "limit": 1, "orderBy": []any{}}, "results": out})
}

func (s *Sim) updateWebhook(w http.ResponseWriter, r *http.Request) {
	raw, ok := readBody(w, r)
	if !ok {
		return
	}
	in, issues := checkWebhookBody(raw, false)
	s.mu.Lock()
	h, ok := s.webhookByID(w, r)
	if !ok {
		return
	}
	if len(issues) > 0 {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "invalid request body", issues)
		return
	}
	applyWebhook(h, in)
	h.Updated = s.now()
	out := renderWebhook(h, true)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"result": out})
}

// deleteWebhook takes an empty object, or no body
// (_v1_webhooks_{webhook_id}_delete_input), and answers {result: {id}}.
func (s *Sim) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	raw, ok := readBody(w, r)
	if !ok {
		return
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil || fields == nil || len(fields) > 0 {
			writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "invalid request body",
				[]Issue{{Code: "unrecognized_keys", Path: []any{}, Message: "Expected an empty object"}})
			return
		}
	}
	s.mu.Lock()
	h, ok := s.webhookByID(w, r)
	if !ok {
		return
	}
	delete(s.hooks, h.ID)
	s.hookOrder = slices.DeleteFunc(s.hookOrder, func(id string) bool { return id == h.ID })
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"result": map[string]any{"id": h.ID}})
}

// notifyLocked queues the deliveries of one change to every active webhook
// whose triggers and model match. Each delivery is its own goroutine, so
// a slow receiver holds back neither the caller nor other webhooks.
func (s *Sim) notifyLocked(trigger, model, integrationID, recordID string) {
	var targets []RegisteredWebhook
	for _, id := range s.hookOrder {
		h := s.hooks[id]
		if h.Active && slices.Contains(h.Triggers, trigger) && (h.Model == "" || h.Model == model) {
			cp := *h
			cp.Headers = slices.Clone(h.Headers)
			targets = append(targets, cp)
		}
	}
	if len(targets) == 0 {
		return
	}
	s.eventSeq++
	ev := Webhook{EventID: fmt.Sprintf("evt_%d", s.eventSeq), Trigger: trigger, Model: model, IntegrationID: integrationID, RecordID: recordID}
	for _, h := range targets {
		s.deliveries.Add(1)
		go func() {
			defer s.deliveries.Done()
			s.deliver(h, ev)
		}()
	}
}

// deliver posts ev to h until a 2xx, at most WebhookTries times.
func (s *Sim) deliver(h RegisteredWebhook, ev Webhook) {
	body, err := json.Marshal(ev)
	if err != nil {
		return
	}
	for try := 1; ; try++ {
		s.mu.Lock()
		s.hookAttempts++
		s.mu.Unlock()
		code, err := s.post(h, body)
		if err == nil && code >= 200 && code < 300 {
			return
		}
		if try >= s.opts.WebhookTries {
			return
		}
		t := time.NewTimer(s.opts.WebhookRetryEvery)
		select {
		case <-t.C:
		case <-s.closed:
			t.Stop()
			return
		}
	}
}

func (s *Sim) post(h RegisteredWebhook, body []byte) (int, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for _, hd := range h.Headers {
		req.Header.Set(hd.Header, hd.Value)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("propexo-signature", Sign(h.Secret, body))
	resp, err := s.opts.WebhookClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Sign is the propexo-signature of body: the hex HMAC-SHA256 keyed by the
// webhook's secret (docs/partners/propexo.md#webhook-deliveries).
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

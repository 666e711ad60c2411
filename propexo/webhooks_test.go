package propexo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

// Webhooks are created, listed by activity and updated; the client refuses
// what the extract forbids before sending, and never prints a secret.
func TestWebhooks(t *testing.T) {
	e := newEnv(t, propexotest.Options{}, Config{})
	ctx := context.Background()
	active := true
	h, err := e.client.CreateWebhook(ctx, WebhookInput{URL: "https://leasegraph.example/webhooks/propexo/7",
		Triggers: []string{TriggerDataUpdate, TriggerDataNew}, Active: &active, Secret: "a-long-enough-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if !h.Active || !h.SecretIs("a-long-enough-secret") || !h.HasTriggers(TriggerDataNew, TriggerDataUpdate) || h.ID == "" {
		t.Fatalf("created %+v", h)
	}
	for _, v := range []string{fmt.Sprint(h), fmt.Sprintf("%+v", *h), fmt.Sprintf("%#v", h)} {
		if strings.Contains(v, "a-long-enough-secret") {
			t.Fatalf("a printed webhook shows its secret: %s", v)
		}
	}
	inactive := false
	if _, err := e.client.UpdateWebhook(ctx, h.ID, WebhookInput{Active: &inactive}); err != nil {
		t.Fatal(err)
	}
	on, err := e.client.ListWebhooks(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	off, err := e.client.ListWebhooks(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(on) != 0 || len(off) != 1 || off[0].ID != h.ID || off[0].Active {
		t.Fatalf("active %+v, inactive %+v", on, off)
	}

	before := e.sim.Stats().Requests
	var ve *ValidationError
	for name, in := range map[string]WebhookInput{
		"no url":       {Triggers: []string{TriggerDataNew}},
		"relative url": {URL: "/hook", Triggers: []string{TriggerDataNew}},
		"no trigger":   {URL: "https://example.com/h"},
		"short secret": {URL: "https://example.com/h", Triggers: []string{TriggerDataNew}, Secret: "123456789"},
	} {
		if _, err := e.client.CreateWebhook(ctx, in); !errors.As(err, &ve) {
			t.Errorf("%s: %v; want a ValidationError", name, err)
		}
	}
	if e.sim.Stats().Requests != before {
		t.Fatal("refused webhooks were sent")
	}
	// An unknown id is Propexo's 400.
	var api *APIError
	if _, err := e.client.UpdateWebhook(ctx, "wh_404", WebhookInput{Active: &active}); !errors.As(err, &api) || api.StatusCode != 400 {
		t.Fatalf("unknown webhook: %v", err)
	}
}

// GetLeaseTransfer reads one transfer; leases filter by resident.
func TestLeaseTransferAndLeasesByResident(t *testing.T) {
	e := newEnv(t, propexotest.Options{}, Config{})
	ctx := context.Background()
	e.sim.PutLease(propexotest.LeaseRecord{ID: "l1", IntegrationID: "int-a", ResidentIDs: []string{"r1", "r2"}})
	e.sim.PutLease(propexotest.LeaseRecord{ID: "l2", IntegrationID: "int-a", ResidentIDs: []string{"r2"}})
	e.sim.PutTransfer(propexotest.TransferRecord{ID: "t1", IntegrationID: "int-a", ResidentID: "r2", LeaseIDPrevious: "l1", LeaseIDNext: "l2"})
	tr, err := e.client.GetLeaseTransfer(ctx, "t1")
	if err != nil || tr.LeaseIDPrevious != "l1" || tr.LeaseIDNext != "l2" {
		t.Fatalf("transfer %+v %v", tr, err)
	}
	p, err := e.client.ListLeases(ctx, ListQuery{ResidentID: "r1"})
	if err != nil || len(p.Results) != 1 || p.Results[0].ID != "l1" {
		t.Fatalf("leases of r1: %+v %v", p, err)
	}
	var ve *ValidationError
	if _, err := e.client.ListResidents(ctx, ListQuery{ResidentID: "r1"}); !errors.As(err, &ve) {
		t.Fatalf("resident_id on residents: %v", err)
	}
}

// An answer that echoes the webhook secret does not carry it into the
// error, which jobs log and store.
func TestWebhookErrorHidesSecret(t *testing.T) {
	const sec = "echoed-secret-value"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"code":"VALIDATION_ERROR","message":"secret ` + sec + ` refused",` +
			`"details":{"details":{"issues":[{"code":"custom","path":["secret"],"message":"` + sec + ` is weak"}],"name":"ZodError"}}}}`))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{Token: testToken, BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	active := true
	_, err = c.CreateWebhook(context.Background(), WebhookInput{URL: "https://example.com/h", Triggers: []string{TriggerDataNew}, Active: &active, Secret: sec})
	var api *APIError
	if !errors.As(err, &api) || strings.Contains(err.Error(), sec) || !strings.Contains(err.Error(), "[REDACTED]") {
		t.Fatalf("error %v", err)
	}
}

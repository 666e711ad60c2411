package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/viewer"
	"github.com/leasegraph/leasegraph/webhooks/secretbox"
)

// A webhook delivery survives its process: a server is killed (SIGKILL)
// while its request to the receiver is in flight. A second server, started
// with a short rescue setting, rescues the job and delivers the event again
// with the same webhook-id, which the receiver verifies with the Standard
// Webhooks reference library; the delivery ends SUCCEEDED with the one
// attempt the second server made (the first never recorded its own).

// hangingReceiver holds its first request until the sender goes away and
// answers every later one 204, keeping each request's webhook-id and
// whether its signature verified.
type hangingReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	wh       *standardwebhooks.Webhook
	ids      []string
	verified []bool
	first    chan struct{}
}

func newHangingReceiver(t *testing.T) *hangingReceiver {
	h := &hangingReceiver{first: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		n := len(h.ids)
		h.ids = append(h.ids, r.Header.Get("webhook-id"))
		h.verified = append(h.verified, h.wh != nil && h.wh.Verify(body, r.Header) == nil)
		h.mu.Unlock()
		if n == 0 {
			close(h.first)
			<-r.Context().Done() // the killed sender's connection closes
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hangingReceiver) seen() ([]string, []bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.ids...), append([]bool(nil), h.verified...)
}

func TestWebhookRedeliveredAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs server processes")
	}
	bin := apptest.BuildServer(t, t.TempDir())
	run := func(t *testing.T, dbURL string) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()

		a := arrange(t, ctx, dbURL, func(c *ent.CompanyCreate) *ent.CompanyCreate { return c }, viewer.ScopeRead, viewer.ScopeAdmin)
		admin := a.Token
		key, err := secretbox.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		rcv := newHangingReceiver(t)
		env := []string{"DATABASE_URL=" + dbURL, "LOG_LEVEL=warn", "LEASEGRAPH_WEBHOOK_KEY=" + key, "LEASEGRAPH_WEBHOOK_ALLOW_PRIVATE=1"}

		first := apptest.StartServer(t, ctx, bin, env...)
		var created struct {
			CreateWebhookEndpoint struct {
				Secret   string
				Endpoint struct{ ID string }
			}
		}
		first.GQL(t, ctx, admin, `mutation($in: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $in) { secret endpoint { id } } }`,
			map[string]any{"in": map[string]any{"url": rcv.URL + "/hooks"}}, &created)
		wh, err := standardwebhooks.NewWebhook(created.CreateWebhookEndpoint.Secret)
		if err != nil {
			t.Fatal(err)
		}
		rcv.mu.Lock()
		rcv.wh = wh
		rcv.mu.Unlock()
		var sent struct {
			SendTestWebhookEvent struct {
				Event    struct{ WebhookID string }
				Delivery struct{ ID string }
			}
		}
		first.GQL(t, ctx, admin, `mutation($id: ID!) { sendTestWebhookEvent(endpointId: $id) { event { webhookId } delivery { id } } }`,
			map[string]any{"id": created.CreateWebhookEndpoint.Endpoint.ID}, &sent)
		select {
		case <-rcv.first:
		case <-ctx.Done():
			t.Fatal("the receiver never got the first request")
		}
		first.Kill(t)
		killed := time.Now()

		// The dead server recorded no attempt: the delivery is PENDING, its
		// job still running in River's eyes.
		var state string
		if err := a.Raw.QueryRowContext(ctx, "SELECT state FROM river_job WHERE kind = 'deliver_webhook'").Scan(&state); err != nil || state != "running" {
			t.Fatalf("after the kill the delivery job is %q (%v), want running", state, err)
		}

		second := apptest.StartServer(t, ctx, bin, append(env, "LEASEGRAPH_JOB_TIMEOUT=1s", "LEASEGRAPH_JOB_RESCUE_AFTER=2s")...)
		var got struct {
			Node struct {
				Status       string
				AttemptCount int
				Attempts     []struct{ StatusCode *int }
				Event        struct{ WebhookID string }
			}
		}
		apptest.Eventually(ctx, t, "the rescued delivery to succeed", func() bool {
			second.GQL(t, ctx, admin, `query($id: ID!) { node(id: $id) { ... on WebhookDelivery {
				status attemptCount attempts { statusCode } event { webhookId } } } }`,
				map[string]any{"id": sent.SendTestWebhookEvent.Delivery.ID}, &got)
			return got.Node.Status == "SUCCEEDED"
		})
		t.Logf("redelivered %s after the kill", time.Since(killed).Round(time.Second))
		ids, verified := rcv.seen()
		want := sent.SendTestWebhookEvent.Event.WebhookID
		if len(ids) != 2 || ids[0] != want || ids[1] != want || !verified[0] || !verified[1] {
			t.Fatalf("the receiver got webhook-ids %q (signatures verified %v), want %q twice, verified", ids, verified, want)
		}
		if got.Node.AttemptCount != 1 || len(got.Node.Attempts) != 1 || got.Node.Attempts[0].StatusCode == nil ||
			*got.Node.Attempts[0].StatusCode != http.StatusNoContent || got.Node.Event.WebhookID != want {
			t.Fatalf("the delivery after the rescue: %+v", got.Node)
		}
		if strings.Contains(first.Logs.String()+second.Logs.String(), created.CreateWebhookEndpoint.Secret) {
			t.Fatal("the endpoint's secret is in a server's log")
		}
	}
	apptest.EachProcessDB(t, run)
}

package app

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/webhookendpoint"
	"github.com/leasegraph/leasegraph/viewer"
	"github.com/leasegraph/leasegraph/webhooks"
	"github.com/leasegraph/leasegraph/webhooks/receiver"
	"github.com/leasegraph/leasegraph/webhooks/safehttp"
	"github.com/leasegraph/leasegraph/webhooks/secretbox"
)

// demoWebhookKey is demo mode's key when LEASEGRAPH_WEBHOOK_KEY is unset: a
// fixed one, so that the demo's endpoint (and any a visitor makes) still
// works after a restart. Demo data is not secret.
var demoWebhookKey = sha256.Sum256([]byte("leasegraph demo mode's webhook key, public by design"))

// webhookBox is the sealing of endpoint secrets, or nil when webhooks are
// off. Off, a database with enabled endpoints refuses to start: its events
// would be recorded for endpoints that silently never get them.
func (a *App) webhookBox(ctx context.Context) (*secretbox.Box, error) {
	key := demoWebhookKey[:]
	switch {
	case a.cfg.Webhooks.Key != "":
		k, err := secretbox.ParseKey(a.cfg.Webhooks.Key)
		if err != nil {
			return nil, fmt.Errorf("LEASEGRAPH_WEBHOOK_KEY: %w", err)
		}
		key = k
	case a.cfg.Demo:
		a.log.Warn("LEASEGRAPH_WEBHOOK_KEY is unset: demo mode seals webhook secrets with a fixed, public key")
	default:
		n, err := a.client.WebhookEndpoint.Query().Where(webhookendpoint.DisabledAtIsNil()).Count(viewer.SystemContext(ctx))
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, fmt.Errorf("%w, and %d webhook endpoints are enabled: set the key their secrets were sealed with", webhooks.ErrOff, n)
		}
		return nil, nil
	}
	return secretbox.New(key)
}

// webhookURLs is how endpoint URLs are checked and reached.
func (a *App) webhookURLs() safehttp.Options {
	return safehttp.Options{AllowPrivate: a.cfg.Webhooks.AllowPrivate || a.cfg.Demo, Resolver: a.opts.WebhookResolver,
		Timeout: a.cfg.Webhooks.Timeout}
}

// webhookDeliverer is the process's one Deliverer: its HTTP client counted
// and traced as a partner's.
func (a *App) webhookDeliverer(box *secretbox.Box) *webhooks.Deliverer {
	o := a.webhookURLs()
	hc := a.partnerHTTP("webhooks", safehttp.NewClient(o), o.Timeout)
	return &webhooks.Deliverer{DB: a.client, Box: box, HTTP: hc, Slots: &webhooks.Slots{Per: a.cfg.Webhooks.EndpointConcurrency},
		Now: a.opts.Now, AsyncCommit: a.dialect == dialect.Postgres}
}

// registerDemoReceiver gives the demo client an endpoint at the receiver
// inside this server (once), and the receiver its secret: created the first
// time, rotated (without overlap) at each later start, since a secret is
// never shown twice. A test event then shows the page working at once.
func (a *App) registerDemoReceiver(ctx context.Context, clientID int) error {
	svc := a.Services.Webhooks
	if svc.Box == nil || !a.works {
		return nil
	}
	ctx = viewer.NewContext(ctx, &viewer.Viewer{ClientID: clientID, Scopes: []viewer.Scope{viewer.ScopeAdmin}})
	url := a.cfg.Screening.PublicURL + receiver.Path
	return ent.InTx(ctx, a.client, func(ctx context.Context, db *ent.Client) error {
		ep, err := db.WebhookEndpoint.Query().Where(webhookendpoint.URL(url)).First(ctx)
		var secret string
		switch {
		case ent.IsNotFound(err):
			desc := "demo mode's receiver, inside this server: " + receiver.Page + " lists what it got"
			ep, secret, err = svc.Create(ctx, webhooks.Input{URL: &url, Description: &desc})
		case err == nil:
			if ep.DisabledAt != nil {
				if ep, err = svc.Enable(ctx, ep.ID); err != nil {
					return err
				}
			}
			zero := time.Duration(0)
			ep, secret, err = svc.Rotate(ctx, ep.ID, &zero)
		}
		if err != nil {
			return err
		}
		a.receiver.SetSecret(secret)
		_, _, err = svc.SendTest(ctx, ep.ID)
		return err
	})
}

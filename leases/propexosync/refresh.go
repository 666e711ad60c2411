package propexosync

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/viewer"
)

// ErrUnknownModel is a re-fetch of a model RefreshRecord does not follow.
var ErrUnknownModel = errors.New("propexosync: no re-fetch of this model")

// ErrOtherIntegration is a re-fetched record of another integration than
// the client's: asking again cannot change that.
var ErrOtherIntegration = errors.New("propexosync: the record belongs to another integration")

// RefreshRecord re-reads what a webhook event changed and upserts it, with
// the tenants of every lease concerned:
//   - leases: GET /v1/leases/{lease_id};
//   - residents: the leases listing the resident (GET /v1/leases/?
//     resident_id=, the extract has no GET of one resident), whose
//     residents are then read, the changed one among them;
//   - lease_transfers: GET /v1/lease-transfers/{id}, both its leases, and
//     the transfer applied to the lease left.
//
// A record of another integration is an error: the event was not this
// client's. A lease Propexo no longer has is left to the next full pass,
// which marks it removed.
func (s *Service) RefreshRecord(ctx context.Context, clientID int, model, recordID string) error {
	ctx = viewer.SystemContext(ctx)
	c, err := s.DB.Company.Query().Where(company.ID(clientID)).Only(ctx)
	if err != nil {
		return err
	}
	integration := c.PropexoIntegrationID
	if integration == "" {
		return ErrNoIntegration
	}
	var leases []propexo.Lease
	var transfer *propexo.LeaseTransfer
	getLease := func(id string) error {
		l, err := s.Propexo.GetLease(ctx, id)
		if err != nil {
			return err
		}
		leases = append(leases, *l)
		return nil
	}
	switch model {
	case ModelLeases:
		if err := getLease(recordID); err != nil {
			return err
		}
	case ModelResidents:
		p, err := s.Propexo.ListLeases(ctx, propexo.ListQuery{IntegrationID: integration, ResidentID: recordID, Limit: propexo.MaxPage})
		if err != nil {
			return err
		}
		leases = p.Results
	case ModelLeaseTransfers:
		if transfer, err = s.Propexo.GetLeaseTransfer(ctx, recordID); err != nil {
			return err
		}
		if transfer.IntegrationID != integration {
			return fmt.Errorf("%w: lease transfer %s", ErrOtherIntegration, recordID)
		}
		for _, id := range []string{transfer.LeaseIDPrevious, transfer.LeaseIDNext} {
			if id != "" {
				if err := getLease(id); err != nil {
					return err
				}
			}
		}
	default:
		return fmt.Errorf("%w: %q", ErrUnknownModel, model)
	}
	residents := make([]*propexo.Page[propexo.Resident], 0, len(leases))
	for i := range leases {
		if leases[i].IntegrationID != integration {
			return fmt.Errorf("%w: lease %s", ErrOtherIntegration, leases[i].ID)
		}
		p, err := s.Propexo.ListResidents(ctx, propexo.ListQuery{IntegrationID: integration, LeaseID: leases[i].ID, Limit: propexo.MaxPage})
		if err != nil {
			return err
		}
		residents = append(residents, p)
	}
	st, err := s.ensure(ctx, clientID)
	if err != nil {
		return err
	}
	r := &run{Service: s, integration: integration, clientID: clientID, company: c}
	return ent.InTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) error {
		r.ch = r.changes(firstSync(st))
		u := db.LeaseSync.UpdateOneID(st.ID)
		// Seen now: later than the start of any pass in progress, so a
		// full pass does not take them for gone.
		if _, err := r.leases(ctx, db, s.now(), u, leases); err != nil {
			return err
		}
		for _, p := range residents {
			if _, err := r.residents(ctx, db, u, p); err != nil {
				return err
			}
		}
		if transfer != nil {
			if _, err := r.transfers(ctx, db, u, &propexo.Page[propexo.LeaseTransfer]{Results: []propexo.LeaseTransfer{*transfer}}); err != nil {
				return err
			}
		}
		if err := r.ch.raise(ctx, db); err != nil {
			return err
		}
		return u.Exec(ctx)
	})
}

// WebhookURL is where Propexo delivers the client's events, or "" without
// a PublicURL.
func (s *Service) WebhookURL(clientID int) string {
	if s.PublicURL == "" {
		return ""
	}
	return strings.TrimRight(s.PublicURL, "/") + WebhookPath + strconv.Itoa(clientID)
}

// webhookTriggers are the events a client's webhook asks for: a record
// new or changed, of any model (the handler ignores those it does not
// re-fetch).
var webhookTriggers = []string{propexo.TriggerDataUpdate, propexo.TriggerDataNew}

// EnsureWebhook makes the client's webhook exist at Propexo, active, with
// its URL, triggers and secret: it looks for one with the URL among the
// active and the inactive webhooks (GET /v1/webhooks/), creates it when
// there is none (POST), and fixes it when its secret, activity or
// triggers differ (PUT). Run again, it changes nothing, so a retry after
// a lost answer is safe. It returns false when nothing is configured to
// register (no WebhookKey or PublicURL).
func (s *Service) EnsureWebhook(ctx context.Context, clientID int) (bool, error) {
	url, secret := s.WebhookURL(clientID), WebhookSecret(s.WebhookKey, clientID)
	if url == "" || secret == "" {
		return false, nil
	}
	active := true
	for _, listActive := range []bool{true, false} {
		hooks, err := s.Propexo.ListWebhooks(ctx, listActive)
		if err != nil {
			return false, err
		}
		for i := range hooks {
			h := &hooks[i]
			if h.URL != url {
				continue
			}
			if h.Active && h.SecretIs(secret) && h.HasTriggers(webhookTriggers...) {
				return true, nil
			}
			_, err := s.Propexo.UpdateWebhook(ctx, h.ID, propexo.WebhookInput{Triggers: webhookTriggers, Active: &active, Secret: secret})
			return true, err
		}
	}
	_, err := s.Propexo.CreateWebhook(ctx, propexo.WebhookInput{URL: url, Triggers: webhookTriggers, Active: &active, Secret: secret})
	return true, err
}

package webhooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/event"
	"github.com/leasegraph/leasegraph/ent/webhookdelivery"
	"github.com/leasegraph/leasegraph/ent/webhookendpoint"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/viewer"
	"github.com/leasegraph/leasegraph/webhooks/safehttp"
	"github.com/leasegraph/leasegraph/webhooks/secretbox"
	"github.com/leasegraph/leasegraph/webhooks/signature"
)

// The limits of the mutations' input.
const (
	// DefaultKeepPrevious is how long a rotated secret keeps signing when
	// the caller does not say.
	DefaultKeepPrevious = 24 * time.Hour
	// MaxKeepPrevious bounds it: two secrets valid for long is one secret
	// too many.
	MaxKeepPrevious = 7 * 24 * time.Hour
	// MaxReplay bounds the deliveries one replayWebhookEndpoint queues.
	MaxReplay = 10000
	// maxDescription is the column's length.
	maxDescription = 500
)

// secretLabel binds a sealed secret to its purpose (secretbox's additional
// data): a ciphertext copied into another column does not open.
var secretLabel = []byte("leasegraph webhook endpoint secret")

// Service manages a client's webhook endpoints. Every method needs a
// client's admin token (the privacy policy enforces it as well) and joins
// the transaction in ctx, which a GraphQL mutation opens.
type Service struct {
	DB     *ent.Client
	Events *events.Recorder
	// Box seals endpoint secrets; nil: webhooks are off (no
	// LEASEGRAPH_WEBHOOK_KEY), and no endpoint can be created.
	Box *secretbox.Box
	// MaxEndpoints bounds a client's endpoints.
	MaxEndpoints int
	// URL is how endpoint URLs are checked (AllowPrivate, the resolver).
	URL safehttp.Options
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Input is what a create or update sets; nil leaves a field as it is.
type Input struct {
	URL         *string
	Description *string
	// EventTypes, when non-nil, replaces the endpoint's (empty: every
	// type).
	EventTypes []string
}

// errOff is the answer while webhooks are off.
var errOff = &apperr.Error{Code: apperr.CodeUnavailable,
	Message: "webhooks are off on this server: its operator has not set LEASEGRAPH_WEBHOOK_KEY"}

// caller checks the viewer may manage endpoints and answers its client.
func (s *Service) caller(ctx context.Context) (int, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		return 0, apperr.Unauthenticated("no API token")
	}
	if !v.Has(viewer.ScopeAdmin) {
		return 0, apperr.Forbidden("managing webhooks needs the admin scope")
	}
	if v.ClientID == 0 {
		return 0, apperr.Forbidden("webhook endpoints belong to a client: use a client's admin token")
	}
	if s.Box == nil {
		return 0, errOff
	}
	return v.ClientID, nil
}

// checkInput validates in before anything is written; path prefixes the
// fields' names (input).
func (s *Service) checkInput(ctx context.Context, in Input, creating bool) error {
	if in.URL != nil || creating {
		u := ""
		if in.URL != nil {
			u = strings.TrimSpace(*in.URL)
			*in.URL = u
		}
		if e := apperr.CheckText("input.url", u); e != nil {
			return e
		}
		if err := safehttp.CheckURL(ctx, u, s.URL); err != nil {
			return apperr.BadInput("input.url", "%s", err.Error())
		}
	}
	if in.Description != nil {
		if e := apperr.CheckText("input.description", *in.Description); e != nil {
			return e
		}
		if n := len([]rune(*in.Description)); n > maxDescription {
			return apperr.BadInput("input.description", "%d characters; at most %d", n, maxDescription)
		}
	}
	if len(in.EventTypes) > len(events.Catalogue) {
		return apperr.BadInput("input.eventTypes", "%d types; there are %d in the catalogue", len(in.EventTypes), len(events.Catalogue))
	}
	for i, t := range in.EventTypes {
		if !events.Known(events.Type(t)) {
			return apperr.BadInput(fmt.Sprintf("input.eventTypes.%d", i), "%q is not an event type: eventTypes lists them", apperr.TextProblem(t))
		}
	}
	return nil
}

// newSecret makes a secret and its sealed form.
func (s *Service) newSecret() (string, []byte, error) {
	secret, err := signature.NewSecret()
	if err != nil {
		return "", nil, err
	}
	return secret, s.Box.Seal([]byte(secret), secretLabel), nil
}

// Create registers an endpoint and answers it with its secret, shown this
// once.
func (s *Service) Create(ctx context.Context, in Input) (*ent.WebhookEndpoint, string, error) {
	clientID, err := s.caller(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := s.checkInput(ctx, in, true); err != nil {
		return nil, "", err
	}
	return withTx2(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*ent.WebhookEndpoint, string, error) {
		n, err := db.WebhookEndpoint.Query().Where(webhookendpoint.ClientID(clientID)).Count(ctx)
		if err != nil {
			return nil, "", err
		}
		if n >= s.MaxEndpoints {
			return nil, "", apperr.BadInput("input", "the client has %d webhook endpoints, the most it may have: delete one first", n)
		}
		secret, sealed, err := s.newSecret()
		if err != nil {
			return nil, "", err
		}
		c := db.WebhookEndpoint.Create().SetClientID(clientID).SetURL(*in.URL).SetSecret(sealed).
			SetEventTypes(dedupe(in.EventTypes))
		if in.Description != nil {
			c.SetDescription(*in.Description)
		}
		ep, err := c.Save(ctx)
		return ep, secret, err
	})
}

func dedupe(types []string) []string {
	out := slices.Clone(types)
	slices.Sort(out)
	return slices.Compact(out)
}

// endpoint reads one of the caller's endpoints (NOT_FOUND for another
// client's: existence is never disclosed).
func (s *Service) endpoint(ctx context.Context, id int) (*ent.WebhookEndpoint, error) {
	ep, err := ent.Current(ctx, s.DB).WebhookEndpoint.Get(ctx, id)
	if ent.IsNotFound(err) || ent.IsNotSingular(err) {
		return nil, apperr.NotFound("webhook endpoint")
	}
	return ep, err
}

// Update changes an endpoint's URL, description or types.
func (s *Service) Update(ctx context.Context, id int, in Input) (*ent.WebhookEndpoint, error) {
	if _, err := s.caller(ctx); err != nil {
		return nil, err
	}
	if err := s.checkInput(ctx, in, false); err != nil {
		return nil, err
	}
	ep, err := s.endpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	u := ep.Update()
	if in.URL != nil {
		u.SetURL(*in.URL)
	}
	if in.Description != nil {
		u.SetDescription(*in.Description)
	}
	if in.EventTypes != nil {
		u.SetEventTypes(dedupe(in.EventTypes))
	}
	return u.Save(ctx)
}

// Disable stops an endpoint's deliveries: its pending ones end FAILED
// (replayable) as their jobs next run.
func (s *Service) Disable(ctx context.Context, id int) (*ent.WebhookEndpoint, error) {
	if _, err := s.caller(ctx); err != nil {
		return nil, err
	}
	ep, err := s.endpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	if ep.DisabledAt != nil {
		return ep, nil
	}
	return ep.Update().SetDisabledAt(s.now()).SetDisabledReason("disabled by the client").Save(ctx)
}

// Enable sends events to an endpoint again, from now on; its run of
// failures starts afresh.
func (s *Service) Enable(ctx context.Context, id int) (*ent.WebhookEndpoint, error) {
	if _, err := s.caller(ctx); err != nil {
		return nil, err
	}
	ep, err := s.endpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	return ep.Update().ClearDisabledAt().SetDisabledReason("").ClearFailingSince().Save(ctx)
}

// Delete removes an endpoint with its deliveries (the foreign keys
// cascade); their queued jobs find nothing and end.
func (s *Service) Delete(ctx context.Context, id int) (int, error) {
	if _, err := s.caller(ctx); err != nil {
		return 0, err
	}
	ep, err := s.endpoint(ctx, id)
	if err != nil {
		return 0, err
	}
	return id, ent.Current(ctx, s.DB).WebhookEndpoint.DeleteOne(ep).Exec(ctx)
}

// Rotate gives an endpoint a new secret; the current one keeps signing
// beside it for keep.
func (s *Service) Rotate(ctx context.Context, id int, keep *time.Duration) (*ent.WebhookEndpoint, string, error) {
	if _, err := s.caller(ctx); err != nil {
		return nil, "", err
	}
	k := DefaultKeepPrevious
	if keep != nil {
		k = *keep
	}
	if k < 0 || k > MaxKeepPrevious {
		return nil, "", apperr.BadInput("keepPreviousForSeconds", "between 0 and %d seconds", int(MaxKeepPrevious.Seconds()))
	}
	ep, err := s.endpoint(ctx, id)
	if err != nil {
		return nil, "", err
	}
	secret, sealed, err := s.newSecret()
	if err != nil {
		return nil, "", err
	}
	u := ep.Update().SetSecret(sealed)
	if k > 0 {
		u.SetPreviousSecret(ep.Secret).SetPreviousSecretExpiresAt(s.now().Add(k))
	} else {
		u.ClearPreviousSecret().ClearPreviousSecretExpiresAt()
	}
	ep, err = u.Save(ctx)
	return ep, secret, err
}

// SendTest raises a webhook.test event for one enabled endpoint.
func (s *Service) SendTest(ctx context.Context, id int) (*ent.Event, *ent.WebhookDelivery, error) {
	clientID, err := s.caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	ep, err := s.endpoint(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if ep.DisabledAt != nil {
		return nil, nil, apperr.BadInput("endpointId", "the endpoint is disabled: enable it first")
	}
	ev, err := s.Events.Record(ctx, events.Event{Type: events.WebhookTest, ClientID: clientID, ObjectType: "WebhookEndpoint",
		ObjectID: ep.ID, To: ep.ID, Data: map[string]string{"message": "A test event from leasegraph: your endpoint receives and can verify our webhooks."}})
	if err != nil {
		return nil, nil, err
	}
	d, err := ent.Current(ctx, s.DB).WebhookDelivery.Query().Where(webhookdelivery.EventID(ev.ID), webhookdelivery.EndpointID(ep.ID)).Only(ctx)
	return ev, d, err
}

// ReplayEvent delivers one event to one endpoint again, as a new delivery
// with the event's webhook-id.
func (s *Service) ReplayEvent(ctx context.Context, endpointID, eventID int) (*ent.WebhookDelivery, error) {
	if _, err := s.caller(ctx); err != nil {
		return nil, err
	}
	ep, err := s.endpoint(ctx, endpointID)
	if err != nil {
		return nil, err
	}
	if ep.DisabledAt != nil {
		return nil, apperr.BadInput("endpointId", "the endpoint is disabled: enable it first")
	}
	db := ent.Current(ctx, s.DB)
	ev, err := db.Event.Get(ctx, eventID)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("event")
	}
	if err != nil {
		return nil, err
	}
	ds, err := events.Deliver(ctx, db, s.Events.Queue, []*ent.Event{ev}, []int{ep.ID}, true, s.now())
	if err != nil {
		return nil, err
	}
	return ds[0], nil
}

// ReplayEndpoint delivers again every event since since, of the types the
// endpoint asks for, that it has not received (no SUCCEEDED delivery),
// oldest first, at most MaxReplay; more says there were more.
func (s *Service) ReplayEndpoint(ctx context.Context, endpointID int, since time.Time) (int, bool, error) {
	if _, err := s.caller(ctx); err != nil {
		return 0, false, err
	}
	ep, err := s.endpoint(ctx, endpointID)
	if err != nil {
		return 0, false, err
	}
	if ep.DisabledAt != nil {
		return 0, false, apperr.BadInput("endpointId", "the endpoint is disabled: enable it first")
	}
	db := ent.Current(ctx, s.DB)
	q := db.Event.Query().Where(event.ClientID(ep.ClientID), event.CreatedAtGTE(since),
		event.TypeNEQ(string(events.WebhookTest)),
		event.Not(event.HasDeliveriesWith(webhookdelivery.EndpointID(ep.ID), webhookdelivery.StatusEQ(webhookdelivery.StatusSUCCEEDED))))
	if len(ep.EventTypes) > 0 {
		q.Where(event.TypeIn(ep.EventTypes...))
	}
	// The ids and types alone: 10,000 payloads would be tens of megabytes
	// held for nothing (the delivery reads its event when it runs).
	evs, err := q.Order(ent.Asc(event.FieldID)).Limit(MaxReplay+1).
		Select(event.FieldID, event.FieldClientID, event.FieldType).All(ctx)
	if err != nil {
		return 0, false, err
	}
	more := len(evs) > MaxReplay
	if more {
		evs = evs[:MaxReplay]
	}
	if _, err := events.Deliver(ctx, db, s.Events.Queue, evs, []int{ep.ID}, true, s.now()); err != nil {
		return 0, false, err
	}
	return len(evs), more, nil
}

// withTx2 is ent.WithTx for two results.
func withTx2[A, B any](ctx context.Context, c *ent.Client, fn func(ctx context.Context, db *ent.Client) (A, B, error)) (A, B, error) {
	var b B
	a, err := ent.WithTx(ctx, c, func(ctx context.Context, db *ent.Client) (A, error) {
		var a A
		var err error
		a, b, err = fn(ctx, db)
		return a, err
	})
	return a, b, err
}

// ErrOff says webhooks are off (for the app's start-up check).
var ErrOff = errors.New("webhooks are off: LEASEGRAPH_WEBHOOK_KEY is unset")

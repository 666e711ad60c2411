package propexo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The webhook configuration (docs/partners/propexo.md#webhook-configuration: GET and
// POST /v1/webhooks/, GET, PUT and DELETE /v1/webhooks/{webhook_id}).

// Webhook triggers (the triggers enum of _v1_webhooks__post_input).
const (
	TriggerDataUpdate = "DATA_UPDATE"
	TriggerDataNew    = "DATA_NEW"
)

// minWebhookSecret is the secret's minLength (_v1_webhooks__post_input).
const minWebhookSecret = 10

// Webhook is a registered webhook as Propexo answers it. Secret is held in
// a type whose String redacts it, so printing a Webhook leaks nothing.
type Webhook struct {
	ID       string           `json:"id"`
	URL      string           `json:"url"`
	Active   bool             `json:"active"`
	Secret   secret           `json:"secret"`
	System   string           `json:"system"`
	Triggers []WebhookTrigger `json:"triggers"`
}

// SecretIs reports whether the webhook signs with s.
func (w *Webhook) SecretIs(s string) bool { return string(w.Secret) == s }

// HasTriggers reports whether every one of want is among the triggers.
func (w *Webhook) HasTriggers(want ...string) bool {
	for _, t := range want {
		if !slices.ContainsFunc(w.Triggers, func(x WebhookTrigger) bool { return x.Trigger == t }) {
			return false
		}
	}
	return true
}

// WebhookTrigger is one trigger of a webhook; Model is null for all models.
type WebhookTrigger struct {
	ID      string  `json:"id"`
	Trigger string  `json:"trigger"`
	Model   *string `json:"model"`
}

// WebhookInput is the body of POST /v1/webhooks/ and PUT
// /v1/webhooks/{webhook_id}. On a PUT only what is set is sent.
type WebhookInput struct {
	URL      string   `json:"url,omitempty"`
	Triggers []string `json:"triggers,omitempty"`
	Active   *bool    `json:"active,omitempty"`
	Secret   string   `json:"secret,omitempty"`
}

// validate checks the fields the extract constrains: url required on a
// create (format uri), triggers minItems 1 on a create, secret minLength 10.
func (in *WebhookInput) validate(create bool) error {
	var fe []FieldError
	if in.URL != "" || create {
		if u, err := url.Parse(in.URL); err != nil || u.Scheme == "" || u.Host == "" {
			fe = append(fe, FieldError{Field: "url", Message: "must be an absolute URL"})
		}
	}
	if create && len(in.Triggers) == 0 {
		fe = append(fe, FieldError{Field: "triggers", Message: "needs at least one trigger"})
	}
	if in.Secret != "" && len([]rune(in.Secret)) < minWebhookSecret {
		fe = append(fe, FieldError{Field: "secret", Message: fmt.Sprintf("must be at least %d characters", minWebhookSecret)})
	}
	if len(fe) > 0 {
		return &ValidationError{Fields: fe}
	}
	return nil
}

// ListWebhooks reads every page of GET /v1/webhooks/. Propexo filters by
// active, default true (the active parameter): active false lists the
// inactive ones, which a caller looking for its own must read too.
func (c *Client) ListWebhooks(ctx context.Context, active bool) ([]Webhook, error) {
	var all []Webhook
	for offset := 0; ; {
		v := url.Values{"active": {fmt.Sprint(active)}}
		page, _, more, err := getPage[Webhook](ctx, c, "/v1/webhooks/", v, MaxPage, offset, true)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if !more || len(page) == 0 {
			return all, nil
		}
		offset += len(page)
	}
}

// CreateWebhook sends POST /v1/webhooks/.
func (c *Client) CreateWebhook(ctx context.Context, in WebhookInput) (*Webhook, error) {
	if err := in.validate(true); err != nil {
		return nil, err
	}
	return c.webhookWrite(ctx, http.MethodPost, "/v1/webhooks/", in)
}

// UpdateWebhook sends PUT /v1/webhooks/{webhook_id}.
func (c *Client) UpdateWebhook(ctx context.Context, id string, in WebhookInput) (*Webhook, error) {
	if err := requireID("webhook_id", id); err != nil {
		return nil, err
	}
	if err := in.validate(false); err != nil {
		return nil, err
	}
	return c.webhookWrite(ctx, http.MethodPut, "/v1/webhooks/"+url.PathEscape(id), in)
}

// webhookWrite sends a create or update, answered {result: webhook}
// (_v1_webhooks__post_output, _v1_webhooks_{webhook_id}_put_output).
func (c *Client) webhookWrite(ctx context.Context, method, path string, in WebhookInput) (*Webhook, error) {
	body, err := c.do(ctx, method, path, in)
	if err != nil {
		return nil, scrubSecret(err, in.Secret)
	}
	var w struct {
		Result *Webhook `json:"result"`
	}
	if err := json.Unmarshal(body, &w); err != nil || w.Result == nil || w.Result.ID == "" {
		if err == nil {
			err = fmt.Errorf("no result")
		}
		return nil, &RequestError{Method: method, Path: path, StatusCode: http.StatusOK, Err: fmt.Errorf("%w: %w", ErrMalformedResponse, err)}
	}
	return w.Result, nil
}

// scrubSecret takes the webhook secret out of an answer's words: an error
// is logged and stored as a job's, and a partner echoing the body must not
// put the secret there.
func scrubSecret(err error, s string) error {
	var api *APIError
	if s == "" || !errors.As(err, &api) {
		return err
	}
	api.Message = strings.ReplaceAll(api.Message, s, "[REDACTED]")
	for i := range api.Issues {
		api.Issues[i].Message = strings.ReplaceAll(api.Issues[i].Message, s, "[REDACTED]")
	}
	return err
}

// GetLeaseTransfer reads GET /v1/lease-transfers/{lease_transfer_id},
// answered {meta, results: LeaseTransfer} (docs/partners/propexo.md#lease-transfers). An unknown id is a 400, the only error documented.
func (c *Client) GetLeaseTransfer(ctx context.Context, id string) (*LeaseTransfer, error) {
	if err := requireID("lease_transfer_id", id); err != nil {
		return nil, err
	}
	path := "/v1/lease-transfers/" + url.PathEscape(id)
	body, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var w struct {
		Results *LeaseTransfer `json:"results"`
	}
	if err := json.Unmarshal(body, &w); err != nil || w.Results == nil || w.Results.ID == "" {
		if err == nil {
			err = fmt.Errorf("no results")
		}
		return nil, &RequestError{Method: http.MethodGet, Path: path, StatusCode: http.StatusOK, Err: fmt.Errorf("%w: %w", ErrMalformedResponse, err)}
	}
	return w.Results, nil
}

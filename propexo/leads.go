package propexo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Lead is a prospect as Propexo's read side lists it (GET /v1/leads/):
// the fields the delivery reconciles with. A prospect written through the
// CRM endpoints is read back as a lead.
type Lead struct {
	ID            string
	IntegrationID string
	// FirstName, LastName, Email1 and Phone1 are the lead's, as Propexo
	// stores them: what a lost create is recognised by.
	FirstName, LastName, Email1, Phone1 string
	Notes                               string
	// CreatedAt is when the record first entered Propexo; zero when the
	// answer had none or an unreadable one.
	CreatedAt time.Time
}

// LeadQuery filters GET /v1/leads/. Empty fields are not sent.
type LeadQuery struct {
	IntegrationID string
	Email1        string
	// Phone1 filters by phone: 10 digits, the first 2-9 (the extract's
	// pattern ^[2-9]\d{9}$).
	Phone1 string
	// Offset and Limit page the list; Limit 0 means the partner's default
	// (100), at most 250.
	Offset, Limit int
	// OrderBy is e.g. "created_at:desc" (the partner's default).
	OrderBy string
}

// LeadPage is one page of leads.
type LeadPage struct {
	Leads   []Lead
	HasMore bool
	Total   int
}

// MaxLeadPage is the most leads one page may hold.
const MaxLeadPage = 250

type wireLead struct {
	ID            string  `json:"id"`
	IntegrationID string  `json:"integration_id"`
	FirstName     *string `json:"first_name"`
	LastName      *string `json:"last_name"`
	Email1        *string `json:"email_1"`
	Phone1        *string `json:"phone_1"`
	Notes         *string `json:"notes"`
	CreatedAt     string  `json:"created_at"`
}

func (w wireLead) lead() Lead {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	l := Lead{ID: w.ID, IntegrationID: w.IntegrationID, FirstName: str(w.FirstName), LastName: str(w.LastName),
		Email1: str(w.Email1), Phone1: str(w.Phone1), Notes: str(w.Notes)}
	if t, err := time.Parse(time.RFC3339Nano, w.CreatedAt); err == nil {
		l.CreatedAt = t
	}
	return l
}

// ListLeads reads one page of GET /v1/leads/.
func (c *Client) ListLeads(ctx context.Context, q LeadQuery) (*LeadPage, error) {
	if q.Limit < 0 || q.Limit > MaxLeadPage || q.Offset < 0 {
		return nil, &ValidationError{Fields: []FieldError{{Field: "limit", Message: fmt.Sprintf("must be 0 to %d, with offset >= 0", MaxLeadPage)}}}
	}
	v := url.Values{}
	for k, s := range map[string]string{"integration_id": q.IntegrationID, "email_1": q.Email1, "phone_1": q.Phone1, "order-by": q.OrderBy} {
		if s != "" {
			v.Set(k, s)
		}
	}
	results, total, more, err := getPage[wireLead](ctx, c, "/v1/leads/", v, q.Limit, q.Offset, false)
	if err != nil {
		return nil, err
	}
	out := &LeadPage{Total: total, HasMore: more, Leads: make([]Lead, len(results))}
	for i, l := range results {
		out.Leads[i] = l.lead()
	}
	return out, nil
}

// GetLead reads GET /v1/leads/{id}, answered as {meta, results: Lead}.
func (c *Client) GetLead(ctx context.Context, id string) (*Lead, error) {
	if err := requireID("id", id); err != nil {
		return nil, err
	}
	path := "/v1/leads/" + url.PathEscape(id)
	body, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var w struct {
		Results *wireLead `json:"results"`
		Result  *wireLead `json:"result"`
	}
	if err := json.Unmarshal(body, &w); err != nil || (w.Results == nil && w.Result == nil) {
		if err == nil {
			err = fmt.Errorf("no results")
		}
		return nil, &RequestError{Method: http.MethodGet, Path: path, StatusCode: http.StatusOK, Err: fmt.Errorf("%w: %w", ErrMalformedResponse, err)}
	}
	if w.Results == nil {
		w.Results = w.Result
	}
	l := w.Results.lead()
	return &l, nil
}

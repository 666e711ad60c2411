package propexo

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The read side a lease sync uses: GET /v1/leases/, /v1/residents/ and
// /v1/lease-transfers/ (docs/partners/propexo.md#leases, #residents, #lease-transfers). Each is
// paged by offset and limit (limit 1..250, default 100) and answers
// {meta: {offset, limit, hasMore, total}, results: [...]}
// (docs/partners/propexo.md#paging).

// MaxPage is the most records one page may hold on every list endpoint.
const MaxPage = 250

// ListQuery pages one list. Empty filters are not sent; a filter the
// endpoint does not document is refused before any request.
type ListQuery struct {
	IntegrationID string
	PropertyID    string
	// LeaseID filters residents (GET /v1/residents/ only).
	LeaseID string
	// ResidentID filters leases and lease transfers (their resident_id
	// parameter; GET /v1/residents/ has none).
	ResidentID string
	// OrderBy is e.g. "updated_at:desc"; empty is the partner's default,
	// created_at:desc.
	OrderBy       string
	Offset, Limit int
}

// Page is one page of a list.
type Page[T any] struct {
	Results []T
	HasMore bool
	Total   int
}

// Lease is a lease as Propexo lists it (the Lease schema,
// docs/partners/propexo.md#leases). Dates are as sent ("YYYY-MM-DD" or an
// ISO timestamp); Date reads them.
type Lease struct {
	ID               string            `json:"id"`
	XID              string            `json:"x_id"`
	CreatedAt        time.Time         `json:"created_at"`
	UpdatedAt        time.Time         `json:"updated_at"`
	PropertyID       string            `json:"property_id"`
	XPropertyID      string            `json:"x_property_id"`
	IntegrationID    string            `json:"integration_id"`
	UnitID           *string           `json:"unit_id"`
	UnitNumber       *string           `json:"unit_number"`
	Status           *string           `json:"status"`
	StatusRaw        *string           `json:"status_raw"`
	StatusNormalized *string           `json:"status_normalized"`
	Type             *string           `json:"type"`
	Term             *string           `json:"term"`
	StartDate        *string           `json:"start_date"`
	EndDate          *string           `json:"end_date"`
	ScheduledMoveIn  *string           `json:"scheduled_move_in_date"`
	ScheduledMoveOut *string           `json:"scheduled_move_out_date"`
	RealizedMoveIn   *string           `json:"realized_move_in_date"`
	RealizedMoveOut  *string           `json:"realized_move_out_date"`
	Residents        []LeaseResidentOf `json:"residents_meta_data"`
}

// LeaseResidentOf is a lease's link to one resident (residents_meta_data).
type LeaseResidentOf struct {
	ResidentID   string  `json:"resident_id"`
	ResidentType *string `json:"resident_type_normalized"`
	MoveInDate   *string `json:"move_in_date"`
	MoveOutDate  *string `json:"move_out_date"`
}

// Resident is a resident as Propexo lists it (_v1_residents__get_output),
// with its primary and alternate addresses
// (docs/partners/propexo.md#resident-addresses).
type Resident struct {
	ID            string          `json:"id"`
	XID           string          `json:"x_id"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	IntegrationID string          `json:"integration_id"`
	PropertyID    string          `json:"property_id"`
	FirstName     *string         `json:"first_name"`
	LastName      *string         `json:"last_name"`
	Email1        *string         `json:"email_1"`
	Email2        *string         `json:"email_2"`
	Phone1        *string         `json:"phone_1"`
	Phone1Type    *string         `json:"phone_1_type"`
	Phone2        *string         `json:"phone_2"`
	Phone2Type    *string         `json:"phone_2_type"`
	Leases        []ResidentLease `json:"leases_meta_data"`
	Address1      *string         `json:"address_1"`
	Address2      *string         `json:"address_2"`
	City          *string         `json:"city"`
	State         *string         `json:"state"`
	Zip           *string         `json:"zip"`
	Country       *string         `json:"country"`
	Address1Alt   *string         `json:"address_1_alternate"`
	Address2Alt   *string         `json:"address_2_alternate"`
	CityAlt       *string         `json:"city_alternate"`
	StateAlt      *string         `json:"state_alternate"`
	ZipAlt        *string         `json:"zip_alternate"`
	CountryAlt    *string         `json:"country_alternate"`
}

// ResidentLease is a resident's link to one lease (leases_meta_data).
type ResidentLease struct {
	LeaseID      string  `json:"lease_id"`
	ResidentType *string `json:"resident_type_normalized"`
	MoveInDate   *string `json:"move_in_date"`
	MoveOutDate  *string `json:"move_out_date"`
}

// LeaseTransfer is a resident's move from one lease to another
// (_v1_lease-transfers__get_output).
type LeaseTransfer struct {
	ID                    string    `json:"id"`
	UpdatedAt             time.Time `json:"updated_at"`
	IntegrationID         string    `json:"integration_id"`
	PropertyID            string    `json:"property_id"`
	ResidentID            string    `json:"resident_id"`
	LeaseIDPrevious       string    `json:"lease_id_previous"`
	LeaseIDNext           string    `json:"lease_id_next"`
	TransferEffectiveDate *string   `json:"transfer_effective_date"`
}

// ListLeases reads one page of GET /v1/leases/.
func (c *Client) ListLeases(ctx context.Context, q ListQuery) (*Page[Lease], error) {
	return list[Lease](ctx, c, "/v1/leases/", q, false)
}

// ListResidents reads one page of GET /v1/residents/; LeaseID filters it.
func (c *Client) ListResidents(ctx context.Context, q ListQuery) (*Page[Resident], error) {
	return list[Resident](ctx, c, "/v1/residents/", q, true)
}

// ListLeaseTransfers reads one page of GET /v1/lease-transfers/.
func (c *Client) ListLeaseTransfers(ctx context.Context, q ListQuery) (*Page[LeaseTransfer], error) {
	return list[LeaseTransfer](ctx, c, "/v1/lease-transfers/", q, false)
}

// GetLease reads GET /v1/leases/{lease_id}, answered as {meta, results: Lease}
// (docs/partners/propexo.md#leases). A lease Propexo does not know is a 400.
func (c *Client) GetLease(ctx context.Context, id string) (*Lease, error) {
	if err := requireID("lease_id", id); err != nil {
		return nil, err
	}
	path := "/v1/leases/" + url.PathEscape(id)
	body, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var w struct {
		Results *Lease `json:"results"`
	}
	if err := json.Unmarshal(body, &w); err != nil || w.Results == nil || w.Results.ID == "" {
		if err == nil {
			err = fmt.Errorf("no results")
		}
		return nil, &RequestError{Method: http.MethodGet, Path: path, StatusCode: http.StatusOK, Err: fmt.Errorf("%w: %w", ErrMalformedResponse, err)}
	}
	return w.Results, nil
}

func list[T any](ctx context.Context, c *Client, path string, q ListQuery, leaseFilter bool) (*Page[T], error) {
	// limit is "a number between 1 and 250" (docs/partners/propexo.md#paging); 0 sends none, the partner's default 100.
	if q.Limit < 0 || q.Limit > MaxPage || q.Offset < 0 {
		return nil, &ValidationError{Fields: []FieldError{{Field: "limit", Message: fmt.Sprintf("must be 1 to %d, with offset >= 0", MaxPage)}}}
	}
	if q.LeaseID != "" && !leaseFilter {
		return nil, &ValidationError{Fields: []FieldError{{Field: "lease_id", Message: "is not a filter of " + path}}}
	}
	if q.ResidentID != "" && leaseFilter {
		return nil, &ValidationError{Fields: []FieldError{{Field: "resident_id", Message: "is not a filter of " + path}}}
	}
	v := url.Values{}
	for k, s := range map[string]string{"integration_id": q.IntegrationID, "property_id": q.PropertyID, "lease_id": q.LeaseID,
		"resident_id": q.ResidentID, "order-by": q.OrderBy} {
		if s != "" {
			v.Set(k, s)
		}
	}
	results, total, more, err := getPage[T](ctx, c, path, v, q.Limit, q.Offset, true)
	if err != nil {
		return nil, err
	}
	return &Page[T]{Results: results, Total: total, HasMore: more}, nil
}

// getPage reads one page of a Propexo list: the filters in v, then limit
// and offset. Every list answers {meta: {hasMore, total}, results}
// (ResponseMeta, docs/partners/propexo.md#paging); without results the
// answer is malformed when requireResults, else an empty page.
func getPage[T any](ctx context.Context, c *Client, path string, v url.Values, limit, offset int, requireResults bool) ([]T, int, bool, error) {
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	full := path
	if len(v) > 0 {
		full += "?" + v.Encode()
	}
	body, err := c.do(ctx, http.MethodGet, full, nil)
	if err != nil {
		return nil, 0, false, err
	}
	var w struct {
		Meta struct {
			HasMore *bool `json:"hasMore"`
			Total   int   `json:"total"`
		} `json:"meta"`
		Results []T `json:"results"`
	}
	if err := json.Unmarshal(body, &w); err != nil || (requireResults && w.Results == nil) {
		if err == nil {
			err = fmt.Errorf("no results")
		}
		return nil, 0, false, &RequestError{Method: http.MethodGet, Path: path, StatusCode: http.StatusOK, Err: fmt.Errorf("%w: %w", ErrMalformedResponse, err)}
	}
	// hasMore may be null (ResponseMeta): then the total decides.
	more := len(w.Results) > 0 && offset+len(w.Results) < w.Meta.Total
	if w.Meta.HasMore != nil {
		more = *w.Meta.HasMore
	}
	return w.Results, w.Meta.Total, more, nil
}

// Date reads a Propexo date, "YYYY-MM-DD" (the filters' format,
// docs/partners/propexo.md#leases) or a timestamp whose
// calendar day is taken; nil or blank is no date.
func Date(s *string) (*time.Time, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	v := *s
	if len(v) > 10 && v[10] == 'T' {
		v = v[:10]
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return nil, fmt.Errorf("propexo: date %q is not YYYY-MM-DD", *s)
	}
	return &t, nil
}

// SignatureHeader is the header a Propexo webhook delivery is signed in.
const SignatureHeader = "propexo-signature"

// VerifyWebhook reports whether sig is the hex HMAC-SHA256 of the raw body
// keyed by secret, as Propexo signs every delivery (docs/partners/propexo.md#webhook-deliveries).
// The comparison takes the same time wherever the first difference is.
func VerifyWebhook(secret, body []byte, sig string) bool {
	if len(secret) == 0 {
		return false
	}
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

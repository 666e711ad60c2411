package propexo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxBody bounds what the client reads from an answer.
const maxBody = 1 << 20

// Client calls Propexo. It is safe for concurrent use; share one per token
// so that the rate-limit pacing sees every request.
type Client struct {
	token     secret
	base      string
	http      *http.Client
	window    time.Duration
	maxWait   time.Duration
	userAgent string
	pacer     pacer

	// now and sleep are replaced by tests to run the rate limiter on a
	// fake clock.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Token == "" {
		return nil, errors.New("propexo: Config.Token is empty")
	}
	if strings.ContainsAny(cfg.Token, " \t\r\n") {
		return nil, errors.New("propexo: Config.Token contains whitespace")
	}
	base := strings.TrimRight(cmp(cfg.BaseURL, SandboxURL), "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("propexo: BaseURL %q is not an absolute http(s) URL", base)
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: cmp(cfg.Timeout, DefaultTimeout)}
	}
	c := &Client{
		token:     secret(cfg.Token),
		base:      base,
		http:      hc,
		window:    cmp(cfg.RateWindow, DefaultRateWindow),
		maxWait:   cmp(cfg.MaxWait, DefaultMaxWait),
		userAgent: cfg.UserAgent,
		now:       time.Now,
		sleep:     sleepCtx,
	}
	c.pacer.window = c.window
	return c, nil
}

// cmp returns v, or def when v is the zero value.
func cmp[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// String describes the client without its token.
func (c *Client) String() string { return "propexo.Client{BaseURL:" + c.base + " Token:[REDACTED]}" }

// GoString keeps %#v from printing the token.
func (c *Client) GoString() string { return c.String() }

// secret is the token; its own String and GoString redact it, so even a
// reflective dump of the Client does not print it.
type secret string

func (secret) String() string   { return "[REDACTED]" }
func (secret) GoString() string { return `"[REDACTED]"` }

// CreateProspect sends POST /crm/v1/prospects/ after validating req. The
// prospect exists only once the returned job reaches SUCCESS.
func (c *Client) CreateProspect(ctx context.Context, req *CreateProspectRequest) (*WriteResponse, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return c.write(ctx, http.MethodPost, "/crm/v1/prospects/", req)
}

// UpdateProspect sends PUT /crm/v1/prospects/{prospect_id} after validating
// req. Notes in req are appended to the prospect's notes by Propexo.
func (c *Client) UpdateProspect(ctx context.Context, prospectID string, req *UpdateProspectRequest) (*WriteResponse, error) {
	err := req.Validate()
	if strings.TrimSpace(prospectID) == "" {
		// The spec marks the path parameter optional, but the route has no
		// meaning without it.
		fe := FieldError{Field: "prospect_id", Message: "is required"}
		if ve, ok := err.(*ValidationError); ok {
			ve.Fields = append([]FieldError{fe}, ve.Fields...)
		} else {
			err = &ValidationError{Fields: []FieldError{fe}}
		}
	}
	if err != nil {
		return nil, err
	}
	return c.write(ctx, http.MethodPut, "/crm/v1/prospects/"+url.PathEscape(prospectID), req)
}

// WriteStatus reads GET /v1/admin/write-status/{root_job_id}.
func (c *Client) WriteStatus(ctx context.Context, rootJobID string) (*WriteStatus, error) {
	if err := requireJobID(rootJobID); err != nil {
		return nil, err
	}
	path := "/v1/admin/write-status/" + url.PathEscape(rootJobID)
	body, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	ws, err := decodeWriteStatus(body)
	if err != nil {
		return nil, &RequestError{Method: http.MethodGet, Path: path, StatusCode: http.StatusOK, Err: err}
	}
	ws.JobID = rootJobID
	return ws, nil
}

// RetryWrite asks Propexo to run a failed write again with POST
// /v1/admin/retry-write/{root_job_id} and returns the id of the NEW job the
// write was re-queued as: follow that one with WriteStatus (docs/partners/propexo.md#retry-write).
// Only a FAILURE write can be retried; Propexo answers any other with a 400
// (docs/partners/propexo.md#retry-write). An answer of success: false means nothing was queued:
// the error is ErrRetryRefused.
func (c *Client) RetryWrite(ctx context.Context, rootJobID string) (string, error) {
	if err := requireJobID(rootJobID); err != nil {
		return "", err
	}
	path := "/v1/admin/retry-write/" + url.PathEscape(rootJobID)
	// The input is an empty object (docs/partners/propexo.md#retry-write).
	body, err := c.do(ctx, http.MethodPost, path, struct{}{})
	if err != nil {
		return "", err
	}
	var w struct {
		Success *bool  `json:"success"`
		JobID   string `json:"job_id"`
	}
	if err := json.Unmarshal(body, &w); err != nil || w.Success == nil {
		if err == nil {
			err = errors.New("no success field")
		}
		return "", &RequestError{Method: http.MethodPost, Path: path, StatusCode: http.StatusOK, Err: fmt.Errorf("%w: %w", ErrMalformedResponse, err)}
	}
	if !*w.Success {
		return "", ErrRetryRefused
	}
	if w.JobID == "" {
		return "", &RequestError{Method: http.MethodPost, Path: path, StatusCode: http.StatusOK, Err: fmt.Errorf("%w: no job_id", ErrMalformedResponse)}
	}
	return w.JobID, nil
}

func requireJobID(id string) error { return requireID("root_job_id", id) }

func requireID(field, id string) error {
	if strings.TrimSpace(id) == "" {
		return &ValidationError{Fields: []FieldError{{Field: field, Message: "is required"}}}
	}
	return nil
}

func (c *Client) write(ctx context.Context, method, path string, req any) (*WriteResponse, error) {
	body, err := c.do(ctx, method, path, req)
	if err != nil {
		return nil, err
	}
	wr, err := decodeWrite(body)
	if err != nil {
		// The write was accepted (2xx) but its job id is lost: MaybeApplied.
		return nil, &RequestError{Method: method, Path: path, StatusCode: http.StatusOK, Err: err}
	}
	return wr, nil
}

// do paces, sends and classifies one request, returning a 2xx body.
func (c *Client) do(ctx context.Context, method, path string, in any) ([]byte, error) {
	fail := func(err error) *RequestError {
		return &RequestError{Method: method, Path: path, Err: err, timeout: isTimeout(err)}
	}
	if err := ctx.Err(); err != nil {
		return nil, fail(fmt.Errorf("%w: %w", errNotSent, err))
	}
	if err := c.pace(ctx); err != nil {
		if _, ok := err.(*RateLimitError); ok {
			return nil, err
		}
		return nil, fail(fmt.Errorf("%w: %w", errNotSent, err))
	}
	var reader io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fail(fmt.Errorf("%w: %w", errNotSent, err))
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, reader)
	if err != nil {
		return nil, fail(fmt.Errorf("%w: %w", errNotSent, err))
	}
	req.Header.Set("Authorization", "Bearer "+string(c.token))
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fail(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	now := c.now()
	c.pacer.observe(now, resp.Header)
	if err != nil {
		e := fail(err)
		e.StatusCode = resp.StatusCode
		return nil, e
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return body, nil
	}
	apiErr := c.apiError(resp.StatusCode, body)
	if resp.StatusCode == http.StatusTooManyRequests {
		ra, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now)
		if !ok {
			ra = c.window // no hint: the partner blocks for the rest of the window
		}
		apiErr.RetryAfter = ra
		c.pacer.block(now, ra)
	}
	return nil, apiErr
}

// pace waits for the rate limiter, or refuses when the wait is too long.
func (c *Client) pace(ctx context.Context) error {
	now := c.now()
	limit := c.maxWait
	if dl, ok := ctx.Deadline(); ok {
		limit = min(limit, dl.Sub(now))
	}
	wait, ok := c.pacer.reserve(now, limit)
	if !ok {
		return &RateLimitError{RetryAfter: wait}
	}
	if wait <= 0 {
		return nil
	}
	return c.sleep(ctx, wait)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

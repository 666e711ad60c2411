package smartmove

import (
	"github.com/leasegraph/leasegraph/internal/loopback"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Partner hosts.
const (
	SandboxURL    = "https://stage.rentprep.com"
	ProductionURL = "https://screen.rentprep.com"
)

// DefaultTimeout bounds one call when Config.Timeout is zero. The create
// calls are synchronous for the user, so it stays well under a page's patience.
const DefaultTimeout = 20 * time.Second

// maxBody bounds what the client reads from any answer.
const maxBody = 4 << 20

// Config is what New needs. Only APIKey is required.
type Config struct {
	// BaseURL is the API host, SandboxURL when empty. It must be https,
	// except on a loopback host (tests, a local simulator), so the key never
	// crosses a network in clear text.
	BaseURL string
	// APIKey is sent as x-apiKey. It never appears in errors or in output.
	APIKey string
	// Timeout bounds each call (DefaultTimeout when zero); the caller's
	// context can shorten it.
	Timeout time.Duration
	// HTTPClient is used when set (e.g. an in-process transport for demo
	// mode); the client copies it and turns redirects off, so the key is
	// never forwarded to another host.
	HTTPClient *http.Client
}

// String hides the API key.
func (c Config) String() string {
	return fmt.Sprintf("smartmove.Config{BaseURL:%q APIKey:%s Timeout:%s}", c.BaseURL, redactedKey(c.APIKey), c.Timeout)
}

// GoString is String, so that %#v redacts too.
func (c Config) GoString() string { return c.String() }

func redactedKey(k string) string {
	if k == "" {
		return "[unset]"
	}
	return "[redacted]"
}

// Client calls SmartMove. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	key     string
	timeout time.Duration
	http    *http.Client
}

// New checks cfg and returns a client.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("smartmove: Config.APIKey is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = SandboxURL
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, errors.New("smartmove: Config.BaseURL must be an absolute http(s) URL")
	}
	if base.Scheme == "http" && !loopback.Host(base.Hostname()) {
		return nil, errors.New("smartmove: Config.BaseURL must use https outside a loopback host")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	hc := &http.Client{Timeout: cfg.Timeout}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{base: base, key: cfg.APIKey, timeout: cfg.Timeout, http: hc}, nil
}

// String names the host and hides the key. Value receivers, so that a
// dereferenced Client prints redacted too.
func (c Client) String() string {
	return fmt.Sprintf("smartmove.Client{BaseURL:%q APIKey:[redacted]}", c.base.String())
}

// GoString is String, so that %#v redacts too.
func (c Client) GoString() string { return c.String() }

// call POSTs body to /api/smartmove/<endpoint> and decodes a 2xx answer into
// out (nil: the body is ignored).
func (c *Client) call(ctx context.Context, endpoint string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("smartmove: %s: encoding request: %w", endpoint, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+"/api/smartmove/"+endpoint, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("smartmove: %s: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("x-apiKey", c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		return &TransportError{Endpoint: endpoint, Err: c.scrubErr(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return &TransportError{Endpoint: endpoint, Err: c.scrubErr(err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &APIError{
			Endpoint:   endpoint,
			Status:     resp.StatusCode,
			Message:    c.scrub(errorMessage(raw)),
			RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
		}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		// The JSON error names a type or a character, never the body.
		return fmt.Errorf("%w: %s: %v", ErrMalformedResponse, endpoint, err)
	}
	return nil
}

// errorMessage reads {"Message": ...} (any key case, as .NET emits it);
// otherwise it keeps the start of the body, which is still the best clue.
func errorMessage(raw []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		for k, v := range m {
			var s string
			if strings.EqualFold(k, "message") && json.Unmarshal(v, &s) == nil {
				return s
			}
		}
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// scrub removes the API key from text that came from outside, in case a
// server or proxy echoes request headers.
func (c *Client) scrub(s string) string { return strings.ReplaceAll(s, c.key, "[redacted]") }

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrubErr keeps err's chain (for errors.Is and Timeout) but not its text
// when that text contains the key.
func (c *Client) scrubErr(err error) error {
	if msg := err.Error(); strings.Contains(msg, c.key) {
		return &scrubbedError{msg: c.scrub(msg), err: err}
	}
	return err
}

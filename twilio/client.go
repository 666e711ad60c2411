// Package twilio is a typed client for Twilio Programmable Messaging's
// create-message call and the check of its signed status callbacks, as
// docs/partners/twilio.md describes them. Stdlib only.
package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// BaseURL is Twilio's REST API.
const BaseURL = "https://api.twilio.com"

// CodeOptedOut is Twilio's error for a recipient who replied STOP: the
// message must never be retried (docs/partners/twilio.md#error-21610).
const CodeOptedOut = 21610

// The message statuses a status callback carries (docs/partners/twilio.md#message-statuses).
const (
	StatusQueued      = "queued"
	StatusSending     = "sending"
	StatusSent        = "sent"
	StatusDelivered   = "delivered"
	StatusUndelivered = "undelivered"
	StatusFailed      = "failed"
)

// Config configures a Client.
type Config struct {
	AccountSID string
	AuthToken  string
	// From is the sender: a phone number, or a Messaging Service SID
	// ("MG...") sent as MessagingServiceSid instead (docs/partners/twilio.md#create-message).
	From       string
	BaseURL    string
	HTTPClient *http.Client
}

// Client sends messages.
type Client struct {
	cfg  Config
	http *http.Client
}

// New checks the configuration and returns a client.
func New(cfg Config) (*Client, error) {
	if cfg.AccountSID == "" || cfg.AuthToken == "" || cfg.From == "" {
		return nil, errors.New("twilio: account SID, auth token and sender are all required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = BaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{cfg: cfg, http: hc}, nil
}

// AuthToken is the key that status callbacks are signed with.
func (c *Client) AuthToken() string { return c.cfg.AuthToken }

// Message is one SMS to send.
type Message struct {
	To             string // E.164
	Body           string
	StatusCallback string // optional: where Twilio posts status changes
}

// Sent is Twilio's answer to an accepted message.
type Sent struct {
	SID         string
	Status      string
	NumSegments int
}

// Error is Twilio's refusal: its HTTP status and error body.
type Error struct {
	HTTPStatus int
	Code       int
	Message    string
	MoreInfo   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("twilio: HTTP %d, error %d: %s", e.HTTPStatus, e.Code, e.Message)
}

// Temporary says a later attempt may succeed: rate limiting and Twilio's
// own failures. Every other refusal (bad number, opted out, credentials)
// repeats the same answer.
func (e *Error) Temporary() bool {
	return e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500
}

// OptedOut says the recipient replied STOP (docs/partners/twilio.md#error-21610).
func (e *Error) OptedOut() bool { return e.Code == CodeOptedOut }

// Send creates a message: POST /2010-04-01/Accounts/{AccountSid}/Messages.json,
// form-encoded, HTTP Basic auth AccountSid:AuthToken (docs/partners/twilio.md#create-message).
// A transport failure is returned as is (the message may or may not exist).
func (c *Client) Send(ctx context.Context, m Message) (*Sent, error) {
	form := url.Values{"To": {m.To}, "Body": {m.Body}}
	if IsMessagingServiceSID(c.cfg.From) {
		form.Set("MessagingServiceSid", c.cfg.From)
	} else {
		form.Set("From", c.cfg.From)
	}
	if m.StatusCallback != "" {
		form.Set("StatusCallback", m.StatusCallback)
	}
	u := c.cfg.BaseURL + "/2010-04-01/Accounts/" + url.PathEscape(c.cfg.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(c.cfg.AccountSID, c.cfg.AuthToken)
	resp, err := c.http.Do(req)
	if err != nil {
		// Without the URL, which names the account: the error is shown in
		// the graph.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("twilio: sending: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("twilio: reading the answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{HTTPStatus: resp.StatusCode}
		var eb struct {
			Code     int    `json:"code"`
			Message  string `json:"message"`
			MoreInfo string `json:"more_info"`
		}
		if json.Unmarshal(body, &eb) == nil {
			e.Code, e.Message, e.MoreInfo = eb.Code, eb.Message, eb.MoreInfo
		}
		if e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
		return nil, e
	}
	var ok struct {
		SID         string          `json:"sid"`
		Status      string          `json:"status"`
		NumSegments json.RawMessage `json:"num_segments"`
	}
	if err := json.Unmarshal(body, &ok); err != nil || ok.SID == "" {
		return nil, &Error{HTTPStatus: resp.StatusCode, Message: "an answer without a message sid"}
	}
	// Twilio writes num_segments as a string; accept a number too.
	n, _ := strconv.Atoi(strings.Trim(string(ok.NumSegments), `"`))
	return &Sent{SID: ok.SID, Status: ok.Status, NumSegments: n}, nil
}

// IsMessagingServiceSID tells a Messaging Service SID from a phone number.
func IsMessagingServiceSID(s string) bool { return strings.HasPrefix(s, "MG") }

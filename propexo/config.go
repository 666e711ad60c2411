package propexo

import (
	"fmt"
	"net/http"
	"time"
)

// Propexo's hosts.
const (
	SandboxURL    = "https://api.sandbox.propexo.com"
	ProductionURL = "https://api.propexo.com"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultRateWindow = time.Minute
	DefaultMaxWait    = 10 * time.Second
)

// Config configures a Client. Only Token is required.
type Config struct {
	// Token is the bearer token. It is never printed: Config's String and
	// GoString redact it, and the client scrubs it from partner messages.
	Token string
	// BaseURL defaults to SandboxURL.
	BaseURL string
	// HTTPClient defaults to a client with Timeout. When set, its own
	// timeout applies and Timeout is ignored.
	HTTPClient *http.Client
	// Timeout bounds a whole request, body included. Default 30 s.
	Timeout time.Duration
	// RateWindow is the partner's rate-limit window. Default 1 minute.
	RateWindow time.Duration
	// MaxWait is the longest the client sleeps to pace requests or after a
	// 429 before giving up with a *RateLimitError, so a worker is not held
	// for a minute when its queue could reschedule instead. Default 10 s.
	MaxWait time.Duration
	// UserAgent is sent as User-Agent when set.
	UserAgent string
}

// String describes the config with the token redacted.
func (c Config) String() string {
	tok := ""
	if c.Token != "" {
		tok = "[REDACTED]"
	}
	return fmt.Sprintf("propexo.Config{BaseURL:%q Token:%q Timeout:%s RateWindow:%s MaxWait:%s}",
		c.BaseURL, tok, c.Timeout, c.RateWindow, c.MaxWait)
}

// GoString keeps %#v from printing the token.
func (c Config) GoString() string { return c.String() }

package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/ratelimit"
	"github.com/leasegraph/leasegraph/viewer"
)

// Rate limits: a request budget per API token, and a budget of failed
// authentications per client address on every route that takes a secret.
// Both are per instance (buckets live in this process's memory).

// The budgets are config.RateLimits; a zero rate turns its limit off.

// defaultSocketRecheck applies where a caller (a test) sets none.
var defaultSocketRecheck = config.Defaults().Limits.SocketRecheck

// knownTokenIdle is how long a token that authenticated stays in the token
// table without use. While there, it is let past its address's failed-auth
// block (see authenticateSecret), so it is kept well beyond the time its
// bucket takes to refill.
const knownTokenIdle = 15 * time.Minute

// limiters are the app's buckets, made from its rateLimits.
type limiters struct {
	// tokens holds a bucket per token that has authenticated, keyed by the
	// SHA-256 of its secret so that a spent token is refused before the
	// database is asked. Unknown secrets never enter it.
	tokens *ratelimit.Keyed
	// failures holds a bucket of failed authentications per client address.
	failures *ratelimit.Keyed
	trusted  []netip.Prefix
	// sockets counts the websockets each token (by key) holds open.
	sockets struct {
		sync.Mutex
		open map[string]int
		max  int
	}
}

// openSocket counts a socket of the token, false when it already holds
// the most it may; closeSocket uncounts it.
func (l *limiters) openSocket(key string) bool {
	l.sockets.Lock()
	defer l.sockets.Unlock()
	if l.sockets.max > 0 && l.sockets.open[key] >= l.sockets.max {
		return false
	}
	l.sockets.open[key]++
	return true
}

func (l *limiters) closeSocket(key string) {
	l.sockets.Lock()
	defer l.sockets.Unlock()
	if l.sockets.open[key]--; l.sockets.open[key] <= 0 {
		delete(l.sockets.open, key)
	}
}

func newLimiters(l config.RateLimits) *limiters {
	ls := &limiters{
		tokens: ratelimit.New(ratelimit.Config{Rate: l.TokenRate, Burst: l.TokenBurst, MaxKeys: l.MaxKeys, Idle: knownTokenIdle}),
		failures: ratelimit.New(ratelimit.Config{Rate: float64(l.AuthFailures) / 60, Burst: l.AuthFailures,
			MaxKeys: l.MaxKeys}),
		trusted: l.TrustedProxies,
	}
	ls.sockets.open, ls.sockets.max = map[string]int{}, l.SocketsPerToken
	return ls
}

// clientKey is the rate-limit key of the request's client address.
func (a *app) clientKey(r *http.Request) string {
	return ratelimit.AddrKey(ratelimit.ClientAddr(r, a.limiters.trusted))
}

func tokenKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return string(sum[:])
}

func rateLimited(msg string, wait time.Duration) *apperr.Error {
	s := ratelimit.RetryAfterSeconds(wait)
	return apperr.RateLimited(fmt.Sprintf("%s: retry after %d s", msg, s), s)
}

// authenticateSecret turns a secret from the client at addr into its viewer,
// within both budgets. It returns the token's rate-limit key.
//
// An address over its failed-auth budget is refused before the database is
// asked, whatever it sends: that is what makes guessing cost nothing but
// the attacker's time. The price is that a legitimate user sharing the
// attacker's address (NAT, a proxy) is refused too; to narrow that, a token
// this instance saw authenticate recently (still in the token table) is let
// past the address block and still checked against the database, so only
// a token not used here in the last minutes waits for Retry-After.
// Attempts in flight together are all checked before any fails, so a
// client may overshoot its failure budget by its number of concurrent
// requests, once.
func (a *app) authenticateSecret(ctx context.Context, addr, secret string) (*viewer.Viewer, string, error) {
	l := a.limiters
	key := tokenKey(secret)
	known := l.tokens.Known(key)
	if known {
		if ok, wait := l.tokens.Allow(key); !ok {
			return nil, key, rateLimited("this API token's request rate limit is reached", wait)
		}
	} else if ok, wait := l.failures.Check(addr); !ok {
		return nil, key, rateLimited("too many failed authentications from this address", wait)
	}
	v, err := a.tenancy.Authenticate(ctx, secret)
	if err != nil {
		if ae, ok := apperr.As(err); ok && ae.Code == apperr.CodeUnauthenticated {
			l.failures.Allow(addr)
			l.tokens.Forget(key)
		}
		return nil, key, err
	}
	if !known {
		l.tokens.Allow(key)
	}
	return v, key, nil
}

// failedSecret spends one failed authentication of addr's budget, for
// secrets that are not API tokens (postback credentials).
func (a *app) failedSecret(addr string) { a.limiters.failures.Allow(addr) }

// secretAllowed says whether addr may present a non-token secret.
func (a *app) secretAllowed(addr string) *apperr.Error {
	if ok, wait := a.limiters.failures.Check(addr); !ok {
		return rateLimited("too many failed authentications from this address", wait)
	}
	return nil
}

// setRetryAfter adds Retry-After for a RATE_LIMITED error.
func setRetryAfter(w http.ResponseWriter, e *apperr.Error) {
	if s, ok := e.RetryAfter(); ok {
		w.Header().Set("Retry-After", strconv.Itoa(s))
	}
}

type tokenKeyCtx struct{}

// withTokenKey records the rate-limit key of the token that authenticated
// the request, for a websocket opened with an Authorization header.
func withTokenKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, tokenKeyCtx{}, key)
}

func tokenKeyFrom(ctx context.Context) string {
	k, _ := ctx.Value(tokenKeyCtx{}).(string)
	return k
}

// statusWriter answers with a fixed status, for a page rendered by code
// that does not choose its own.
type statusWriter struct {
	http.ResponseWriter
	status  int
	written bool
}

func (s *statusWriter) WriteHeader(int) {
	if !s.written {
		s.written = true
		s.ResponseWriter.WriteHeader(s.status)
	}
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.WriteHeader(s.status)
	return s.ResponseWriter.Write(b)
}

// Package guard authenticates the secrets requests present (API tokens;
// postback credentials only spend its failure budget) within the rate
// limits: a request budget per API token, and a budget of failed
// authentications per client address on every route that takes a secret.
// The GraphQL handler (HTTP and websocket), /leases, the registration page
// and the SmartMove postback all use one Guard, so the limits are one.
package guard

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/ratelimit"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/viewer"
)

// Both budgets are per instance (buckets live in this process's memory);
// they are config.RateLimits, and a zero rate turns its limit off.

// knownTokenIdle is how long a token that authenticated stays in the token
// table without use. While there, it is let past its address's failed-auth
// block (see Authenticate), so it is kept well beyond the time its
// bucket takes to refill.
const knownTokenIdle = 15 * time.Minute

// Guard authenticates secrets within the rate limits, and holds their
// buckets. Every route that takes a secret goes through one Guard.
type Guard struct {
	tenancy *tenancy.Service
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

// OpenSocket counts a socket of the token, false when it already holds
// the most it may; CloseSocket uncounts it.
func (g *Guard) OpenSocket(key string) bool {
	g.sockets.Lock()
	defer g.sockets.Unlock()
	if g.sockets.max > 0 && g.sockets.open[key] >= g.sockets.max {
		return false
	}
	g.sockets.open[key]++
	return true
}

func (g *Guard) CloseSocket(key string) {
	g.sockets.Lock()
	defer g.sockets.Unlock()
	if g.sockets.open[key]--; g.sockets.open[key] <= 0 {
		delete(g.sockets.open, key)
	}
}

// New makes the buckets of the limits l (zero rates: no limit); tenancy
// authenticates.
func New(t *tenancy.Service, l config.RateLimits) *Guard {
	ls := &Guard{
		tenancy: t,
		tokens:  ratelimit.New(ratelimit.Config{Rate: l.TokenRate, Burst: l.TokenBurst, MaxKeys: l.MaxKeys, Idle: knownTokenIdle}),
		failures: ratelimit.New(ratelimit.Config{Rate: float64(l.AuthFailures) / 60, Burst: l.AuthFailures,
			MaxKeys: l.MaxKeys}),
		trusted: l.TrustedProxies,
	}
	ls.sockets.open, ls.sockets.max = map[string]int{}, l.SocketsPerToken
	return ls
}

// ClientKey is the rate-limit key of the request's client address.
func (g *Guard) ClientKey(r *http.Request) string {
	return ratelimit.AddrKey(ratelimit.ClientAddr(r, g.trusted))
}

func tokenKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return string(sum[:])
}

// RateLimited is the RATE_LIMITED error of a budget that is spent for wait.
func RateLimited(msg string, wait time.Duration) *apperr.Error {
	s := ratelimit.RetryAfterSeconds(wait)
	return apperr.RateLimited(fmt.Sprintf("%s: retry after %d s", msg, s), s)
}

// Authenticate turns a secret from the client at addr into its viewer,
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
func (g *Guard) Authenticate(ctx context.Context, addr, secret string) (*viewer.Viewer, string, error) {
	l := g
	key := tokenKey(secret)
	known := l.tokens.Known(key)
	if known {
		if ok, wait := l.tokens.Allow(key); !ok {
			return nil, key, RateLimited("this API token's request rate limit is reached", wait)
		}
	} else if ok, wait := l.failures.Check(addr); !ok {
		return nil, key, RateLimited("too many failed authentications from this address", wait)
	}
	v, err := g.tenancy.Authenticate(ctx, secret)
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

// FailedSecret spends one failed authentication of addr's budget, for
// secrets that are not API tokens (postback credentials).
func (g *Guard) FailedSecret(addr string) { g.failures.Allow(addr) }

// SecretAllowed says whether addr may present a non-token secret.
func (g *Guard) SecretAllowed(addr string) *apperr.Error {
	if ok, wait := g.failures.Check(addr); !ok {
		return RateLimited("too many failed authentications from this address", wait)
	}
	return nil
}

type tokenKeyCtx struct{}

// WithTokenKey records the rate-limit key of the token that authenticated
// the request, for a websocket opened with an Authorization header.
func WithTokenKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, tokenKeyCtx{}, key)
}

// TokenKey is the key WithTokenKey recorded.
func TokenKey(ctx context.Context) string {
	k, _ := ctx.Value(tokenKeyCtx{}).(string)
	return k
}

// AllowToken spends one request of the token's budget (by its key).
func (g *Guard) AllowToken(key string) (bool, time.Duration) { return g.tokens.Allow(key) }

// TokenState is the token's budget now (by its key), spending nothing;
// false when the token is not known here (it never authenticated, or was
// forgotten) or there is no limit.
func (g *Guard) TokenState(key string) (ratelimit.State, bool) {
	if !g.tokens.Known(key) {
		return ratelimit.State{}, false
	}
	return g.tokens.State(key)
}

// ForgetToken drops the token's bucket: it no longer authenticates, so it
// is no longer let past its address's block either.
func (g *Guard) ForgetToken(key string) { g.tokens.Forget(key) }

// Bearer reads the token of an Authorization header.
func Bearer(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

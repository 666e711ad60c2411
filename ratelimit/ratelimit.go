// Package ratelimit keeps token buckets per key (an API token, a client
// address) in a table that an attacker cannot grow: it holds at most a fixed
// number of keys, forgets the least recently used one when full, and drops
// keys left idle. Limits are per process: instances do not share buckets.
package ratelimit

import (
	"context"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/time/rate"
)

// Config describes one family of buckets.
type Config struct {
	// Rate is how many events per second a key earns; zero or less turns
	// the limit off (a nil *Keyed, which allows everything).
	Rate float64
	// Burst is how many events a key may spend at once (at least 1).
	Burst int
	// MaxKeys bounds the keys tracked; when full, the least recently used
	// key is forgotten. Forgetting only ever gives a key a full bucket back,
	// so an attacker who churns keys can reset buckets, never empty anyone's.
	MaxKeys int
	// Idle drops a key unused for this long. Zero means the time a bucket
	// takes to fill up again, after which a fresh bucket is the same thing.
	Idle time.Duration
}

// DefaultMaxKeys bounds a table when Config.MaxKeys is not set: a key
// costs about 300 bytes (measured with 32-byte keys), so 30 MB at worst.
const DefaultMaxKeys = 100_000

// Keyed is a bounded table of token buckets. A nil *Keyed allows everything.
type Keyed struct {
	limit rate.Limit
	burst int
	idle  time.Duration
	// now is the clock, replaceable in tests.
	now func() time.Time

	mu    sync.Mutex
	table *simplelru.LRU[string, *bucket]
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// New returns a table of buckets, or nil (no limit) when c.Rate is not positive.
func New(c Config) *Keyed {
	if c.Rate <= 0 {
		return nil
	}
	burst := max(c.Burst, 1)
	idle := c.Idle
	if idle <= 0 {
		idle = time.Duration(float64(burst) / c.Rate * float64(time.Second))
	}
	size := c.MaxKeys
	if size <= 0 {
		size = DefaultMaxKeys
	}
	table, _ := simplelru.NewLRU[string, *bucket](size, nil) // errors only on size <= 0
	return &Keyed{limit: rate.Limit(c.Rate), burst: burst, idle: idle, now: time.Now, table: table}
}

// get returns key's bucket, creating a full one when create is set, after
// dropping the keys that have been idle too long. The table is ordered by
// last use, so idle keys are always at its old end: the sweep costs O(1)
// per call, amortised. Call with k.mu held.
func (k *Keyed) get(key string, now time.Time, create bool) *bucket {
	for {
		_, oldest, ok := k.table.GetOldest()
		if !ok || now.Sub(oldest.used) < k.idle {
			break
		}
		k.table.RemoveOldest()
	}
	b, ok := k.table.Get(key)
	if !ok {
		if !create {
			return nil
		}
		b = &bucket{lim: rate.NewLimiter(k.limit, k.burst)}
		k.table.Add(key, b)
	}
	b.used = now
	return b
}

// Allow spends one event of key's budget. When the budget is spent it
// spends nothing and says how long until the next event is allowed.
func (k *Keyed) Allow(key string) (ok bool, retryAfter time.Duration) {
	if k == nil {
		return true, 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	b := k.get(key, now, true)
	if d := k.wait(b, now); d > 0 {
		return false, d
	}
	b.lim.AllowN(now, 1)
	return true, 0
}

// Check says whether key has budget left, spending none: failed
// authentications are checked before the attempt and spent only when it
// fails. An unknown key has its whole budget and is not stored.
func (k *Keyed) Check(key string) (ok bool, retryAfter time.Duration) {
	if k == nil {
		return true, 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if b := k.get(key, now, false); b != nil {
		if d := k.wait(b, now); d > 0 {
			return false, d
		}
	}
	return true, 0
}

// wait is how long until b holds a whole event; every use of a bucket
// happens under k.mu, so reading then spending is atomic.
func (k *Keyed) wait(b *bucket, now time.Time) time.Duration {
	tokens := b.lim.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration(math.Ceil((1 - tokens) / float64(k.limit) * float64(time.Second)))
}

// Known says whether key is in the table.
func (k *Keyed) Known(key string) bool {
	if k == nil {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.get(key, k.now(), false) != nil
}

// State is what a key's bucket holds now, as a caller is told it.
type State struct {
	// Limit is the bucket's size (the burst); Rate how many events a
	// second it earns back.
	Limit int
	Rate  float64
	// Remaining is the whole events left now.
	Remaining int
	// Full is how long until the bucket is full again (0 when it is).
	Full time.Duration
}

// State is key's bucket now, spending nothing: a key not in the table has
// a full bucket. ok is false when there is no limit (a nil *Keyed).
func (k *Keyed) State(key string) (st State, ok bool) {
	if k == nil {
		return State{}, false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	st = State{Limit: k.burst, Rate: float64(k.limit), Remaining: k.burst}
	if b, found := k.table.Peek(key); found {
		tokens := min(max(b.lim.TokensAt(k.now()), 0), float64(k.burst))
		st.Remaining = int(math.Floor(tokens))
		st.Full = time.Duration(math.Ceil((float64(k.burst) - tokens) / float64(k.limit) * float64(time.Second)))
	}
	return st, true
}

// Header tells the caller the state in the answer's headers, in both
// forms clients read: the IETF draft's RateLimit-Policy and RateLimit
// (draft-ietf-httpapi-ratelimit-headers: quota q per window w seconds, r
// left, t seconds until it is whole again: a bucket of Limit that earns
// Rate a second is a quota of Limit per Limit/Rate seconds) and GitHub's
// X-RateLimit-Limit, -Remaining and -Reset (the Unix second the bucket is
// full again).
func (st State) Header(h http.Header, now time.Time) {
	window := int(math.Ceil(float64(st.Limit) / st.Rate))
	full := int(math.Ceil(st.Full.Seconds()))
	h.Set("RateLimit-Policy", `"token";q=`+strconv.Itoa(st.Limit)+";w="+strconv.Itoa(window))
	h.Set("RateLimit", `"token";r=`+strconv.Itoa(st.Remaining)+";t="+strconv.Itoa(full))
	h.Set("X-RateLimit-Limit", strconv.Itoa(st.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(st.Remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(st.Full).Add(time.Second-1).Unix(), 10))
}

// HeaderNames are the headers Header sets, for CORS to expose.
var HeaderNames = []string{"RateLimit-Policy", "RateLimit", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}

type stateKey struct{}

// WithState records the caller's state for the answer's body to repeat
// (GraphQL's extensions.cost).
func WithState(ctx context.Context, st State) context.Context {
	return context.WithValue(ctx, stateKey{}, st)
}

// StateFrom is the state WithState recorded.
func StateFrom(ctx context.Context) (State, bool) {
	st, ok := ctx.Value(stateKey{}).(State)
	return st, ok
}

// Forget drops key (a token found revoked).
func (k *Keyed) Forget(key string) {
	if k == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.table.Remove(key)
}

// Len is how many keys are tracked.
func (k *Keyed) Len() int {
	if k == nil {
		return 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.table.Len()
}

// RetryAfterSeconds is d as an HTTP Retry-After value: whole seconds,
// rounded up, at least 1 (0 would invite an immediate retry).
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// AddrKey is the key of a client address. An IPv6 client usually holds a
// whole /64, so it is one key: otherwise one host could take a fresh budget
// for each of its 2^64 addresses.
func AddrKey(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is6():
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// ClientAddr is the address a request came from: the peer's, unless the
// peer is one of the trusted proxies, in which case X-Forwarded-For is read
// from the right (each proxy appends the address it saw) up to the first
// hop that is not a trusted proxy. Entries left of that one are whatever the
// client sent and are never believed.
func ClientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	addr := parseAddr(r.RemoteAddr)
	if !addr.IsValid() || !isTrusted(addr, trusted) {
		return addr
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop := parseAddr(strings.TrimSpace(hops[i]))
		if !hop.IsValid() {
			// A proxy we trust would not write garbage: whatever is left of
			// here came from the client, so the last trusted hop is the answer.
			return addr
		}
		addr = hop
		if !isTrusted(hop, trusted) {
			return hop
		}
	}
	return addr
}

func parseAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, _ := netip.ParseAddr(strings.Trim(s, "[]"))
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParsePrefixes reads a comma-separated list of addresses and CIDR
// prefixes (a bare address is a prefix of its full length).
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, err
			}
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

package propexo

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// pacer keeps the client under Propexo's per-account limit (150 requests a
// minute; past 80% the partner slows answers, at 100% it answers 429 for the
// rest of the minute). Propexo sends no reset time, so once past 80% the
// pacer assumes the worst, a full window still to go, and spreads the
// remaining budget over it: one request per window/(remaining+1). At the
// default limit that is ~2 s apart, the partner's own slow-down, and it
// can never overrun the window however the partner aligns it.
type pacer struct {
	mu           sync.Mutex
	window       time.Duration
	spacing      time.Duration // gap between request starts; 0 while under 80%
	next         time.Time     // earliest start of the next request
	blockedUntil time.Time     // after a 429
}

// reserve returns how long to wait before sending, and books the slot. If
// the wait exceeds maxWait nothing is booked and ok is false.
func (p *pacer) reserve(now time.Time, maxWait time.Duration) (wait time.Duration, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := now
	if p.next.After(start) {
		start = p.next
	}
	if p.blockedUntil.After(start) {
		start = p.blockedUntil
	}
	wait = start.Sub(now)
	if wait > maxWait {
		return wait, false
	}
	p.next = start.Add(p.spacing)
	return wait, true
}

// observe reads x-ratelimit-limit and x-ratelimit-remaining. Answers
// without them (an error from a proxy) leave the pace unchanged.
func (p *pacer) observe(now time.Time, h http.Header) {
	limit, err1 := strconv.Atoi(h.Get("x-ratelimit-limit"))
	remaining, err2 := strconv.Atoi(h.Get("x-ratelimit-remaining"))
	if err1 != nil || err2 != nil || limit <= 0 {
		return
	}
	remaining = max(0, min(remaining, limit))
	p.mu.Lock()
	defer p.mu.Unlock()
	if used := limit - remaining; used*5 <= limit*4 { // at most 80% used
		p.spacing = 0
		p.next = time.Time{}
		return
	}
	p.spacing = p.window / time.Duration(remaining+1)
	if t := now.Add(p.spacing); t.After(p.next) {
		p.next = t
	}
}

// block holds every request back until now+d, after a 429.
func (p *pacer) block(now time.Time, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := now.Add(d); t.After(p.blockedUntil) {
		p.blockedUntil = t
	}
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

package propexo

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// pacer keeps the client under Propexo's per-account limit (150 requests a
// minute; past 80% the partner slows answers, at 100% it answers 429 for the
// rest of the minute: docs/partners/propexo.md#rate-limit). Once past 80% it
// spreads the remaining budget over what is left of the window: one request
// per (windowEnd-now)/(remaining+1).
//
// Propexo sends no reset time, so windowEnd is the latest the window can
// end: a window's first request is counted no later than its answer comes
// back, so an answer whose remaining figure rose (a new window) or the
// first answer seen puts the end one window after that answer. Spreading
// over a full window instead, as the pacer once did, left a fifth of the
// budget unused when the sync and the deliveries shared it (109-134 of 150
// a minute in the mixed-load benchmark); an end too late only spreads the
// rest thinner, so it can never overrun the window however the partner
// aligns it.
type pacer struct {
	mu           sync.Mutex
	window       time.Duration
	spacing      time.Duration // gap between request starts; 0 while under 80%
	next         time.Time     // earliest start of the next request
	blockedUntil time.Time     // after a 429
	windowEnd    time.Time     // the latest the partner's current window ends
	remaining    int           // the last answer's x-ratelimit-remaining
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
	// A rise means a new window; a window that must have ended means the
	// figure is of a new one too, begun no later than now. Answers that
	// overtake each other only make a rise seem to happen, which moves the
	// end later: the safe side.
	if p.windowEnd.IsZero() || remaining > p.remaining || !now.Before(p.windowEnd) {
		p.windowEnd = now.Add(p.window)
	}
	p.remaining = remaining
	if used := limit - remaining; used*5 <= limit*4 { // at most 80% used
		p.spacing = 0
		p.next = time.Time{}
		return
	}
	p.spacing = p.windowEnd.Sub(now) / time.Duration(remaining+1)
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

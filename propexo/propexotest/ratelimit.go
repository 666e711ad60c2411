package propexotest

import (
	"net/http"
	"strconv"
	"time"
)

// window is one token's fixed rate-limit window, started by its first
// request: the partner answers 429 "for the rest of the minute".
type window struct {
	start time.Time
	count int
}

type limitState struct {
	ok, slow  bool
	limit     int
	remaining int
}

func (l limitState) setHeaders(h http.Header) {
	h.Set("x-ratelimit-limit", strconv.Itoa(l.limit))
	h.Set("x-ratelimit-remaining", strconv.Itoa(l.remaining))
}

// admit counts a request against token's window.
func (s *Sim) admit(token string) limitState {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	win := s.windows[token]
	if win == nil || !now.Before(win.start.Add(s.opts.RateWindow)) {
		win = &window{start: now}
		s.windows[token] = win
	}
	win.count++
	s.stats.Requests++
	limit := s.opts.RateLimit
	st := limitState{
		ok:        win.count <= limit,
		slow:      win.count*5 > limit*4, // past 80% used
		limit:     limit,
		remaining: max(0, limit-win.count),
	}
	if !st.ok {
		s.stats.RateLimited++
	}
	return st
}

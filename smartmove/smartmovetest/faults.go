package smartmovetest

import (
	"net/http"
	"strconv"
	"time"
)

type faultKind int

const (
	faultStatus faultKind = iota
	faultHang
	faultRateLimit
	faultMalformed
)

type fault struct {
	kind       faultKind
	status     int
	retryAfter time.Duration
}

// Faults apply to the next API calls, in the order they were asked for,
// before the key is checked; a faulted call changes no state.

// FailNext makes the next n calls answer status (e.g. 500, 503, 403) with a
// {"Message"} body.
func (s *Server) FailNext(n, status int) { s.addFaults(n, fault{kind: faultStatus, status: status}) }

// HangNext makes the next n calls send nothing until the caller gives up
// (its timeout) or the Server closes.
func (s *Server) HangNext(n int) { s.addFaults(n, fault{kind: faultHang}) }

// RateLimitNext makes the next n calls answer 429 with Retry-After (whole
// seconds).
func (s *Server) RateLimitNext(n int, retryAfter time.Duration) {
	s.addFaults(n, fault{kind: faultRateLimit, retryAfter: retryAfter})
}

// MalformedNext makes the next n calls answer 200 with a truncated JSON body.
func (s *Server) MalformedNext(n int) { s.addFaults(n, fault{kind: faultMalformed}) }

// ClearFaults drops faults not yet used.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

func (s *Server) addFaults(n int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

func (s *Server) takeFault() (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f fault) int {
	switch f.kind {
	case faultHang:
		select {
		case <-r.Context().Done():
		case <-s.stop:
		}
		// Nobody is listening any more; the status is for the call log.
		return http.StatusGatewayTimeout
	case faultRateLimit:
		w.Header().Set("Retry-After", strconv.Itoa(int(f.retryAfter/time.Second)))
		return writeJSON(w, http.StatusTooManyRequests, message("Rate limit exceeded."))
	case faultMalformed:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(`{"ApplicationId": 12`))
		return http.StatusOK
	}
	return writeJSON(w, f.status, message("An error has occurred."))
}

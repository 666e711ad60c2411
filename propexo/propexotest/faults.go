package propexotest

import (
	"net/http"
	"strings"
	"time"
)

// FaultKind is what an injected fault does.
type FaultKind int

const (
	// FaultError answers Fault.Status (default 500) with an error body.
	FaultError FaultKind = iota + 1
	// FaultRateLimited answers 429, whatever the count, with no Retry-After
	// (docs/partners/propexo.md#rate-limit).
	FaultRateLimited
	// FaultHang never answers: the handler waits until the client gives up
	// (its timeout), the Sim is closed, or Options.HangMax passes (then 504).
	FaultHang
	// FaultMalformed answers 200 with a truncated JSON body.
	FaultMalformed
)

// Fault is one injected failure.
type Fault struct {
	Kind   FaultKind
	Status int // for FaultError; default 500. Any status works, e.g. 403
	// AfterWrite applies the call first (a write creates its job) and
	// then fails the answer: the response is lost, the write is not.
	AfterWrite bool
	// Issues are sent with a FaultError, as a 400's validation issues.
	Issues []Issue
}

// FailNext makes the next n authenticated calls, on any route, fail with f.
// Calls rejected by auth or the rate limit do not consume it.
func (s *Sim) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// ClearFaults drops the faults FailNext queued that no call has taken yet:
// an outage a test ends when it has seen its effect.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Sim) takeFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

func (s *Sim) countFault(after bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if after {
		s.stats.FaultsAfterWrite++
	} else {
		s.stats.FaultsBeforeWrite++
	}
}

func (s *Sim) emitFault(w http.ResponseWriter, r *http.Request, f Fault, lim limitState) {
	switch f.Kind {
	case FaultRateLimited:
		writeError(w, http.StatusTooManyRequests, "RATE_LIMITED", "rate limit exceeded (injected)", nil)
	case FaultHang:
		t := time.NewTimer(s.opts.HangMax)
		defer t.Stop()
		select {
		case <-r.Context().Done(): // the client timed out; nobody to answer
		case <-s.closed:
			writeError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "simulator closed", nil)
		case <-t.C:
			writeError(w, http.StatusGatewayTimeout, "GATEWAY_TIMEOUT", "simulated hang", nil)
		}
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"job_id": "job_`))
	default:
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		code := strings.ToUpper(strings.ReplaceAll(http.StatusText(status), " ", "_"))
		writeError(w, status, code, "simulated failure", f.Issues)
	}
}

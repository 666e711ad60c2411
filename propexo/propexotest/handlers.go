package propexotest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

func (s *Sim) create(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.CreateRequests++
	s.mu.Unlock()
	b, ok := decode(w, r, createSchema)
	if !ok {
		return
	}
	s.accept(w, r, "create", "", b)
}

func (s *Sim) update(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.UpdateRequests++
	s.mu.Unlock()
	b, ok := decode(w, r, updateSchema)
	if !ok {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	_, exists := s.prospects[id]
	s.mu.Unlock()
	if !exists {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "prospect "+id+" not found", nil)
		return
	}
	s.accept(w, r, "update", id, b)
}

// decode reads and validates a write body; on failure it has answered 400.
func decode(w http.ResponseWriter, r *http.Request, schema []rule) (body, bool) {
	var b body
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "unreadable body", nil)
		return b, false
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "request body must be a JSON object",
			[]Issue{{Code: "invalid_type", Path: []any{}, Message: "Expected object"}})
		return b, false
	}
	if issues := check(fields, schema); len(issues) > 0 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "invalid request body", issues)
		return b, false
	}
	if err := json.Unmarshal(raw, &b); err != nil { // cannot fail after check
		writeError(w, http.StatusBadRequest, "BAD_REQUEST", "invalid body", nil)
		return b, false
	}
	b.normalize()
	return b, true
}

// accept records a pending job for a valid write, unless a random fault
// strikes first (nothing applied) or after (applied, answer lost).
func (s *Sim) accept(w http.ResponseWriter, r *http.Request, kind, prospectID string, b body) {
	s.mu.Lock()
	fault, after := false, false
	if s.opts.FailRate > 0 && s.rng.Float64() < s.opts.FailRate {
		fault, after = true, s.rng.IntN(2) == 1
	}
	if fault && !after {
		s.stats.FaultsBeforeWrite++
		s.mu.Unlock()
		s.emitFault(w, r, Fault{Kind: s.opts.RandomFault}, limitState{})
		return
	}
	// No Idempotency-Key: Propexo documents none (docs/partners/propexo.md#no-idempotency), so
	// every accepted write is a new job, a resent one included.
	j := s.newJobLocked(kind, prospectID, b)
	if fault {
		s.stats.FaultsAfterWrite++
	}
	s.mu.Unlock()
	if fault {
		s.emitFault(w, r, Fault{Kind: s.opts.RandomFault}, limitState{})
		return
	}
	s.answerWrite(w, j.ID)
}

// answerWrite answers an accepted write with its job, in either shape.
func (s *Sim) answerWrite(w http.ResponseWriter, jobID string) {
	s.mu.Lock()
	data, _ := json.Marshal(s.jobs[jobID].body)
	s.mu.Unlock()
	if s.opts.MetaResult {
		writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]string{"job_id": jobID}, "result": json.RawMessage(data)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"job_id": jobID, "data": json.RawMessage(data)})
}

// scheduleLocked arranges auto-completion when enabled. The timer is not
// kept: after Close it fires into a no-op.
func (s *Sim) scheduleLocked(id string) {
	if s.opts.AutoComplete <= 0 {
		return
	}
	time.AfterFunc(s.opts.AutoComplete, func() {
		select {
		case <-s.closed:
		default:
			_ = s.CompleteJob(id, s.opts.AutoOutcome) // a test may have completed it already
		}
	})
}

func (s *Sim) writeStatus(w http.ResponseWriter, r *http.Request) {
	if s.readFails(w, r) {
		return
	}
	s.mu.Lock()
	j, ok := s.jobs[r.PathValue("id")]
	var snap Job
	if ok {
		snap = j.snapshot()
	}
	s.mu.Unlock()
	if !ok {
		// "An unknown job id is a 400" (docs/partners/propexo.md#write-status).
		writeError(w, http.StatusBadRequest, "invalid_request", "job "+r.PathValue("id")+" not found", nil)
		return
	}
	var created any // null until the write succeeded, or always (NullCreatedRecordID)
	if snap.CreatedRecordID != "" {
		created = snap.CreatedRecordID
	}
	errs := snap.Errors
	if errs == nil {
		errs = []string{}
	}
	status := map[string]any{"write_status": snap.Status, "errors": errs, "created_record_id": created}
	if s.opts.MetaResult {
		writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]string{"job_id": snap.ID}, "result": status})
		return
	}
	status["job_id"] = snap.ID
	writeJSON(w, http.StatusOK, status)
}

// retryWrite re-queues a FAILURE write as a new job and answers
// {success, job_id} with the new job's id (docs/partners/propexo.md#retry-write). Only FAILURE can be retried,
// anything else is a 400 (docs/partners/propexo.md#retry-write),
// and so is an unknown job (docs/partners/propexo.md#retry-write). The failed job keeps its status.
func (s *Sim) retryWrite(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	s.stats.RetryRequests++
	j, ok := s.jobs[id]
	var status Status
	var next *Job
	refused := false
	if ok {
		status = j.Status
		switch {
		case status != Failure:
		case s.refuseRetries > 0:
			// "success: false means nothing was queued" (docs/partners/propexo.md#retry-write).
			s.refuseRetries--
			refused = true
		default:
			next = s.newJobLocked(j.Kind, j.ProspectID, j.body)
			next.Attempts = j.Attempts + 1
			next.RetryOf = j.ID
		}
	}
	s.mu.Unlock()
	switch {
	case !ok:
		writeError(w, http.StatusBadRequest, "invalid_request", "job "+id+" not found", nil)
	case status != Failure:
		writeError(w, http.StatusBadRequest, "invalid_request", "job "+id+" is "+string(status)+"; only failed write operations can be retried", nil)
	case refused:
		writeJSON(w, http.StatusOK, map[string]any{"success": false, "job_id": id})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "job_id": next.ID})
	}
}

// RefuseNextRetries makes the next n retry-writes of a FAILURE job answer
// {success: false}: nothing queued.
func (s *Sim) RefuseNextRetries(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseRetries += n
}

// newJobLocked records a PENDING job and schedules its auto-completion.
func (s *Sim) newJobLocked(kind, prospectID string, b body) *Job {
	s.jobSeq++
	now := s.now()
	j := &Job{ID: fmt.Sprintf("job_%d", s.jobSeq), Kind: kind, ProspectID: prospectID,
		Status: Pending, Attempts: 1, CreatedAt: now, UpdatedAt: now, body: b}
	s.jobs[j.ID] = j
	s.jobOrder = append(s.jobOrder, j.ID)
	s.scheduleLocked(j.ID)
	return j
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers Propexo's errorResponse. Validation issues sit two
// levels down, at error.details.details.issues, beside name "ZodError"
// (docs/partners/propexo.md#errors).
func writeError(w http.ResponseWriter, status int, code, msg string, issues []Issue) {
	e := map[string]any{"code": code, "message": msg}
	if issues != nil {
		e["details"] = map[string]any{"details": map[string]any{"issues": issues, "name": "ZodError"}}
	}
	writeJSON(w, status, map[string]any{"error": e})
}

// readFails applies ReadFailRate to a call that changes nothing: it fails
// before doing anything, and reports whether it answered.
func (s *Sim) readFails(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	fail := s.opts.ReadFailRate > 0 && s.rng.Float64() < s.opts.ReadFailRate
	if fail {
		s.stats.FaultsOnReads++
	}
	s.mu.Unlock()
	if fail {
		s.emitFault(w, r, Fault{Kind: s.opts.RandomFault}, limitState{})
	}
	return fail
}

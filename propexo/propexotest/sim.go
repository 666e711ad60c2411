// Package propexotest simulates Propexo for tests and demo mode: the prospect
// write API and the lease read side (records.go: leases, residents, lease
// transfers, which tests put, change and remove). The write side: create and
// update prospects (every field rule of the two specs),
// asynchronous write jobs under test control, write-status and retry-write,
// the lead list a client reconciles with, bearer auth, the per-token rate
// limit, and injected faults, including faults after the write was applied,
// whose lost response is what makes reconciliation necessary. Webhooks
// (webhooks.go): their configuration, and signed deliveries of every record
// change to the active webhooks whose triggers match, with retries.
//
// It is never more lenient than Propexo's documents (docs/partners/propexo.md): each rule
// cites the fact it follows. In particular it ignores any Idempotency-Key header, which
// Propexo does not document (docs/partners/propexo.md#no-idempotency): a create sent twice makes
// two prospects, as it would there.
//
// Use it with httptest.NewServer(sim) or in process with sim.Transport().
// It deliberately does not import the client package, so the wire format is
// checked from both sides.
package propexotest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configures a Sim. The zero value is a working simulator that
// accepts any bearer token, with the partner's default limit.
type Options struct {
	// Tokens are the accepted bearer tokens; empty accepts any token.
	Tokens []string
	// RateLimit is the number of requests per token per RateWindow
	// (default 150 per minute, the partner's default).
	RateLimit  int
	RateWindow time.Duration
	// SlowDown delays answers once a token has used more than 80% of its
	// window, like the partner's ~2 s. Off by default to keep tests fast.
	SlowDown time.Duration
	// Now is the clock for rate windows and job times (default time.Now).
	Now func() time.Time
	// Sleep performs SlowDown (default: a timer that stops with the
	// request). Tests replace it to observe the delay without waiting.
	Sleep func(ctx context.Context, d time.Duration)
	// MetaResult answers writes as {meta:{job_id}, result:{...}} (and
	// write-status as {meta, result}) instead of {job_id, data}.
	MetaResult bool
	// AutoComplete, when positive, finishes each pending job by itself
	// after this delay with AutoOutcome (default SUCCESS). For demo mode.
	AutoComplete time.Duration
	AutoOutcome  Status
	// NullCreatedRecordID answers created_record_id null even for a create
	// that succeeded, as Propexo may "if the given PMS does not generate a
	// new record ID" (docs/partners/propexo.md#write-status).
	NullCreatedRecordID bool
	// FailRate is the probability that a valid write fails; half of those
	// failures happen after the write was applied. Seed seeds the RNG.
	FailRate float64
	Seed     uint64
	// ReadFailRate is the probability that a write-status call fails the
	// same way (it changes nothing, so there is no "after").
	ReadFailRate float64
	// RandomFault is the fault FailRate injects (default FaultError 500).
	RandomFault FaultKind
	// HangMax bounds a FaultHang when the client never gives up (default 30 s).
	HangMax time.Duration
	// WebhookClient sends webhook deliveries (default: a 10 s timeout).
	WebhookClient *http.Client
	// WebhookTries bounds the tries of one delivery (default 2, the
	// sandbox's; production's is 10: docs/partners/propexo.md#webhook-deliveries), WebhookRetryEvery
	// is the wait between them (default 15 minutes, as Propexo).
	WebhookTries      int
	WebhookRetryEvery time.Duration
}

// Stats counts what the simulator saw.
type Stats struct {
	Requests          int // authenticated requests
	CreateRequests    int // authenticated POST /crm/v1/prospects/, valid or not
	UpdateRequests    int
	RateLimited       int // 429s from the limit (not injected ones)
	FaultsBeforeWrite int // injected or random faults that applied nothing
	FaultsAfterWrite  int // faults whose write was applied, answer lost
	FaultsOnReads     int // write-status and lead reads failed by ReadFailRate
	LeadReads         int // GET /v1/leads/ and /v1/leads/{id}
	RetryRequests     int // POST /v1/admin/retry-write/{root_job_id}
}

// Sim is the simulator. It is safe for concurrent use.
type Sim struct {
	opts   Options
	mux    *http.ServeMux
	tokens map[string]bool
	closed chan struct{}
	once   sync.Once

	mu            sync.Mutex
	rng           *rand.Rand
	windows       map[string]*window
	faults        []Fault
	stats         Stats
	seq, jobSeq   int
	prospects     map[string]*Prospect
	prospectOrder []string
	// created and updated are the prospects' times, as leads show them.
	created, updated map[string]time.Time
	jobs             map[string]*Job
	jobOrder         []string
	// refuseRetries is how many retry-writes still answer success: false.
	refuseRetries int
	// recs is the lease read side (records.go), made on first use.
	recs                    *records
	listRequests, leaseGets int
	// hooks are the registered webhooks (webhooks.go); deliveries are the
	// goroutines sending to them.
	hooks                           map[string]*RegisteredWebhook
	hookOrder                       []string
	hookSeq, eventSeq, hookAttempts int
	deliveries                      sync.WaitGroup
}

// New returns a simulator.
func New(opts Options) *Sim {
	if opts.RateLimit <= 0 {
		opts.RateLimit = 150
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.AutoOutcome == "" {
		opts.AutoOutcome = Success
	}
	if opts.RandomFault == 0 {
		opts.RandomFault = FaultError
	}
	if opts.HangMax <= 0 {
		opts.HangMax = 30 * time.Second
	}
	if opts.WebhookClient == nil {
		opts.WebhookClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.WebhookTries <= 0 {
		opts.WebhookTries = 2
	}
	if opts.WebhookRetryEvery <= 0 {
		opts.WebhookRetryEvery = 15 * time.Minute
	}
	s := &Sim{
		opts:      opts,
		tokens:    make(map[string]bool),
		closed:    make(chan struct{}),
		rng:       rand.New(rand.NewPCG(opts.Seed, 0x70726f7065786f)),
		windows:   make(map[string]*window),
		prospects: make(map[string]*Prospect),
		created:   make(map[string]time.Time),
		updated:   make(map[string]time.Time),
		jobs:      make(map[string]*Job),
	}
	for _, t := range opts.Tokens {
		s.tokens[t] = true
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /crm/v1/prospects/{$}", s.create)
	s.mux.HandleFunc("PUT /crm/v1/prospects/{id}", s.update)
	s.mux.HandleFunc("GET /v1/admin/write-status/{id}", s.writeStatus)
	s.mux.HandleFunc("POST /v1/admin/retry-write/{id}", s.retryWrite)
	s.mux.HandleFunc("GET /v1/leads/{$}", s.listLeads)
	s.mux.HandleFunc("GET /v1/leads/{id}", s.getLead)
	s.mux.HandleFunc("GET /v1/leases/{$}", s.listHandler(leaseList))
	s.mux.HandleFunc("GET /v1/leases/{id}", s.getLease)
	s.mux.HandleFunc("GET /v1/residents/{$}", s.listHandler(residentList))
	s.mux.HandleFunc("GET /v1/lease-transfers/{$}", s.listHandler(transferList))
	s.mux.HandleFunc("GET /v1/lease-transfers/{id}", s.getTransfer)
	s.mux.HandleFunc("GET /v1/webhooks/{$}", s.listWebhooks)
	s.mux.HandleFunc("POST /v1/webhooks/{$}", s.createWebhook)
	s.mux.HandleFunc("GET /v1/webhooks/{id}", s.getWebhook)
	s.mux.HandleFunc("PUT /v1/webhooks/{id}", s.updateWebhook)
	s.mux.HandleFunc("DELETE /v1/webhooks/{id}", s.deleteWebhook)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no route for "+r.Method+" "+r.URL.Path, nil)
	})
	return s
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// Close releases hanging requests, stops auto-completion and ends webhook
// deliveries (waiting for them). Call it before httptest.Server.Close,
// which waits for handlers.
func (s *Sim) Close() {
	s.once.Do(func() {
		close(s.closed)
	})
	s.deliveries.Wait()
}

// Stats returns the counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// CreateRequests is Stats().CreateRequests.
func (s *Sim) CreateRequests() int { return s.Stats().CreateRequests }

func (s *Sim) now() time.Time { return s.opts.Now() }

// ServeHTTP authenticates, rate-limits, injects faults, then routes.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := bearer(r.Header.Get("Authorization"))
	if !ok || (len(s.tokens) > 0 && !s.tokens[token]) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="propexo"`)
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "missing or invalid bearer token", nil)
		return
	}
	lim := s.admit(token)
	lim.setHeaders(w.Header())
	if !lim.ok {
		// No Retry-After: "429s come with the x-ratelimit-* headers only"
		// (docs/partners/propexo.md#rate-limit).
		writeError(w, http.StatusTooManyRequests, "RATE_LIMITED",
			fmt.Sprintf("rate limit of %d requests exceeded", lim.limit), nil)
		return
	}
	if lim.slow && s.opts.SlowDown > 0 {
		s.opts.Sleep(r.Context(), s.opts.SlowDown)
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	f, injected := s.takeFault()
	switch {
	case !injected:
		s.mux.ServeHTTP(w, r)
	case f.AfterWrite:
		// Apply the call for real, then lose its answer.
		s.mux.ServeHTTP(discard{}, r)
		s.countFault(true)
		s.emitFault(w, r, f, lim)
	default:
		s.countFault(false)
		s.emitFault(w, r, f, lim)
	}
}

// bearer extracts the token; the scheme is case-insensitive (RFC 7235).
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// discard is a ResponseWriter whose answer never reaches the client.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// Package smartmovetest is an in-memory SmartMove: the nine API endpoints as
// an http.Handler, enforcing the spec's rules, posting postbacks as
// applicants progress, and failing on demand.
//
// It follows the partner spec (the RentPrep SmartMove API document, whose
// facts are in docs/partners/smartmove.md) strictly and is never more
// lenient than the partner: where the spec is loose or contradicts itself
// (a referenceId typed string but sent as a number, an application status
// with no documented word) it takes the stricter reading, and each rule
// cites the section of docs/partners/smartmove.md it follows. Tests run it behind
// httptest.NewServer; demo mode mounts it in-process (see Transport).
//
// It shares no code with package smartmove on purpose: it decodes the wire
// format from the spec on its own, so a wrong JSON name in the client fails
// a test instead of agreeing with itself.
package smartmovetest

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// DefaultAPIKey is accepted when Options.APIKeys is empty.
const DefaultAPIKey = "0a1b2c3d-0000-4000-8000-5e5e5e5e5e5e"

// Options configure a Server. The zero value is a usable test server.
type Options struct {
	// APIKeys are the accepted x-apiKey values; {DefaultAPIKey} when empty.
	APIKeys []string
	// LinkBaseURL prefixes the links create and reportUrl return (and where
	// the Server serves their pages). Empty: the scheme and host of the request.
	LinkBaseURL string
	// AutoAdvance, when positive, moves every open application one step per
	// interval, as applicants would (demo mode). Tests drive Advance instead.
	AutoAdvance time.Duration
	// PostbackClient sends postbacks; a client with a 5 s timeout when nil.
	PostbackClient *http.Client
	// PostbackCopies is how many times each postback is sent (repeats, as
	// the partner notes warn); 1 when zero.
	PostbackCopies int
	// PostbackNumericIDs sends customerReferenceId and referenceId as JSON
	// numbers when they are integers. The spec types neither in a postback;
	// it sends applicationId as a number (docs/partners/smartmove.md#postbacks) and reference
	// ids as numbers in its request examples (docs/partners/smartmove.md#reference-id-types), so a partner
	// that echoes them as numbers is within the document.
	PostbackNumericIDs bool
	// Recommendation is the CreditRecommendation (0-6) an application gets
	// when its reports are ready; 1 (Accept) when zero.
	Recommendation int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Server is the simulator. It is safe for concurrent use. Close it to stop
// its timer and postback worker.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu      sync.Mutex
	nextID  int
	apps    map[int]*application
	drafts  map[string]*draft // /create links not yet finished by the landlord
	reports map[string]int    // report link token -> application id
	faults  []fault
	calls   []Call
	pb      postbackQueue

	stop      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// Call is one API request the Server answered.
type Call struct {
	Endpoint string // e.g. "application/details"
	Status   int
}

// New starts a Server (its postback worker and, with AutoAdvance, its timer).
func New(opts Options) *Server {
	if len(opts.APIKeys) == 0 {
		opts.APIKeys = []string{DefaultAPIKey}
	}
	if opts.PostbackClient == nil {
		opts.PostbackClient = &http.Client{Timeout: 5 * time.Second}
	}
	if opts.PostbackCopies <= 0 {
		opts.PostbackCopies = 1
	}
	if opts.Recommendation <= 0 || opts.Recommendation > 6 {
		opts.Recommendation = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:    opts,
		nextID:  100001,
		apps:    map[int]*application{},
		drafts:  map[string]*draft{},
		reports: map[string]int{},
		stop:    make(chan struct{}),
	}
	s.pb.wake = make(chan struct{}, 1)
	s.routes()
	s.wg.Add(1)
	go s.deliverLoop()
	if opts.AutoAdvance > 0 {
		s.wg.Add(1)
		go s.autoAdvance(opts.AutoAdvance)
	}
	return s
}

// Close stops the timer and the postback worker, drops undelivered
// postbacks and releases hanging requests. It waits for them to finish.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.stop) })
	s.wg.Wait()
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	api := map[string]func(*http.Request, []byte) (int, any){
		"application/create":          s.create,
		"application/create/embedded": s.createEmbedded,
		"applicant/add":               s.addApplicant,
		"applicant/delete":            s.deleteApplicant,
		"application/details":         s.details,
		"application/all":             s.all,
		"application/cancel":          s.cancel,
		"application/reportUrl":       s.reportURL,
		"application/report/status":   s.reportStatus,
	}
	for name, h := range api {
		s.mux.Handle("/api/smartmove/"+name, s.endpoint(name, h))
	}
	s.mux.HandleFunc("GET "+createPagePath+"{token}", s.createPage)
	s.mux.HandleFunc("POST "+createPagePath+"{token}", s.createPageSubmit)
	s.mux.HandleFunc("GET "+reportPagePath+"{token}", s.reportPage)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, message("No HTTP resource was found that matches the request URI."))
	})
}

// ServeHTTP serves the API and the two link pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Calls returns the API requests answered so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// maxRequestBody bounds a request body, as a real front end would.
const maxRequestBody = 1 << 20

// endpoint wraps an API handler: method, faults, key, body, the call log.
// Faults come first because a failing front end answers before any auth.
func (s *Server) endpoint(name string, h func(*http.Request, []byte) (int, any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := s.serveEndpoint(w, r, h)
		s.mu.Lock()
		s.calls = append(s.calls, Call{Endpoint: name, Status: status})
		s.mu.Unlock()
	})
}

func (s *Server) serveEndpoint(w http.ResponseWriter, r *http.Request, h func(*http.Request, []byte) (int, any)) int {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return writeJSON(w, http.StatusMethodNotAllowed, message("The requested resource does not support http method '"+r.Method+"'."))
	}
	if f, ok := s.takeFault(); ok {
		return s.serveFault(w, r, f)
	}
	if !s.validKey(r.Header.Get("x-apiKey")) {
		return writeJSON(w, http.StatusUnauthorized, message("Authorization has been denied for this request."))
	}
	body, err := readBody(w, r)
	if err != nil {
		return writeJSON(w, http.StatusBadRequest, message(err.Error()))
	}
	status, out := h(r, body)
	return writeJSON(w, status, out)
}

func (s *Server) validKey(k string) bool {
	for _, want := range s.opts.APIKeys {
		if k != "" && k == want {
			return true
		}
	}
	return false
}

// apiError is the error body: the spec promises only "an error description"
// and the partner notes fix its shape as {"Message"} (docs/partners/smartmove.md#errors).
type apiError struct {
	Message string `json:"Message"`
}

func message(m string) apiError { return apiError{Message: m} }

func badRequest(m string) (int, any) { return http.StatusBadRequest, message(m) }

// unknownApplication answers a call about an application the customer does
// not have. Every such endpoint answers invalid input with "a 400 response and
// an error description" (docs/partners/smartmove.md#errors):
// the spec has no 404 for it, so neither has the simulator.
func unknownApplication(id int) (int, any) {
	return badRequest("applicationId: application " + itoa(id) + " was not found")
}

func writeJSON(w http.ResponseWriter, status int, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"Message":"An error has occurred."}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
	return status
}

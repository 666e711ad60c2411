// Package twiliotest is a strict simulator of Twilio Programmable
// Messaging's create-message call and its signed status callbacks, for the
// tests and demo mode. It refuses whatever docs/partners/twilio.md says
// Twilio refuses, and never accepts more than Twilio would.
package twiliotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/leasegraph/leasegraph/twilio"
)

// Outcome is how a message ends: a final status and its error code.
type Outcome struct {
	Status    string // delivered, undelivered or failed
	ErrorCode int
}

// Options configure the simulator.
type Options struct {
	AccountSID, AuthToken string
	// Numbers are the account's own senders (phone numbers), Services its
	// Messaging Service SIDs: any other From is refused.
	Numbers, Services []string
	// OptedOut recipients replied STOP: a message to them is refused with
	// 21610 (docs/partners/twilio.md#error-21610).
	OptedOut []string
	// Outcomes sets the final status per recipient (default delivered).
	Outcomes map[string]Outcome
	// CallbackClient posts status callbacks (default: a client with a 10 s
	// timeout). Step is the delay between callbacks (default none).
	CallbackClient *http.Client
	Step           time.Duration
}

// Message is one accepted message as the simulator stores it.
type Message struct {
	SID, To, From, MessagingServiceSID, Body, StatusCallback string
	Segments                                                 int
	// Statuses are the callbacks posted, in order, and their answers.
	Statuses []string
	Answers  []int
}

// Sim is the simulator; it is an http.Handler.
type Sim struct {
	opts Options
	mu   sync.Mutex
	msgs []*Message
	// faults are answers given to the next create calls instead of running
	// them: an HTTP status (a 5xx or 429).
	faults []int
	wg     sync.WaitGroup
	closed bool
}

// New returns a simulator.
func New(opts Options) *Sim {
	if opts.CallbackClient == nil {
		opts.CallbackClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &Sim{opts: opts}
}

// Transport lets an http.Client reach the simulator in-process (demo mode).
func (s *Sim) Transport() http.RoundTripper { return transport{s} }

type transport struct{ s *Sim }

func (t transport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := &recorder{header: http.Header{}, code: http.StatusOK}
	t.s.ServeHTTP(rec, r)
	return &http.Response{StatusCode: rec.code, Header: rec.header, Body: nopCloser{bytes.NewReader(rec.body.Bytes())},
		Request: r, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

type recorder struct {
	header http.Header
	body   bytes.Buffer
	code   int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(c int)           { r.code = c }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// FailNext answers the next n create calls with status (a 5xx or 429)
// without creating a message.
func (s *Sim) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, status)
	}
}

// Messages returns copies of the accepted messages.
func (s *Sim) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = *m
		out[i].Statuses = slices.Clone(m.Statuses)
		out[i].Answers = slices.Clone(m.Answers)
	}
	return out
}

// Close waits for callbacks in flight; none start after it.
func (s *Sim) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.wg.Wait()
}

// e164 is the shape of a phone number Twilio accepts as To/From: "+", a
// country code not starting with 0, at most 15 digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// ServeHTTP answers POST /2010-04-01/Accounts/{AccountSid}/Messages.json
// (docs/partners/twilio.md#create-message); any other request is a 404.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix := "/2010-04-01/Accounts/"
	if !strings.HasPrefix(r.URL.Path, prefix) || !strings.HasSuffix(r.URL.Path, "/Messages.json") {
		writeError(w, http.StatusNotFound, 20404, "The requested resource was not found")
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
		return
	}
	sid := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, prefix), "/Messages.json")
	// HTTP Basic auth AccountSid:AuthToken, for the account in the path
	// (docs/partners/twilio.md#create-message).
	user, pass, ok := r.BasicAuth()
	if !ok || user != s.opts.AccountSID || pass != s.opts.AuthToken || sid != s.opts.AccountSID {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	s.mu.Lock()
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		s.mu.Unlock()
		writeError(w, f, 20500, "Internal Server Error")
		return
	}
	s.mu.Unlock()
	// Form-encoded parameters (docs/partners/twilio.md#create-message).
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeError(w, http.StatusBadRequest, 21609, "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 21609, "The request body is not form-encoded")
		return
	}
	f := r.PostForm
	to, from, svc, body, cb := f.Get("To"), f.Get("From"), f.Get("MessagingServiceSid"), f.Get("Body"), f.Get("StatusCallback")
	switch {
	case to == "":
		writeError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case !e164.MatchString(to):
		writeError(w, http.StatusBadRequest, 21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", to))
		return
	// `From` (or `MessagingServiceSid`) (docs/partners/twilio.md#create-message): one sender, the account's own.
	case from == "" && svc == "":
		writeError(w, http.StatusBadRequest, 21603, "A 'From' phone number or a 'MessagingServiceSid' is required.")
		return
	case from != "" && !slices.Contains(s.opts.Numbers, from):
		writeError(w, http.StatusBadRequest, 21606, fmt.Sprintf("The From phone number %s is not a valid, SMS-capable inbound phone number or short code for your account.", from))
		return
	case from == "" && !slices.Contains(s.opts.Services, svc):
		writeError(w, http.StatusBadRequest, 21701, fmt.Sprintf("The Messaging Service Sid %s is invalid.", svc))
		return
	case body == "":
		writeError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	// The shared specs give no length limit; Twilio's documented one is 1600
	// characters (error 21617, docs/partners/twilio.md#body-length), and the simulator is never more lenient.
	case utf8.RuneCountInString(body) > 1600:
		writeError(w, http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
		return
	case cb != "" && !validCallback(cb):
		writeError(w, http.StatusBadRequest, 21609, "Invalid StatusCallback URL")
		return
	}
	// Error 21610: the recipient replied STOP (docs/partners/twilio.md#error-21610).
	if slices.Contains(s.opts.OptedOut, to) {
		writeError(w, http.StatusBadRequest, twilio.CodeOptedOut, "Attempt to send to unsubscribed recipient")
		return
	}
	s.mu.Lock()
	m := &Message{SID: fmt.Sprintf("SM%032x", len(s.msgs)+1), To: to, From: from, MessagingServiceSID: svc, Body: body,
		StatusCallback: cb, Segments: twilio.Segments(body)}
	s.msgs = append(s.msgs, m)
	closed := s.closed
	if !closed && cb != "" {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"sid": m.SID, "account_sid": s.opts.AccountSID, "to": to, "from": from, "messaging_service_sid": nullable(svc),
		"body": body, "status": twilio.StatusQueued, "num_segments": strconv.Itoa(m.Segments), "error_code": nil, "error_message": nil,
	})
	if !closed && cb != "" {
		go s.callbacks(m)
	}
}

// callbacks posts the message's statuses to its StatusCallback, each signed
// (docs/partners/twilio.md#status-callbacks): queued, sent, then the recipient's outcome.
func (s *Sim) callbacks(m *Message) {
	defer s.wg.Done()
	out, ok := s.opts.Outcomes[m.To]
	if !ok {
		out = Outcome{Status: twilio.StatusDelivered}
	}
	steps := []Outcome{{Status: twilio.StatusQueued}}
	if out.Status != twilio.StatusFailed { // a failed message never left Twilio
		steps = append(steps, Outcome{Status: twilio.StatusSent})
	}
	steps = append(steps, out)
	for _, st := range steps {
		if s.opts.Step > 0 {
			time.Sleep(s.opts.Step)
		}
		code := s.post(m, st)
		s.mu.Lock()
		m.Statuses = append(m.Statuses, st.Status)
		m.Answers = append(m.Answers, code)
		s.mu.Unlock()
	}
}

// Post sends one signed status callback for the message with this sid, as
// Twilio would (a late or repeated one, in tests), and returns the answer's
// HTTP status.
func (s *Sim) Post(sid string, o Outcome) int {
	s.mu.Lock()
	var m *Message
	for _, x := range s.msgs {
		if x.SID == sid {
			m = x
		}
	}
	s.mu.Unlock()
	if m == nil {
		return 0
	}
	return s.post(m, o)
}

func (s *Sim) post(m *Message, o Outcome) int {
	params := url.Values{
		"AccountSid": {s.opts.AccountSID}, "MessageSid": {m.SID}, "SmsSid": {m.SID},
		"MessageStatus": {o.Status}, "SmsStatus": {o.Status}, "To": {m.To}, "ApiVersion": {"2010-04-01"},
	}
	if m.From != "" {
		params.Set("From", m.From)
	}
	if m.MessagingServiceSID != "" {
		params.Set("MessagingServiceSid", m.MessagingServiceSID)
	}
	if o.ErrorCode != 0 {
		params.Set("ErrorCode", strconv.Itoa(o.ErrorCode))
	}
	req, err := http.NewRequest(http.MethodPost, m.StatusCallback, strings.NewReader(params.Encode()))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, twilio.Signature(s.opts.AuthToken, m.StatusCallback, params))
	resp, err := s.opts.CallbackClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func validCallback(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// writeError answers with Twilio's error body: code, message, more_info, status.
func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

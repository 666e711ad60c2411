package smartmovetest

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Applicant statuses, in the order an applicant moves through them, and the
// report statuses derived from them (the spec's enums).
const (
	NoActivity       = "NoActivity"
	RequestAccepted  = "RequestAccepted"
	RequestDeclined  = "RequestDeclined"
	IDMACompleted    = "IDMACompleted"
	ReportsRequested = "ReportsRequested"
	ReportsAvailable = "ReportsAvailable"
	SupportRequired  = "SupportRequired"

	ReportPending    = "Pending"
	ReportInProgress = "InProgress"
	ReportReady      = "Ready"
	ReportDeclined   = "RequestDeclined"
	ReportError      = "Error"
	ReportExpired    = "Expired"
)

// happyPath is what Advance walks an applicant through.
var happyPath = []string{NoActivity, RequestAccepted, IDMACompleted, ReportsRequested, ReportsAvailable}

// ErrNoApplication is returned by the controls for an unknown id.
var ErrNoApplication = errors.New("smartmovetest: no such application")

type application struct {
	id             int
	ref            string
	created        time.Time
	landlordPays   bool
	property       propertyIn
	applicants     []*applicant
	cancelled      bool
	expired        bool
	failed         bool // the reports ended in Error
	recommendation int
	params         *paramsIn
}

type applicant struct {
	email   string
	status  string
	created time.Time
}

// draft is an order placed with /create, waiting for the landlord's form.
type draft struct {
	ref   string
	order orderIn
}

// reportStatus derives the application's report status from its applicants:
// one decline ends the screening, all reports available makes it Ready.
func (a *application) reportStatus() string {
	switch {
	case a.expired:
		return ReportExpired
	case a.failed:
		return ReportError
	}
	ready, started := true, false
	for _, p := range a.applicants {
		if p.status == RequestDeclined {
			return ReportDeclined
		}
		ready = ready && p.status == ReportsAvailable
		started = started || p.status != NoActivity
	}
	switch {
	case ready:
		return ReportReady
	case started:
		return ReportInProgress
	}
	return ReportPending
}

// status is the application's Status in details and all. The spec says the
// Report Status values are "found in Application Details"
// (docs/partners/smartmove.md#report-status), and its details example shows "Active" for an
// application whose applicants have not acted yet, where the report is
// Pending. So: "Active" while Pending, the
// report status word otherwise, and no word the spec does not have: it has
// none for a cancelled application, which keeps the status it had (all's
// IsCancellable, false, tells it apart).
func (a *application) status() string {
	if r := a.reportStatus(); r != ReportPending {
		return r
	}
	return "Active"
}

// closed says why the application no longer takes changes ("" while open),
// in words for error descriptions, which the spec leaves free
// (docs/partners/smartmove.md#errors).
func (a *application) closed() string {
	switch {
	case a.cancelled:
		return "cancelled"
	case a.expired:
		return "expired"
	case a.failed:
		return "in error"
	case a.reportStatus() == ReportReady:
		return "completed"
	}
	return ""
}

// open: still cancellable and still taking applicants (if tenants pay).
func (a *application) open() bool { return a.closed() == "" }

func (a *application) find(email string) (int, *applicant) {
	for i, p := range a.applicants {
		if strings.EqualFold(p.email, email) {
			return i, p
		}
	}
	return -1, nil
}

func (a *application) recommendationNow() int {
	switch {
	case a.reportStatus() == ReportReady:
		return a.recommendation
	case a.anyIn(ReportsRequested):
		return 6 // Pending
	}
	return 0 // Unavailable
}

func (a *application) anyIn(status string) bool {
	for _, p := range a.applicants {
		if p.status == status {
			return true
		}
	}
	return false
}

// newApplication stores an order; the caller holds s.mu.
func (s *Server) newApplication(ref string, o *orderIn) *application {
	now := s.opts.Now().UTC()
	a := &application{
		id: s.nextID, ref: ref, created: now,
		recommendation: s.opts.Recommendation, params: o.RequestParameters,
	}
	s.nextID++
	if o.Property != nil {
		a.property = *o.Property
	}
	if o.Application != nil {
		a.landlordPays = o.Application.LandlordPays != nil && *o.Application.LandlordPays
		for _, e := range o.Application.Applicants {
			a.applicants = append(a.applicants, &applicant{email: e, status: NoActivity, created: now})
		}
	}
	s.apps[a.id] = a
	return a
}

// lookup finds an application of the customer ref. Another customer's
// application is "not found", never "forbidden": its existence is not ours.
func (s *Server) lookup(id int, ref string) *application {
	a := s.apps[id]
	if a == nil || a.ref != ref {
		return nil
	}
	return a
}

func token() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Advance moves the first unfinished applicant of the application one step
// along NoActivity -> RequestAccepted -> IDMACompleted -> ReportsRequested ->
// ReportsAvailable and posts a postback. It reports whether anything moved
// (declined, support-required and finished applicants do not).
func (s *Server) Advance(appID int) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[appID]
	if a == nil {
		return false, ErrNoApplication
	}
	return s.advanceLocked(a), nil
}

func (s *Server) advanceLocked(a *application) bool {
	if !a.open() {
		return false
	}
	for _, p := range a.applicants {
		if next := nextStep(p.status); next != "" {
			s.setStatusLocked(a, p, next)
			return true
		}
	}
	return false
}

func nextStep(status string) string {
	for i, st := range happyPath[:len(happyPath)-1] {
		if st == status {
			return happyPath[i+1]
		}
	}
	return ""
}

// CompleteApplicant walks one applicant to ReportsAvailable, one postback
// per step.
func (s *Server) CompleteApplicant(appID int, email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, p, err := s.applicantLocked(appID, email)
	if err != nil {
		return err
	}
	if !a.open() {
		return fmt.Errorf("smartmovetest: application %d is %s", appID, a.closed())
	}
	for next := nextStep(p.status); next != ""; next = nextStep(p.status) {
		s.setStatusLocked(a, p, next)
	}
	if p.status != ReportsAvailable {
		return fmt.Errorf("smartmovetest: applicant is %s and cannot complete", p.status)
	}
	return nil
}

// SetApplicantStatus puts an applicant in any status (e.g. RequestDeclined,
// SupportRequired) and posts a postback.
func (s *Server) SetApplicantStatus(appID int, email, status string) error {
	switch status {
	case NoActivity, RequestAccepted, RequestDeclined, IDMACompleted, ReportsRequested, ReportsAvailable, SupportRequired:
	default:
		return fmt.Errorf("smartmovetest: unknown applicant status %q", status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, p, err := s.applicantLocked(appID, email)
	if err != nil {
		return err
	}
	s.setStatusLocked(a, p, status)
	return nil
}

// Expire marks the application Expired and posts a postback.
func (s *Server) Expire(appID int) error {
	return s.endApplication(appID, func(a *application) { a.expired = true }, "The application has expired")
}

// FailReports marks the reports Error and posts a postback.
func (s *Server) FailReports(appID int) error {
	return s.endApplication(appID, func(a *application) { a.failed = true }, "A report error occurred")
}

func (s *Server) endApplication(appID int, mark func(*application), text string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[appID]
	if a == nil {
		return ErrNoApplication
	}
	mark(a)
	s.enqueuePostbackLocked(a, text)
	return nil
}

// SetRecommendation sets the CreditRecommendation (0-6) the application
// shows once its reports are ready.
func (s *Server) SetRecommendation(appID, rec int) error {
	if rec < 0 || rec > 6 {
		return fmt.Errorf("smartmovetest: recommendation %d is outside 0-6", rec)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[appID]
	if a == nil {
		return ErrNoApplication
	}
	a.recommendation = rec
	return nil
}

// FinishCreate does what the landlord does on the page a /create link
// opens: it turns the pre-filled order into an application and returns its id.
func (s *Server) FinishCreate(link string) (int, error) {
	tok := link[strings.LastIndex(link, "/")+1:]
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.drafts[tok]
	if d == nil {
		return 0, errors.New("smartmovetest: unknown or used create link")
	}
	delete(s.drafts, tok)
	return s.newApplication(d.ref, &d.order).id, nil
}

func (s *Server) applicantLocked(appID int, email string) (*application, *applicant, error) {
	a := s.apps[appID]
	if a == nil {
		return nil, nil, ErrNoApplication
	}
	_, p := a.find(email)
	if p == nil {
		return nil, nil, fmt.Errorf("smartmovetest: no applicant %q on application %d", email, appID)
	}
	return a, p, nil
}

var statusText = map[string]string{
	NoActivity:       "%s has not responded yet",
	RequestAccepted:  "%s has accepted the request",
	RequestDeclined:  "%s has declined the request",
	IDMACompleted:    "%s has completed identity verification",
	ReportsRequested: "%s has completed the application; reports requested",
	ReportsAvailable: "Reports are available for %s",
	SupportRequired:  "%s must call TransUnion to complete the application",
}

func (s *Server) setStatusLocked(a *application, p *applicant, status string) {
	p.status = status
	s.enqueuePostbackLocked(a, fmt.Sprintf(statusText[status], p.email))
}

// autoAdvance is demo mode: applicants progress on their own.
func (s *Server) autoAdvance(every time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			for _, a := range s.apps {
				s.advanceLocked(a)
			}
			s.mu.Unlock()
		}
	}
}

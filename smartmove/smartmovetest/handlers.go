package smartmovetest

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// create answers with the link the landlord opens to finish the order, a
// JSON string (docs/partners/smartmove.md#ordering-by-link).
func (s *Server) create(r *http.Request, body []byte) (int, any) {
	var o orderIn
	if err := decode(body, &o); err != nil {
		return badRequest(err.Error())
	}
	if msg := checkOrder(&o, false); msg != "" {
		return badRequest(msg)
	}
	tok := token()
	s.mu.Lock()
	s.drafts[tok] = &draft{ref: o.Customer.ReferenceID.value(), order: o}
	s.mu.Unlock()
	return http.StatusOK, s.linkBase(r) + createPagePath + tok
}

// createEmbedded answers with the bare application id (the spec only says
// "a 200 response with the Application ID", docs/partners/smartmove.md#embedded-order).
func (s *Server) createEmbedded(_ *http.Request, body []byte) (int, any) {
	var o orderIn
	if err := decode(body, &o); err != nil {
		return badRequest(err.Error())
	}
	if msg := checkOrder(&o, true); msg != "" {
		return badRequest(msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return http.StatusOK, s.newApplication(o.Customer.ReferenceID.value(), &o).id
}

// withApplication decodes a call about one application and runs fn on it
// under the lock.
func (s *Server) withApplication(body []byte, needEmail bool, fn func(a *application, in *applicationRef) (int, any)) (int, any) {
	var in applicationRef
	if err := decode(body, &in); err != nil {
		return badRequest(err.Error())
	}
	if msg := checkRef(&in, needEmail); msg != "" {
		return badRequest(msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.lookup(*in.ApplicationID, in.ReferenceID.value())
	if a == nil {
		return unknownApplication(*in.ApplicationID)
	}
	return fn(a, &in)
}

func (s *Server) addApplicant(_ *http.Request, body []byte) (int, any) {
	return s.withApplication(body, true, func(a *application, in *applicationRef) (int, any) {
		// The two criteria of docs/partners/smartmove.md#applicants.
		switch {
		case a.landlordPays:
			return badRequest("Applicants cannot be added when the landlord pays.")
		case !a.open():
			// "The application must not be completed" (docs/partners/smartmove.md#applicants).
			return badRequest("Applicants cannot be added to an application that is " + a.closed() + ".")
		}
		if _, p := a.find(*in.Email); p != nil {
			return badRequest("The applicant is already on the application.")
		}
		a.applicants = append(a.applicants, &applicant{email: *in.Email, status: NoActivity, created: s.opts.Now().UTC()})
		return http.StatusOK, nil
	})
}

func (s *Server) deleteApplicant(_ *http.Request, body []byte) (int, any) {
	return s.withApplication(body, true, func(a *application, in *applicationRef) (int, any) {
		// The two criteria of docs/partners/smartmove.md#applicants.
		i, p := a.find(*in.Email)
		switch {
		case p == nil:
			return badRequest("The applicant is not on the application.")
		case p.status != NoActivity:
			return badRequest("The applicant has already responded and cannot be removed.")
		case len(a.applicants) == 1:
			return badRequest("The only applicant on an application cannot be removed.")
		}
		a.applicants = append(a.applicants[:i], a.applicants[i+1:]...)
		return http.StatusOK, nil
	})
}

func (s *Server) details(_ *http.Request, body []byte) (int, any) {
	return s.withApplication(body, false, func(a *application, _ *applicationRef) (int, any) {
		return http.StatusOK, detailsOf(a)
	})
}

func (s *Server) cancel(_ *http.Request, body []byte) (int, any) {
	return s.withApplication(body, false, func(a *application, _ *applicationRef) (int, any) {
		if !a.open() {
			return badRequest("An application that is " + a.closed() + " cannot be cancelled.")
		}
		a.cancelled = true
		return http.StatusOK, nil
	})
}

// reportURL answers only once the reports are ready: before that there is
// nothing for the landlord to view.
func (s *Server) reportURL(r *http.Request, body []byte) (int, any) {
	return s.withApplication(body, false, func(a *application, _ *applicationRef) (int, any) {
		if a.cancelled || a.reportStatus() != ReportReady {
			return badRequest("Reports are not available for this application.")
		}
		tok := token()
		s.reports[tok] = a.id
		return http.StatusOK, s.linkBase(r) + reportPagePath + tok
	})
}

// reportStatus answers the status as a JSON string ("Pending",
// docs/partners/smartmove.md#report-status), one of the Report Status values.
func (s *Server) reportStatus(_ *http.Request, body []byte) (int, any) {
	return s.withApplication(body, false, func(a *application, _ *applicationRef) (int, any) {
		return http.StatusOK, a.reportStatus()
	})
}

// all lists the customer's applications newest first (docs/partners/smartmove.md#listing-applications),
// offset page*limit as the spec says (so page 0 is the first page), limit 10
// by default.
func (s *Server) all(_ *http.Request, body []byte) (int, any) {
	var in listIn
	if err := decode(body, &in); err != nil {
		return badRequest(err.Error())
	}
	var c rules
	c.reference("referenceId", in.ReferenceID)
	limit, page := 10, 0
	if in.Limit != nil && *in.Limit != 0 {
		limit = *in.Limit
	}
	if in.Page != nil {
		page = *in.Page
	}
	if limit < 0 {
		c.fail("limit", "must not be negative")
	}
	if page < 0 {
		c.fail("page", "must not be negative")
	}
	if c.msg != "" {
		return badRequest(c.msg)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var mine []*application
	for _, a := range s.apps {
		if a.ref == in.ReferenceID.value() {
			mine = append(mine, a)
		}
	}
	// Newest first; ids grow with time, so they break ties in the clock.
	sort.Slice(mine, func(i, j int) bool {
		if !mine[i].created.Equal(mine[j].created) {
			return mine[i].created.After(mine[j].created)
		}
		return mine[i].id > mine[j].id
	})
	out := []summaryOut{}
	for i := page * limit; i < len(mine) && i < (page+1)*limit; i++ {
		out = append(out, summaryOf(mine[i]))
	}
	return http.StatusOK, out
}

func (s *Server) linkBase(r *http.Request) string {
	if s.opts.LinkBaseURL != "" {
		return strings.TrimRight(s.opts.LinkBaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || r.URL.Scheme == "https" {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return scheme + "://" + host
}

// Views: the answers of details and all, with the spec's field names.

type propertyOut struct {
	PropertyID         int    `json:"PropertyId"`
	Name               string `json:"Name"`
	PropertyIdentifier string `json:"PropertyIdentifier"`
	UnitNumber         string `json:"UnitNumber"`
	Street             string `json:"Street"`
	City               string `json:"City"`
	State              string `json:"State"`
	Zip                string `json:"Zip"`
}

type applicantOut struct {
	AccountID              int     `json:"AccountId"`
	FirstName              string  `json:"FirstName"`
	LastName               string  `json:"LastName"`
	MiddleName             *string `json:"MiddleName"`
	EmailAddress           string  `json:"EmailAddress"`
	EmploymentIncome       float64 `json:"EmploymentIncome"`
	EmploymentIncomePeriod int     `json:"EmploymentIncomePeriod"`
	EmploymentStatus       string  `json:"EmploymentStatus"`
	OtherIncome            float64 `json:"OtherIncome"`
	OtherIncomePeriod      int     `json:"OtherIncomePeriod"`
	RequestCreatedDate     string  `json:"RequestCreatedDate"`
	RequestExpirationDate  string  `json:"RequestExpirationDate"`
	ApplicantStatus        string  `json:"ApplicantStatus"`
	Assets                 float64 `json:"Assets"`
	CreditReport           any     `json:"CreditReport"`
	CriminalRecords        any     `json:"CriminalRecords"`
	EvictionRecords        any     `json:"EvictionRecords"`
	ExtraElements          any     `json:"ExtraElements"`
	ParsingErrors          any     `json:"ParsingErrors"`
}

type detailsOut struct {
	ApplicationID                  int            `json:"ApplicationId"`
	LandlordPays                   bool           `json:"LandlordPays"`
	Property                       propertyOut    `json:"Property"`
	Status                         string         `json:"Status"`
	Applicants                     []applicantOut `json:"Applicants"`
	CreditRecommendation           int            `json:"CreditRecommendation"`
	CreditRecommendationPolicyText string         `json:"CreditRecommendationPolicyText"`
	SelectedBundle                 int            `json:"SelectedBundle"`
}

type paymentOut struct {
	EmailAddress   string `json:"emailAddress"`
	DidAccept      *bool  `json:"didAccept"`
	OrderPaymentID *int   `json:"orderPaymentId"`
}

type summaryOut struct {
	ApplicationID    int          `json:"ApplicationId"`
	Applicants       []string     `json:"Applicants"`
	UnitNumber       *string      `json:"UnitNumber"`
	LandlordPays     bool         `json:"LandlordPays"`
	Property         propertyOut  `json:"Property"`
	Status           string       `json:"Status"`
	RenterStatuses   any          `json:"RenterStatuses"`
	PaymentStatuses  []paymentOut `json:"PaymentStatuses"`
	IsCancellable    bool         `json:"IsCancellable"`
	CanAddApplicants bool         `json:"CanAddApplicants"`
}

var policyText = []string{"Unavailable", "Accept", "Low Accept", "Conditional", "Decline", "Refer", "Pending"}

// The spec's dates carry no zone; the simulator writes UTC.
const dateLayout = "2006-01-02T15:04:05.999"

// propertyOf is the property as details and all show it; PropertyId is
// SmartMove's own id, here derived from the application's.
func propertyOf(a *application) propertyOut {
	p := a.property
	return propertyOut{
		PropertyID: a.id + 500000, Name: p.PropertyName, PropertyIdentifier: p.Street,
		UnitNumber: p.UnitNumber, Street: p.Street, City: p.City, State: p.State, Zip: p.Zip,
	}
}

func detailsOf(a *application) detailsOut {
	rec := a.recommendationNow()
	d := detailsOut{
		ApplicationID: a.id, LandlordPays: a.landlordPays, Property: propertyOf(a), Status: a.status(),
		Applicants: []applicantOut{}, CreditRecommendation: rec, CreditRecommendationPolicyText: policyText[rec],
	}
	for _, p := range a.applicants {
		first, last := namesOf(p.email)
		d.Applicants = append(d.Applicants, applicantOut{
			FirstName: first, LastName: last, EmailAddress: p.email,
			RequestCreatedDate:    p.created.Format(dateLayout),
			RequestExpirationDate: p.created.Add(60 * 24 * time.Hour).Format(dateLayout),
			ApplicantStatus:       p.status,
		})
	}
	return d
}

// namesOf derives a name from "first.last@..." so the details look real.
func namesOf(email string) (first, last string) {
	local, _, _ := strings.Cut(email, "@")
	first, last, _ = strings.Cut(local, ".")
	return title(first), title(last)
}

func title(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func summaryOf(a *application) summaryOut {
	out := summaryOut{
		ApplicationID: a.id, Applicants: []string{}, LandlordPays: a.landlordPays, Property: propertyOf(a),
		Status: a.status(), PaymentStatuses: []paymentOut{},
		IsCancellable: a.open(), CanAddApplicants: a.open() && !a.landlordPays,
	}
	for _, p := range a.applicants {
		out.Applicants = append(out.Applicants, p.email)
		var accepted *bool
		switch p.status {
		case NoActivity:
		case RequestDeclined:
			accepted = new(bool)
		default:
			yes := true
			accepted = &yes
		}
		out.PaymentStatuses = append(out.PaymentStatuses, paymentOut{EmailAddress: p.email, DidAccept: accepted})
	}
	return out
}

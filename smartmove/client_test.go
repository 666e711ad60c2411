package smartmove

import (
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

func TestCreateApplicationReturnsFormLink(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	o := Order{Application: &Application{Applicants: []string{"bart.simpson@example.com"}}}
	link, err := e.c.CreateApplication(ctx(t), "cust-1", o)
	if err != nil {
		t.Fatal(err)
	}
	prefix := e.srv.URL + "/smartmove/api/create/"
	if !strings.HasPrefix(link, prefix) || len(link) == len(prefix) {
		t.Fatalf("link = %q, want %s<token>", link, prefix)
	}
	// Nothing exists until the landlord finishes the form.
	if list, err := e.c.Applications(ctx(t), "cust-1", 0, 0); err != nil || len(list) != 0 {
		t.Fatalf("before the form: %d applications, err %v", len(list), err)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "bart.simpson@example.com") {
		t.Fatalf("form page: %d %q", resp.StatusCode, page)
	}
	resp, err = http.Post(link, "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Application 100001 created") {
		t.Fatalf("form submit: %q", page)
	}
	if _, err := e.sim.FinishCreate(link); err == nil {
		t.Fatal("a used link finished a second application")
	}
	d, err := e.c.ApplicationDetails(ctx(t), "cust-1", 100001)
	if err != nil {
		t.Fatal(err)
	}
	if d.LandlordPays || len(d.Applicants) != 1 || d.Applicants[0].EmailAddress != "bart.simpson@example.com" {
		t.Fatalf("details = %+v", d)
	}
}

func TestCreateEmbeddedApplicationAndDetails(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	id := e.embedded(t, "cust-1", validOrder())
	if id != 100001 {
		t.Fatalf("id = %d, want 100001", id)
	}
	d, err := e.c.ApplicationDetails(ctx(t), "cust-1", id)
	if err != nil {
		t.Fatal(err)
	}
	wantProp := PropertyDetails{
		PropertyID: 600001, Name: "742 Evergreen Terrace", PropertyIdentifier: "123 Property Street",
		UnitNumber: "4", Street: "123 Property Street", City: "Springfield", State: "NY", Zip: "12345",
	}
	if d.ApplicationID != id || !d.LandlordPays || d.Status != "Active" || d.Property != wantProp ||
		d.CreditRecommendation != RecommendationUnavailable || d.CreditRecommendationPolicyText != "Unavailable" {
		t.Fatalf("details = %+v", d)
	}
	if len(d.Applicants) != 2 {
		t.Fatalf("applicants = %d, want 2", len(d.Applicants))
	}
	lisa := d.Applicants[0]
	// The simulator's clock read 09:30 for the first (and only) create.
	if lisa.EmailAddress != "lisa.simpson@example.com" || lisa.FirstName != "Lisa" || lisa.LastName != "Simpson" ||
		lisa.ApplicantStatus != ApplicantNoActivity || !lisa.RequestCreatedDate.Equal(t0) ||
		!lisa.RequestExpirationDate.Equal(t0.AddDate(0, 0, 60)) || lisa.MiddleName != nil {
		t.Fatalf("applicant = %+v", lisa)
	}
	if s, err := e.c.ReportStatus(ctx(t), "cust-1", id); err != nil || s != ReportPending {
		t.Fatalf("ReportStatus = %q, %v; want Pending", s, err)
	}
}

// TestOtherCustomerSeesUnknownApplication: another customer's application
// is an unknown one: 400 with a description, as the spec answers invalid input.
func TestOtherCustomerSeesUnknownApplication(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	id := e.embedded(t, "cust-1", validOrder())
	calls := []func() error{
		func() error { _, err := e.c.ApplicationDetails(ctx(t), "cust-2", id); return err },
		func() error { return e.c.CancelApplication(ctx(t), "cust-2", id) },
		func() error { return e.c.AddApplicant(ctx(t), "cust-2", id, "x@example.com") },
		func() error { return e.c.DeleteApplicant(ctx(t), "cust-2", id, "lisa.simpson@example.com") },
		func() error { _, err := e.c.ReportURL(ctx(t), "cust-2", id); return err },
		func() error { _, err := e.c.ReportStatus(ctx(t), "cust-2", id); return err },
		func() error { _, err := e.c.ApplicationDetails(ctx(t), "cust-1", id+1); return err },
	}
	for i, call := range calls {
		err := call()
		ae := asAPIError(t, err)
		if !errors.Is(err, ErrBadRequest) || ae.Status != 400 {
			t.Errorf("call %d: %v, want 400", i, err)
		}
	}
	if ae := asAPIError(t, calls[0]()); ae.Message != "applicationId: application 100001 was not found" {
		t.Errorf("message = %q", ae.Message)
	}
	if ae := asAPIError(t, calls[6]()); ae.Message != "applicationId: application 100002 was not found" {
		t.Errorf("message = %q", ae.Message)
	}
}

func TestAddApplicant(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	id := e.embedded(t, "cust-1", tenantsPay())
	if err := e.c.AddApplicant(ctx(t), "cust-1", id, "bart.simpson@example.com"); err != nil {
		t.Fatal(err)
	}
	d, _ := e.c.ApplicationDetails(ctx(t), "cust-1", id)
	if got := emails(d); !reflect.DeepEqual(got, []string{"lisa.simpson@example.com", "marge.simpson@example.com", "bart.simpson@example.com"}) {
		t.Fatalf("applicants = %v", got)
	}

	paid := e.embedded(t, "cust-1", validOrder())
	done := e.embedded(t, "cust-1", func() Order { o := tenantsPay(); o.Application.Applicants = o.Application.Applicants[:1]; return o }())
	if err := e.sim.CompleteApplicant(done, "lisa.simpson@example.com"); err != nil {
		t.Fatal(err)
	}
	cancelled := e.embedded(t, "cust-1", tenantsPay())
	if err := e.c.CancelApplication(ctx(t), "cust-1", cancelled); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		id    int
		email string
		msg   string
	}{
		{"landlord pays", paid, "bart@example.com", "Applicants cannot be added when the landlord pays."},
		{"completed", done, "bart@example.com", "Applicants cannot be added to an application that is completed."},
		{"cancelled", cancelled, "bart@example.com", "Applicants cannot be added to an application that is cancelled."},
		{"already there", id, "LISA.simpson@example.com", "The applicant is already on the application."},
	} {
		err := e.c.AddApplicant(ctx(t), "cust-1", tc.id, tc.email)
		ae := asAPIError(t, err)
		if ae.Status != 400 || ae.Message != tc.msg || !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %d %q, want 400 %q", tc.name, ae.Status, ae.Message, tc.msg)
		}
	}
}

func TestDeleteApplicant(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	id := e.embedded(t, "cust-1", tenantsPay())
	if err := e.sim.SetApplicantStatus(id, "lisa.simpson@example.com", smartmovetest.RequestAccepted); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ email, msg string }{
		{"lisa.simpson@example.com", "The applicant has already responded and cannot be removed."},
		{"nobody@example.com", "The applicant is not on the application."},
	} {
		ae := asAPIError(t, e.c.DeleteApplicant(ctx(t), "cust-1", id, tc.email))
		if ae.Status != 400 || ae.Message != tc.msg {
			t.Errorf("%s: %d %q, want 400 %q", tc.email, ae.Status, ae.Message, tc.msg)
		}
	}
	if err := e.c.DeleteApplicant(ctx(t), "cust-1", id, "marge.simpson@example.com"); err != nil {
		t.Fatal(err)
	}
	d, _ := e.c.ApplicationDetails(ctx(t), "cust-1", id)
	if got := emails(d); !reflect.DeepEqual(got, []string{"lisa.simpson@example.com"}) {
		t.Fatalf("applicants = %v", got)
	}

	solo := e.embedded(t, "cust-1", func() Order { o := tenantsPay(); o.Application.Applicants = o.Application.Applicants[1:]; return o }())
	ae := asAPIError(t, e.c.DeleteApplicant(ctx(t), "cust-1", solo, "marge.simpson@example.com"))
	if ae.Status != 400 || ae.Message != "The only applicant on an application cannot be removed." {
		t.Errorf("only applicant: %d %q", ae.Status, ae.Message)
	}
}

func TestApplicationsPaginationNewestFirst(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	for range 25 {
		e.embedded(t, "cust-1", tenantsPay())
	}
	other := e.embedded(t, "cust-2", tenantsPay())
	ids := func(limit, page int) []int {
		t.Helper()
		list, err := e.c.Applications(ctx(t), "cust-1", limit, page)
		if err != nil {
			t.Fatal(err)
		}
		out := []int{}
		for _, a := range list {
			out = append(out, a.ApplicationID-100000)
		}
		return out
	}
	for _, tc := range []struct {
		limit, page int
		want        []int
	}{
		{0, 0, []int{25, 24, 23, 22, 21, 20, 19, 18, 17, 16}}, // default limit 10
		{10, 1, []int{15, 14, 13, 12, 11, 10, 9, 8, 7, 6}},
		{10, 2, []int{5, 4, 3, 2, 1}},
		{10, 3, []int{}},
		{4, 0, []int{25, 24, 23, 22}},
		{7, 3, []int{4, 3, 2, 1}},
		{100, 0, []int{25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
	} {
		if got := ids(tc.limit, tc.page); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("limit %d page %d: %v, want %v", tc.limit, tc.page, got, tc.want)
		}
	}
	list, err := e.c.Applications(ctx(t), "cust-2", 0, 0)
	if err != nil || len(list) != 1 || list[0].ApplicationID != other {
		t.Fatalf("cust-2 sees %+v, %v", list, err)
	}
	s := list[0]
	if s.Status != "Active" || !s.IsCancellable || !s.CanAddApplicants || s.LandlordPays || s.UnitNumber != nil ||
		s.Property.Name != "742 Evergreen Terrace" || len(s.PaymentStatuses) != 2 ||
		s.PaymentStatuses[0].EmailAddress != "lisa.simpson@example.com" || s.PaymentStatuses[0].DidAccept != nil ||
		string(s.PaymentStatuses[0].OrderPaymentID) != "null" || string(s.RenterStatuses) != "null" {
		t.Fatalf("summary = %+v", s)
	}
	if list, err := e.c.Applications(ctx(t), "cust-3", 0, 0); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("cust-3: %v, %v; want an empty, non-nil list", list, err)
	}
}

func TestCancelApplication(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	id := e.embedded(t, "cust-1", tenantsPay())
	if err := e.c.CancelApplication(ctx(t), "cust-1", id); err != nil {
		t.Fatal(err)
	}
	d, _ := e.c.ApplicationDetails(ctx(t), "cust-1", id)
	// The spec has no status word for a cancelled application: it keeps its own.
	if d.Status != "Active" {
		t.Fatalf("status = %q", d.Status)
	}
	list, _ := e.c.Applications(ctx(t), "cust-1", 0, 0)
	if list[0].IsCancellable || list[0].CanAddApplicants {
		t.Fatalf("summary after cancel = %+v", list[0])
	}
	ae := asAPIError(t, e.c.CancelApplication(ctx(t), "cust-1", id))
	if ae.Status != 400 || ae.Message != "An application that is cancelled cannot be cancelled." {
		t.Fatalf("second cancel: %d %q", ae.Status, ae.Message)
	}
	if _, err := e.sim.Advance(id); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.c.ReportStatus(ctx(t), "cust-1", id); s != ReportPending {
		t.Fatalf("a cancelled application moved: %q", s)
	}
}

func TestReportLifecycle(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	id := e.embedded(t, "cust-1", validOrder())
	status := func() ReportStatus {
		t.Helper()
		s, err := e.c.ReportStatus(ctx(t), "cust-1", id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ae := asAPIError(t, func() error { _, err := e.c.ReportURL(ctx(t), "cust-1", id); return err }())
	if ae.Status != 400 || ae.Message != "Reports are not available for this application." {
		t.Fatalf("early reportUrl: %d %q", ae.Status, ae.Message)
	}
	if moved, _ := e.sim.Advance(id); !moved || status() != ReportInProgress {
		t.Fatalf("after one step: moved %v, status %q", moved, status())
	}
	if err := e.sim.CompleteApplicant(id, "lisa.simpson@example.com"); err != nil {
		t.Fatal(err)
	}
	// Marge has reached ReportsRequested after three steps: the verdict is pending.
	for range 3 {
		e.sim.Advance(id)
	}
	d, _ := e.c.ApplicationDetails(ctx(t), "cust-1", id)
	if d.CreditRecommendation != RecommendationPending || d.Applicants[1].ApplicantStatus != ApplicantReportsRequested {
		t.Fatalf("details = %+v", d)
	}
	e.sim.SetRecommendation(id, 2)
	if moved, _ := e.sim.Advance(id); !moved || status() != ReportReady {
		t.Fatalf("last step: moved %v, status %q", moved, status())
	}
	if moved, _ := e.sim.Advance(id); moved {
		t.Fatal("Advance moved a finished application")
	}
	d, _ = e.c.ApplicationDetails(ctx(t), "cust-1", id)
	if d.Status != "Ready" || d.CreditRecommendation != RecommendationLowAccept || d.CreditRecommendationPolicyText != "Low Accept" {
		t.Fatalf("details = %+v", d)
	}
	link, err := e.c.ReportURL(ctx(t), "cust-1", id)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, e.srv.URL+"/smartmove/api/application/report/") {
		t.Fatalf("link = %q", link)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Recommendation: Low Accept") || !strings.Contains(string(page), "lisa.simpson@example.com: ReportsAvailable") {
		t.Fatalf("report page: %s", page)
	}
}

func TestReportStatusEndings(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	declined := e.embedded(t, "cust-1", validOrder())
	e.sim.SetApplicantStatus(declined, "marge.simpson@example.com", smartmovetest.RequestDeclined)
	expired := e.embedded(t, "cust-1", validOrder())
	e.sim.Expire(expired)
	failed := e.embedded(t, "cust-1", validOrder())
	e.sim.FailReports(failed)
	support := e.embedded(t, "cust-1", validOrder())
	e.sim.SetApplicantStatus(support, "lisa.simpson@example.com", smartmovetest.SupportRequired)
	for id, want := range map[int]ReportStatus{declined: ReportRequestDeclined, expired: ReportExpired, failed: ReportError, support: ReportInProgress} {
		if got, err := e.c.ReportStatus(ctx(t), "cust-1", id); err != nil || got != want {
			t.Errorf("application %d: %q %v, want %q", id, got, err, want)
		}
	}
}

func emails(d *ApplicationDetails) []string {
	var out []string
	for _, a := range d.Applicants {
		out = append(out, a.EmailAddress)
	}
	return out
}

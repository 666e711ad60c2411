package smartmove

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

func TestCreditRecommendation(t *testing.T) {
	want := []string{"Unavailable", "Accept", "Low Accept", "Conditional", "Decline", "Refer", "Pending"}
	for i, w := range want {
		r := CreditRecommendation(i)
		if r.String() != w || !r.Valid() {
			t.Errorf("%d: %q valid=%v, want %q", i, r.String(), r.Valid(), w)
		}
	}
	for _, r := range []CreditRecommendation{-1, 7} {
		if r.Valid() {
			t.Errorf("%d is valid", r)
		}
	}
	if s := CreditRecommendation(7).String(); s != "CreditRecommendation(7)" {
		t.Errorf("7 prints %q", s)
	}
	var d ApplicationDetails
	if err := json.Unmarshal([]byte(`{"CreditRecommendation": 4}`), &d); err != nil || d.CreditRecommendation != RecommendationDecline {
		t.Errorf("decoded %v, %v", d.CreditRecommendation, err)
	}
}

func TestEnums(t *testing.T) {
	valid := []interface{ Valid() bool }{
		ProductPackageCorePlusEviction, ClassificationConventional, ClassificationSubsidized,
		CardVisa, CardAmex, CardDiscover, CardMastercard,
		ReportPending, ReportReady, ReportInProgress, ReportRequestDeclined, ReportError, ReportExpired,
		ApplicantNoActivity, ApplicantRequestAccepted, ApplicantRequestDeclined, ApplicantIDMACompleted,
		ApplicantReportsRequested, ApplicantReportsAvailable, ApplicantSupportRequired,
	}
	for _, v := range valid {
		if !v.Valid() {
			t.Errorf("%v is not valid", v)
		}
	}
	invalid := []interface{ Valid() bool }{Product("Core"), Classification("conventional"), CreditCardType("Visa"), ReportStatus("ready"), ApplicantStatus("")}
	for _, v := range invalid {
		if v.Valid() {
			t.Errorf("%v is valid", v)
		}
	}
	final := map[ReportStatus]bool{ReportPending: false, ReportInProgress: false, ReportReady: true, ReportRequestDeclined: true, ReportError: true, ReportExpired: true}
	for s, want := range final {
		if s.Final() != want {
			t.Errorf("%s.Final() = %v", s, !want)
		}
	}
	if ApplicantNoActivity.Responded() || !ApplicantRequestDeclined.Responded() || !ApplicantRequestAccepted.Responded() {
		t.Error("Responded is wrong")
	}
}

func TestTimestamp(t *testing.T) {
	for in, want := range map[string]time.Time{
		`"2017-11-10T14:44:56.79"`:       time.Date(2017, 11, 10, 14, 44, 56, 790_000_000, time.UTC),
		`"2017-11-10T14:44:56"`:          time.Date(2017, 11, 10, 14, 44, 56, 0, time.UTC),
		`"2017-11-10T14:44:56.807Z"`:     time.Date(2017, 11, 10, 14, 44, 56, 807_000_000, time.UTC),
		`"2017-11-10T09:44:56.79-05:00"`: time.Date(2017, 11, 10, 14, 44, 56, 790_000_000, time.UTC),
		`null`:                           {},
		`""`:                             {},
	} {
		var ts Timestamp
		if err := json.Unmarshal([]byte(in), &ts); err != nil || !ts.Equal(want) {
			t.Errorf("%s: %v %v, want %v", in, ts.Time, err, want)
		}
	}
	for _, in := range []string{`"10/11/2017"`, `12`, `"2017-13-10T00:00:00"`} {
		var ts Timestamp
		if err := json.Unmarshal([]byte(in), &ts); err == nil {
			t.Errorf("%s accepted as %v", in, ts.Time)
		}
	}
	b, _ := json.Marshal(Timestamp{time.Date(2017, 11, 10, 9, 44, 56, 790_000_000, time.FixedZone("EST", -5*3600))})
	if string(b) != `"2017-11-10T14:44:56.79"` {
		t.Errorf("marshal = %s", b)
	}
	b, _ = json.Marshal(Timestamp{})
	if string(b) != `null` {
		t.Errorf("zero marshals to %s", b)
	}
}

// TestWireNames pins the JSON the client sends against the spec's examples.
func TestWireNames(t *testing.T) {
	o := validOrder()
	o.Application.DeclineForOpenBankruptcies, o.Application.OpenBankruptcyWindow = true, 24
	o.RequestParameters = &RequestParameters{PostbackURI: "http://yoursite.com", PostbackUsername: "u", PostbackPassword: "p", ReferenceID: "555", ReferenceText: "t", SendCustomerReceipt: true}
	b, _ := json.Marshal(orderRequest{Customer: Customer{ReferenceID: "123"}, Order: o})
	for _, want := range []string{
		`"Customer":{"referenceId":"123"}`, `"Product":"PackageCorePlusEviction"`,
		`"Application":{"Applicants":["lisa.simpson@example.com","marge.simpson@example.com"],"LandlordPays":true,"declineForOpenBankruptcies":true,"openBankruptcyWindow":24}`,
		`"LandlordStreetAddressLineOne":"123 Fake Street"`, `"Classification":"Conventional"`, `"IsFcraAgreementAccepted":true`,
		`"CreditCard":{"firstName":"Homer","lastName":"Simpson","cardType":"mastercard","cardNumber":"5419543578415880","cardSecurity":"554","expireMonth":"09","expireYear":"2030"}`,
		`"RequestParameters":{"postbackUri":"http://yoursite.com","postback_username":"u","postback_password":"p","referenceId":"555","referenceText":"t","sendCustomerReceipt":true}`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("order JSON lacks %s:\n%s", want, b)
		}
	}
	for v, want := range map[any]string{
		applicantRequest{ApplicationID: 12345, ReferenceID: "1", Email: "a@b.c"}: `{"applicationId":12345,"referenceId":"1","email":"a@b.c"}`,
		applicationRequest{ApplicationID: 12345, ReferenceID: "1"}:               `{"applicationId":12345,"referenceId":"1"}`,
		listRequest{ReferenceID: "1", Limit: 10, Page: 1}:                        `{"referenceId":"1","limit":10,"page":1}`,
		listRequest{ReferenceID: "1"}:                                            `{"referenceId":"1"}`,
	} {
		if b, _ := json.Marshal(v); string(b) != want {
			t.Errorf("%T = %s, want %s", v, b, want)
		}
	}
}

// TestConcurrentUse runs every endpoint and control at once; -race checks
// both packages.
func TestConcurrentUse(t *testing.T) {
	rc := newReceiver(t)
	e := newEnv(t, smartmovetest.Options{AutoAdvance: time.Millisecond})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			ref := "cust-" + string(rune('a'+w%3))
			for range 5 {
				o := tenantsPay()
				o.RequestParameters = &RequestParameters{PostbackURI: rc.srv.URL}
				id, err := e.c.CreateEmbeddedApplication(t.Context(), ref, o)
				if err != nil {
					t.Error(err)
					return
				}
				e.c.AddApplicant(t.Context(), ref, id, "bart@example.com")
				e.c.DeleteApplicant(t.Context(), ref, id, "marge.simpson@example.com")
				e.c.ApplicationDetails(t.Context(), ref, id)
				e.c.Applications(t.Context(), ref, 3, 0)
				e.c.ReportStatus(t.Context(), ref, id)
				e.c.ReportURL(t.Context(), ref, id)
				e.sim.Advance(id)
				if w%2 == 0 {
					e.c.CancelApplication(t.Context(), ref, id)
				}
				e.sim.Deliveries()
				e.sim.Calls()
			}
		})
	}
	wg.Wait()
	total := 0
	for _, ref := range []string{"cust-a", "cust-b", "cust-c"} {
		list, err := e.c.Applications(t.Context(), ref, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		total += len(list)
	}
	if total != 40 {
		t.Fatalf("%d applications, want 40", total)
	}
}

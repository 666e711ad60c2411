package smartmovetest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These tests speak raw JSON: they cover what a typed client cannot send.

func newSim(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	s := New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	t.Cleanup(s.Close)
	return s, srv.URL
}

type answer struct {
	status  int
	message string
	body    string
}

func post(t *testing.T, base, endpoint, key, body string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/smartmove/"+endpoint, strings.NewReader(body))
	if key != "" {
		req.Header.Set("x-apiKey", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m struct{ Message string }
	json.Unmarshal(b, &m)
	return answer{resp.StatusCode, m.Message, string(b)}
}

const embeddedOK = `{
  "Product": "PackageCorePlusEviction",
  "Application": {"Applicants": ["lisa@example.com"], "declineForOpenBankruptcies": false, "openBankruptcyWindow": 0, "LandlordPays": false},
  "Customer": {"referenceId": "123"},
  "Property": {"LandlordCity": "Springfield", "LandlordFirstName": "Homer", "LandlordLastName": "Simpson",
    "LandlordPhoneNumber": "5555555555", "LandlordState": "NY", "LandlordStreetAddressLineOne": "123 Fake Street",
    "LandlordZip": "12345", "LandlordEmail": "homer@example.com", "Street": "123 Property Street", "City": "Springfield",
    "State": "NY", "Zip": "12345", "UnitNumber": "4", "PropertyName": "742 Evergreen Terrace",
    "Classification": "Conventional", "IsFcraAgreementAccepted": true}
}`

// without removes one `"key": value` pair from embeddedOK.
func without(pair string) string {
	out := strings.Replace(embeddedOK, pair, `"_removed": 0`, 1)
	if out == embeddedOK {
		panic("pair not found: " + pair)
	}
	return out
}

func TestEmbeddedRulesOnlyRawJSONCanBreak(t *testing.T) {
	_, base := newSim(t, Options{})
	for _, tc := range []struct {
		name, body, msg string
	}{
		{"customer missing", without(`"Customer": {"referenceId": "123"}`), "Customer: is required"},
		{"reference null", strings.Replace(embeddedOK, `"referenceId": "123"`, `"referenceId": null`, 1), "Customer.referenceId: is required"},
		{"decline missing", without(`"declineForOpenBankruptcies": false`), "Application.declineForOpenBankruptcies: is required"},
		{"landlord pays missing", without(`"LandlordPays": false`), "Application.LandlordPays: is required"},
		{"fcra missing", without(`"IsFcraAgreementAccepted": true`), "Property.IsFcraAgreementAccepted: must be true"},
		{"window missing when declining", strings.Replace(without(`"openBankruptcyWindow": 0`), `"declineForOpenBankruptcies": false`, `"declineForOpenBankruptcies": true`, 1),
			"Application.openBankruptcyWindow: must be between 6 and 120"},
		{"card required when landlord pays", strings.Replace(embeddedOK, `"LandlordPays": false`, `"LandlordPays": true`, 1), "CreditCard: is required when LandlordPays is true"},
		{"applicants empty", strings.Replace(embeddedOK, `["lisa@example.com"]`, `[]`, 1), "Application.Applicants: is required"},
		{"wrong type", strings.Replace(embeddedOK, `"LandlordPays": false`, `"LandlordPays": "no"`, 1), "Application.LandlordPays: has the wrong type"},
		{"not JSON", `{"Product":`, "request body is not valid JSON"},
		{"empty body", ``, "request body is empty"},
		{"null body", `null`, "Customer: is required"},
		{"state not a USPS code", strings.Replace(embeddedOK, `"LandlordState": "NY"`, `"LandlordState": "ny"`, 1), "Property.LandlordState: must be a 2-letter USPS state abbreviation"},
		{"state two letters but no USPS code", strings.Replace(embeddedOK, `"State": "NY", "Zip"`, `"State": "ZZ", "Zip"`, 1), "Property.State: must be a 2-letter USPS state abbreviation"},
		{"property state one letter", strings.Replace(embeddedOK, `"State": "NY", "Zip"`, `"State": "N", "Zip"`, 1), "Property.State: must be a 2-letter USPS state abbreviation"},
		{"applicant not an email", strings.Replace(embeddedOK, `["lisa@example.com"]`, `["Lisa <lisa@example.com>"]`, 1), "Application.Applicants[0]: must be an email address"},
		{"reference is an object", strings.Replace(embeddedOK, `"referenceId": "123"`, `"referenceId": {}`, 1), "Customer.referenceId: has the wrong type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := post(t, base, "application/create/embedded", DefaultAPIKey, tc.body)
			if a.status != 400 || a.message != tc.msg {
				t.Fatalf("%d %q, want 400 %q", a.status, a.message, tc.msg)
			}
		})
	}
	if a := post(t, base, "application/create/embedded", DefaultAPIKey, embeddedOK); a.status != 200 || a.body != "100001" {
		t.Fatalf("valid order: %d %s", a.status, a.body)
	}
}

// TestReferenceIDIsAString: the spec's tables type referenceId as a string;
// the simulator refuses a number (its examples' form), the stricter reading.
func TestReferenceIDIsAString(t *testing.T) {
	s, base := newSim(t, Options{})
	body := strings.Replace(embeddedOK, `"referenceId": "123"`, `"referenceId": 123`, 1)
	if a := post(t, base, "application/create/embedded", DefaultAPIKey, body); a.status != 400 || a.message != "Customer.referenceId: has the wrong type" {
		t.Fatalf("create with a number: %d %q", a.status, a.message)
	}
	if a := post(t, base, "application/create/embedded", DefaultAPIKey, embeddedOK); a.status != 200 {
		t.Fatalf("create: %d %q", a.status, a.message)
	}
	if a := post(t, base, "application/report/status", DefaultAPIKey, `{"applicationId": 100001, "referenceId": 123}`); a.status != 400 || a.message != "referenceId: has the wrong type" {
		t.Fatalf("status with a number: %d %q", a.status, a.message)
	}
	a := post(t, base, "application/report/status", DefaultAPIKey, `{"applicationId": 100001, "referenceId": "123"}`)
	if a.status != 200 || a.body != `"Pending"` {
		t.Fatalf("status: %d %s", a.status, a.body)
	}
	a = post(t, base, "application/all", DefaultAPIKey, `{"referenceId": "123", "limit": 10, "page": 0}`)
	if a.status != 200 || !strings.HasPrefix(a.body, `[{"ApplicationId":100001,"Applicants":["lisa@example.com"],"UnitNumber":null,"LandlordPays":false,`) {
		t.Fatalf("all: %d %s", a.status, a.body)
	}
	if calls := s.Calls(); len(calls) != 5 || calls[4] != (Call{Endpoint: "application/all", Status: 200}) {
		t.Fatalf("calls = %v", calls)
	}
}

// TestFieldNamesAreCaseSensitive: the spec spells every name; another
// letter case is refused, at any depth, though encoding/json would match it.
func TestFieldNamesAreCaseSensitive(t *testing.T) {
	_, base := newSim(t, Options{})
	for _, tc := range []struct{ name, endpoint, body, msg string }{
		{"top level", "application/create/embedded", strings.Replace(embeddedOK, `"Product"`, `"product"`, 1),
			"product: is not a field; field names are case-sensitive (Product)"},
		{"nested", "application/create/embedded", strings.Replace(embeddedOK, `"LandlordZip"`, `"landlordZip"`, 1),
			"Property.landlordZip: is not a field; field names are case-sensitive (Property.LandlordZip)"},
		{"camel case", "application/create/embedded", strings.Replace(embeddedOK, `"declineForOpenBankruptcies"`, `"DeclineForOpenBankruptcies"`, 1),
			"Application.DeclineForOpenBankruptcies: is not a field; field names are case-sensitive (Application.declineForOpenBankruptcies)"},
		{"create", "application/create", `{"customer": {"referenceId": "123"}}`,
			"customer: is not a field; field names are case-sensitive (Customer)"},
		{"details", "application/details", `{"ApplicationId": 100001, "referenceId": "123"}`,
			"ApplicationId: is not a field; field names are case-sensitive (applicationId)"},
		{"all", "application/all", `{"referenceID": "123"}`,
			"referenceID: is not a field; field names are case-sensitive (referenceId)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if a := post(t, base, tc.endpoint, DefaultAPIKey, tc.body); a.status != 400 || a.message != tc.msg {
				t.Fatalf("%d %q, want 400 %q", a.status, a.message, tc.msg)
			}
		})
	}
	// Names the spec does not list are ignored (the spec is silent on them).
	if a := post(t, base, "application/create/embedded", DefaultAPIKey, strings.Replace(embeddedOK, `"Product"`, `"Extra": 1, "Product"`, 1)); a.status != 200 {
		t.Fatalf("unknown name: %d %q", a.status, a.message)
	}
}

// TestUnknownApplicationIs400: every call about one application answers an
// unknown id (or another customer's) with 400 and a description, as the spec
// says of each; never 404.
func TestUnknownApplicationIs400(t *testing.T) {
	_, base := newSim(t, Options{})
	if a := post(t, base, "application/create/embedded", DefaultAPIKey, embeddedOK); a.status != 200 {
		t.Fatalf("create: %d %q", a.status, a.message)
	}
	for _, endpoint := range []string{"application/details", "application/cancel", "application/reportUrl", "application/report/status", "applicant/add", "applicant/delete"} {
		for _, body := range []string{
			`{"applicationId": 999999, "referenceId": "123", "email": "bart@example.com"}`,
			`{"applicationId": 100001, "referenceId": "other", "email": "bart@example.com"}`,
		} {
			a := post(t, base, endpoint, DefaultAPIKey, body)
			if a.status != 400 || !strings.HasPrefix(a.message, "applicationId: application ") || !strings.HasSuffix(a.message, " was not found") {
				t.Errorf("%s %s: %d %q", endpoint, body, a.status, a.message)
			}
		}
	}
}

// TestStatusWordsAreTheSpecs: details and all say "Active" while nothing has
// happened and a Report Status word after; nothing the spec lacks.
func TestStatusWordsAreTheSpecs(t *testing.T) {
	s, base := newSim(t, Options{})
	spec := map[string]bool{"Active": true, "Pending": true, "Ready": true, "InProgress": true, "RequestDeclined": true, "Error": true, "Expired": true}
	status := func(id int) string {
		t.Helper()
		a := post(t, base, "application/details", DefaultAPIKey, `{"applicationId": `+itoa(id)+`, "referenceId": "123"}`)
		var d struct{ Status string }
		json.Unmarshal([]byte(a.body), &d)
		l := post(t, base, "application/all", DefaultAPIKey, `{"referenceId": "123", "limit": 100}`)
		var all []struct {
			ApplicationID int `json:"ApplicationId"`
			Status        string
		}
		json.Unmarshal([]byte(l.body), &all)
		for _, x := range all {
			if x.ApplicationID == id && x.Status != d.Status {
				t.Fatalf("all says %q, details %q", x.Status, d.Status)
			}
		}
		if !spec[d.Status] {
			t.Fatalf("application %d: status %q is not the spec's", id, d.Status)
		}
		return d.Status
	}
	create := func() int {
		t.Helper()
		a := post(t, base, "application/create/embedded", DefaultAPIKey, embeddedOK)
		id, err := strconv.Atoi(a.body)
		if a.status != 200 || err != nil {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		return id
	}
	steps := []struct {
		do   func(id int)
		want string
	}{
		{func(int) {}, "Active"},
		{func(id int) { s.Advance(id) }, "InProgress"},
		{func(id int) { s.CompleteApplicant(id, "lisa@example.com") }, "Ready"},
	}
	id := create()
	for _, st := range steps {
		st.do(id)
		if got := status(id); got != st.want {
			t.Fatalf("status %q, want %q", got, st.want)
		}
	}
	for want, end := range map[string]func(id int){
		"RequestDeclined": func(id int) { s.SetApplicantStatus(id, "lisa@example.com", RequestDeclined) },
		"Expired":         func(id int) { s.Expire(id) },
		"Error":           func(id int) { s.FailReports(id) },
		"Active": func(id int) {
			post(t, base, "application/cancel", DefaultAPIKey, `{"applicationId": `+itoa(id)+`, "referenceId": "123"}`)
		},
	} {
		id := create()
		end(id)
		if got := status(id); got != want {
			t.Errorf("status %q, want %q", got, want)
		}
	}
}

func TestAPIKey(t *testing.T) {
	_, base := newSim(t, Options{APIKeys: []string{"key-1", "key-2"}})
	for key, want := range map[string]int{"": 401, "key-3": 401, "KEY-1": 401, "key-1": 200, "key-2": 200} {
		a := post(t, base, "application/all", key, `{"referenceId": "1"}`)
		if a.status != want {
			t.Errorf("key %q: %d, want %d", key, a.status, want)
		}
		if want == 401 && a.message != "Authorization has been denied for this request." {
			t.Errorf("key %q: message %q", key, a.message)
		}
	}
}

func TestRoutingErrors(t *testing.T) {
	_, base := newSim(t, Options{})
	resp, err := http.Get(base + "/api/smartmove/application/all")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET: %d allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if a := post(t, base, "application/nothing", DefaultAPIKey, `{}`); a.status != 404 || a.message != "No HTTP resource was found that matches the request URI." {
		t.Fatalf("unknown path: %d %q", a.status, a.message)
	}
	big := `{"referenceId": "` + strings.Repeat("x", maxRequestBody) + `"}`
	if a := post(t, base, "application/all", DefaultAPIKey, big); a.status != 400 || a.message != "request body too large or unreadable" {
		t.Fatalf("huge body: %d %q", a.status, a.message)
	}
}

func TestFaultsInOrder(t *testing.T) {
	s, base := newSim(t, Options{})
	s.FailNext(1, 500)
	s.RateLimitNext(1, 30*time.Second)
	s.MalformedNext(1)
	s.FailNext(1, 503)
	list := `{"referenceId": "1"}`
	a := post(t, base, "application/all", "", list) // faults come before the key check
	if a.status != 500 || a.message != "An error has occurred." {
		t.Fatalf("1: %d %q", a.status, a.message)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/smartmove/application/all", strings.NewReader(list))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "30" {
		t.Fatalf("2: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if a := post(t, base, "application/all", DefaultAPIKey, list); a.status != 200 || a.body != `{"ApplicationId": 12` {
		t.Fatalf("3: %d %s", a.status, a.body)
	}
	s.ClearFaults()
	if a := post(t, base, "application/all", DefaultAPIKey, list); a.status != 200 || a.body != `[]` {
		t.Fatalf("after ClearFaults: %d %s", a.status, a.body)
	}
}

func TestCloseReleasesHang(t *testing.T) {
	s := New(Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	s.HangNext(1)
	done := make(chan int)
	go func() {
		resp, err := http.Post(srv.URL+"/api/smartmove/application/all", "application/json", strings.NewReader(`{}`))
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("the hanging call answered before Close")
	default:
	}
	s.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not release the hanging call")
	}
	if calls := s.Calls(); len(calls) != 1 || calls[0].Status != http.StatusGatewayTimeout {
		t.Fatalf("calls = %v", calls)
	}
}

func TestControls(t *testing.T) {
	s, base := newSim(t, Options{})
	body := strings.Replace(embeddedOK, `["lisa@example.com"]`, `["lisa@example.com", "marge@example.com"]`, 1)
	post(t, base, "application/create/embedded", DefaultAPIKey, body)
	const id = 100001
	for name, err := range map[string]error{
		"advance":        func() error { _, err := s.Advance(999); return err }(),
		"complete":       s.CompleteApplicant(999, "lisa@example.com"),
		"status":         s.SetApplicantStatus(999, "lisa@example.com", RequestAccepted),
		"expire":         s.Expire(999),
		"fail":           s.FailReports(999),
		"recommendation": s.SetRecommendation(999, 1),
	} {
		if !errors.Is(err, ErrNoApplication) {
			t.Errorf("%s on an unknown application: %v", name, err)
		}
	}
	if err := s.SetApplicantStatus(id, "lisa@example.com", "Happy"); err == nil || err.Error() != `smartmovetest: unknown applicant status "Happy"` {
		t.Errorf("unknown status: %v", err)
	}
	if err := s.SetApplicantStatus(id, "bart@example.com", RequestAccepted); err == nil || err.Error() != `smartmovetest: no applicant "bart@example.com" on application 100001` {
		t.Errorf("unknown applicant: %v", err)
	}
	if err := s.SetRecommendation(id, 7); err == nil {
		t.Error("recommendation 7 accepted")
	}
	if _, err := s.FinishCreate("https://x/smartmove/api/create/nope"); err == nil {
		t.Error("unknown link finished")
	}
	// A declined applicant cannot complete, and Advance skips her.
	s.SetApplicantStatus(id, "lisa@example.com", RequestDeclined)
	if err := s.CompleteApplicant(id, "lisa@example.com"); err == nil || err.Error() != "smartmovetest: applicant is RequestDeclined and cannot complete" {
		t.Errorf("complete a declined applicant: %v", err)
	}
	if moved, _ := s.Advance(id); !moved {
		t.Error("Advance did not move marge")
	}
	a := post(t, base, "application/details", DefaultAPIKey, `{"applicationId": 100001, "referenceId": "123"}`)
	for _, want := range []string{`"Status":"RequestDeclined"`, `"EmailAddress":"lisa@example.com"`, `"ApplicantStatus":"RequestDeclined"`, `"ApplicantStatus":"RequestAccepted"`, `"CreditRecommendation":0`} {
		if !strings.Contains(a.body, want) {
			t.Errorf("details lack %s: %s", want, a.body)
		}
	}
	s.Expire(id)
	if err := s.CompleteApplicant(id, "marge@example.com"); err == nil || err.Error() != "smartmovetest: application 100001 is expired" {
		t.Errorf("complete on an expired application: %v", err)
	}
	if a := post(t, base, "application/cancel", DefaultAPIKey, `{"applicationId": 100001, "referenceId": "123"}`); a.status != 400 || a.message != "An application that is expired cannot be cancelled." {
		t.Errorf("cancel expired: %d %q", a.status, a.message)
	}
}

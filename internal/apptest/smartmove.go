package apptest

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/screening"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// SmartMove, simulated (smartmovetest) over real HTTP: screening orders,
// their applicants and the postbacks that move them.

// SmartMoveSim is a test's SmartMove simulator and the app's screening
// service under WithSmartMove.
type SmartMoveSim struct {
	Sim *smartmovetest.Server
	// SimURL is where the app reaches the simulator (completion and
	// report links start with it).
	SimURL string
	// Svc and DB are the app's and the test's database.
	Svc *screening.Service
	DB  *sql.DB
}

type smartMoveKey struct{}

// WithSmartMove points the app's screening at a fresh simulator (one per
// database run) with a short partner timeout; on PostgreSQL, notices go
// through LISTEN/NOTIFY as in production.
func WithSmartMove(opts smartmovetest.Options) Setup {
	return func(t *testing.T, s *Settings) {
		sim := smartmovetest.New(opts)
		srv := httptest.NewServer(sim)
		// Cleanups run last first: the simulator releases hanging requests
		// before its server waits for them.
		t.Cleanup(srv.Close)
		t.Cleanup(sim.Close)
		UseSmartMove(s, sim, srv.URL)
	}
}

// UseSmartMove configures the app's screening for the simulator sim,
// served at simURL (by WithSmartMove, or by a test's own server in front
// of it), and makes it the test's SmartMove.
func UseSmartMove(s *Settings, sim *smartmovetest.Server, simURL string) {
	s.Config.Screening.APIKey, s.Config.Screening.BaseURL = smartmovetest.DefaultAPIKey, simURL
	s.Options.SmartMoveTimeout, s.Options.ScreeningInFlightWait = 700*time.Millisecond, 15*time.Second
	sm := &SmartMoveSim{Sim: sim, SimURL: simURL}
	s.Ready = append(s.Ready, func(e *Env) { sm.Svc, sm.DB = e.App.Services.Screening, e.SQL })
	s.attach(smartMoveKey{}, sm)
}

// SmartMove is the test's simulator under WithSmartMove; the postback
// URLs point at the test's server.
func SmartMove(t *testing.T, e *Env) *SmartMoveSim {
	t.Helper()
	return handle[*SmartMoveSim](t, e, smartMoveKey{}, "WithSmartMove")
}

// Flush waits for the simulator's postbacks to be delivered, so that what
// they change is in before the test looks.
func (d *SmartMoveSim) Flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.Sim.FlushPostbacks(ctx); err != nil {
		t.Fatal(err)
	}
}

// Calls counts the simulator's answered calls to an endpoint: what the
// app asked of SmartMove (once, never, again).
func (d *SmartMoveSim) Calls(endpoint string) int {
	n := 0
	for _, c := range d.Sim.Calls() {
		if c.Endpoint == endpoint {
			n++
		}
	}
	return n
}

// ScreeningClient makes a client set up for SmartMove (its reference
// "ref-"+name), with a write token.
func (e *Env) ScreeningClient(name string) (int, string) {
	e.T.Helper()
	id, token := e.NewClient(name)
	if err := e.Client.Company.UpdateOneID(id).SetSmartmoveReference("ref-" + name).Exec(e.Sys()); err != nil {
		e.T.Fatal(err)
	}
	return id, token
}

// ScreeningAppFields are a ScreeningApplication's fields as ScreeningApp
// reads them.
const ScreeningAppFields = `id kind orderStatus status smartmoveApplicationID customerReference landlordPays propertyName unitNumber
	creditRecommendation smartmoveStatus lastNotification
	applicants(orderBy: {field: EMAIL}) { totalCount edges { node { email status firstName } } }`

// ScreeningApp is a ScreeningApplication as the API shows it.
type ScreeningApp struct {
	ID                     string
	Kind                   string
	OrderStatus            string
	Status                 string
	SmartmoveApplicationID *int
	CustomerReference      string
	LandlordPays           *bool
	PropertyName           string
	UnitNumber             string
	CreditRecommendation   string
	SmartmoveStatus        string
	LastNotification       string
	ReportURL              *string
	ReportStatus           *string
	Applicants             struct {
		TotalCount int
		Edges      []struct {
			Node struct{ Email, Status, FirstName string }
		}
	}
}

// ApplicantStatuses is "email=STATUS,..." in email order, one string to
// compare.
func (a ScreeningApp) ApplicantStatuses() string {
	var out []string
	for _, e := range a.Applicants.Edges {
		out = append(out, e.Node.Email+"="+e.Node.Status)
	}
	return strings.Join(out, ",")
}

// CreateLinkMutation orders a LINK screening ($input, LinkInput) under the
// idempotency key $key.
const CreateLinkMutation = `mutation($key: String!, $input: CreateScreeningApplicationInput!) {
	createScreeningApplication(idempotencyKey: $key, input: $input) { completionLink application { ` + ScreeningAppFields + ` } } }`

// CreateEmbeddedMutation orders an EMBEDDED screening ($input,
// EmbeddedInput) under the idempotency key $key.
const CreateEmbeddedMutation = `mutation($key: String!, $input: CreateEmbeddedScreeningApplicationInput!) {
	createEmbeddedScreeningApplication(idempotencyKey: $key, input: $input) { ` + ScreeningAppFields + ` } }`

// LinkInput is CreateLinkMutation's input for the applicants, at a fixed
// property.
func LinkInput(applicants ...string) map[string]any {
	return map[string]any{
		"applicants": applicants,
		"property":   map[string]any{"propertyName": "742 Evergreen Terrace", "unitNumber": "4", "street": "123 Property Street", "city": "Springfield", "state": "NY", "zip": "12345"},
	}
}

// TestCardNumber and TestCardCVV are the card EmbeddedInput pays with when
// the landlord pays: they must reach SmartMove and nothing else.
const (
	TestCardNumber = "5419543578415880"
	TestCardCVV    = "554"
)

// EmbeddedInput is CreateEmbeddedMutation's input for the applicants, at a
// fixed property and landlord; when the landlord pays, with the test card.
func EmbeddedInput(landlordPays bool, applicants ...string) map[string]any {
	in := map[string]any{
		"applicants":   applicants,
		"landlordPays": landlordPays,
		"property": map[string]any{
			"landlordFirstName": "Homer", "landlordLastName": "Simpson", "landlordStreetAddressLineOne": "123 Fake Street",
			"landlordCity": "Springfield", "landlordState": "NY", "landlordZip": "12345", "landlordPhoneNumber": "5555555555",
			"landlordEmail": "homer@example.com", "street": "123 Property Street", "city": "Springfield", "state": "NY",
			"zip": "12345", "unitNumber": "4", "propertyName": "742 Evergreen Terrace", "classification": "CONVENTIONAL",
			"isFcraAgreementAccepted": true,
		},
	}
	if landlordPays {
		in["card"] = map[string]any{"firstName": "Homer", "lastName": "Simpson", "cardType": "MASTERCARD",
			"cardNumber": TestCardNumber, "cardSecurity": TestCardCVV, "expireMonth": "09", "expireYear": "2030"}
	}
	return in
}

// CreatedLink is CreateLinkMutation's answer.
type CreatedLink struct {
	CreateScreeningApplication struct {
		CompletionLink string
		Application    ScreeningApp
	}
}

// CreateLink orders a LINK screening, which must succeed, and returns its
// completion link and application.
func (e *Env) CreateLink(token, key string, applicants ...string) (string, ScreeningApp) {
	e.T.Helper()
	var out CreatedLink
	e.MustGQL(token, CreateLinkMutation, map[string]any{"key": key, "input": LinkInput(applicants...)}, &out)
	return out.CreateScreeningApplication.CompletionLink, out.CreateScreeningApplication.Application
}

// CreateEmbedded orders an EMBEDDED screening, which must succeed: the
// quickest way to an application SmartMove knows (it has an id at once).
func (e *Env) CreateEmbedded(token, key string, landlordPays bool, applicants ...string) ScreeningApp {
	e.T.Helper()
	var out struct{ CreateEmbeddedScreeningApplication ScreeningApp }
	e.MustGQL(token, CreateEmbeddedMutation, map[string]any{"key": key, "input": EmbeddedInput(landlordPays, applicants...)}, &out)
	return out.CreateEmbeddedScreeningApplication
}

// ScreeningApp reads an application through node(id:), with the extra
// fields (the partner-backed reportUrl, reportStatus) when asked.
func (e *Env) ScreeningApp(token string, id string, extra string) ScreeningApp {
	e.T.Helper()
	var out struct{ Node ScreeningApp }
	e.MustGQL(token, `query($id: ID!) { node(id: $id) { ... on ScreeningApplication { `+ScreeningAppFields+` `+extra+` } } }`, map[string]any{"id": id}, &out)
	return out.Node
}

// AssertNoColumnHolds fails when any column of the screening tables holds
// one of the secrets: a card must reach SmartMove and never the database.
func (e *Env) AssertNoColumnHolds(t *testing.T, secrets ...string) {
	t.Helper()
	for _, table := range []string{"screening_applications", "applicants", "inbound_events", "screening_requests"} {
		if hits, _ := ColumnsHolding(t, e.RawDB().DB(), table, secrets...); len(hits) > 0 {
			t.Fatalf("%v hold a secret", hits)
		}
	}
}

// Postback sends a postback to url (the postback route, under the
// application's key) with the Authorization header (none if empty) and
// returns the status and body: a test posts what SmartMove would, or a
// forgery.
func Postback(t *testing.T, url, auth string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b))
}

// InboundEvents counts the postbacks stored: each is stored once, however
// often it arrives.
func (e *Env) InboundEvents() int {
	e.T.Helper()
	n, err := e.Client.InboundEvent.Query().Count(e.Sys())
	if err != nil {
		e.T.Fatal(err)
	}
	return n
}

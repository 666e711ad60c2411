package smartmove

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

const testKey = "5b7c1e7a-test-4000-8000-c0ffeec0ffee"

// t0 is the simulator's clock start; each read advances it a minute so that
// "newest first" is decided by time, not only by id.
var t0 = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

type stepClock struct {
	mu sync.Mutex
	n  int
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := t0.Add(time.Duration(c.n) * time.Minute)
	c.n++
	return t
}

type env struct {
	c   *Client
	sim *smartmovetest.Server
	srv *httptest.Server
}

// newEnv runs the simulator behind a real HTTP server and a client for it.
func newEnv(t *testing.T, opts smartmovetest.Options) *env {
	t.Helper()
	if opts.APIKeys == nil {
		opts.APIKeys = []string{testKey}
	}
	if opts.Now == nil {
		opts.Now = (&stepClock{}).Now
	}
	sim := smartmovetest.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close) // runs first: releases hanging requests
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &env{c: c, sim: sim, srv: srv}
}

func ctx(t *testing.T) context.Context { return t.Context() }

// validOrder passes every embedded rule: landlord pays, with a card.
func validOrder() Order {
	return Order{
		Product: ProductPackageCorePlusEviction,
		Application: &Application{
			Applicants:   []string{"lisa.simpson@example.com", "marge.simpson@example.com"},
			LandlordPays: Bool(true),
		},
		Property: &Property{
			LandlordFirstName: "Homer", LandlordLastName: "Simpson",
			LandlordStreetAddressLineOne: "123 Fake Street", LandlordCity: "Springfield",
			LandlordState: "NY", LandlordZip: "12345", LandlordPhoneNumber: "5555555555",
			LandlordEmail: "homer@example.com", UnitNumber: "4", Street: "123 Property Street",
			PropertyName: "742 Evergreen Terrace", City: "Springfield", State: "NY", Zip: "12345",
			Classification: ClassificationConventional, IsFcraAgreementAccepted: true,
		},
		CreditCard: &CreditCard{
			FirstName: "Homer", LastName: "Simpson", CardType: CardMastercard,
			CardNumber: "5419543578415880", CardSecurity: "554", ExpireMonth: "09", ExpireYear: "2030",
		},
	}
}

// tenantsPay is validOrder where the applicants pay, so no card.
func tenantsPay() Order {
	o := validOrder()
	o.Application.LandlordPays = Bool(false)
	o.CreditCard = nil
	return o
}

func (e *env) embedded(t *testing.T, ref string, o Order) int {
	t.Helper()
	id, err := e.c.CreateEmbeddedApplication(ctx(t), ref, o)
	if err != nil {
		t.Fatalf("CreateEmbeddedApplication: %v", err)
	}
	return id
}

// postRaw bypasses the client: it posts body as JSON with the test key and
// returns the status and the {"Message"} of the answer.
func postRaw(t *testing.T, base, endpoint string, body any) (int, string) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/smartmove/"+endpoint, bytes.NewReader(b))
	req.Header.Set("x-apiKey", testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct{ Message string }
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m.Message
}

func asAPIError(t *testing.T, err error) *APIError {
	t.Helper()
	ae, ok := err.(*APIError)
	if !ok {
		t.Fatalf("err = %T %v, want *APIError", err, err)
	}
	return ae
}

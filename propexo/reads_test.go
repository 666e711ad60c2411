package propexo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

// TestListLeasesPages reads every lease of one integration page by page,
// oldest first, and sees each once with its typed fields.
func TestListLeasesPages(t *testing.T) {
	clk := newClock()
	e := newEnv(t, propexotest.Options{Now: clk.Now}, Config{})
	for i := range 7 {
		clk.Advance(time.Second)
		e.sim.PutLease(propexotest.LeaseRecord{ID: fmt.Sprintf("l%d", i), IntegrationID: "int-a", PropertyID: "p1",
			Status: "Current", StatusRaw: "Current", StatusNormalized: "ACTIVE", StartDate: "2025-01-0" + fmt.Sprint(i+1), ResidentIDs: []string{"r" + fmt.Sprint(i)}})
	}
	e.sim.PutLease(propexotest.LeaseRecord{ID: "other", IntegrationID: "int-b", PropertyID: "p9"})
	var got []string
	for off := 0; ; off += 3 {
		p, err := e.client.ListLeases(context.Background(), ListQuery{IntegrationID: "int-a", OrderBy: "created_at:asc", Offset: off, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != 7 {
			t.Fatalf("total %d, want 7", p.Total)
		}
		for _, l := range p.Results {
			got = append(got, l.ID)
		}
		if !p.HasMore {
			break
		}
	}
	if strings.Join(got, ",") != "l0,l1,l2,l3,l4,l5,l6" {
		t.Fatalf("leases %v", got)
	}
	p, err := e.client.ListLeases(context.Background(), ListQuery{IntegrationID: "int-a", OrderBy: "created_at:asc", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	l := p.Results[0]
	d, err := Date(l.StartDate)
	if err != nil || d == nil || !d.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("start date %v %v", d, err)
	}
	if *l.StatusRaw != "Current" || l.PropertyID != "p1" || len(l.Residents) != 1 || l.Residents[0].ResidentID != "r0" || l.UpdatedAt.IsZero() {
		t.Fatalf("lease %+v", l)
	}
}

// A resident's primary and alternate addresses and second email, and a
// lease's type and term, arrive typed; every address key is served, null
// when the PMS has no value (docs/partners/propexo.md#resident-addresses).
func TestResidentAddressesAndLeaseType(t *testing.T) {
	e := newEnv(t, propexotest.Options{}, Config{})
	e.sim.PutResident(propexotest.ResidentRecord{ID: "r1", IntegrationID: "int-a", FirstName: "Ann", Email2: "ann@work.example", LeaseIDs: []string{"l1"},
		Primary:   propexotest.ResidentAddress{Address1: "28 W 22nd Street", Address2: "2G", City: "New York", State: "NY", Zip: "10010", Country: "United States"},
		Alternate: propexotest.ResidentAddress{Address1: "30 W 48th Street", City: "New York", State: "NY", Zip: "10036", Country: "US"}})
	e.sim.PutResident(propexotest.ResidentRecord{ID: "r2", IntegrationID: "int-a", FirstName: "Bob", LeaseIDs: []string{"l2"}})
	e.sim.PutLease(propexotest.LeaseRecord{ID: "l1", IntegrationID: "int-a", PropertyID: "p1", Type: "Corporate", Term: "6 Months"})
	p, err := e.client.ListResidents(context.Background(), ListQuery{LeaseID: "l1"})
	if err != nil || len(p.Results) != 1 {
		t.Fatalf("residents %+v %v", p, err)
	}
	r := p.Results[0]
	got := []*string{r.Address1, r.Address2, r.City, r.State, r.Zip, r.Country, r.Address1Alt, r.CityAlt, r.StateAlt, r.ZipAlt, r.CountryAlt, r.Email2}
	want := []string{"28 W 22nd Street", "2G", "New York", "NY", "10010", "United States", "30 W 48th Street", "New York", "NY", "10036", "US", "ann@work.example"}
	for i := range want {
		if got[i] == nil || *got[i] != want[i] {
			t.Errorf("field %d: %v, want %q", i, got[i], want[i])
		}
	}
	if r.Address2Alt != nil || r.Email1 != nil {
		t.Errorf("address_2_alternate %v, email_1 %v: want null", r.Address2Alt, r.Email1)
	}
	l, err := e.client.GetLease(context.Background(), "l1")
	if err != nil || l.Type == nil || *l.Type != "Corporate" || l.Term == nil || *l.Term != "6 Months" {
		t.Fatalf("lease type and term: %+v %v", l, err)
	}

	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v1/residents/?lease_id=l2", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw struct{ Results []map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || len(raw.Results) != 1 {
		t.Fatalf("raw residents: %v %+v", err, raw)
	}
	for _, k := range []string{"address_1", "address_2", "city", "state", "zip", "country", "address_1_alternate",
		"address_2_alternate", "city_alternate", "state_alternate", "zip_alternate", "country_alternate", "email_2"} {
		if v, ok := raw.Results[0][k]; !ok || v != nil {
			t.Errorf("%s: %v (present %v), want null", k, v, ok)
		}
	}
}

// TestListResidentsByLease filters residents by lease, the documented
// lease_id filter, and refuses it on the other lists before sending.
func TestListResidentsByLease(t *testing.T) {
	e := newEnv(t, propexotest.Options{}, Config{})
	e.sim.PutResident(propexotest.ResidentRecord{ID: "r1", IntegrationID: "int-a", FirstName: "Ann", Email: "ann@example.com", Phone: "5125550100", LeaseIDs: []string{"l1"}})
	e.sim.PutResident(propexotest.ResidentRecord{ID: "r2", IntegrationID: "int-a", FirstName: "Bob", LeaseIDs: []string{"l2"}})
	p, err := e.client.ListResidents(context.Background(), ListQuery{LeaseID: "l1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Results) != 1 || *p.Results[0].FirstName != "Ann" || *p.Results[0].Phone1Type != "MOBILE" || p.Results[0].Leases[0].LeaseID != "l1" {
		t.Fatalf("residents %+v", p.Results)
	}
	before := e.sim.Stats().Requests
	_, err = e.client.ListLeases(context.Background(), ListQuery{LeaseID: "l1"})
	var ve *ValidationError
	if !errors.As(err, &ve) || e.sim.Stats().Requests != before {
		t.Fatalf("lease_id on leases: %v (requests %d -> %d)", err, before, e.sim.Stats().Requests)
	}
	if _, err := e.client.ListLeases(context.Background(), ListQuery{Limit: 251}); !errors.As(err, &ve) {
		t.Fatalf("limit 251: %v", err)
	}
}

// TestListLeaseTransfers reads a transfer with both leases.
func TestListLeaseTransfers(t *testing.T) {
	e := newEnv(t, propexotest.Options{}, Config{})
	e.sim.PutTransfer(propexotest.TransferRecord{ID: "t1", IntegrationID: "int-a", PropertyID: "p1", ResidentID: "r1", LeaseIDPrevious: "l1", LeaseIDNext: "l2", EffectiveDate: "2025-03-01"})
	p, err := e.client.ListLeaseTransfers(context.Background(), ListQuery{IntegrationID: "int-a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Results) != 1 || p.Results[0].LeaseIDPrevious != "l1" || p.Results[0].LeaseIDNext != "l2" || *p.Results[0].TransferEffectiveDate != "2025-03-01" {
		t.Fatalf("transfers %+v", p.Results)
	}
}

// TestSimListsAreStrict: the simulator refuses what Propexo documents no
// value for (a limit over 250, an unknown parameter or order-by, a
// status_normalized outside its enum), without a token answers 401, and past
// the limit answers 429 with the x-ratelimit headers.
func TestSimListsAreStrict(t *testing.T) {
	e := newEnv(t, propexotest.Options{RateLimit: 6}, Config{})
	get := func(path, token string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, path := range []string{"/v1/leases/?limit=251", "/v1/residents/?since=2025-01-01", "/v1/lease-transfers/?order-by=id",
		"/v1/leases/?status_normalized=CURRENT", "/v1/leases/?offset=-1"} {
		if resp, body := get(path, testToken); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"issues"`) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
	if resp, _ := get("/v1/leases/", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	if resp, _ := get("/v1/leases/", testToken); resp.StatusCode != http.StatusOK {
		t.Errorf("6th request: %d", resp.StatusCode)
	}
	resp, _ := get("/v1/leases/", testToken)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("x-ratelimit-limit") != "6" || resp.Header.Get("x-ratelimit-remaining") != "0" {
		t.Errorf("7th request: %d %v", resp.StatusCode, resp.Header)
	}
}

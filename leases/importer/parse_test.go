package importer

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/types"
)

func day(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
}

// comparable drops what differs between shapes of one feed: where records
// sit, unmapped fields, and names only one shape carries.
func comparable(ls []Lease) []Lease {
	out := make([]Lease, len(ls))
	for i, l := range ls {
		l.At, l.Extra, l.PropertyName = Position{}, nil, ""
		l.Tenants = append([]Tenant(nil), l.Tenants...)
		for j := range l.Tenants {
			l.Tenants[j].At, l.Tenants[j].Extra = Position{}, nil
		}
		out[i] = l
	}
	return out
}

// The spec's ideal JSON and a flattened CSV (odd headers, US dates, phone
// and phone1 columns, one row per tenant) with a mapping read alike.
func TestParseIdealJSONAndFlatCSVAgree(t *testing.T) {
	ideal, errs := Parse(JSON, readFile(t, "ideal.json"), nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	flat, errs := Parse(CSV, readFile(t, "flat.csv"), readMapping(t, "flat.mapping.json"))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if !reflect.DeepEqual(comparable(ideal), comparable(flat)) {
		a, _ := json.MarshalIndent(comparable(ideal), "", " ")
		b, _ := json.MarshalIndent(comparable(flat), "", " ")
		t.Fatalf("ideal JSON and flat CSV differ:\n%s\n---\n%s", a, b)
	}
	l := ideal[0]
	if l.SourceID != "asdfl230as8" || l.PropertyTag != "5678" || l.Status != "approved" ||
		!l.LeaseStartDate.Equal(*day(2015, 11, 1)) || !l.LeaseEndDate.Equal(*day(2016, 10, 31)) ||
		*l.UnitAddress != (types.Address{Street: "1140 Broadway", Apt: "905", City: "New York", State: "NY", Zip: "10010"}) {
		t.Errorf("lease: %+v", l)
	}
	if l.Extra != nil && l.Extra["client_id"] != nil {
		t.Errorf("client_id is the importer's, not kept: %v", l.Extra)
	}
	ryan := l.Tenants[0]
	if ryan.SourceID != "6789" || ryan.CellPhone != "+15552124567" || ryan.HomePhone != "+15552123456" ||
		ryan.Gender != "MALE" || ryan.PreviousAddress.Street != "28 W 22nd Street" {
		t.Errorf("tenant: %+v", ryan)
	}
	// The flat CSV's unmapped columns: equal on every row of a lease, they
	// are the lease's; differing, each row's tenant's.
	if flat[0].Extra["Corporate"] != "yes" || flat[0].Tenants[0].Extra["Pets"] != "dog" || flat[0].Tenants[1].Extra["Pets"] != "none" {
		t.Errorf("extras: lease %v, tenants %v %v", flat[0].Extra, flat[0].Tenants[0].Extra, flat[0].Tenants[1].Extra)
	}
	if flat[0].PropertyName != "Broadway Lofts" || flat[0].At.Line != 2 || flat[1].At.Line != 4 {
		t.Errorf("property name %q, lines %d %d", flat[0].PropertyName, flat[0].At.Line, flat[1].At.Line)
	}
}

// Nested JSON with other names, wrapped in an object, with the previous and
// forwarding addresses on the lease.
func TestParseNestedJSONWithMapping(t *testing.T) {
	leases, errs := Parse(JSON, readFile(t, "nested.json"), readMapping(t, "nested.mapping.json"))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(leases) != 2 {
		t.Fatalf("%d leases", len(leases))
	}
	l := leases[0]
	if l.SourceID != "100234" || l.PropertyTag != "OAK" || l.PropertyName != "Oak Court" || l.Status != "Future" ||
		!l.LeaseStartDate.Equal(*day(2025, 1, 31)) || !l.LeaseEndDate.Equal(*day(2026, 1, 30)) || !l.MoveDate.Equal(*day(2025, 1, 31)) {
		t.Errorf("lease: %+v", l)
	}
	if *l.UnitAddress != (types.Address{Street: "9 Elm Court", Apt: "3B", City: "Austin", State: "TX", Zip: "78701"}) ||
		*l.PreviousAddress != (types.Address{Street: "500 Grand Ave", City: "Denver", State: "CO", Zip: "80202"}) {
		t.Errorf("addresses: %+v %+v", l.UnitAddress, l.PreviousAddress)
	}
	flags, _ := l.Extra["Flags"].(map[string]any)
	unit, _ := l.Extra["Unit"].(map[string]any)
	if flags == nil || flags["rent"] != json.Number("1450.5") || unit["Floor"] != json.Number("3") {
		t.Errorf("unmapped fields (and unmapped address parts) are kept as sent: %v", l.Extra)
	}
	priya, kofi := l.Tenants[0], l.Tenants[1]
	if priya.SourceID != "R-1" || priya.FirstName != "Priya" || priya.Email != "priya@example.com" ||
		priya.CellPhone != "+15125550147" || priya.Gender != "FEMALE" || priya.Extra["Pets"] == nil {
		t.Errorf("tenant: %+v", priya)
	}
	if kofi.HomePhone != "+442079460958" || kofi.CellPhone != "" || kofi.Gender != "MALE" {
		t.Errorf("a land line in phone is a home phone: %+v", kofi)
	}
	l2 := leases[1]
	if !l2.LeaseStartDate.Equal(*day(2024, 3, 1)) || !l2.LeaseEndDate.Equal(*day(2025, 2, 28)) ||
		l2.ForwardingAddress.City != "Seattle" || l2.Tenants[0].CellPhone != "+447400123456" {
		t.Errorf("lease 2: %+v", l2)
	}
}

// Numbered tenant columns on one row per lease, with default names.
func TestParseNumberedTenantColumns(t *testing.T) {
	csv := "Lease ID,Property,Status,Start Date,Tenant1 First Name,Tenant1 Last Name,tenant1_email,Tenant2 First Name,Tenant2 Last Name,tenant2_phone1,Tenant3 First Name,Tenant3 Last Name,tenant2_notes\n" +
		"L1,P1,Approved,3/1/2025,Ann,Lee,ann@example.com,Bo,Lee,212-736-5000,,,quiet\n"
	leases, errs := Parse(CSV, []byte(csv), nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ts := leases[0].Tenants
	if len(ts) != 2 || ts[0].FirstName != "Ann" || ts[0].Email != "ann@example.com" ||
		ts[1].FirstName != "Bo" || ts[1].CellPhone != "+12127365000" || ts[1].Extra["tenant2_notes"] != "quiet" {
		t.Fatalf("tenants: %+v", ts)
	}
	// And with a mapping naming the prefix.
	csv = "LeaseNo,Prop,Stat,Begins,Res1_FName,Res1_LName,Res2_FName,Res2_LName\nL1,P1,Approved,2025-03-01,Ann,Lee,Bo,Lee\n"
	m := Mapping{"LeaseNo": "id", "Prop": "property_id", "Stat": "status", "Begins": "lease_start_date",
		"Res": "tenants", "FName": "tenants.first_name", "LName": "tenants.last_name"}
	leases, errs = Parse(CSV, []byte(csv), m)
	if len(errs) > 0 || len(leases[0].Tenants) != 2 || leases[0].Tenants[1].FirstName != "Bo" {
		t.Fatalf("mapped numbered columns: %+v %v", leases, errs)
	}
}

// Every bad record is reported, each with its position, our field and the
// feed's name for it.
func TestParseReportsEveryBadRow(t *testing.T) {
	csv := strings.Join([]string{
		"Lease #,Prop Code,Lease Status,Start,First,Last,Phone,Sex",
		"L1,P1,approved,1/1/2025,Ann,Lee,212-736-5000,f",
		"L2,P1,,31/01/2025,Bo,Lee,,",
		"L3,P1,approved,2025-01-01,,Lee,n/a,x",
		",P1,approved,2025-01-01,Cy,Lee,,",
	}, "\n")
	m := Mapping{"Lease #": "id", "Prop Code": "property_id", "Lease Status": "status", "Start": "lease_start_date",
		"First": "tenants.first_name", "Last": "tenants.last_name", "Phone": "tenants.phone", "Sex": "tenants.gender"}
	_, errs := Parse(CSV, []byte(csv), m)
	want := map[string]RowError{
		"status":             {Line: 3, Field: "status", Column: "Lease Status"},
		"lease_start_date":   {Line: 3, Field: "lease_start_date", Column: "Start"},
		"tenants.first_name": {Line: 4, Field: "tenants.first_name", Column: "First"},
		"tenants.phone":      {Line: 4, Field: "tenants.phone", Column: "Phone"},
		"tenants.gender":     {Line: 4, Field: "tenants.gender", Column: "Sex"},
		"id":                 {Line: 5, Field: "id", Column: "Lease #"},
	}
	if len(errs) != len(want) {
		t.Fatalf("want %d errors, got %d: %v", len(want), len(errs), errs)
	}
	for _, e := range errs {
		w, ok := want[e.Field]
		if !ok || e.Line != w.Line || e.Column != w.Column || e.Message == "" || e.Index != nil {
			t.Errorf("unexpected %+v (%s)", e, e)
		}
	}

	// JSON records are reported by index.
	_, errs = Parse(JSON, []byte(`[{"id":"A","property_id":"P","status":"x","lease_start_date":"2025-01-01"},
		{"id":"B","property_id":"P","status":"x","lease_start_date":"soon","tenants":[{"first_name":"Ann"}]}]`), nil)
	if len(errs) != 2 {
		t.Fatalf("want 2 errors: %v", errs)
	}
	for _, e := range errs {
		if e.Index == nil || *e.Index != 1 || e.LeaseID != "B" {
			t.Errorf("want record 1 of lease B: %+v", e)
		}
		if e.Field == "tenants.last_name" && e.Column != "" {
			t.Errorf("a missing field without a mapping names no column: %+v", e)
		}
	}
}

func TestParseConflicts(t *testing.T) {
	// Rows of one lease disagreeing on a lease field.
	csv := "id,property_id,status,lease_start_date,first_name,last_name\nL1,P1,approved,2025-01-01,Ann,Lee\nL1,P1,ending,2025-01-01,Bo,Lee\n"
	if _, errs := Parse(CSV, []byte(csv), nil); len(errs) != 1 || errs[0].Line != 3 || errs[0].Field != "status" {
		t.Errorf("conflicting rows: %v", errs)
	}
	// Two columns giving one field.
	csv = "id,lease_id,property_id,status,lease_start_date\nL1,L9,P1,approved,2025-01-01\n"
	if _, errs := Parse(CSV, []byte(csv), nil); len(errs) != 1 || errs[0].Field != "id" {
		t.Errorf("two ids: %v", errs)
	}
	// ... which a mapping settles.
	if _, errs := Parse(CSV, []byte(csv), Mapping{"id": "-"}); len(errs) != 0 {
		t.Errorf("mapped away: %v", errs)
	}
}

func TestMapping(t *testing.T) {
	if _, err := ParseMapping([]byte(`{"A": "tenants.first_name", "B": "unit_address.apt", "C": "-", "D": "tenants.2.email", "E": "tenants"}`)); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{`{"A": "tenants.nickname"}`, `{"A": "unit_address.floor"}`, `{"A": 3}`, `[]`, `{"A": "tenants.0.email"}`} {
		if _, err := ParseMapping([]byte(bad)); err == nil {
			t.Errorf("ParseMapping(%s) must fail", bad)
		}
	}
	for in, want := range map[string]string{"LeaseStartDate": "lease_start_date", "Lease Start Date": "lease_start_date",
		"lease-start-date": "lease_start_date", "LeaseID": "lease_id", "FName": "f_name", "Tenant1FirstName": "tenant1_first_name", "E-mail": "e_mail"} {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
	if got := DetectFormat("feed.csv", []byte("[")); got != CSV {
		t.Errorf("by name: %s", got)
	}
	if got := DetectFormat("", []byte("  [{}]")); got != JSON {
		t.Errorf("by content: %s", got)
	}
}

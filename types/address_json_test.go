package types

import (
	"encoding/json"
	"testing"
)

// Decoding an address gives what encoding/json gives, value and error
// alike, also when it starts from an address already filled.
func TestAddressUnmarshalJSON(t *testing.T) {
	for _, in := range []string{
		`{"street":"1 Pine Way","apt":"L0","city":"Austin","state":"TX","zip":"78701"}`,
		`{"apt": "", "zip": "78701", "city": "Austin", "state": "TX", "street": "1 Pine Way"}`,
		` { "zip" : "1" , "zip":"2" } `, `{}`, `{"zip":"1"}`, `null`, `{"ZIP":"1"}`, `{"Street":"x"}`,
		`{"zip":"a\"b"}`, `{"zip":"\u00e9"}`, `{"zip":"Zoë 日本"}`, "{\"zip\":\"\xff\"}", `{"zip":1}`,
		`{"zip":null}`, `{"other":"x","zip":"1"}`, `{"zip":"1",}`, `{"zip":"1"`, `{"zip":"1"} x`, `[]`, `"x"`,
		`{"zip":"1"}{}`, "{\"zip\":\"a\tb\"}", `{"zip" "1"}`, ``,
	} {
		checkAddressDecoding(t, in)
	}
}

func FuzzAddressUnmarshalJSON(f *testing.F) {
	f.Add(`{"apt": "", "zip": "78701", "city": "Austin", "state": "TX", "street": "1 Pine Way"}`)
	f.Add(`{"zip":"\u00e9","Zip":"x"}`)
	f.Fuzz(checkAddressDecoding)
}

func checkAddressDecoding(t *testing.T, in string) {
	filled := Address{Street: "s", Apt: "a", City: "c", State: "st", Zip: "z"}
	want, got := filled, filled
	wantErr := json.Unmarshal([]byte(in), (*addressFields)(&want))
	gotErr := json.Unmarshal([]byte(in), &got)
	if got != want || (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Errorf("%q: got %+v (%v), encoding/json %+v (%v)", in, got, gotErr, want, wantErr)
	}
	// Through a pointer, as ent decodes a column.
	var wantP *addressFields
	var gotP *Address
	wantErr = json.Unmarshal([]byte(in), &wantP)
	gotErr = json.Unmarshal([]byte(in), &gotP)
	if (gotP == nil) != (wantP == nil) || (gotP != nil && *gotP != Address(*wantP)) || (gotErr == nil) != (wantErr == nil) {
		t.Errorf("%q through a pointer: got %+v (%v), encoding/json %+v (%v)", in, gotP, gotErr, wantP, wantErr)
	}
	// As a column is read: what ent's JSON field read before (an empty
	// column was left nil).
	if in == "" {
		wantP, wantErr = nil, nil
	}
	gotP, gotErr = ScanAddress(in)
	if (gotErr == nil) != (wantErr == nil) || (gotErr == nil && ((gotP == nil) != (wantP == nil) || (gotP != nil && *gotP != Address(*wantP)))) {
		t.Errorf("%q as a column: got %+v (%v), encoding/json %+v (%v)", in, gotP, gotErr, wantP, wantErr)
	}
	// Scanned as ent scans the column, from the driver's bytes.
	var col AddressColumn
	if err := col.Scan([]byte(in)); err != nil {
		t.Fatal(err)
	}
	colP, colErr := col.Address()
	if (colErr == nil) != (gotErr == nil) || (colP == nil) != (gotP == nil) || (colP != nil && *colP != *gotP) {
		t.Errorf("%q scanned: got %+v (%v), ScanAddress %+v (%v)", in, colP, colErr, gotP, gotErr)
	}
}

func TestAddressColumnNull(t *testing.T) {
	var col AddressColumn
	if err := col.Scan(nil); err != nil {
		t.Fatal(err)
	}
	if a, err := col.Address(); a != nil || err != nil {
		t.Errorf("SQL NULL: got %+v (%v), want nil", a, err)
	}
	if err := col.Scan(`{"street":"1 Main St","city":"Springfield"}`); err != nil {
		t.Fatal(err)
	}
	if a, err := col.Address(); err != nil || a == nil || a.Street != "1 Main St" || a.City != "Springfield" || a != &col.addr {
		t.Errorf("flat address: got %+v (%v), want it read into the column", a, err)
	}
}

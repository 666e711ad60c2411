package propexo

import (
	"reflect"
	"testing"
)

func TestFieldsIn(t *testing.T) {
	got := FieldsIn([]string{"city: refused", "RentCafe rejected address_1 (too long)", "notes were not written", "the cityscape"})
	if want := []string{"address_1", "city", "notes"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("FieldsIn = %v, want %v", got, want)
	}
	if got := FieldsIn([]string{"PMS unavailable"}); got != nil {
		t.Fatalf("no field named: %v", got)
	}
}

func TestUpdateOnly(t *testing.T) {
	r := &UpdateProspectRequest{LeaseID: "l", City: "Reno", Notes: "n", LeaseTermInMonths: Int(3)}
	got := r.Only([]string{"city", "lease_term_in_months"})
	if want := (&UpdateProspectRequest{LeaseID: "l", City: "Reno", LeaseTermInMonths: r.LeaseTermInMonths}); !reflect.DeepEqual(got, want) {
		t.Fatalf("Only = %+v", got)
	}
}

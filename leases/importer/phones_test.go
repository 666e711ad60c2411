package importer

import (
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/leasegraph/leasegraph/types/phone"
)

// Phones of unknown kind fill the cell first when they can be one, and
// land lines go to home, first come first served.
func TestPhoneClassification(t *testing.T) {
	const (
		usAny    = "212-736-5000"     // FIXED_LINE_OR_MOBILE
		ukFixed  = "+44 20 7946 0958" // FIXED_LINE
		ukMobile = "+44 7400 123456"  // MOBILE
		tollFree = "1-800-555-0199"   // TOLL_FREE
	)
	for _, n := range []struct {
		in   string
		want phonenumbers.PhoneNumberType
	}{{usAny, phonenumbers.FIXED_LINE_OR_MOBILE}, {ukFixed, phonenumbers.FIXED_LINE}, {ukMobile, phonenumbers.MOBILE}, {tollFree, phonenumbers.TOLL_FREE}} {
		if _, kind, _ := phone.Normalize(n.in); kind != n.want {
			t.Fatalf("%s is of type %v, the test expects %v", n.in, kind, n.want)
		}
	}
	for _, c := range []struct {
		name                   string
		header, row            string
		cell, home, extraPhone string
	}{
		{"fixed line first", "phone,phone1", ukFixed + "," + ukMobile, "+447400123456", "+442079460958", ""},
		{"mobile first", "phone1,phone2", ukMobile + "," + ukFixed, "+447400123456", "+442079460958", ""},
		{"either kind fills cell then home", "phone,phone2", usAny + ",555-212-4567", "+12127365000", "+15552124567", ""},
		{"toll free is never a cell", "phone", tollFree, "", "+18005550199", ""},
		{"explicit cell wins", "cell_phone,phone", ukFixed + "," + ukMobile, "+442079460958", "+447400123456", ""},
		{"no slot left: kept in extra", "cell,home,phone", usAny + ",555-212-4567," + ukMobile, "+12127365000", "+15552124567", "phone"},
		{"explicit home, phone fills cell", "home_phone,phone", usAny + "," + ukMobile, "+447400123456", "+12127365000", ""},
		{"duplicate number counted once", "cell,phone", usAny + "," + usAny, "+12127365000", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			csv := "id,property_id,status,lease_start_date,first_name,last_name," + c.header + "\nL1,P1,approved,2025-01-01,Ann,Lee," + c.row + "\n"
			leases, errs := Parse(CSV, []byte(csv), nil)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			got := leases[0].Tenants[0]
			if got.CellPhone != c.cell || got.HomePhone != c.home {
				t.Errorf("cell %q home %q, want %q %q", got.CellPhone, got.HomePhone, c.cell, c.home)
			}
			if c.extraPhone != "" && got.Extra[c.extraPhone] == nil {
				t.Errorf("a number that fits no slot must be kept in extra: %v", got.Extra)
			}
		})
	}
}

func TestGender(t *testing.T) {
	for in, want := range map[string]string{"male": "MALE", "M": "MALE", "m": "MALE", "Female": "FEMALE", "f": "FEMALE", "FEMALE": "FEMALE", "": ""} {
		csv := "id,property_id,status,lease_start_date,first_name,last_name,gender\nL1,P1,approved,2025-01-01,Ann,Lee," + in + "\n"
		leases, errs := Parse(CSV, []byte(csv), nil)
		if len(errs) > 0 || leases[0].Tenants[0].Gender != want {
			t.Errorf("gender %q: got %+v %v, want %q", in, leases, errs, want)
		}
	}
	_, errs := Parse(CSV, []byte("id,property_id,status,lease_start_date,first_name,last_name,sex\nL1,P1,approved,2025-01-01,Ann,Lee,x\n"), nil)
	if len(errs) != 1 || errs[0].Field != "tenants.gender" || errs[0].Column != "sex" || errs[0].Line != 2 {
		t.Errorf("an unknown gender must be a row error at line 2, field tenants.gender (sex): %+v", errs)
	}
}

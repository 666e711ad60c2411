package usps_test

import (
	"testing"

	"github.com/leasegraph/leasegraph/types/usps"
)

// Publication 28: the 50 states, DC, the territories and freely associated
// states (appendix B), and the armed forces' post offices (appendix C).
var want = []string{
	"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA",
	"HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD",
	"MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
	"NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC",
	"SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
	"DC",
	"AS", "GU", "MP", "PR", "VI", "FM", "MH", "PW",
	"AA", "AE", "AP",
}

// Every pair of capitals is a code exactly when Publication 28 lists it:
// a missing code refuses a real address, an extra one lets SmartMove
// refuse the application later.
func TestIsCodeTable(t *testing.T) {
	if len(want) != 62 {
		t.Fatalf("the expected list has %d codes, want 62", len(want))
	}
	listed := map[string]bool{}
	for _, c := range want {
		listed[c] = true
	}
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			c := string([]rune{a, b})
			if got := usps.IsCode(c); got != listed[c] {
				t.Errorf("IsCode(%q) = %v, want %v", c, got, listed[c])
			}
		}
	}
}

// The check is of the exact string: callers must upper-case and trim
// first, and other shapes are never codes.
func TestIsCodeExact(t *testing.T) {
	// CZ: the Canal Zone, withdrawn; UM: ISO's, not USPS's; ON: Ontario.
	for _, s := range []string{"ca", "Ca", " CA", "CA ", "CAL", "C", "", "CZ", "UM", "ON"} {
		if usps.IsCode(s) {
			t.Errorf("IsCode(%q) = true", s)
		}
	}
}

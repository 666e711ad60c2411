package phone

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"555-212-4567":      "+15552124567", // the lease spec's example: unassigned, but well formed
		"(212) 555-0100":    "+12125550100",
		"212.736.5000":      "+12127365000",
		"1-212-736-5000":    "+12127365000",
		"+1 212 736 5000":   "+12127365000",
		"+44 20 7946 0958":  "+442079460958",
		"+49 151 23456789":  "+4915123456789",
		"212-736-5000 x12":  "+12127365000",
		"  (512) 555-0147 ": "+15125550147",
		"5125550134":        "+15125550134", // the registration page's usual form
		"+15555550100":      "+15555550100", // already E.164 (demo data)
	} {
		got, _, err := Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
		if e, ok := E164(in); !ok || e != want {
			t.Errorf("E164(%q) = %q, %v; want %q", in, e, ok, want)
		}
	}
	for _, bad := range []string{"", "n/a", "555-1234", "555-01", "12345", "000-000-0000", "212-055-0100", "123", "call me", "+1"} {
		if got, _, err := Normalize(bad); err == nil {
			t.Errorf("Normalize(%q) = %q, want an error", bad, got)
		}
		if _, ok := E164(bad); ok {
			t.Errorf("E164(%q) accepted", bad)
		}
	}
}

func TestCellCapable(t *testing.T) {
	for in, want := range map[string]bool{
		"212-736-5000":     true,  // FIXED_LINE_OR_MOBILE
		"+44 7400 123456":  true,  // MOBILE
		"+44 20 7946 0958": false, // FIXED_LINE
		"1-800-555-0199":   false, // TOLL_FREE
	} {
		_, kind, err := Normalize(in)
		if err != nil || CellCapable(kind) != want {
			t.Errorf("%s (%v, %v): cell capable %v, want %v", in, kind, err, CellCapable(kind), want)
		}
	}
	if !CellCapable(phonenumbers.UNKNOWN) {
		t.Error("a number the metadata cannot place counts as a cell: US numbers mostly are")
	}
}

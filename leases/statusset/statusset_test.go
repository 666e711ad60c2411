package statusset_test

import (
	"slices"
	"testing"

	"github.com/leasegraph/leasegraph/leases/statusset"
)

// Key is how a partner's status is matched against a client's set, so
// spacing and case differences must not matter, and nothing else may fold.
func TestKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Move In", "move in"},
		{"  move   in ", "move in"},
		{"Move\tIn\n", "move in"},
		{"MOVE-IN", "move-in"}, // a hyphen is a different word, not a space
		{"", ""},
		{" \t ", ""},
	} {
		if got := statusset.Key(c.in); got != c.want {
			t.Errorf("Key(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// Normalize is what a client's sets are stored as: blanks dropped, each
// status once (after keying), sorted.
func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []string
		want []string
	}{
		{"keys, sorts", []string{"Notice", "Approved"}, []string{"approved", "notice"}},
		{"duplicates after keying", []string{"On Notice", "on  notice", "ON NOTICE"}, []string{"on notice"}},
		{"blanks dropped", []string{"", "  ", "signed"}, []string{"signed"}},
		{"empty", nil, []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := slices.Clone(c.in)
			got := statusset.Normalize(in)
			if !slices.Equal(got, c.want) {
				t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
			}
			if !slices.Equal(in, c.in) {
				t.Errorf("Normalize changed its argument to %q", in)
			}
		})
	}
}

// The defaults become a new client's sets as they are (ent's column
// default) and are compared with Key(status): each entry must already be
// a key, listed once, and no status may be in two sets.
func TestDefaults(t *testing.T) {
	owner := map[string]string{}
	for name, set := range map[string][]string{
		"move-in": statusset.DefaultMoveIn, "move-out": statusset.DefaultMoveOut, "transfer": statusset.DefaultTransfer,
	} {
		if len(set) == 0 {
			t.Errorf("%s default set is empty", name)
		}
		for _, s := range set {
			if k := statusset.Key(s); k != s {
				t.Errorf("%s default %q is not a key (%q)", name, s, k)
			}
			if other, ok := owner[s]; ok {
				t.Errorf("%q is listed twice (%s and %s defaults)", s, other, name)
			}
			owner[s] = name
		}
	}
	for _, s := range []string{"move in", "notice", "transfer"} {
		if _, ok := owner[s]; !ok {
			t.Errorf("the defaults lack the common status %q", s)
		}
	}
}

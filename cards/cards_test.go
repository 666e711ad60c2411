package cards

import "testing"

func TestRedactNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"pan 4242424242424242 end":    "pan [REDACTED] end",
		"pan 4242 4242 4242 4242 end": "pan [REDACTED] end",
		"pan 3782-822463-10005":       "pan [REDACTED]",
		"id 8589934593 is fine":       "id 8589934593 is fine",
		"phone +15125550134 is fine":  "phone +15125550134 is fine",
	} {
		if got := RedactNumbers(in); got != want {
			t.Errorf("RedactNumbers(%q) = %q, want %q", in, got, want)
		}
	}
}

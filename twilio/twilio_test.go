package twilio_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/twilio"
)

// Segments follow docs/partners/twilio.md#segments: 160 GSM-7 characters or 70 UCS-2 in
// one segment; longer bodies split as Twilio concatenates them.
func TestSegments(t *testing.T) {
	cases := []struct {
		name string
		body string
		want int
	}{
		{"160 GSM-7", strings.Repeat("a", 160), 1},
		{"161 GSM-7", strings.Repeat("a", 161), 2},
		{"306 GSM-7 (2 x 153)", strings.Repeat("a", 306), 2},
		{"307 GSM-7", strings.Repeat("a", 307), 3},
		{"extension characters take two septets", strings.Repeat("€", 80), 1},
		{"81 extension characters", strings.Repeat("€", 81), 2},
		{"70 UCS-2", strings.Repeat("é", 60) + strings.Repeat("ł", 10), 1},
		{"71 UCS-2", strings.Repeat("ł", 71), 2},
		{"134 UCS-2 (2 x 67)", strings.Repeat("ł", 134), 2},
		{"135 UCS-2", strings.Repeat("ł", 135), 3},
		{"one emoji makes it UCS-2", strings.Repeat("a", 69) + "🙂", 2},
		{"GSM-7 accents stay GSM-7", strings.Repeat("é", 160), 1},
	}
	for _, c := range cases {
		if got := twilio.Segments(c.body); got != c.want {
			t.Errorf("%s: %d segments, want %d", c.name, got, c.want)
		}
	}
}

// The signature is base64 HMAC-SHA1 keyed by the auth token over the URL
// then each parameter's name and value sorted by name (docs/partners/twilio.md#status-callbacks).
// The expected value is Twilio's own documented example.
func TestSignature(t *testing.T) {
	u := "https://mycompany.com/myapp.php?foo=1&bar=2"
	p := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"}}
	want := "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
	if got := twilio.Signature("12345", u, p); got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	if !twilio.ValidSignature("12345", u, p, want) {
		t.Fatal("the right signature is refused")
	}
	for name, bad := range map[string]func() bool{
		"empty":       func() bool { return twilio.ValidSignature("12345", u, p, "") },
		"other token": func() bool { return twilio.ValidSignature("54321", u, p, want) },
		"other URL":   func() bool { return twilio.ValidSignature("12345", u+"&x=1", p, want) },
		"no token":    func() bool { return twilio.ValidSignature("", u, p, twilio.Signature("", u, p)) },
	} {
		if bad() {
			t.Errorf("%s: accepted", name)
		}
	}
}

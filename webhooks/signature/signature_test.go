package signature_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/leasegraph/leasegraph/webhooks/signature"
)

// The reference library's own test vector (libraries v1.3.0,
// go/webhook_test.go, TestSign), also in its C#, Java and Python tests.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func mustSecret(t *testing.T) (string, []byte) {
	t.Helper()
	s, err := signature.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	key, err := signature.ParseSecret(s)
	if err != nil {
		t.Fatalf("ParseSecret(NewSecret()): %v", err)
	}
	return s, key
}

func headers(id string, ts time.Time, sig string) http.Header {
	h := http.Header{}
	h.Set(standardwebhooks.HeaderWebhookID, id)
	h.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(standardwebhooks.HeaderWebhookSignature, sig)
	return h
}

func verify(t *testing.T, secret string, body []byte, h http.Header) error {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatalf("the reference library refuses the secret: %v", err)
	}
	return wh.Verify(body, h)
}

func TestSignSpecVector(t *testing.T) {
	key, err := signature.ParseSecret(vectorSecret)
	if err != nil {
		t.Fatal(err)
	}
	got := signature.Sign([][]byte{key}, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))
	if got != vectorSignature {
		t.Errorf("Sign = %q, want %q", got, vectorSignature)
	}
}

func TestSignVerifiesWithReferenceLibrary(t *testing.T) {
	cur, curKey := mustSecret(t)
	old, oldKey := mustSecret(t)
	other, _ := mustSecret(t)
	id := "msg_2mR0bW1dC3a"
	ts := time.Now()
	body := []byte(`{"type":"lease.updated","data":{"id":"42"}}`)

	tests := []struct {
		name   string
		keys   [][]byte
		secret string // the receiver's
		ok     bool
	}{
		{"one key", [][]byte{curKey}, cur, true},
		{"rotation, receiver has the new secret", [][]byte{curKey, oldKey}, cur, true},
		{"rotation, receiver still has the old secret", [][]byte{curKey, oldKey}, old, true},
		{"wrong secret", [][]byte{curKey}, other, false},
		{"rotation, neither secret", [][]byte{curKey, oldKey}, other, false},
		{"the old secret after the rotation ended", [][]byte{curKey}, old, false},
		{"no key", nil, cur, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(t, tt.secret, body, headers(id, ts, signature.Sign(tt.keys, id, ts, body)))
			if tt.ok && err != nil {
				t.Errorf("Verify: %v", err)
			}
			if !tt.ok && err == nil {
				t.Error("Verify accepted it")
			}
		})
	}
}

func TestSignTampered(t *testing.T) {
	secret, key := mustSecret(t)
	id := "msg_1"
	ts := time.Now()
	body := []byte(`{"n":1}`)
	sig := signature.Sign([][]byte{key}, id, ts, body)

	tests := []struct {
		name string
		body []byte
		h    http.Header
	}{
		{"body", []byte(`{"n":2}`), headers(id, ts, sig)},
		{"body with a byte added", append([]byte(`{"n":1}`), ' '), headers(id, ts, sig)},
		{"id", body, headers("msg_2", ts, sig)},
		{"timestamp", body, headers(id, ts.Add(-time.Second), sig)},
		{"signature", body, headers(id, ts, "v1,"+strings.Repeat("A", 43)+"=")},
		{"version", body, headers(id, ts, "v2,"+strings.TrimPrefix(sig, "v1,"))},
	}
	if err := verify(t, secret, body, headers(id, ts, sig)); err != nil {
		t.Fatalf("the untampered message does not verify: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Ignoring the timestamp's age isolates the signature: a
			// changed timestamp must fail on the MAC alone.
			wh, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.VerifyIgnoringTimestamp(tt.body, tt.h); err == nil {
				t.Error("a tampered message verified")
			}
		})
	}
}

// The signed text is "<id>.<ts>.<body>": a signer that put the timestamp
// first, or ts in milliseconds, would still verify against itself, so
// check the exact MAC input with an id and timestamp that cannot be
// confused.
func TestSignFormat(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	ts := time.Unix(1700000000, 999_000_000) // whole seconds only
	got := signature.Sign([][]byte{key, []byte(strings.Repeat("o", 24))}, "msg_x", ts, []byte("{}"))

	parts := strings.Split(got, " ")
	if len(parts) != 2 {
		t.Fatalf("Sign with two keys = %q, want two space-separated signatures", got)
	}
	for i, p := range parts {
		enc, ok := strings.CutPrefix(p, "v1,")
		if !ok {
			t.Fatalf("signature %d = %q, want a v1, prefix", i, p)
		}
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || len(raw) != 32 {
			t.Fatalf("signature %d = %q: not the standard base64 of 32 bytes (%v)", i, p, err)
		}
	}
	wh, err := standardwebhooks.NewWebhookRaw(key)
	if err != nil {
		t.Fatal(err)
	}
	want, err := wh.Sign("msg_x", time.Unix(1700000000, 0), []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if parts[0] != want {
		t.Errorf("first signature = %q, want the current key's %q", parts[0], want)
	}
	if parts[1] == want {
		t.Error("the second signature is the first key's too")
	}
}

func TestNewSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		s, key := mustSecret(t)
		if !strings.HasPrefix(s, signature.Prefix) {
			t.Fatalf("NewSecret() = %q, want the %s prefix", s, signature.Prefix)
		}
		if len(key) != 32 {
			t.Errorf("NewSecret()'s key has %d bytes, want 32", len(key))
		}
		if seen[s] {
			t.Fatalf("NewSecret() repeated %q", s)
		}
		seen[s] = true
		if _, err := standardwebhooks.NewWebhook(s); err != nil {
			t.Errorf("the reference library refuses %q: %v", s, err)
		}
	}
}

func TestParseSecret(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	tests := []struct {
		name string
		in   string
		n    int // key length; 0: an error
	}{
		{"the spec's example, 24 bytes", vectorSecret, 24},
		{"32 bytes", "whsec_" + b64(32), 32},
		{"64 bytes", "whsec_" + b64(64), 64},
		{"23 bytes", "whsec_" + b64(23), 0},
		{"65 bytes", "whsec_" + b64(65), 0},
		{"no prefix", b64(32), 0},
		{"prefix in capitals", "WHSEC_" + b64(32), 0},
		{"empty", "", 0},
		{"prefix only", "whsec_", 0},
		{"URL-safe alphabet", "whsec_" + base64.URLEncoding.EncodeToString(append(make([]byte, 30), 0xfb, 0xff)), 0},
		{"padding dropped", "whsec_" + base64.RawStdEncoding.EncodeToString(make([]byte, 32)), 0},
		{"not base64", "whsec_" + strings.Repeat("!", 44), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := signature.ParseSecret(tt.in)
			switch {
			case tt.n == 0 && err == nil:
				t.Errorf("ParseSecret accepted it (%d bytes)", len(key))
			case tt.n != 0 && err != nil:
				t.Errorf("ParseSecret: %v", err)
			case tt.n != 0 && len(key) != tt.n:
				t.Errorf("ParseSecret gave %d bytes, want %d", len(key), tt.n)
			}
			if err != nil && len(tt.in) > len("whsec_")+8 && strings.Contains(err.Error(), tt.in[len("whsec_"):]) {
				t.Errorf("the error %q repeats the secret", err)
			}
		})
	}
}

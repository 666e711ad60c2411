package secretbox_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/webhooks/secretbox"
)

var aad = []byte("webhook-endpoint-secret")

func newBox(t testing.TB) *secretbox.Box {
	t.Helper()
	s, err := secretbox.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := secretbox.ParseKey(s)
	if err != nil {
		t.Fatalf("ParseKey(NewKey()): %v", err)
	}
	b, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseKey(t *testing.T) {
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(0xf0 + i) // high bytes, so + / - _ appear in the encodings
	}
	enc := func(e *base64.Encoding, n int) string { return e.EncodeToString(raw[:n]) }
	long := enc(base64.StdEncoding, 32) + "AAAA"
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"standard, padded", enc(base64.StdEncoding, 32), true},
		{"standard, unpadded", enc(base64.RawStdEncoding, 32), true},
		{"URL-safe, padded", enc(base64.URLEncoding, 32), true},
		{"URL-safe, unpadded", enc(base64.RawURLEncoding, 32), true},
		{"empty", "", false},
		{"31 bytes", enc(base64.StdEncoding, 31), false},
		{"16 bytes (AES-128)", enc(base64.StdEncoding, 16), false},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(raw[:32:32], 1)), false},
		{"longer", long, false},
		{"not base64", strings.Repeat("*", 44), false},
		{"hex of 32 bytes", strings.Repeat("ab", 32), false},
		{"both alphabets mixed", "+" + enc(base64.RawURLEncoding, 32)[1:], false},
	}
	if !strings.ContainsAny(enc(base64.StdEncoding, 32), "+/") || !strings.ContainsAny(enc(base64.URLEncoding, 32), "-_") {
		t.Fatal("the test key does not tell the alphabets apart")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := secretbox.ParseKey(tt.in)
			if !tt.ok {
				if err == nil {
					t.Fatalf("ParseKey accepted it (%d bytes)", len(key))
				}
				if !strings.Contains(err.Error(), "32") || !strings.Contains(err.Error(), "base64") {
					t.Errorf("the error %q does not say what is expected", err)
				}
				if tt.in != "" && strings.Contains(err.Error(), tt.in) {
					t.Errorf("the error %q repeats the value", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKey: %v", err)
			}
			if !bytes.Equal(key, raw) {
				t.Errorf("ParseKey = %x, want %x", key, raw)
			}
		})
	}
}

func TestNewKey(t *testing.T) {
	a, err := secretbox.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := secretbox.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("two NewKey calls returned the same key")
	}
	key, err := base64.StdEncoding.DecodeString(a)
	if err != nil || len(key) != 32 {
		t.Errorf("NewKey() = %q: not padded standard base64 of 32 bytes (%v)", a, err)
	}
}

func TestNew(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := secretbox.New(make([]byte, n)); err == nil {
			t.Errorf("New accepted a %d-byte key", n)
		}
	}
	if _, err := secretbox.New(make([]byte, 32)); err != nil {
		t.Errorf("New refused a 32-byte key: %v", err)
	}
}

func TestSealOpen(t *testing.T) {
	b := newBox(t)
	for _, plain := range [][]byte{
		[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
		{},
		bytes.Repeat([]byte{0}, 1000),
	} {
		sealed := b.Seal(plain, aad)
		if len(sealed) != 1+12+len(plain)+16 {
			t.Errorf("Seal of %d bytes gave %d, want version+nonce+ciphertext+tag = %d", len(plain), len(sealed), 1+12+len(plain)+16)
		}
		if sealed[0] != 1 {
			t.Errorf("version byte = %d, want 1", sealed[0])
		}
		got, err := b.Open(sealed, aad)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("Open = %q, want %q", got, plain)
		}
	}
}

func TestSealHidesPlaintext(t *testing.T) {
	b := newBox(t)
	plain := []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	s1, s2 := b.Seal(plain, aad), b.Seal(plain, aad)
	if bytes.Equal(s1, s2) {
		t.Error("two seals of the same plaintext are equal")
	}
	if bytes.Equal(s1[1:13], s2[1:13]) {
		t.Error("two seals share a nonce")
	}
	for _, s := range [][]byte{s1, s2} {
		if bytes.Contains(s, plain) || bytes.Contains(s, plain[6:]) || bytes.Contains(s, plain[:8]) {
			t.Errorf("the sealed value %x contains the plaintext", s)
		}
	}
}

// Seal appends to a slice of its own: reusing the caller's plaintext or
// aad would corrupt them.
func TestSealLeavesInputsAlone(t *testing.T) {
	b := newBox(t)
	plain := []byte("secret")
	label := []byte("label")
	sealed := b.Seal(plain[:3:6], label[:2:5])
	if string(plain) != "secret" || string(label) != "label" {
		t.Errorf("Seal changed its inputs: %q, %q", plain, label)
	}
	if got, err := b.Open(sealed, []byte("la")); err != nil || string(got) != "sec" {
		t.Errorf("Open = %q, %v", got, err)
	}
}

func TestOpenFails(t *testing.T) {
	b := newBox(t)
	other := newBox(t)
	plain := []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	good := b.Seal(plain, aad)
	flip := func(i int) []byte {
		c := bytes.Clone(good)
		c[i] ^= 0x01
		return c
	}

	tests := []struct {
		name string
		box  *secretbox.Box
		in   []byte
		aad  []byte
	}{
		{"nil", b, nil, aad},
		{"empty", b, []byte{}, aad},
		{"version byte only", b, []byte{1}, aad},
		{"shorter than nonce and tag", b, good[:1+12+15], aad},
		{"truncated by one byte", b, good[:len(good)-1], aad},
		{"plaintext part cut off", b, good[:1+12+16], aad},
		{"a byte appended", b, append(bytes.Clone(good), 0), aad},
		{"version 0", b, append([]byte{0}, good[1:]...), aad},
		{"version 2", b, append([]byte{2}, good[1:]...), aad},
		{"nonce altered", b, flip(1), aad},
		{"ciphertext altered", b, flip(13), aad},
		{"tag altered", b, flip(len(good) - 1), aad},
		{"other key", other, good, aad},
		{"other purpose", b, good, []byte("webhook-endpoint-secret-previous")},
		{"no purpose", b, good, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.box.Open(tt.in, tt.aad)
			if err == nil {
				t.Fatalf("Open succeeded: %q", got)
			}
			if got != nil {
				t.Errorf("Open returned %q with its error", got)
			}
			if strings.Contains(err.Error(), string(plain)) {
				t.Errorf("the error %q contains the plaintext", err)
			}
		})
	}
	if _, err := b.Open(good, aad); err != nil {
		t.Fatalf("the untouched value does not open: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	b := newBox(f)
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, aad)
	f.Add(b.Seal([]byte("x"), aad), aad)
	f.Add(b.Seal([]byte("whsec_abc"), nil), []byte{})
	f.Add(make([]byte, 29), aad)
	f.Fuzz(func(t *testing.T, in, label []byte) {
		plain, err := b.Open(in, label)
		if err != nil && plain != nil {
			t.Fatalf("Open returned a value with its error")
		}
		// Only a whole sealed value opens: its length is fixed by the
		// plaintext's, whatever bytes the fuzzer tried.
		if err == nil && len(in) != 1+12+len(plain)+16 {
			t.Fatalf("Open accepted %x of inconsistent length", in)
		}
	})
}

// The format is stored in the database, so it is pinned here: version 1,
// the nonce, then AES-256-GCM over the plaintext with the version byte
// and the label as additional data. A value sealed by this version must
// open in every later one.
func TestFormat(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	b, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	ad := append([]byte{1}, aad...)

	sealed := b.Seal(plain, aad)
	got, err := gcm.Open(nil, sealed[1:13], sealed[13:], ad)
	if err != nil || !bytes.Equal(got, plain) {
		t.Errorf("Seal's value does not open as version 1 by hand: %q, %v", got, err)
	}

	nonce := bytes.Repeat([]byte{9}, 12)
	byHand := append(append([]byte{1}, nonce...), gcm.Seal(nil, nonce, plain, ad)...)
	got, err = b.Open(byHand, aad)
	if err != nil || !bytes.Equal(got, plain) {
		t.Errorf("a version 1 value sealed by hand does not open: %q, %v", got, err)
	}
}

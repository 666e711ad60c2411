// Package secretbox encrypts webhook endpoints' signing secrets at rest
// under an operator key (the LEASEGRAPH_WEBHOOK_KEY setting), so that a
// copy of the database alone, a dump or a backup, does not give away the
// secrets that let anyone forge deliveries to customers.
//
// A sealed value is a version byte (1), a random 12-byte nonce, then the
// AES-256-GCM ciphertext and its tag. The version byte leaves room for a
// later format or a key rotation scheme without guessing at old rows.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeySize is the operator key's length: AES-256's.
const KeySize = 32

const (
	version   = 1
	nonceSize = 12 // GCM's standard nonce
	tagSize   = 16
)

// keyHelp is what every refusal of a key says is expected. It never
// includes the value: the setting is a secret and errors end up in logs.
var keyHelp = fmt.Sprintf("the webhook key is the base64 of exactly %d random bytes (for example the output of `openssl rand -base64 %d`)", KeySize, KeySize)

// errOpen is every authentication failure, whatever its cause: telling
// a wrong key from altered data would only help someone probing.
var errOpen = errors.New("secretbox: cannot decrypt the value: the webhook key is not the one it was sealed with, or the value was altered")

// ParseKey decodes the operator key from its setting: base64 of exactly
// 32 bytes, in the standard or URL-safe alphabet, padded or not, since
// operators paste whatever their tool printed.
func ParseKey(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("secretbox: the webhook key is empty; " + keyHelp)
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding,
	} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("secretbox: the webhook key decodes to %d bytes; %s", len(key), keyHelp)
		}
		return key, nil
	}
	return nil, errors.New("secretbox: the webhook key is not base64; " + keyHelp)
}

// NewKey makes a fresh operator key in the setting's form, for demo mode
// and for the documentation's instructions.
func NewKey() (string, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("secretbox: making a key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(key), nil
}

// Box seals and opens values under one operator key. It is safe for
// concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key, as ParseKey returns it. Other
// lengths are refused rather than quietly selecting AES-128 or AES-192.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: the key has %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext. aad names what the value is for (a constant
// label such as "webhook-endpoint-secret"): it is authenticated, not
// stored, so a value copied into a column of another purpose fails to
// open there. A fresh random nonce makes two seals of the same plaintext
// differ, so equal secrets cannot be spotted in a dump.
func (b *Box) Seal(plaintext, aad []byte) []byte {
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+tagSize)
	out[0] = version
	// crypto/rand.Read does not fail: the runtime aborts instead.
	_, _ = rand.Read(out[1:])
	return b.aead.Seal(out, out[1:1+nonceSize], plaintext, additional(aad))
}

// Open decrypts what Seal returned for the same aad. Any short, altered
// or unknown-version value, or one sealed under another key, is an
// error, never a panic nor garbage.
func (b *Box) Open(ciphertext, aad []byte) ([]byte, error) {
	if len(ciphertext) < 1+nonceSize+tagSize {
		return nil, errors.New("secretbox: the value is too short to be sealed")
	}
	if ciphertext[0] != version {
		return nil, fmt.Errorf("secretbox: unknown format version %d", ciphertext[0])
	}
	plain, err := b.aead.Open(nil, ciphertext[1:1+nonceSize], ciphertext[1+nonceSize:], additional(aad))
	if err != nil {
		return nil, errOpen
	}
	return plain, nil
}

// additional binds the version byte too, so that a later format sharing
// this layout cannot be passed off as this one by changing the byte.
func additional(aad []byte) []byte {
	return append([]byte{version}, aad...)
}

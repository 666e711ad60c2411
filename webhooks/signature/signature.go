// Package signature signs outbound webhooks as the Standard Webhooks
// specification (https://www.standardwebhooks.com) asks, so that a
// receiver can check them with any of its reference libraries instead of
// code written for leasegraph alone.
//
// An endpoint's secret is "whsec_" followed by the base64 (standard
// alphabet, padded) of its key. The webhook-signature header holds one
// "v1,<signature>" per key, separated by single spaces, where the
// signature is the base64 of HMAC-SHA256(key, "<id>.<unix seconds>.<body>").
// During a rotation the header carries a signature under the new secret
// and one under the old, so a receiver that has not yet switched keeps
// accepting deliveries.
package signature

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Prefix starts every secret. It marks the value as a webhook secret for
// people and secret scanners; the key is what follows it.
const Prefix = "whsec_"

// The specification recommends keys of 24 to 64 bytes: a shorter one is
// weaker than the MAC it keys, and HMAC-SHA256 hashes a longer one down to
// 32 bytes, so the extra length buys nothing.
const (
	minKey = 24
	maxKey = 64
	newKey = 32
)

// NewSecret makes a fresh secret for an endpoint: a 32-byte random key in
// the "whsec_" form a receiver pastes into its reference library.
func NewSecret() (string, error) {
	key := make([]byte, newKey)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("making a webhook secret: %w", err)
	}
	return Prefix + base64.StdEncoding.EncodeToString(key), nil
}

// ParseSecret returns the key of a secret in the "whsec_" form. It
// refuses what a receiver's library would decode differently or what is
// too weak to sign with, and its errors never repeat the secret.
func ParseSecret(s string) ([]byte, error) {
	enc, ok := strings.CutPrefix(s, Prefix)
	if !ok {
		return nil, errors.New("a webhook secret starts with " + Prefix)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, errors.New("a webhook secret is " + Prefix + " followed by standard base64")
	}
	if len(key) < minKey || len(key) > maxKey {
		return nil, fmt.Errorf("a webhook secret's key is %d to %d bytes, not %d", minKey, maxKey, len(key))
	}
	return key, nil
}

// Sign returns the webhook-signature header's value for the message id,
// its timestamp (sent in webhook-timestamp, whole seconds) and its body:
// one "v1,<signature>" per key, in the order given. Pass the current key
// first, then, during a rotation, the previous one. With no key it
// returns "", which no receiver accepts.
func Sign(keys [][]byte, id string, ts time.Time, body []byte) string {
	// What is signed is built once: every key signs the same bytes.
	msg := make([]byte, 0, len(id)+1+20+1+len(body))
	msg = append(msg, id...)
	msg = append(msg, '.')
	msg = strconv.AppendInt(msg, ts.Unix(), 10)
	msg = append(msg, '.')
	msg = append(msg, body...)

	var b strings.Builder
	for i, key := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		mac := hmac.New(sha256.New, key)
		mac.Write(msg)
		b.WriteString("v1,")
		b.WriteString(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return b.String()
}

// Package idemkey is the rule for an idempotency key, shared by the
// idempotency records of ordinary mutations (idempotency/), SmartMove's
// screening requests (screening/) and the columns that store both
// (ent/schema). It imports nothing of ours but apperr, so ent/schema may
// import it.
package idemkey

import (
	"strings"
	"unicode/utf8"

	"github.com/leasegraph/leasegraph/apperr"
)

// MaxLen bounds an idempotency key, in characters.
const MaxLen = 200

// Check returns key without surrounding spaces (so " k" retries "k"), or a
// BAD_USER_INPUT error at idempotencyKey when it is longer than MaxLen.
// An empty key is the caller's to judge: optional for most mutations,
// required for a SmartMove order.
func Check(key string) (string, error) {
	key = strings.TrimSpace(key)
	if utf8.RuneCountInString(key) > MaxLen {
		return "", apperr.BadInput("idempotencyKey", "an idempotency key has at most %d characters", MaxLen)
	}
	return key, nil
}

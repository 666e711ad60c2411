// Package cards checks payment card details and hands them to a vault. Only
// brand, last four digits, expiry and the vault's token are ever kept
// (PCI DSS 3.3.1, 3.4.1): the number and CVC exist only in memory, inside a
// Checked value, whose String never shows them.
package cards

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
)

// Input is what the card screen posts.
type Input struct {
	Name, Number, Expiry, CVC, PostalCode string
}

// Checked is a valid card. The number is unexported so it cannot be
// marshalled, logged or stored by accident; only a Vault reads it.
type Checked struct {
	Brand    string
	Last4    string
	ExpMonth int
	ExpYear  int
	number   string
}

// Number returns the full card number, for a Vault only.
func (c *Checked) Number() string { return c.number }

// String never shows the number.
func (c *Checked) String() string { return c.Brand + " ending " + c.Last4 }

// GoString keeps %#v from printing the number.
func (c *Checked) GoString() string { return c.String() }

// Validate checks the card screen's input: the number's digits and Luhn
// check, a known brand, an expiry not in the past, a CVC of the brand's
// length, a name and a postal code. Errors name the field, never the number.
func Validate(in Input, now time.Time) (*Checked, error) {
	if strings.TrimSpace(in.Name) == "" {
		return nil, apperr.BadInput("name", "enter the name on the card")
	}
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, in.Number)
	if len(digits) < 12 || len(digits) > 19 || strings.Trim(digits, "0123456789") != "" {
		return nil, apperr.BadInput("number", "the card number must be 12 to 19 digits")
	}
	if !luhn(digits) {
		return nil, apperr.BadInput("number", "the card number is not valid: check for a typo")
	}
	brand := Brand(digits)
	if brand == "" {
		return nil, apperr.BadInput("number", "this card brand is not accepted: use Visa, Mastercard, American Express or Discover")
	}
	month, year, ok := parseExpiry(in.Expiry)
	if !ok {
		return nil, apperr.BadInput("expiry", "enter the expiry as MM/YY")
	}
	if year < now.Year() || (year == now.Year() && month < int(now.Month())) {
		return nil, apperr.BadInput("expiry", "the card has expired")
	}
	cvcLen := 3
	if brand == "amex" {
		cvcLen = 4
	}
	if len(in.CVC) != cvcLen || strings.Trim(in.CVC, "0123456789") != "" {
		return nil, apperr.BadInput("cvc", "the security code is %d digits for this card", cvcLen)
	}
	if pc := strings.TrimSpace(in.PostalCode); len(pc) < 3 || len(pc) > 10 {
		return nil, apperr.BadInput("postalCode", "enter the billing postal code")
	}
	return &Checked{Brand: brand, Last4: digits[len(digits)-4:], ExpMonth: month, ExpYear: year, number: digits}, nil
}

// Brand names the card's network from its number's prefix.
func Brand(digits string) string {
	prefix := func(n int) int {
		v, _ := strconv.Atoi(digits[:min(n, len(digits))])
		return v
	}
	switch {
	case digits[0] == '4':
		return "visa"
	case prefix(2) >= 51 && prefix(2) <= 55, prefix(4) >= 2221 && prefix(4) <= 2720:
		return "mastercard"
	case prefix(2) == 34 || prefix(2) == 37:
		return "amex"
	case prefix(4) == 6011 || prefix(2) == 65 || (prefix(3) >= 644 && prefix(3) <= 649):
		return "discover"
	}
	return ""
}

func luhn(digits string) bool {
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// parseExpiry reads MM/YY or MM/YYYY.
func parseExpiry(s string) (month, year int, ok bool) {
	m, y, found := strings.Cut(strings.ReplaceAll(strings.TrimSpace(s), " ", ""), "/")
	if !found {
		return 0, 0, false
	}
	month, err1 := strconv.Atoi(m)
	year, err2 := strconv.Atoi(y)
	if err1 != nil || err2 != nil || month < 1 || month > 12 {
		return 0, 0, false
	}
	switch len(y) {
	case 2:
		year += 2000
	case 4:
	default:
		return 0, 0, false
	}
	return month, year, true
}

// numberLike is 12 to 19 digits, possibly grouped by spaces or dashes.
var numberLike = regexp.MustCompile(`\b\d(?:[ -]?\d){11,18}\b`)

// RedactNumbers masks anything shaped like a card number: a last defence
// for text that quotes what a caller or a partner sent (error messages,
// log lines).
func RedactNumbers(s string) string {
	return numberLike.ReplaceAllString(s, "[REDACTED]")
}

// Vault keeps a card with a processor and returns a token for it and a
// fingerprint that is the same for the same card number.
type Vault interface {
	Store(ctx context.Context, c *Checked) (token, fingerprint string, err error)
}

// FingerprintVault is the default vault when no processor is configured: it
// keeps nothing but a keyed fingerprint (HMAC-SHA256 of the number), enough
// to recognise a card seen before; the token it returns refers to nothing.
type FingerprintVault struct {
	Key []byte
}

// Store implements Vault.
func (v FingerprintVault) Store(_ context.Context, c *Checked) (string, string, error) {
	mac := hmac.New(sha256.New, v.Key)
	mac.Write([]byte(c.number))
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "local_" + hex.EncodeToString(b), hex.EncodeToString(mac.Sum(nil)), nil
}

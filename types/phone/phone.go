// Package phone is the one rule for phone numbers, used wherever one enters:
// the registration page and bans (registration/), prospects (prospects/)
// and lease imports (leases/importer).
//
// The rule: a number written without a country code is a US number; it is
// accepted when it has a possible length for its country (libphonenumber's
// IsPossibleNumber) and, in the North American plan, an area code and an
// exchange that start with 2-9. It is stored in E.164.
//
// Possible, not valid: libphonenumber's "valid" also asks that the number
// lie in a range its metadata knows to be assigned. The metadata lags new
// ranges and calls fictional-but-well-formed numbers (the lease spec's own
// 555-212-4567) invalid, and refusing a tenant's or an applicant's real
// number loses the SMS invite it exists for. The NANP shape check keeps out
// what the length check lets through but is nobody's number: placeholders
// such as 000-000-0000, a number missing its area code ("555-1234").
package phone

import (
	"fmt"
	"strconv"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is the region of numbers written without a country code.
const DefaultRegion = "US"

// Type is what a number is for, as libphonenumber's metadata says: MOBILE,
// FIXED_LINE, FIXED_LINE_OR_MOBILE (the usual answer for US numbers),
// TOLL_FREE, ..., UNKNOWN when it cannot place the number.
type Type = phonenumbers.PhoneNumberType

// Normalize returns s in E.164 and its type, or an error saying that s is
// not a phone number by the package's rule.
func Normalize(s string) (string, Type, error) {
	n, err := phonenumbers.Parse(s, DefaultRegion)
	if err != nil || phonenumbers.IsPossibleNumberWithReason(n) != phonenumbers.IS_POSSIBLE || !nanpShaped(n) {
		return "", phonenumbers.UNKNOWN, fmt.Errorf("%q is not a phone number we can normalize (include the area code)", s)
	}
	return phonenumbers.Format(n, phonenumbers.E164), phonenumbers.GetNumberType(n), nil
}

// E164 is Normalize without the type.
func E164(s string) (string, bool) {
	e164, _, err := Normalize(s)
	return e164, err == nil
}

// CellCapable reports whether a number of type t may receive an SMS: a
// mobile, a US number that may be either, or one the metadata cannot place
// (US numbers are mostly mobile).
func CellCapable(t Type) bool {
	switch t {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE, phonenumbers.UNKNOWN:
		return true
	}
	return false
}

// nanpShaped rejects North American numbers whose area code or exchange
// starts with 0 or 1 (NXX-NXX-XXXX): placeholders such as 000-000-0000 pass
// the length check but are nobody's phone.
func nanpShaped(n *phonenumbers.PhoneNumber) bool {
	if n.GetCountryCode() != 1 {
		return true
	}
	d := strconv.FormatUint(n.GetNationalNumber(), 10)
	return len(d) == 10 && d[0] >= '2' && d[3] >= '2'
}

package importer

import (
	"fmt"
	"strconv"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is the region of numbers written without a country code.
const DefaultRegion = "US"

// NormalizePhone returns the number in E.164 and its type. A number must
// have a full national length: "555-1234" (no area code) would otherwise
// become a wrong E.164 number. Numbers that are well formed but unassigned
// (the 555 numbers of the spec's own example) are kept: the metadata does
// not know every range, and dropping a tenant's phone loses an SMS invite.
func NormalizePhone(s string) (string, phonenumbers.PhoneNumberType, error) {
	n, err := phonenumbers.Parse(s, DefaultRegion)
	if err != nil || phonenumbers.IsPossibleNumberWithReason(n) != phonenumbers.IS_POSSIBLE || !nanpShaped(n) {
		return "", phonenumbers.UNKNOWN, fmt.Errorf("%q is not a phone number we can normalize (include the area code)", s)
	}
	return phonenumbers.Format(n, phonenumbers.E164), phonenumbers.GetNumberType(n), nil
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

// phoneSlot says where a number of unknown purpose goes: cell-capable
// numbers fill the cell phone first (SMS invites need one), fixed lines
// and the rest (VoIP, toll-free, ...) only the home phone. UNKNOWN (a number
// the metadata cannot place) is treated as cell-capable: US numbers are
// mostly mobile and the spec's plain "phone" fields are usually the cell.
func phoneSlot(t phonenumbers.PhoneNumberType, cellFree, homeFree bool) (cell, home bool) {
	switch t {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE, phonenumbers.UNKNOWN:
		return cellFree, !cellFree && homeFree
	}
	return false, homeFree
}

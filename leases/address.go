package leases

import (
	"strings"
	"unicode"

	"github.com/leasegraph/leasegraph/types"
)

// SameAddress reports whether a and b are the same home, as far as two
// systems that spell addresses their own way can tell: the lease sync asks
// it of a resident's address and the lease's unit (a resident still at the
// unit is neither coming from it nor going to it).
//
// Case, spacing and punctuation never matter. The street line is read up
// to its first unit designator ("Apt", "Apartment", "Unit", "Suite",
// "Ste", "#", "No", "Number", "Rm", "Room"); what follows it, and the
// second line, is the unit, designators dropped, so "1 Elm St", "Apt 4B"
// and "1 Elm Street #4b" and "1 elm st unit 4-B" are one home. Street
// suffixes and directions are compared in USPS's abbreviations
// (Publication 28: "Street" is "St", "North" is "N"). When either address
// names no unit, the building decides: the one address cannot tell which
// of its homes it is, and it is the same building. Both need a street
// line, and where both have a ZIP code its first five digits must agree
// (then the city and state are not compared: "NYC" and "New York" share
// one), else the cities, and the states, where both have one.
func SameAddress(a, b *types.Address) bool {
	if a.IsZero() || b.IsZero() {
		return false
	}
	sa, ua := homeKey(a)
	sb, ub := homeKey(b)
	if sa == "" || sb == "" || !samePlace(a, b) {
		return false
	}
	switch {
	case sa+ua == sb+ub:
		// Also a unit written without a designator ("1 Elm St 4B"),
		// which reads as part of the street.
		return true
	case sa != sb:
		return false
	case ua == "" || ub == "":
		return true
	}
	return ua == ub
}

// homeKey is an address's street and unit in the form SameAddress compares.
func homeKey(a *types.Address) (street, unit string) {
	var s, u strings.Builder
	inUnit := false
	for _, tok := range tokens(a.Street) {
		if unitDesignators[tok] {
			inUnit = true
			continue
		}
		if inUnit {
			u.WriteString(tok)
		} else {
			s.WriteString(cmpStr(uspsAbbrev[tok], tok))
		}
	}
	for _, tok := range tokens(a.Apt) {
		if !unitDesignators[tok] {
			u.WriteString(tok)
		}
	}
	return s.String(), u.String()
}

// samePlace says whether the parts beyond the street agree: the ZIP codes'
// first five digits when both have one, else the cities and the states
// where both have them.
func samePlace(a, b *types.Address) bool {
	if za, zb := zipKey(a.Zip), zipKey(b.Zip); za != "" && zb != "" {
		return za == zb
	}
	if ca, cb := strings.Join(tokens(a.City), ""), strings.Join(tokens(b.City), ""); ca != "" && cb != "" && ca != cb {
		return false
	}
	sa, sb := strings.Join(tokens(a.State), ""), strings.Join(tokens(b.State), "")
	return sa == "" || sb == "" || sa == sb
}

// zipKey is a US ZIP code's five digits (ZIP+4 and 5-digit forms alike);
// any other postal code as its letters and digits.
func zipKey(zip string) string {
	k := strings.Join(tokens(zip), "")
	if len(k) == 9 && allDigits(k) {
		return k[:5]
	}
	return k
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// tokens splits s into lower-case runs of letters and digits; "#" is a
// token of its own (a unit designator), any other rune a separator.
func tokens(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		word := unicode.IsLetter(r) || unicode.IsDigit(r)
		if start >= 0 && !word {
			out = append(out, strings.ToLower(s[start:i]))
			start = -1
		}
		switch {
		case word && start < 0:
			start = i
		case r == '#':
			out = append(out, "#")
		}
	}
	if start >= 0 {
		out = append(out, strings.ToLower(s[start:]))
	}
	return out
}

func cmpStr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// unitDesignators are the words that introduce a unit in a street line:
// USPS Publication 28's secondary unit designators that name a home
// (appendix C2: APT, UNIT, STE, RM, and "#"), their long forms, and "No".
var unitDesignators = map[string]bool{
	"#": true, "apt": true, "apartment": true, "unit": true, "suite": true, "ste": true,
	"no": true, "num": true, "number": true, "rm": true, "room": true,
}

// uspsAbbrev maps common street suffixes (USPS Publication 28, appendix
// C1) and directions to USPS's abbreviations, so "28 West 22nd Street" and
// "28 W 22nd St" compare equal.
var uspsAbbrev = map[string]string{
	"street": "st", "str": "st", "avenue": "ave", "av": "ave", "boulevard": "blvd", "road": "rd",
	"drive": "dr", "lane": "ln", "court": "ct", "place": "pl", "terrace": "ter", "parkway": "pkwy",
	"highway": "hwy", "circle": "cir", "square": "sq", "trail": "trl", "plaza": "plz", "expressway": "expy",
	"north": "n", "south": "s", "east": "e", "west": "w",
	"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
}

// Package usps holds the two-letter codes the US Postal Service assigns to
// states, districts, territories and military post offices. Partners that
// ask for "the USPS 2-letter state abbreviation" (SmartMove) reject other
// pairs of letters, so we check the list, not the shape.
package usps

// codes is USPS Publication 28, appendix B (states and possessions) and
// C (the armed forces' AA, AE, AP).
var codes = map[string]struct{}{
	"AL": {}, "AK": {}, "AZ": {}, "AR": {}, "CA": {}, "CO": {}, "CT": {}, "DE": {}, "FL": {}, "GA": {},
	"HI": {}, "ID": {}, "IL": {}, "IN": {}, "IA": {}, "KS": {}, "KY": {}, "LA": {}, "ME": {}, "MD": {},
	"MA": {}, "MI": {}, "MN": {}, "MS": {}, "MO": {}, "MT": {}, "NE": {}, "NV": {}, "NH": {}, "NJ": {},
	"NM": {}, "NY": {}, "NC": {}, "ND": {}, "OH": {}, "OK": {}, "OR": {}, "PA": {}, "RI": {}, "SC": {},
	"SD": {}, "TN": {}, "TX": {}, "UT": {}, "VT": {}, "VA": {}, "WA": {}, "WV": {}, "WI": {}, "WY": {},
	"DC": {},
	"AS": {}, "GU": {}, "MP": {}, "PR": {}, "VI": {}, "FM": {}, "MH": {}, "PW": {},
	"AA": {}, "AE": {}, "AP": {},
}

// IsCode reports whether s is a USPS state or territory code, in capitals.
func IsCode(s string) bool {
	_, ok := codes[s]
	return ok
}

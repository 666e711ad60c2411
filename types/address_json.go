package types

import (
	"database/sql"
	"encoding/json"
	"unicode/utf8"
)

// addressFields is Address without its UnmarshalJSON: encoding/json's own
// decoding, for every input the short path below does not take.
type addressFields Address

// UnmarshalJSON decodes an address as encoding/json would. Addresses are
// read with every lease and tenant (ent stores them as JSON columns), and
// encoding/json's reflection cost a page of 50 leases with their tenants
// about a thousand allocations. So the common form, an object whose keys
// are exactly the five field names and whose values are strings without
// escapes, in valid UTF-8, is read here into one string (one allocation)
// that the fields share; anything else (null, other keys or cases, escapes,
// other value types, invalid input) goes to encoding/json, which gives the
// same result or error as before. TestAddressUnmarshalJSON and
// FuzzAddressUnmarshalJSON compare the two.
func (a *Address) UnmarshalJSON(b []byte) error {
	if flat, ok := decodeFlatAddress(string(b), *a); ok {
		*a = flat
		return nil
	}
	return json.Unmarshal(b, (*addressFields)(a))
}

// decodeFlatAddress reads {"key": "value", ...} with the five keys in any
// order over a (as encoding/json, a key left out keeps a's value and a
// repeated key's last value wins) and reports false for anything else.
func decodeFlatAddress(s string, a Address) (Address, bool) {
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return a, false
	}
	i = skipSpace(s, i+1)
	if i < len(s) && s[i] == '}' {
		return a, skipSpace(s, i+1) == len(s)
	}
	for {
		key, next, ok := plainString(s, i)
		if !ok {
			return a, false
		}
		i = skipSpace(s, next)
		if i >= len(s) || s[i] != ':' {
			return a, false
		}
		value, next, ok := plainString(s, skipSpace(s, i+1))
		if !ok {
			return a, false
		}
		switch key {
		case "street":
			a.Street = value
		case "apt":
			a.Apt = value
		case "city":
			a.City = value
		case "state":
			a.State = value
		case "zip":
			a.Zip = value
		default:
			return a, false
		}
		i = skipSpace(s, next)
		if i >= len(s) {
			return a, false
		}
		switch s[i] {
		case ',':
			i = skipSpace(s, i+1)
		case '}':
			return a, skipSpace(s, i+1) == len(s)
		default:
			return a, false
		}
	}
}

// plainString reads a JSON string at s[i] that needs no unquoting: no
// escape, no control character, valid UTF-8. It returns the contents and
// the index after the closing quote.
func plainString(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", 0, false
	}
	ascii := true
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			v := s[i+1 : j]
			if !ascii && !utf8.ValidString(v) {
				return "", 0, false // encoding/json replaces invalid bytes
			}
			return v, j + 1, true
		case c == '\\' || c < 0x20:
			return "", 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", 0, false
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// ScanAddress reads an address column (JSON, as Address's own encoding
// writes it): JSON null and an empty column are nil (SQL NULL is the
// caller's). ent stored addresses as JSON
// fields, which it decoded with json.Unmarshal: a validity scan of every
// column before UnmarshalJSON, about a sixth of the leases page's CPU for
// its ~200 addresses. The flat form is read directly; anything else goes
// through json.Unmarshal as before, with the same result or error.
func ScanAddress(s string) (*Address, error) { return scanAddressInto(s, new(Address)) }

// AddressColumn is what an address column is scanned into: the column's
// text (SQL NULL is not Valid) and room for the address it holds, so that
// the holder ent allocates for the column is also the address it returns.
type AddressColumn struct {
	sql.Null[string]
	addr Address
}

// Address is the column's address as ScanAddress reads it; nil for SQL
// NULL. The address lives in c.
func (c *AddressColumn) Address() (*Address, error) {
	if !c.Valid {
		return nil, nil
	}
	return scanAddressInto(c.V, &c.addr)
}

// scanAddressInto is ScanAddress with the flat form's room given: dst.
func scanAddressInto(s string, dst *Address) (*Address, error) {
	if len(s) == 0 {
		return nil, nil // as ent's JSON fields read an empty column
	}
	if flat, ok := decodeFlatAddress(s, Address{}); ok {
		*dst = flat // its strings share s: one allocation for the column
		return dst, nil
	}
	var a *Address
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return nil, err
	}
	return a, nil
}

// AddressValue is the column value of a (JSON; nil is JSON null, as ent's
// JSON fields wrote it).
func AddressValue(a *Address) ([]byte, error) { return json.Marshal(a) }

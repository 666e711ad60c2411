package propexotest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

type kind int

const (
	kString kind = iota
	kInt
	kBool
	kStrings
	kInts
)

var kindNames = [...]string{kString: "string", kInt: "integer", kBool: "boolean", kStrings: "array of strings", kInts: "array of integers"}

// rule is one field of a spec. min and max are 0 when the spec sets none.
type rule struct {
	name     string
	kind     kind
	required bool
	maxLen   int
	min, max int
}

// createSchema is the create spec, field for field, in its order.
var createSchema = []rule{
	{name: "integration_id", required: true},
	{name: "community_id"},
	{name: "email_1"},
	{name: "phone_1"},
	{name: "phone_2"},
	{name: "first_name"},
	{name: "last_name"},
	{name: "move_in_date"},
	{name: "rent_minimum_in_cents", kind: kInt, min: 1},
	{name: "rent_maximum_in_cents", kind: kInt, min: 1},
	{name: "notes"},
	{name: "pets", kind: kStrings},
	{name: "attribution_id"},
	{name: "agent_id"},
	{name: "address_1", maxLen: 40},
	{name: "city", maxLen: 30},
	{name: "state", maxLen: 4},
	{name: "zip", maxLen: 12},
	{name: "number_of_occupants", kind: kInt},
	{name: "lease_term_in_months", kind: kInt, min: 1, max: 18},
	{name: "desired_num_bedrooms", kind: kInts},
	{name: "subscribe", kind: kBool},
	{name: "first_contact_type"},
	{name: "middle_name"},
	{name: "address_2", maxLen: 40},
	{name: "country", maxLen: 2},
	{name: "preferred_contact_method"},
	{name: "prospect_source"},
}

// updateSchema is the update spec: lease_id required, no integration_id,
// community_id, attribution_id, first_contact_type or middle_name, and a
// lease term without maximum.
var updateSchema = []rule{
	{name: "lease_id", required: true},
	{name: "email_1"},
	{name: "phone_1"},
	{name: "phone_2"},
	{name: "first_name"},
	{name: "last_name"},
	{name: "move_in_date"},
	{name: "rent_minimum_in_cents", kind: kInt, min: 1},
	{name: "rent_maximum_in_cents", kind: kInt, min: 1},
	{name: "notes"},
	{name: "pets", kind: kStrings},
	{name: "agent_id"},
	{name: "number_of_occupants", kind: kInt},
	{name: "lease_term_in_months", kind: kInt, min: 1},
	{name: "desired_num_bedrooms", kind: kInts},
	{name: "address_1", maxLen: 40},
	{name: "address_2", maxLen: 40},
	{name: "city", maxLen: 30},
	{name: "state", maxLen: 4},
	{name: "zip", maxLen: 12},
	{name: "country", maxLen: 2},
	{name: "preferred_contact_method"},
	{name: "subscribe", kind: kBool},
	{name: "prospect_source"},
}

// Issue is one entry of error.details.issues, shaped like the partner's
// validator output: a code, the path as an array, a message.
type Issue struct {
	Code    string `json:"code"`
	Path    []any  `json:"path"`
	Message string `json:"message"`
}

// check validates a raw body against a schema and returns every issue, in
// schema order, unknown keys last. A nil map means the body was not a JSON
// object.
func check(fields map[string]json.RawMessage, schema []rule) []Issue {
	var issues []Issue
	known := make(map[string]bool, len(schema))
	for _, r := range schema {
		known[r.name] = true
		raw, present := fields[r.name]
		// null is read as absent: the spec has no nullable fields, and
		// a client sending null for "not set" means no harm.
		if !present || string(raw) == "null" {
			if r.required {
				issues = append(issues, issue("invalid_type", r.name, "Required"))
			}
			continue
		}
		issues = append(issues, r.check(raw)...)
	}
	var unknown []string
	for k := range fields {
		if !known[k] {
			unknown = append(unknown, "'"+k+"'")
		}
	}
	if len(unknown) > 0 {
		// Strict, unlike a lenient server: a client sending a key the
		// spec does not list for this endpoint has a bug worth seeing.
		sort.Strings(unknown)
		issues = append(issues, Issue{Code: "unrecognized_keys", Path: []any{},
			Message: "Unrecognized key(s) in object: " + strings.Join(unknown, ", ")})
	}
	return issues
}

func (r rule) check(raw json.RawMessage) []Issue {
	var (
		s   string
		n   int
		b   bool
		ss  []string
		ns  []int
		err error
	)
	switch r.kind {
	case kString:
		err = json.Unmarshal(raw, &s)
	case kInt:
		err = json.Unmarshal(raw, &n)
	case kBool:
		err = json.Unmarshal(raw, &b)
	case kStrings:
		err = json.Unmarshal(raw, &ss)
	case kInts:
		err = json.Unmarshal(raw, &ns)
	}
	if err != nil {
		return []Issue{issue("invalid_type", r.name, "Expected "+kindNames[r.kind])}
	}
	var out []Issue
	if r.required && strings.TrimSpace(s) == "" {
		out = append(out, issue("too_small", r.name, "String must contain at least 1 character(s)"))
	}
	if r.maxLen > 0 && utf8.RuneCountInString(s) > r.maxLen {
		out = append(out, issue("too_big", r.name, fmt.Sprintf("String must contain at most %d character(s)", r.maxLen)))
	}
	if r.min > 0 && n < r.min {
		out = append(out, issue("too_small", r.name, fmt.Sprintf("Number must be greater than or equal to %d", r.min)))
	}
	if r.max > 0 && n > r.max {
		out = append(out, issue("too_big", r.name, fmt.Sprintf("Number must be less than or equal to %d", r.max)))
	}
	return out
}

func issue(code, field, msg string) Issue {
	return Issue{Code: code, Path: []any{field}, Message: msg}
}

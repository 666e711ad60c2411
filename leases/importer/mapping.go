package importer

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Mapping names our field for each of the source's: {"LeaseID": "id",
// "Residents": "tenants", "FName": "tenants.first_name", "Unit": "unit_address.apt"}.
//
// Keys are the source's names: a column, a JSON key, or a dotted path into
// nested JSON objects ("Unit.Line1"). Inside a tenants array a key may be
// written alone ("FName") or under the array's name ("Residents.FName").
// Keys match exactly, else ignoring case and punctuation.
//
// Values are our names, those of the lease-service spec: id, property_id,
// property_name, status, lease_start_date, lease_end_date, move_in_date,
// move_out_date, move_date, use_type, unit_address, previous_address,
// forwarding_address (each also with .street, .apt, .city, .state or .zip),
// client_id (read and ignored), tenants (the array, or the prefix of
// numbered columns such as Res1_FName), and for tenants tenants.id,
// tenants.first_name, tenants.last_name, tenants.email, tenants.cell_phone,
// tenants.home_phone, tenants.phone (a phone of unknown kind),
// tenants.gender, tenants.previous_address[.part] and
// tenants.forwarding_address[.part]. tenants.N.field (N from 1) puts a
// column on the N-th tenant of the row. "extra" and "tenants.extra" keep a
// field as sent in the lease's or the row's tenant's extra, and "-" drops it.
// Fields neither mapped nor known by a default name go to extra, as sent.
type Mapping map[string]string

// ParseMapping reads a mapping from a JSON object of strings.
func ParseMapping(data []byte) (Mapping, error) {
	var m Mapping
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("a mapping is a JSON object of strings, {\"their field\": \"our field\"}: %w", err)
	}
	return m, m.Validate()
}

// Validate reports the first entry whose target is not one of ours.
func (m Mapping) Validate() error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("mapping: an empty field name")
		}
		if !validTarget(m[k]) {
			return fmt.Errorf("mapping %q: unknown field %q", k, m[k])
		}
	}
	return nil
}

var (
	addressParts  = []string{"street", "apt", "city", "state", "zip"}
	leaseScalars  = []string{"id", "client_id", "property_id", "property_name", "status", "lease_start_date", "lease_end_date", "move_in_date", "move_out_date", "move_date", "use_type"}
	leaseAddrs    = []string{"unit_address", "previous_address", "forwarding_address"}
	tenantScalars = []string{"id", "first_name", "last_name", "email", "cell_phone", "home_phone", "phone", "gender"}
	tenantAddrs   = []string{"previous_address", "forwarding_address"}
	numberedRe    = regexp.MustCompile(`^tenants\.(\d+)\.(.+)$`)
)

// validTarget reports whether t is one of our field names (see Mapping).
func validTarget(t string) bool {
	switch t {
	case "-", "extra", "tenants", "tenants.extra":
		return true
	}
	if sub := numberedRe.FindStringSubmatch(t); sub != nil && sub[1] != "0" {
		return isTenantField(sub[2]) || sub[2] == "extra"
	}
	if rel, ok := strings.CutPrefix(t, "tenants."); ok {
		return isTenantField(rel)
	}
	return slices.Contains(leaseScalars, t) || isAddressField(leaseAddrs, t)
}

func isTenantField(rel string) bool {
	return slices.Contains(tenantScalars, rel) || isAddressField(tenantAddrs, rel)
}

// isAddressField reports whether f is one of bases or one of its parts.
func isAddressField(bases []string, f string) bool {
	base, part, dotted := strings.Cut(f, ".")
	return slices.Contains(bases, base) && (!dotted || slices.Contains(addressParts, part))
}

// normalize folds a field name for loose matching: "LeaseStartDate",
// "lease start date" and "Lease-Start-Date" all become "lease_start_date".
func normalize(s string) string {
	rs := []rune(strings.TrimSpace(s))
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 {
			prev := rs[i-1]
			acronymEnd := unicode.IsUpper(prev) && i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || acronymEnd {
				b.WriteByte('_')
			}
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteByte('_')
		}
	}
	parts := strings.FieldsFunc(b.String(), func(r rune) bool { return r == '_' })
	return strings.Join(parts, "_")
}

// The default names, normalized, for feeds without a mapping (and for the
// fields a mapping leaves out).
var (
	leaseSynonyms = map[string][]string{
		"id":               {"id", "lease_id", "lease_number", "lease_no", "lease_code"},
		"client_id":        {"client_id", "client"},
		"property_id":      {"property_id", "property", "property_code", "property_tag", "prop_id", "building_id"},
		"property_name":    {"property_name", "building_name", "community_name"},
		"status":           {"status", "lease_status"},
		"lease_start_date": {"lease_start_date", "lease_start", "start_date", "lease_from", "lease_begin_date", "commencement_date"},
		"lease_end_date":   {"lease_end_date", "lease_end", "end_date", "lease_to", "lease_expiration_date", "expiration_date"},
		"move_in_date":     {"move_in_date", "move_in", "movein_date", "moveindate", "movein"},
		"move_out_date":    {"move_out_date", "move_out", "moveout_date", "moveoutdate", "moveout"},
		"move_date":        {"move_date", "moving_date"},
		"use_type":         {"use_type", "unit_use", "use", "usage"},
		"tenants":          {"tenants", "tenant", "residents", "resident", "occupants", "occupant", "applicants", "roommates", "lessees", "contacts", "people"},
	}
	tenantSynonyms = map[string][]string{
		"id":         {"id", "tenant_id", "resident_id", "contact_id", "person_id", "occupant_id"},
		"first_name": {"first_name", "firstname", "first", "fname", "f_name", "given_name"},
		"last_name":  {"last_name", "lastname", "last", "lname", "l_name", "surname", "family_name"},
		"email":      {"email", "email_address", "e_mail", "emailaddress"},
		"cell_phone": {"cell_phone", "cellphone", "cell", "mobile", "mobile_phone", "mobile_number", "cell_number"},
		"home_phone": {"home_phone", "homephone", "home", "landline", "home_number", "home_phone_number"},
		"phone":      {"phone", "phone1", "phone2", "phone3", "phone_1", "phone_2", "phone_3", "phone_number", "telephone", "tel"},
		"gender":     {"gender", "sex"},
	}
	addressBaseSynonyms = map[string][]string{
		"unit_address":       {"unit_address", "address", "unit_addr"},
		"previous_address":   {"previous_address", "prev_address", "prior_address"},
		"forwarding_address": {"forwarding_address", "forward_address"},
	}
	partSynonyms = map[string][]string{
		"street": {"street", "address1", "address_1", "line1", "line_1", "street_address", "addr1"},
		"apt":    {"apt", "unit", "apartment", "suite", "address2", "address_2", "line2", "line_2", "apt_no", "unit_number"},
		"city":   {"city", "town"},
		"state":  {"state", "province", "region"},
		"zip":    {"zip", "zip_code", "zipcode", "postal_code", "postcode"},
	}
	// tenantPrefixes mark a flattened tenant column: "tenant_email".
	tenantPrefixes = []string{"tenant_", "resident_", "occupant_", "applicant_", "contact_"}

	leaseDefaults  = map[string]string{} // normalized name -> lease target
	tenantDefaults = map[string]string{} // normalized name -> tenant-relative target
	partDefaults   = map[string]string{} // normalized name -> address part
)

func init() {
	invert := func(into map[string]string, syn map[string][]string, prefix string) {
		for target, names := range syn {
			for _, n := range names {
				into[n] = prefix + target
			}
		}
	}
	invert(leaseDefaults, leaseSynonyms, "")
	invert(tenantDefaults, tenantSynonyms, "")
	invert(partDefaults, partSynonyms, "")
	// Flattened addresses: unit_address_city, previous_address_zip, prev_zip...
	for base, names := range addressBaseSynonyms {
		bases := []map[string]string{leaseDefaults}
		if base != "unit_address" {
			bases = append(bases, tenantDefaults)
		}
		for _, into := range bases {
			for _, n := range names {
				into[n] = base
				for part, pnames := range partSynonyms {
					for _, pn := range pnames {
						into[n+"_"+pn] = base + "." + part
					}
				}
			}
		}
	}
	// On a lease, a bare street, apt, city... is the unit's.
	for part, pnames := range partSynonyms {
		for _, pn := range pnames {
			leaseDefaults[pn] = "unit_address." + part
			leaseDefaults["unit_"+pn] = "unit_address." + part
		}
	}
}

// resolver finds our field for a source name: the mapping first, then the
// default names.
type resolver struct {
	exact Mapping
	loose map[string]string // normalized key -> target
}

func newResolver(m Mapping) *resolver {
	r := &resolver{exact: m, loose: map[string]string{}}
	for k, v := range m {
		r.loose[normalize(k)] = v
	}
	return r
}

func (r *resolver) mapped(key string) (string, bool) {
	if t, ok := r.exact[key]; ok {
		return t, true
	}
	t, ok := r.loose[normalize(key)]
	return t, ok
}

// mentions reports whether the mapping names a field under the path, so a
// nested object is worth walking into.
func (r *resolver) mentions(path string) bool {
	for k := range r.exact {
		if strings.HasPrefix(k, path+".") || strings.HasPrefix(normalize(k), normalize(path)+"_") {
			return true
		}
	}
	return false
}

// leaseTarget resolves a key at the lease level (top level of a record):
// our lease field, or "tenants.x" for a flattened tenant column.
func (r *resolver) leaseTarget(key string, topLevel bool) string {
	if t, ok := r.mapped(key); ok {
		return t
	}
	if !topLevel {
		// Default names apply to the record's own keys only: an unknown
		// nested object ({"Owner": {"id": ...}}) must not shadow them.
		return ""
	}
	n := normalize(key)
	if t, ok := leaseDefaults[n]; ok {
		return t
	}
	if t, ok := tenantDefaults[n]; ok && t != "id" {
		return "tenants." + t
	}
	for _, p := range tenantPrefixes {
		if rest, ok := strings.CutPrefix(n, p); ok {
			if t, ok := tenantDefaults[rest]; ok {
				return "tenants." + t
			}
		}
	}
	return ""
}

// tenantTarget resolves a key inside a tenant object of the array arrayKey,
// relative to the tenant ("first_name"), or a lease field ("status") when
// the mapping puts one there.
func (r *resolver) tenantTarget(arrayKey, key string, topLevel bool) (target string, onLease bool) {
	t, ok := r.mapped(arrayKey + "." + key)
	if !ok {
		t, ok = r.mapped(key)
	}
	if ok {
		if rel, isTenant := strings.CutPrefix(t, "tenants."); isTenant {
			return rel, false
		}
		switch {
		case t == "-", t == "extra", isTenantField(t):
			return t, false
		}
		return t, true
	}
	if !topLevel {
		return "", false
	}
	n := normalize(key)
	if t, ok := tenantDefaults[n]; ok {
		return t, false
	}
	for _, p := range tenantPrefixes {
		if t, ok := tenantDefaults[strings.TrimPrefix(n, p)]; ok {
			return t, false
		}
	}
	return "", false
}

// numberedColumn matches a flattened column of the N-th tenant,
// "tenant2_first_name" or (with {"Res": "tenants"}) "Res2_FName".
var numberedColumn = regexp.MustCompile(`^([a-z_]*?)_?(\d+)_(.+)$`)

// numbered splits a numbered tenant column into the tenant's number (from 1)
// and the rest of the name; n is 0 when the key is not one.
func (r *resolver) numbered(key string) (n int, rest string) {
	sub := numberedColumn.FindStringSubmatch(normalize(key))
	if sub == nil || sub[1] == "" {
		return 0, ""
	}
	prefix := sub[1]
	if t, ok := r.loose[prefix]; !ok || t != "tenants" {
		if leaseDefaults[prefix] != "tenants" {
			return 0, ""
		}
	}
	n, _ = strconv.Atoi(sub[2])
	return n, sub[3]
}

// reverse finds the source name the mapping gives our field, for reports
// about a missing field.
func (r *resolver) reverse(target string) string {
	var names []string
	for k, v := range r.exact {
		// Inside a tenants array the mapping may name tenant fields bare.
		rel, isTenant := strings.CutPrefix(target, "tenants.")
		if v == target || isTenant && v == rel {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

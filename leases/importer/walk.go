package importer

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/leasegraph/leasegraph/apperr"
)

// value is one source value bound to our field, with the source's name
// for it (a column, or a JSON path) and where it was read.
type value struct {
	text string
	col  string
	at   Position
}

// fields maps our field names to the values read for them.
type fields map[string]value

// rawTenant is a tenant as read, before validation.
type rawTenant struct {
	at     Position
	fields fields
	phones []value // phone, phone1, phone2...: kind unknown, in source order
	extra  map[string]any
}

// has reports whether the source gave the tenant any of our fields: empty
// numbered columns (tenant3_first_name, blank) make no tenant.
func (t *rawTenant) has() bool { return len(t.fields) > 0 || len(t.phones) > 0 }

// rawRecord is one record (a CSV row, a JSON element) as read.
type rawRecord struct {
	at       Position
	lease    fields
	extra    map[string]any
	row      *rawTenant         // the flattened row's own tenant (one row per tenant)
	numbered map[int]*rawTenant // tenant1_..., tenant2_...
	nested   []*rawTenant       // the tenants array
	errs     []RowError
}

// tenants returns the record's tenants: the row's own, the numbered ones
// in number order, then the array's.
func (r *rawRecord) tenants() []*rawTenant {
	var out []*rawTenant
	if r.row.has() {
		out = append(out, r.row)
	}
	for _, n := range slices.Sorted(maps.Keys(r.numbered)) {
		if r.numbered[n].has() {
			out = append(out, r.numbered[n])
		}
	}
	for _, t := range r.nested {
		if t.has() {
			out = append(out, t)
		}
	}
	return out
}

func newTenant(at Position) *rawTenant {
	return &rawTenant{at: at, fields: fields{}, extra: map[string]any{}}
}

// walker reads records into our fields.
type walker struct{ r *resolver }

func (w *walker) record(src source) *rawRecord {
	rec := &rawRecord{at: src.at, lease: fields{}, extra: map[string]any{},
		row: newTenant(src.at), numbered: map[int]*rawTenant{}}
	w.checkText(rec, src.obj, "")
	w.leaseObject(rec, src.obj, nil)
	return rec
}

var indexRe = regexp.MustCompile(`\[\d+\]`)

// checkText reports every name and value of the record that a database
// cannot store as text (a NUL byte, invalid UTF-8), naming where it is.
func (w *walker) checkText(rec *rawRecord, v any, col string) {
	switch v := v.(type) {
	case object:
		for _, m := range v {
			name := m.Key
			if col != "" {
				name = col + "." + m.Key
			}
			if p := apperr.TextProblem(m.Key); p != "" {
				rec.errs = append(rec.errs, rowErr(rec.at, "", strings.ToValidUTF8(name, "\ufffd"), "the field's name "+p))
				continue
			}
			w.checkText(rec, m.Val, name)
		}
	case []any:
		for i, e := range v {
			w.checkText(rec, e, fmt.Sprintf("%s[%d]", col, i))
		}
	case string:
		if p := apperr.TextProblem(v); p != "" {
			field := w.r.leaseTarget(col, !strings.Contains(col, "."))
			if field == "" || field == "-" || field == "extra" {
				field = indexRe.ReplaceAllString(col, "") // tenants[0].first_name: tenants.first_name
			}
			rec.errs = append(rec.errs, rowErr(rec.at, field, col, p))
		}
	}
}

// leaseObject reads the members of a lease object; path is the object's
// own path from the record (nil at the top).
func (w *walker) leaseObject(rec *rawRecord, obj object, path []string) {
	for _, m := range obj {
		p := append(slices.Clone(path), m.Key)
		name := strings.Join(p, ".")
		target := w.r.leaseTarget(name, len(path) == 0)
		if target == "" && len(path) == 0 {
			if n, rest := w.r.numbered(m.Key); n > 0 {
				t := rec.numbered[n]
				if t == nil {
					t = newTenant(rec.at)
					rec.numbered[n] = t
				}
				rel, onLease := w.r.tenantTarget("", rest, true)
				if onLease {
					rel = ""
				}
				w.tenantValue(rec, t, rel, m, []string{m.Key}, name)
				continue
			}
		}
		if sub := numberedRe.FindStringSubmatch(target); sub != nil {
			n, _ := strconv.Atoi(sub[1])
			t := rec.numbered[n]
			if t == nil {
				t = newTenant(rec.at)
				rec.numbered[n] = t
			}
			w.tenantValue(rec, t, sub[2], m, p, name)
			continue
		}
		switch {
		case target == "-":
		case target == "extra":
			putExtra(rec.extra, p, plain(m.Val))
		case target == "tenants":
			w.tenantList(rec, m, name)
		case strings.HasPrefix(target, "tenants."):
			w.tenantValue(rec, rec.row, strings.TrimPrefix(target, "tenants."), m, p, name)
		case target == "":
			if o, ok := m.Val.(object); ok && w.r.mentions(name) {
				w.leaseObject(rec, o, p)
			} else {
				putExtra(rec.extra, p, plain(m.Val))
			}
		default:
			w.set(rec, rec.lease, "", target, m.Val, name, p, rec.extra)
		}
	}
}

// tenantList reads the tenants array (or a single tenant object).
func (w *walker) tenantList(rec *rawRecord, m member, name string) {
	items, ok := m.Val.([]any)
	if o, isObj := m.Val.(object); isObj {
		items, ok = []any{o}, true
	}
	if !ok {
		if m.Val != nil {
			rec.errs = append(rec.errs, rowErr(rec.at, "tenants", name, "expected a list of tenants"))
		}
		return
	}
	for i, it := range items {
		o, ok := it.(object)
		col := fmt.Sprintf("%s[%d]", name, i)
		if !ok {
			rec.errs = append(rec.errs, rowErr(rec.at, "tenants", col, "expected a tenant object"))
			continue
		}
		t := newTenant(rec.at)
		rec.nested = append(rec.nested, t)
		for _, tm := range o {
			rel, onLease := w.r.tenantTarget(m.Key, tm.Key, true)
			tcol := col + "." + tm.Key
			if onLease {
				w.set(rec, rec.lease, "", rel, tm.Val, tcol, []string{tm.Key}, t.extra)
				continue
			}
			w.tenantValue(rec, t, rel, tm, []string{tm.Key}, tcol)
		}
	}
}

// tenantValue stores one member on a tenant; rel is our tenant-relative
// field ("" when unknown). extraPath is where an unmapped value is kept.
func (w *walker) tenantValue(rec *rawRecord, t *rawTenant, rel string, m member, extraPath []string, col string) {
	switch {
	case rel == "-":
	case rel == "" || rel == "extra":
		putExtra(t.extra, extraPath, plain(m.Val))
	case rel == "phone":
		if s, ok := w.text(rec, m.Val, "tenants.phone", col); ok && s != "" {
			t.phones = append(t.phones, value{text: s, col: col, at: rec.at})
		}
	default:
		w.set(rec, t.fields, "tenants.", rel, m.Val, col, extraPath, t.extra)
	}
}

// set stores a value for our field (tenant-relative when prefix is
// "tenants."); an address takes an object and spreads its parts. Two source
// fields giving one of ours different values is an error: the feed must say
// which one it means.
func (w *walker) set(rec *rawRecord, into fields, prefix, target string, v any, col string, path []string, extra map[string]any) {
	if o, ok := v.(object); ok {
		base, _, _ := strings.Cut(target, ".")
		if !isAddressField(leaseAddrs, base) {
			rec.errs = append(rec.errs, rowErr(rec.at, prefix+target, col, "expected a value, not an object"))
			return
		}
		// {"unit": {...}}: "unit" alone names the apartment, but an object
		// under it is the whole address.
		for _, pm := range o {
			ppath := append(slices.Clone(path), pm.Key)
			part, ok := w.r.mapped(strings.Join(ppath, "."))
			if ok {
				part = strings.TrimPrefix(part, "tenants.")
			} else if p := partDefaults[normalize(pm.Key)]; p != "" {
				part = base + "." + p
			}
			switch {
			case part == "-":
			case part == "" || part == "extra":
				putExtra(extra, ppath, plain(pm.Val))
			default:
				w.set(rec, into, prefix, part, pm.Val, col+"."+pm.Key, ppath, extra)
			}
		}
		return
	}
	s, ok := w.text(rec, v, prefix+target, col)
	if !ok || s == "" {
		return
	}
	if isAddressField(leaseAddrs, target) && !strings.Contains(target, ".") {
		target += ".street" // a one-line address: kept whole, as its street
	}
	if old, dup := into[target]; dup && old.text != s {
		rec.errs = append(rec.errs, rowErr(rec.at, prefix+target, col,
			fmt.Sprintf("%s and %s both give it (%q, %q): map one of them to \"-\"", old.col, col, old.text, s)))
		return
	}
	into[target] = value{text: s, col: col, at: rec.at}
}

// text reads a scalar as text.
func (w *walker) text(rec *rawRecord, v any, target, col string) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		return strings.TrimSpace(v), true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	}
	rec.errs = append(rec.errs, rowErr(rec.at, target, col, "expected a value, not a list or object"))
	return "", false
}

// putExtra stores v at the path in extra, nesting objects as the source did.
func putExtra(extra map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := extra[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			extra[k] = next
		}
		extra = next
	}
	extra[path[len(path)-1]] = v
}

func rowErr(at Position, field, col, msg string) RowError {
	e := RowError{Field: field, Column: col, Message: msg}
	if at.Line > 0 {
		e.Line = at.Line
	} else {
		i := at.Index
		e.Index = &i
	}
	return e
}

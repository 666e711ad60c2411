package importer

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/types/phone"
)

// maxReportErrors bounds the errors a report lists (Report.ErrorCount
// counts them all): a feed of 100k bad rows gets a report, not a copy of
// itself.
const maxReportErrors = 1000

// errorList collects a feed's errors, keeping the first maxReportErrors.
type errorList struct {
	list  []RowError
	total int
}

func (e *errorList) add(errs ...RowError) {
	e.total += len(errs)
	if room := maxReportErrors - len(e.list); room > 0 {
		e.list = append(e.list, errs[:min(room, len(errs))]...)
	}
}

// opener opens a feed for one pass over it: a feed is read in passes, never
// held whole.
type opener func() (io.ReadCloser, error)

func bytesOpener(data []byte) opener {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}

// feedIndex says, for each lease id, which record is the lease's last: a
// lease whose records are not adjacent (a CSV sorted by tenant) is held
// only until its last record has been read.
type feedIndex struct {
	last    map[string]int
	records int
}

// index reads the feed once for its lease ids. The error is a problem with
// the whole feed (not JSON, no header row).
func index(open opener, format Format, w *walker) (*feedIndex, error) {
	f, err := open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rr, err := newRecordReader(format, f)
	if err != nil {
		return nil, err
	}
	idx := &feedIndex{last: map[string]int{}}
	for ; ; idx.records++ {
		src, err := rr.next()
		if err == io.EOF {
			return idx, nil
		}
		if err != nil {
			return nil, err
		}
		if id := w.record(src).lease["id"].text; id != "" {
			idx.last[id] = idx.records
		}
	}
}

// scan reads and validates the feed, calling fn with each lease once its
// last record has been read (when fn is not nil). It returns how many
// leases the feed holds and its errors.
func scan(open opener, format Format, w *walker, idx *feedIndex, fn func(*Lease) error) (int, *errorList, error) {
	errs := &errorList{}
	f, err := open()
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	rr, err := newRecordReader(format, f)
	if err != nil {
		errs.add(RowError{Message: err.Error()})
		return 0, errs, nil
	}
	pending := map[string][]*rawRecord{}
	leases := 0
	for n := 0; ; n++ {
		src, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs.add(RowError{Message: err.Error()})
			return leases, errs, nil
		}
		rec := w.record(src)
		errs.add(rec.errs...)
		id := rec.lease["id"].text
		if id == "" {
			errs.add(rowErr(rec.at, "id", w.r.reverse("id"), "the lease id is required"))
			continue
		}
		pending[id] = append(pending[id], rec)
		if idx.last[id] != n {
			continue
		}
		b := &builder{r: w.r, id: id}
		l := b.lease(pending[id])
		delete(pending, id)
		leases++
		errs.add(b.errs...)
		if fn != nil {
			if err := fn(&l); err != nil {
				return leases, errs, err
			}
		}
	}
	return leases, errs, nil
}

// Parse reads and validates a feed held in memory. Records with the same
// lease id are one lease: a CSV may give one row per tenant. It returns the
// problems found (at most maxReportErrors); when there is any, the leases
// are incomplete and must not be applied.
func Parse(format Format, data []byte, m Mapping) ([]Lease, []RowError) {
	if err := m.Validate(); err != nil {
		return nil, []RowError{{Message: err.Error()}}
	}
	w := &walker{r: newResolver(m)}
	idx, err := index(bytesOpener(data), format, w)
	if err != nil {
		return nil, []RowError{{Message: err.Error()}}
	}
	if idx.records == 0 {
		return nil, []RowError{{Message: "the feed holds no leases"}}
	}
	var leases []Lease
	_, errs, _ := scan(bytesOpener(data), format, w, idx, func(l *Lease) error {
		leases = append(leases, *l)
		return nil
	})
	return leases, errs.list
}

// builder turns the records of one lease into a validated Lease.
type builder struct {
	r    *resolver
	id   string
	errs []RowError
}

func (b *builder) fail(at Position, field, col, format string, args ...any) {
	e := rowErr(at, field, col, fmt.Sprintf(format, args...))
	e.LeaseID = b.id
	b.errs = append(b.errs, e)
}

// merge joins the lease fields of a lease's records. A later record may
// leave a field empty, but not contradict the first.
func (b *builder) merge(recs []*rawRecord) (fields, map[string]any) {
	merged := fields{}
	for _, rec := range recs {
		for k, v := range rec.lease {
			old, ok := merged[k]
			switch {
			case !ok:
				merged[k] = v
			case old.text != v.text:
				b.fail(v.at, k, v.col, "%q differs from %q in the lease's %s", v.text, old.text, where(old.at))
			}
		}
	}
	// Unmapped fields shared by every row belong to the lease; those that
	// differ between rows of one lease describe each row's tenant.
	extra := map[string]any{}
	for k, v := range recs[0].extra {
		same := true
		for _, rec := range recs[1:] {
			same = same && reflect.DeepEqual(rec.extra[k], v)
		}
		if same {
			extra[k] = v
			continue
		}
		for _, rec := range recs {
			if val, ok := rec.extra[k]; ok && rec.row.has() {
				rec.row.extra[k] = val
			} else if ok {
				extra[k] = v
			}
		}
	}
	for _, rec := range recs[1:] {
		for k, v := range rec.extra {
			if _, seen := recs[0].extra[k]; !seen {
				if rec.row.has() {
					rec.row.extra[k] = v
				} else {
					extra[k] = v
				}
			}
		}
	}
	return merged, extra
}

func where(at Position) string {
	if at.Line > 0 {
		return fmt.Sprintf("line %d", at.Line)
	}
	return fmt.Sprintf("record %d", at.Index)
}

// Column limits, as the schema's validators enforce them: checked here so a
// long value is a row error, not a failed transaction.
var maxLen = map[string]int{
	"id": 200, "property_id": 100, "property_name": 200, "status": 100, "use_type": 100,
	"tenants.id": 200, "tenants.first_name": 100, "tenants.last_name": 100, "tenants.email": 254,
}

func (b *builder) lease(recs []*rawRecord) Lease {
	f, extra := b.merge(recs)
	l := Lease{SourceID: b.id, At: recs[0].at, Extra: nilIfEmpty(extra)}
	l.PropertyTag = b.text(f, "property_id", recs[0].at, true)
	l.PropertyName = b.text(f, "property_name", recs[0].at, false)
	l.Status = b.text(f, "status", recs[0].at, true)
	l.UseType = b.text(f, "use_type", recs[0].at, false)
	_ = b.text(f, "id", recs[0].at, true) // length
	if d := b.date(f, "lease_start_date", recs[0].at, true); d != nil {
		l.LeaseStartDate = *d
	}
	l.LeaseEndDate = b.date(f, "lease_end_date", recs[0].at, false)
	l.MoveInDate = b.date(f, "move_in_date", recs[0].at, false)
	l.MoveOutDate = b.date(f, "move_out_date", recs[0].at, false)
	l.MoveDate = b.date(f, "move_date", recs[0].at, false)
	l.UnitAddress = address(f, "unit_address")
	l.PreviousAddress = address(f, "previous_address")
	l.ForwardingAddress = address(f, "forwarding_address")
	ids, emails := map[string]bool{}, map[string]bool{}
	for _, rec := range recs {
		for _, rt := range rec.tenants() {
			t := b.tenant(rt)
			if t.SourceID != "" {
				if ids[t.SourceID] {
					b.fail(rt.at, "tenants.id", rt.fields["id"].col, "tenant %q is on the lease twice", t.SourceID)
				}
				ids[t.SourceID] = true
			} else if e := strings.ToLower(t.Email); e != "" {
				// Without ids, email is what tells tenants apart on re-import.
				if emails[e] {
					b.fail(rt.at, "tenants.email", rt.fields["email"].col, "two tenants without ids share the email %q", t.Email)
				}
				emails[e] = true
			}
			l.Tenants = append(l.Tenants, t)
		}
	}
	return l
}

func (b *builder) tenant(rt *rawTenant) Tenant {
	f := fields{}
	for k, v := range rt.fields {
		f["tenants."+k] = v
	}
	t := Tenant{At: rt.at}
	t.SourceID = b.text(f, "tenants.id", rt.at, false)
	t.FirstName = b.text(f, "tenants.first_name", rt.at, true)
	t.LastName = b.text(f, "tenants.last_name", rt.at, true)
	t.Email = b.text(f, "tenants.email", rt.at, false)
	if v, ok := f["tenants.email"]; ok && !looksLikeEmail(v.text) {
		b.fail(v.at, "tenants.email", v.col, "%q is not an email address", v.text)
	}
	if v, ok := f["tenants.gender"]; ok {
		switch strings.ToLower(v.text) {
		case "m", "male":
			t.Gender = "MALE"
		case "f", "female":
			t.Gender = "FEMALE"
		default:
			b.fail(v.at, "tenants.gender", v.col, "%q is not a gender we know (male, female, m or f)", v.text)
		}
	}
	b.phones(&t, f, rt)
	t.PreviousAddress = address(f, "tenants.previous_address")
	t.ForwardingAddress = address(f, "tenants.forwarding_address")
	t.Extra = nilIfEmpty(rt.extra)
	return t
}

func nilIfEmpty(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	return m
}

// phones fills the cell and home phones: the feed's own cell and home
// columns first, then its phones of unknown kind by what the number is.
func (b *builder) phones(t *Tenant, f fields, rt *rawTenant) {
	for _, slot := range []struct {
		field string
		into  *string
	}{{"tenants.cell_phone", &t.CellPhone}, {"tenants.home_phone", &t.HomePhone}} {
		if v, ok := f[slot.field]; ok {
			if e164, _, err := phone.Normalize(v.text); err != nil {
				b.fail(v.at, slot.field, v.col, "%v", err)
			} else {
				*slot.into = e164
			}
		}
	}
	for _, v := range rt.phones {
		e164, kind, err := phone.Normalize(v.text)
		if err != nil {
			b.fail(v.at, "tenants.phone", v.col, "%v", err)
			continue
		}
		if e164 == t.CellPhone || e164 == t.HomePhone {
			continue
		}
		switch cell, home := phoneSlot(kind, t.CellPhone == "", t.HomePhone == ""); {
		case cell:
			t.CellPhone = e164
		case home:
			t.HomePhone = e164
		default:
			// Both slots taken: keep the number rather than lose it.
			rt.extra[lastKey(v.col)] = v.text
		}
	}
}

func lastKey(col string) string {
	if i := strings.LastIndexByte(col, '.'); i >= 0 {
		return col[i+1:]
	}
	return col
}

func looksLikeEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at == strings.LastIndexByte(s, '@') && strings.Contains(s[at:], ".") &&
		!strings.ContainsAny(s, " \t<>,;")
}

func (b *builder) text(f fields, field string, at Position, required bool) string {
	v, ok := f[field]
	if !ok {
		if required {
			b.fail(at, field, b.r.reverse(field), "%s is required", strings.ReplaceAll(strings.TrimPrefix(field, "tenants."), "_", " "))
		}
		return ""
	}
	if n := maxLen[field]; n > 0 && len([]rune(v.text)) > n {
		b.fail(v.at, field, v.col, "is longer than %d characters", n)
	}
	return v.text
}

func (b *builder) date(f fields, field string, at Position, required bool) *time.Time {
	s := b.text(f, field, at, required)
	if s == "" {
		return nil
	}
	d, err := ParseDate(s)
	if err != nil {
		v := f[field]
		b.fail(v.at, field, v.col, "%v", err)
		return nil
	}
	return &d
}

// address gathers the parts of an address field; nil when none was given.
func address(f fields, base string) *types.Address {
	a := types.Address{
		Street: f[base+".street"].text, Apt: f[base+".apt"].text, City: f[base+".city"].text,
		State: f[base+".state"].text, Zip: f[base+".zip"].text,
	}
	if a.IsZero() {
		return nil
	}
	return &a
}

package propexo

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// fieldNames are the JSON names of every field the two write bodies have.
var fieldNames = func() []string {
	seen := map[string]bool{}
	for _, t := range []reflect.Type{reflect.TypeFor[CreateProspectRequest](), reflect.TypeFor[UpdateProspectRequest]()} {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			seen[name] = true
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}()

// FieldsIn returns the write fields the messages name, in name order.
// write-status errors are free text (docs/partners/propexo.md#write-status),
// so a field counts as named when its JSON name appears as a word: that is
// the most Propexo says about which fields a PARTIAL_SUCCESS did not write.
func FieldsIn(msgs []string) []string {
	var out []string
	for _, name := range fieldNames {
		re := regexp.MustCompile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(name) + `($|[^A-Za-z0-9_])`)
		for _, m := range msgs {
			if re.MatchString(m) {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// Fields returns the fields a 400's validation issues point at (the first
// element of each path), in order, each once.
func (e *APIError) Fields() []string {
	var out []string
	for _, is := range e.Issues {
		if len(is.Path) > 0 && !slices.Contains(out, is.Path[0]) {
			out = append(out, is.Path[0])
		}
	}
	return out
}

// Only returns a copy of r carrying lease_id and the named fields only
// (JSON names), for re-sending what a PARTIAL_SUCCESS did not write.
func (r *UpdateProspectRequest) Only(fields []string) *UpdateProspectRequest {
	out := &UpdateProspectRequest{LeaseID: r.LeaseID}
	src, dst := reflect.ValueOf(r).Elem(), reflect.ValueOf(out).Elem()
	for f := range reflect.TypeFor[UpdateProspectRequest]().Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if slices.Contains(fields, name) {
			dst.FieldByIndex(f.Index).Set(src.FieldByIndex(f.Index))
		}
	}
	return out
}

package main

import (
	"strings"
	"testing"
)

// A called vulnerability in a required module fails; in the standard
// library it warns unless asked to fail; an uncalled one only counts.
func TestGate(t *testing.T) {
	const stream = `{"osv":{"id":"GO-1","summary":"module bug"}}
{"osv":{"id":"GO-2","summary":"stdlib bug"}}
{"finding":{"osv":"GO-1","fixed_version":"v1.2.0","trace":[{"module":"example.com/m","version":"v1.1.0","package":"example.com/m/p","function":"F"}]}}
{"finding":{"osv":"GO-2","fixed_version":"v1.26.9","trace":[{"module":"stdlib","version":"v1.26.8","package":"net/http","function":"Serve"}]}}
{"finding":{"osv":"GO-3","trace":[{"module":"example.com/n","version":"v0.1.0","package":"example.com/n"}]}}
`
	for _, c := range []struct {
		name         string
		in           string
		failOnStdlib bool
		want         bool
	}{
		{"module vulnerability", stream, false, true},
		{"standard library only", strings.Join(strings.Split(stream, "\n")[1:2], "\n") + "\n" + strings.Split(stream, "\n")[3], false, false},
		{"standard library, failing", strings.Split(stream, "\n")[3], true, true},
		{"not called", strings.Split(stream, "\n")[4], true, false},
	} {
		var out strings.Builder
		failed, err := gate(strings.NewReader(c.in), &out, c.failOnStdlib)
		if err != nil || failed != c.want {
			t.Errorf("%s: failed=%v err=%v, want failed=%v\n%s", c.name, failed, err, c.want, out.String())
		}
	}
	var out strings.Builder
	if _, err := gate(strings.NewReader(stream), &out, false); err != nil ||
		!strings.Contains(out.String(), "FAIL GO-1 example.com/m/p@v1.1.0 (fixed in v1.2.0): module bug") ||
		!strings.Contains(out.String(), "warn GO-2 net/http@v1.26.8") ||
		!strings.Contains(out.String(), "2 vulnerabilities called (1 in the standard library), 1 more") {
		t.Errorf("report:\n%s", out.String())
	}
	if _, err := gate(strings.NewReader("not json"), &out, false); err == nil {
		t.Error("garbage input was accepted")
	}
}

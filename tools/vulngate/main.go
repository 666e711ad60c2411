// Command vulngate reads `govulncheck -format json` on stdin and decides
// what fails `make lint`: a vulnerability our code calls fails, in a module we
// require (`go get` the fixed version) or in the standard library (move the
// Makefile's GOTOOLCHAIN and go.mod's toolchain line to a fixed Go release);
// -stdlib=warn only lists the standard library's.
// Vulnerabilities in code we import but never call are counted, not listed
// (govulncheck -show verbose lists them).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

type finding struct {
	OSV          string `json:"osv"`
	FixedVersion string `json:"fixed_version"`
	Trace        []struct {
		Module   string `json:"module"`
		Version  string `json:"version"`
		Package  string `json:"package"`
		Function string `json:"function"`
	} `json:"trace"`
}

type message struct {
	Finding *finding `json:"finding"`
	OSV     *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
}

func main() {
	stdlib := flag.String("stdlib", "fail", "warn or fail on called standard-library vulnerabilities")
	flag.Parse()
	failed, err := gate(os.Stdin, os.Stdout, *stdlib == "fail")
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

func gate(in io.Reader, out io.Writer, failOnStdlib bool) (failed bool, err error) {
	summaries := map[string]string{}
	type key struct{ id, module string }
	called := map[key]finding{}
	uncalled := map[string]bool{}
	dec := json.NewDecoder(in)
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return false, fmt.Errorf("reading govulncheck's JSON: %w", err)
		}
		if m.OSV != nil {
			summaries[m.OSV.ID] = m.OSV.Summary
		}
		if f := m.Finding; f != nil && len(f.Trace) > 0 {
			if f.Trace[0].Function == "" {
				uncalled[f.OSV] = true
				continue
			}
			called[key{f.OSV, f.Trace[0].Module}] = *f
		}
	}
	keys := make([]key, 0, len(called))
	for k := range called {
		keys = append(keys, k)
		delete(uncalled, k.id)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].id < keys[j].id })
	stdlibCalled := 0
	for _, k := range keys {
		f := called[k]
		t := f.Trace[0]
		verdict := "FAIL"
		if k.module == "stdlib" {
			stdlibCalled++
			if !failOnStdlib {
				verdict = "warn"
			}
		}
		if verdict == "FAIL" {
			failed = true
		}
		fmt.Fprintf(out, "%s %s %s@%s (fixed in %s): %s\n", verdict, k.id, t.Package, t.Version, orNone(f.FixedVersion), summaries[k.id])
	}
	fmt.Fprintf(out, "govulncheck: %d vulnerabilities called (%d in the standard library), %d more in code imported but not called\n",
		len(keys), stdlibCalled, len(uncalled))
	if stdlibCalled > 0 && !failOnStdlib {
		fmt.Fprintln(out, "the standard library's fixes need a newer Go toolchain: they only warn because VULN_STDLIB=warn")
	}
	return failed, nil
}

func orNone(v string) string {
	if v == "" {
		return "no release yet"
	}
	return v
}

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
)

// Hostile strings in a lease feed given to the CLI (server import): the
// rest of the input suite, on the HTTP routes, is graph/handler's
// input_test.go; this test stays beside the command it runs.

const (
	nul        = "a\x00b"
	badUTF8    = "a\xff\xfeb"
	nulLiteral = `a\u0000b` // the same NUL, as a JSON escape
)

// TestInputImportFeed: a feed's values and field names are checked as
// text too (the CLI reads files, where any byte may appear): the report
// names each bad row's field and nothing is written.
func TestInputImportFeed(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		clientID, _ := e.NewClient("Acme")
		dir := t.TempDir()
		for _, c := range []struct{ name, file, feed, field string }{
			{"csv NUL", "f.csv", "id,property_id,status,lease_start_date,first_name,last_name\nL1,P," + nul + ",2025-01-01,A,B\n", "status"},
			{"csv invalid UTF-8", "f.csv", "id,property_id,status,lease_start_date,first_name,last_name\nL1,P,ok,2025-01-01," + badUTF8 + ",B\n", "first_name"},
			{"csv extra NUL", "f.csv", "id,property_id,status,lease_start_date,first_name,last_name,Notes\nL1,P,ok,2025-01-01,A,B," + nul + "\n", "Notes"},
			{"csv header NUL", "f.csv", "id,property_id,status,lease_start_date,first_name,last_name,N" + nul + "\nL1,P,ok,2025-01-01,A,B,x\n", ""},
			{"json NUL escape", "f.json", `[{"id":"L1","property_id":"P","status":"ok","lease_start_date":"2025-01-01","tenants":[{"first_name":"` + nulLiteral + `","last_name":"B"}]}]`, "tenants.first_name"},
		} {
			path := filepath.Join(dir, c.file)
			if err := os.WriteFile(path, []byte(c.feed), 0o600); err != nil {
				t.Fatal(err)
			}
			var stdout strings.Builder
			fs := flag.NewFlagSet("import", flag.ContinueOnError)
			run := importLeases(fs)
			if err := fs.Parse([]string{"--client", fmt.Sprint(clientID), "--file", path}); err != nil {
				t.Fatal(err)
			}
			err := run(e.Sys(), e.Client, &stdout, io.Discard)
			out := stdout.String()
			if err == nil {
				t.Errorf("%s: the import succeeded: %s", c.name, out)
				continue
			}
			var rep struct {
				ErrorCount int
				Errors     []struct{ Field, Column, Message string }
			}
			if jerr := json.Unmarshal([]byte(out), &rep); jerr != nil || rep.ErrorCount == 0 {
				t.Errorf("%s: %v: %s", c.name, err, out)
				continue
			}
			if f := rep.Errors[0]; !strings.Contains(f.Field+" "+f.Column, c.field) || !strings.Contains(f.Message, "NUL") && !strings.Contains(f.Message, "UTF-8") {
				t.Errorf("%s: first error %+v, want one naming %q", c.name, f, c.field)
			}
			if n, _ := e.Client.Lease.Query().Count(e.Sys()); n != 0 {
				t.Errorf("%s: %d leases written", c.name, n)
			}
		}
	})
}

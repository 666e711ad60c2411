package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The import command is the CLI's (run): its test stays with the server's
// commands, while the import's GraphQL suite is leases/importer's.

// TestCLIImportLeases: the import command against DATABASE_URL.
func TestCLIImportLeases(t *testing.T) {
	t.Setenv("DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "cli.db"))
	var stdout, stderr bytes.Buffer
	if err := run([]string{"client", "create", "--name", "Feedco"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(stdout.String())
	dir := filepath.Join("..", "leases", "importer", "testdata")
	args := []string{"import", "leases", "--client", id, "--file", filepath.Join(dir, "flat.csv"), "--map", filepath.Join(dir, "flat.mapping.json")}
	for i, want := range []string{`"leasesCreated": 2`, `"leasesUnchanged": 2`} {
		stdout.Reset()
		if err := run(args, &stdout, &stderr); err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, stderr.String())
		}
		if !strings.Contains(stdout.String(), want) {
			t.Fatalf("run %d printed %s, want %s", i, stdout.String(), want)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("id,property_id,status,lease_start_date\nX1,P,approved,notadate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	err := run([]string{"import", "leases", "--client", id, "--file", bad}, &stdout, &stderr)
	if err == nil || !strings.Contains(stdout.String(), `"line": 2`) || !strings.Contains(stdout.String(), `"field": "lease_start_date"`) {
		t.Fatalf("bad feed: err %v, printed %s", err, stdout.String())
	}
}

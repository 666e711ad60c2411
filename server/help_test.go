package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSubcommandHelpTouchesNoDatabase: a subcommand's -h prints its usage,
// and an unknown or mistyped one its error, without opening (and so
// creating and migrating) the default SQLite file in the working
// directory, or reaching any database DATABASE_URL names.
func TestSubcommandHelpTouchesNoDatabase(t *testing.T) {
	for _, dbURL := range []string{"", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=30"} {
		t.Run("DATABASE_URL="+dbURL, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			t.Setenv("DATABASE_URL", dbURL)
			for _, c := range []struct {
				args    []string
				wantErr string
				usage   string
			}{
				{[]string{"token", "create", "-h"}, "", "-scope"},
				{[]string{"client", "create", "-h"}, "", "-name"},
				{[]string{"import", "leases", "-h"}, "", "-dry-run"},
				{[]string{"token", "list", "--bogus"}, "flag provided but not defined", "-client"},
				{[]string{"frobnicate", "-h"}, "unknown command", ""},
			} {
				var stdout, stderr bytes.Buffer
				err := run(c.args, &stdout, &stderr)
				switch {
				case c.wantErr == "" && err != nil:
					t.Fatalf("%v: %v", c.args, err)
				case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
					t.Fatalf("%v: error %v, want %q", c.args, err, c.wantErr)
				}
				if !strings.Contains(stderr.String(), c.usage) {
					t.Fatalf("%v: usage %q lacks %q", c.args, stderr.String(), c.usage)
				}
				entries, _ := os.ReadDir(dir)
				for _, e := range entries {
					t.Fatalf("%v created %s", c.args, filepath.Join(dir, e.Name()))
				}
			}
		})
	}
}

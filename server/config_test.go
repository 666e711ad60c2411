package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/config"
)

// The settings' own rules (defaults, parsing, refusals, the help text) are
// config's tests; these check that the process applies them: -h prints them,
// and bad settings stop serving and every command before anything opens.

// TestConfigHelp: server -h prints the commands and the settings' table.
func TestConfigHelp(t *testing.T) {
	var stderr strings.Builder
	if err := run([]string{"-h"}, io.Discard, &stderr); err != nil {
		t.Fatal(err)
	}
	first := config.Settings()[0].Name
	for _, want := range []string{"server migrate", "server token create", "Environment", first} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("server -h does not mention %s:\n%s", want, stderr.String())
		}
	}
}

// TestConfigInvalidStopsStart: bad values stop the server and the commands
// before they open the database, and the error names each bad variable.
func TestConfigInvalidStopsStart(t *testing.T) {
	for name, args := range map[string][]string{"serve": nil, "a command": {"client", "create", "--name", "X"}} {
		t.Run(name, func(t *testing.T) {
			dbFile := filepath.Join(t.TempDir(), "never.db")
			t.Setenv("DATABASE_URL", "sqlite:"+dbFile)
			t.Setenv("LOG_LEVEL", "loud")
			t.Setenv("LEASEGRAPH_QUERY_MAX_DEPTH", "deep")
			t.Setenv("LEASEGRAPH_SECRET", "too-short")
			err := run(args, io.Discard, io.Discard)
			for _, v := range []string{"LOG_LEVEL", "LEASEGRAPH_QUERY_MAX_DEPTH", "LEASEGRAPH_SECRET"} {
				if err == nil || !strings.Contains(err.Error(), v) {
					t.Errorf("%s with bad settings: %v, want %s named", name, err, v)
				}
			}
			if _, statErr := os.Stat(dbFile); !errors.Is(statErr, fs.ErrNotExist) {
				t.Fatalf("the database was opened before the settings were checked: %v", statErr)
			}
		})
	}
}

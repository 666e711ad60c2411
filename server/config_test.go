package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/config"
)

// TestConfigSecret: a short LEASEGRAPH_SECRET is refused at start, before
// anything is served or written.
func TestConfigSecret(t *testing.T) {
	t.Setenv("DATABASE_URL", "sqlite:"+t.TempDir()+"/cfg.db")
	t.Setenv("LEASEGRAPH_SECRET", "too-short")
	err := run([]string{"client", "create", "--name", "X"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "LEASEGRAPH_SECRET") {
		t.Fatalf("run with a short secret: %v", err)
	}
	t.Setenv("LEASEGRAPH_SECRET", strings.Repeat("k", 32))
	cfg, err := loadConfig()
	if err != nil || cfg.Secret != strings.Repeat("k", 32) {
		t.Fatalf("a 32-character secret: %v %q", err, cfg.Secret)
	}
}

// TestConfigTimeouts: the deadline and job settings have their documented
// defaults, and a rescue delay below the job timeout is refused.
func TestConfigTimeouts(t *testing.T) {
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RequestTimeout != 15*time.Second || cfg.DB.StatementTimeout != 20*time.Second || cfg.DB.ConnectTimeout != 5*time.Second ||
		cfg.Delivery.JobTimeout != time.Minute || cfg.Delivery.RescueAfter != 5*time.Minute {
		t.Fatalf("defaults %v %+v %v %v", cfg.RequestTimeout, cfg.DB, cfg.Delivery.JobTimeout, cfg.Delivery.RescueAfter)
	}
	t.Setenv("LEASEGRAPH_REQUEST_TIMEOUT", "3s")
	t.Setenv("LEASEGRAPH_DB_STATEMENT_TIMEOUT", "0")
	if cfg, err = loadConfig(); err != nil || cfg.RequestTimeout != 3*time.Second || cfg.DB.StatementTimeout != 0 {
		t.Fatalf("set: %v %v %v", err, cfg.RequestTimeout, cfg.DB.StatementTimeout)
	}
	for key, v := range map[string]string{"LEASEGRAPH_REQUEST_TIMEOUT": "soon", "LEASEGRAPH_JOB_RESCUE_AFTER": "30s"} {
		t.Run(key, func(t *testing.T) {
			t.Setenv(key, v)
			if _, err := loadConfig(); err == nil || !strings.Contains(err.Error(), key) {
				t.Fatalf("%s=%s: %v", key, v, err)
			}
		})
	}
}

// TestConfigHelp: server -h prints the usage and every setting of the table.
func TestConfigHelp(t *testing.T) {
	var stderr strings.Builder
	if err := run([]string{"-h"}, io.Discard, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, want := range append([]string{"server migrate", "Environment"}, settingNames()...) {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("server -h does not mention %s:\n%s", want, stderr.String())
		}
	}
}

// TestConfigInvalidStopsStart: bad values stop the server before it opens
// its database, and the error names each bad variable.
func TestConfigInvalidStopsStart(t *testing.T) {
	dbFile := filepath.Join(t.TempDir(), "never.db")
	t.Setenv("DATABASE_URL", "sqlite:"+dbFile)
	t.Setenv("LOG_LEVEL", "loud")
	t.Setenv("LEASEGRAPH_QUERY_MAX_DEPTH", "deep")
	err := run(nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "LOG_LEVEL") || !strings.Contains(err.Error(), "LEASEGRAPH_QUERY_MAX_DEPTH") {
		t.Fatalf("serve with bad settings: %v", err)
	}
	if _, statErr := os.Stat(dbFile); !errors.Is(statErr, fs.ErrNotExist) {
		t.Fatalf("the database was opened before the settings were checked: %v", statErr)
	}
}

func settingNames() []string {
	var names []string
	for _, s := range config.Settings() {
		names = append(names, s.Name)
	}
	return names
}

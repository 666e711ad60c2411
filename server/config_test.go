package main

import (
	"io"
	"strings"
	"testing"
	"time"
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

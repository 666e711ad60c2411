package main

import (
	"io"
	"strings"
	"testing"
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

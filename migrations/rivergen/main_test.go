package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"

	"github.com/leasegraph/leasegraph/migrations"
)

// The committed directories hold every migration of the River go.mod pins:
// upgrading River without make river-migrations fails here.
func TestDirectoriesHoldRiversMigrations(t *testing.T) {
	if err := run("..", true, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// On directories without River's files, the generator writes them after the
// last file, at the same versions in both, with a valid atlas.sum; a second
// run writes nothing, and a changed file is refused.
func TestWritesAfterTheLastFile(t *testing.T) {
	root := t.TempDir()
	var last string
	for _, d := range []string{"sqlite", "postgres"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
		src, err := atlasmigrate.NewLocalDir(filepath.Join("..", d))
		if err != nil {
			t.Fatal(err)
		}
		files, err := src.Files()
		if err != nil {
			t.Fatal(err)
		}
		dst, err := atlasmigrate.NewLocalDir(filepath.Join(root, d))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if _, ok := migrations.RiverVersion(f.Name()); ok {
				continue
			}
			last = max(last, f.Version())
			if err := dst.WriteFile(f.Name(), f.Bytes()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := run(root, true, time.Now()); err == nil || !strings.Contains(err.Error(), "make river-migrations") {
		t.Fatalf("-check on directories without River's files: %v", err)
	}
	// A clock behind the last file still writes after it.
	if err := run(root, false, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	var versions [][]string
	for _, d := range []string{"sqlite", "postgres"} {
		dir, err := atlasmigrate.NewLocalDir(filepath.Join(root, d))
		if err != nil {
			t.Fatal(err)
		}
		if err := atlasmigrate.Validate(dir); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		files, _ := dir.Files()
		var river []string
		for i, f := range files {
			v, ok := migrations.RiverVersion(f.Name())
			if !ok {
				continue
			}
			if f.Version() <= last || v != len(river)+1 || i > 0 && files[i-1].Version() >= f.Version() {
				t.Errorf("%s: %s out of order (last file of ours %s)", d, f.Name(), last)
			}
			river = append(river, f.Version())
		}
		if len(river) == 0 {
			t.Fatalf("%s: no River file written", d)
		}
		versions = append(versions, river)
	}
	if !slices.Equal(versions[0], versions[1]) {
		t.Fatalf("River's versions differ between the directories: %v, %v", versions[0], versions[1])
	}
	if err := run(root, true, time.Now()); err != nil {
		t.Fatalf("-check after writing: %v", err)
	}
	if err := run(root, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	matches, _ := filepath.Glob(filepath.Join(root, "sqlite", "*_river_*.sql"))
	if len(matches) != len(versions[0]) {
		t.Fatalf("a second run wrote more: %v", matches)
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	// A file written under an earlier River release, whose migration River
	// left as it was, stands: only the header differs.
	earlier := strings.Replace(string(b), " "+riverVersion()+".", " v0.0.1.", 1)
	if earlier == string(b) {
		t.Fatalf("the header does not name River's version %s:\n%s", riverVersion(), b)
	}
	if err := os.WriteFile(matches[0], []byte(earlier), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(root, true, time.Now()); err != nil {
		t.Fatalf("-check with a file written by an earlier River: %v", err)
	}
	if err := os.WriteFile(matches[0], append(b, "CREATE INDEX edited ON river_migration (version);\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(root, true, time.Now()); err == nil || !strings.Contains(err.Error(), "no longer say") {
		t.Fatalf("-check with an edited River file: %v", err)
	}
}

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/leasegraph/leasegraph/config/testknobs"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/dbtest"
)

// importMemoryRows is the feed the memory limit is promised for: 100k
// rows, about 10 MB.
const (
	importMemoryRows  = 100_000
	importMemoryLimit = 150 << 20 // bytes above the idle process
)

// TestImportMemory imports 100k rows with the real binary (`server import
// leases`) and compares the child's peak RSS with the same binary's doing
// nothing (`server token list`): the feed is streamed and written in
// batches, so the import stays within importMemoryLimit above idle. It is
// a test of a limit, not of speed: nothing here times anything.
func TestImportMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the 100k-row import is skipped")
	}
	bin := apptest.BuildServer(t, t.TempDir())
	feed := filepath.Join(t.TempDir(), "leases.csv")
	writeImportFeed(t, feed, importMemoryRows)
	if fi, _ := os.Stat(feed); fi.Size() < 9<<20 {
		t.Fatalf("the feed is %d bytes; the promise is for about 10 MB", fi.Size())
	}
	t.Run("sqlite", func(t *testing.T) {
		testImportMemory(t, bin, feed, "sqlite:"+filepath.Join(t.TempDir(), "mem.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		testknobs.SkipPostgres(t)
		testImportMemory(t, bin, feed, dbtest.PostgresURL(t))
	})
}

func testImportMemory(t *testing.T, bin, feed, url string) {
	e := apptest.New(t, url, nil) // migrates the database, as the server would
	clientID, _ := e.NewClient("Memory")
	idle := peakRSS(t, bin, url, "token", "list", "--client", fmt.Sprint(clientID))
	used := peakRSS(t, bin, url, "import", "leases", "--client", fmt.Sprint(clientID), "--file", feed)
	t.Logf("%s: peak RSS idle %d MiB, importing %d rows %d MiB", e.Dialect, idle>>20, importMemoryRows, used>>20)
	if used-idle > importMemoryLimit {
		t.Errorf("importing %d rows took %d MiB above the idle process's %d MiB; the limit is %d MiB",
			importMemoryRows, (used-idle)>>20, idle>>20, importMemoryLimit>>20)
	}
	// The import happened: memory was not saved by doing nothing.
	n, err := e.Client.Lease.Query().Where(lease.ClientID(clientID)).Count(e.Sys())
	if err != nil || n != importMemoryRows {
		t.Fatalf("%d leases imported (%v), want %d", n, err, importMemoryRows)
	}
}

// peakRSS runs the binary and returns its peak resident set size in bytes.
func peakRSS(t *testing.T, bin, url string, args ...string) int64 {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "LOG_LEVEL=error")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("server %s: %v\n%.2000s", strings.Join(args, " "), err, out.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("no rusage on this platform")
	}
	return ru.Maxrss << 10 // KiB on Linux
}

// writeImportFeed writes a CSV feed of n leases, one tenant each, spread
// over 50 properties, about 100 bytes a row.
func writeImportFeed(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,property_id,status,lease_start_date,lease_end_date,tenant_id,first_name,last_name,email")
	for i := range n {
		fmt.Fprintf(w, "LEASE-%07d,PROP-%02d,approved,2025-%02d-%02d,2026-%02d-%02d,T-%07d,Firstname%d,Lastname%d,tenant%07d@example.com\n",
			i, i%50, i%12+1, i%28+1, i%12+1, i%28+1, i, i%1000, i%997, i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

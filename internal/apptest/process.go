package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/config/testknobs"
	"github.com/leasegraph/leasegraph/internal/app"
	"github.com/leasegraph/leasegraph/internal/dbtest"
)

// The server as a process: its configuration loaded from an environment
// (for app.Serve in the test's process), and the real binary, built and
// run on a port of its own, for what only a process shows (a kill, a
// signal, several instances, its memory).

// ServerConfig is the configuration the server loads from an environment
// holding only env (its defaults otherwise, as app.Serve expects). Serve
// applies the runtime's settings to the whole process: the test binary
// keeps its own.
func ServerConfig(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	gc := debug.SetGCPercent(100)
	debug.SetGCPercent(gc)
	cfg.Runtime = config.Runtime{GCPercent: gc, MemoryLimit: debug.SetMemoryLimit(-1)}
	return cfg
}

// serverCommand is the server's main package, which BuildServer builds.
const serverCommand = "github.com/leasegraph/leasegraph/server"

// BuildServer builds the server command into dir and returns the binary's
// path: once per test, before its runs start processes.
func BuildServer(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "server")
	if out, err := exec.Command("go", "build", "-o", bin, serverCommand).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// ServerProcess is the server binary running on a port of its own.
type ServerProcess struct {
	Cmd *exec.Cmd
	// URL is the server's, http://127.0.0.1:PORT.
	URL string
	// Logs are its standard output and error.
	Logs *SyncBuffer
	// Done is closed once the process has exited.
	Done chan struct{}
}

// StartServer runs bin with the environment (the test's, then env) on a
// free port and waits until it answers /healthz; the test's cleanup kills
// it, printing its log if the test failed.
func StartServer(t *testing.T, ctx context.Context, bin string, env ...string) *ServerProcess {
	t.Helper()
	port := FreePort(t)
	p := &ServerProcess{URL: "http://127.0.0.1:" + port, Logs: &SyncBuffer{}, Done: make(chan struct{})}
	p.Cmd = exec.Command(bin)
	p.Cmd.Env = append(os.Environ(), append([]string{"PORT=" + port, "LEASEGRAPH_SECRET=" + strings.Repeat("s", 32),
		// The test polls the server; its pace is not what it tests.
		"LEASEGRAPH_TOKEN_RATE=0"}, env...)...)
	p.Cmd.Stdout, p.Cmd.Stderr = p.Logs, p.Logs
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.Cmd.Wait(); close(p.Done) }()
	t.Cleanup(func() {
		_ = p.Cmd.Process.Kill()
		<-p.Done
		if t.Failed() {
			t.Logf("server log:\n%s", p.Logs)
		}
	})
	Eventually(ctx, t, "the server to answer /healthz", func() bool {
		select {
		case <-p.Done:
			t.Fatalf("the server exited:\n%s", p.Logs)
		default:
		}
		res, err := http.Get(p.URL + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return p
}

// Kill ends the process with SIGKILL: no deferred function, no graceful
// stop of the job queue.
func (p *ServerProcess) Kill(t *testing.T) {
	t.Helper()
	if err := p.Cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.Done
}

// GQL posts a request to the process that must succeed and decodes its
// data into out.
func (p *ServerProcess) GQL(t *testing.T, ctx context.Context, token, query string, vars map[string]any, out any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r struct {
		Data   json.RawMessage
		Errors []GQLError
	}
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Errors) > 0 || res.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d %s", res.StatusCode, raw)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatal(err)
	}
}

// EachProcessDB runs run, a test of server processes, on a fresh SQLite
// file and a fresh PostgreSQL schema (never migrated: the process does
// that), in parallel.
func EachProcessDB(t *testing.T, run func(t *testing.T, dbURL string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		run(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		testknobs.SkipPostgres(t)
		run(t, dbtest.PostgresURL(t))
	})
}

// FreePort is a port no one listens on now, for a server whose settings
// name its own address.
func FreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
}

// Served is app.Serve running in the test's process on a port of its own.
type Served struct {
	// URL is http://127.0.0.1:PORT; Port the port alone.
	URL, Port string
	Logs      *SyncBuffer
	stop      func() error
}

// Serve runs app.Serve with the configuration loaded from env (a free
// PORT added unless env names one) and waits until it says it listens and
// /healthz answers; Stop, or the test's cleanup, shuts it down.
func Serve(t *testing.T, env map[string]string) *Served {
	t.Helper()
	s := &Served{Port: env["PORT"], Logs: &SyncBuffer{}}
	if s.Port == "" {
		s.Port = FreePort(t)
		env = maps.Clone(env)
		env["PORT"] = s.Port
	}
	s.URL = "http://127.0.0.1:" + s.Port
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan struct{})
	var serveErr error
	cfg := ServerConfig(t, env)
	go func() { serveErr = app.Serve(ctx, cfg, slog.New(slog.NewTextHandler(s.Logs, nil))); close(exited) }()
	s.stop = func() error {
		cancel()
		<-exited
		return serveErr
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	// "listening" is logged as the listener starts: the port answers a
	// moment later.
	answers := func() bool {
		res, err := http.Get(s.URL + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(s.Logs.String(), "leasegraph listening") || !answers(); time.Sleep(20 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("the server stopped before it listened: %v\n%s", serveErr, s.Logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never listened:\n%s", s.Logs.String())
		}
	}
	return s
}

// Stop shuts the server down as SIGTERM would and returns Serve's error.
func (s *Served) Stop() error { return s.stop() }

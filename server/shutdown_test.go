package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/demo"
	"github.com/leasegraph/leasegraph/internal/apptest"
)

// TestGracefulShutdown, with the real binary: on SIGTERM the server stops
// accepting connections and closes its websockets with 1001, while a
// request already in flight still gets its whole answer; then it exits 0.
// The request is held in flight by its own body: the client sends the
// headers with Expect: 100-continue, the server's "100 Continue" shows the
// handler is reading the body, and the rest of the body is sent only after
// the shutdown has visibly begun. No sleep decides anything.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs server processes")
	}
	bin := apptest.BuildServer(t, t.TempDir())
	run := func(t *testing.T, dbURL string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		const token = "lg_fixed_demo_token_for_shutdown"
		p := apptest.StartServer(t, ctx, bin, "DATABASE_URL="+dbURL, "LEASEGRAPH_DEMO=1", "LEASEGRAPH_DEMO_TOKEN="+token, "LOG_LEVEL=warn")

		ws, ack := apptest.DialWS(t, p.URL, map[string]string{"Authorization": "Bearer " + token})
		if ack.Type != "connection_ack" {
			t.Fatalf("websocket: want connection_ack, got %s %s", ack.Type, ack.Payload)
		}

		addr := strings.TrimPrefix(p.URL, "http://")
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(time.Minute)) // a bound on a hung test, not an assertion
		body := `{"query": "{ leases { totalCount } }"}`
		fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"+
			"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", addr, token, len(body))
		r := bufio.NewReader(conn)
		cont, err := http.ReadResponse(r, nil)
		if err != nil || cont.StatusCode != http.StatusContinue {
			t.Fatalf("want 100 Continue once the handler reads the body, got %v %v", cont, err)
		}

		if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if m := ws.Read(); m.Type != "closed" || string(m.Payload) != "1001" {
			t.Fatalf("websocket after SIGTERM: want a close frame with 1001, got %s %s", m.Type, m.Payload)
		}
		// The listener is closed before the websockets are (net/http runs
		// the shutdown hooks after closing its listeners).
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			t.Fatal("a new connection was accepted after SIGTERM")
		}

		if _, err := io.WriteString(conn, body); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("the in-flight request was dropped: %v", err)
		}
		raw, _ := io.ReadAll(res.Body)
		var out struct {
			Data struct{ Leases struct{ TotalCount int } }
		}
		if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil || out.Data.Leases.TotalCount != demo.Leases {
			t.Fatalf("in-flight request: HTTP %d %s; want 200 with %d leases", res.StatusCode, raw, demo.Leases)
		}

		select {
		case <-p.Done:
		case <-ctx.Done():
			t.Fatal("the server did not exit after its in-flight request ended")
		}
		if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("exit code %d, want 0; log:\n%s", code, p.Logs)
		}

		// With no request in flight, Shutdown returns at once: the process
		// still waits for its websockets' close frames before it exits.
		p = apptest.StartServer(t, ctx, bin, "DATABASE_URL="+dbURL, "LEASEGRAPH_DEMO=1", "LEASEGRAPH_DEMO_TOKEN="+token, "LOG_LEVEL=warn")
		ws, ack = apptest.DialWS(t, p.URL, map[string]string{"Authorization": "Bearer " + token})
		if ack.Type != "connection_ack" {
			t.Fatalf("websocket: want connection_ack, got %s %s", ack.Type, ack.Payload)
		}
		if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if m := ws.Read(); m.Type != "closed" || string(m.Payload) != "1001" {
			t.Fatalf("idle server's websocket after SIGTERM: want a close frame with 1001, got %s %s", m.Type, m.Payload)
		}
		<-p.Done
		if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("exit code %d, want 0; log:\n%s", code, p.Logs)
		}
	}
	apptest.EachProcessDB(t, run)
}

// TestReadyzWhileDraining, with the real binary: with
// LEASEGRAPH_SHUTDOWN_DRAIN set, SIGTERM turns /readyz to 503 while the
// server keeps accepting and answering requests, so a load balancer stops
// routing to it before its listener closes; a second SIGTERM ends the
// drain (set far longer than the test) and the process exits 0.
func TestReadyzWhileDraining(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs server processes")
	}
	bin := apptest.BuildServer(t, t.TempDir())
	run := func(t *testing.T, dbURL string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		const token = "lg_fixed_demo_token_for_draining"
		p := apptest.StartServer(t, ctx, bin, "DATABASE_URL="+dbURL, "LEASEGRAPH_DEMO=1", "LEASEGRAPH_DEMO_TOKEN="+token, "LOG_LEVEL=warn",
			"LEASEGRAPH_SHUTDOWN_DRAIN=10m")
		// A fresh connection per request: a draining server must accept new ones.
		hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 20 * time.Second}
		get := func(path string) (int, string) {
			t.Helper()
			res, err := hc.Get(p.URL + path)
			if err != nil {
				t.Fatalf("GET %s: %v (the listener closed before the drain ended?)", path, err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, body := get("/readyz"); code != http.StatusOK {
			t.Fatalf("/readyz before SIGTERM: %d %s", code, body)
		}

		if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		var body string
		apptest.Eventually(ctx, t, "/readyz to answer 503 after SIGTERM", func() bool {
			var code int
			code, body = get("/readyz")
			return code == http.StatusServiceUnavailable
		})
		var ready struct {
			Checks map[string]string
			Error  struct{ Code string }
		}
		if json.Unmarshal([]byte(body), &ready) != nil || ready.Checks["shutdown"] != "draining" || ready.Error.Code != "UNAVAILABLE" {
			t.Fatalf("/readyz while draining: %s", body)
		}
		if code, body := get("/healthz"); code != http.StatusOK {
			t.Fatalf("/healthz while draining: %d %s (the process is alive)", code, body)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+"/graphql", strings.NewReader(`{"query": "{ leases { totalCount } }"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		if err != nil {
			t.Fatalf("a request while draining: %v", err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var out struct {
			Data struct{ Leases struct{ TotalCount int } }
		}
		if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil || out.Data.Leases.TotalCount != demo.Leases {
			t.Fatalf("a request while draining: HTTP %d %s", res.StatusCode, raw)
		}

		if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-p.Done:
		case <-ctx.Done():
			t.Fatal("a second SIGTERM did not end the drain")
		}
		if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("exit code %d, want 0; log:\n%s", code, p.Logs)
		}
	}
	apptest.EachProcessDB(t, run)
}

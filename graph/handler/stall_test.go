package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/config/testknobs"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/database"
	"github.com/leasegraph/leasegraph/internal/dbtest"
)

// Database stalls: the database stops answering (packets dropped, nothing
// refused or closed). /healthz must answer 503 within its timeout, requests
// must fail by their deadline, and new connections must give up by the
// connect timeout. On PostgreSQL the stall is real: a TCP proxy between
// the server and PostgreSQL stops forwarding bytes. On SQLite, where there
// is no network, the stall is a statement holding the only connection.

// blackholeProxy forwards TCP between 127.0.0.1 and a PostgreSQL server
// until told to black-hole: from then on it reads and drops every byte in
// both directions, and accepts new connections without forwarding, so
// nothing is refused or closed; the peers just hear nothing.
type blackholeProxy struct {
	ln     net.Listener
	target string
	hole   atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *blackholeProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackholeProxy{ln: ln, target: target}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.track(c)
			if p.hole.Load() {
				p.drain(c)
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.track(up)
			p.pipe(c, up)
			p.pipe(up, c)
		}
	}()
	return p
}

func (p *blackholeProxy) track(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = append(p.conns, c)
}

// pipe copies from to to, dropping what it reads while black-holed.
func (p *blackholeProxy) pipe(from, to net.Conn) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		buf := make([]byte, 32<<10)
		for {
			n, err := from.Read(buf)
			if n > 0 && !p.hole.Load() {
				if _, werr := to.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				to.Close()
				return
			}
		}
	}()
}

// drain reads and drops a connection accepted while black-holed.
func (p *blackholeProxy) drain(c net.Conn) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_, _ = io.Copy(io.Discard, c)
	}()
}

// close ends every connection, which releases anything stuck on one.
func (p *blackholeProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// through returns the PostgreSQL URL with its host replaced by the proxy.
func (p *blackholeProxy) through(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

func TestDatabaseStall(t *testing.T) {
	setup := apptest.WithRequestTimeout(time.Second)
	run := func(t *testing.T, e *apptest.Env, stall func(), unstall func()) {
		_, token := e.NewClient("Alpha")
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if a := apptest.Await(ctx, t, apptest.Send(ctx, http.MethodGet, e.Srv.URL+"/healthz", "", "")); a.Status != http.StatusOK {
			t.Fatalf("healthz before the stall: %d %s", a.Status, a.Body)
		}
		stall()
		// Each /healthz answers 503 by itself: the check it waits on never returns.
		for range 3 {
			a := apptest.Await(ctx, t, apptest.Send(ctx, http.MethodGet, e.Srv.URL+"/healthz", "", ""))
			if a.Status != http.StatusServiceUnavailable || a.ErrorCode() != "UNAVAILABLE" {
				t.Fatalf("healthz during the stall: %d %s %v", a.Status, a.Body, a.Err)
			}
		}
		q, _ := json.Marshal(map[string]string{"query": `{ leases(first: 1) { totalCount } }`})
		a := apptest.Await(ctx, t, apptest.Send(ctx, http.MethodPost, e.Srv.URL+"/graphql", token, string(q)))
		if a.Status != http.StatusServiceUnavailable || a.ErrorCode() != apperr.CodeTimeout {
			t.Fatalf("query during the stall: %d %s %v", a.Status, a.Body, a.Err)
		}
		a = apptest.Await(ctx, t, apptest.Send(ctx, http.MethodGet, e.Srv.URL+"/leases", token, ""))
		if a.Status != http.StatusServiceUnavailable || a.ErrorCode() != apperr.CodeTimeout {
			t.Fatalf("/leases during the stall: %d %s %v", a.Status, a.Body, a.Err)
		}
		unstall()
		apptest.Eventually(ctx, t, "/healthz to answer 200 after the stall", func() bool {
			return apptest.Await(ctx, t, apptest.Send(ctx, http.MethodGet, e.Srv.URL+"/healthz", "", "")).Status == http.StatusOK
		})
		if a := apptest.Await(ctx, t, apptest.Send(ctx, http.MethodPost, e.Srv.URL+"/graphql", token, string(q))); a.Status != http.StatusOK || a.ErrorCode() != "" {
			t.Fatalf("query after the stall: %d %s", a.Status, a.Body)
		}
	}

	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		e := apptest.New(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"), setup)
		// Every connection held (the writer's and the readers'): nothing
		// the server sends is answered.
		var stall *apptest.LeaseStall
		run(t, e, func() { stall = apptest.StallLeases(t, e) }, func() { stall.Release() })
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		testknobs.SkipPostgres(t)
		direct := dbtest.PostgresURL(t)
		u, _ := url.Parse(direct)
		proxy := startProxy(t, u.Host)
		// Cleanups run last first: the proxy closes after every app and
		// database handle behind it is gone.
		t.Cleanup(proxy.close)
		proxied := proxy.through(t, direct)
		// heal ends a stall: the connections that saw it are lost as a real
		// network's would be; the pool must replace them.
		heal := func() {
			proxy.hole.Store(false)
			proxy.mu.Lock()
			for _, c := range proxy.conns {
				c.Close()
			}
			proxy.conns = nil
			proxy.mu.Unlock()
		}
		e := apptest.New(t, proxied, setup)
		// Registered after the app's, so run before it stops, also when
		// the test fails mid-stall: the connections the stall left stuck
		// are freed before the database handle waits for them, and the app
		// stops against a database that answers (against a black hole or
		// a closed proxy, its jobs and its notice listener would each wait
		// out their timeouts: some 20 s of this package's time).
		t.Cleanup(heal)
		run(t, e, func() { proxy.hole.Store(true) }, heal)

		// A request that needs a new connection while the database does
		// not answer fails by the connect timeout (5 s), long before its
		// deadline (a minute here), with 503 UNAVAILABLE, not a 500.
		long := apptest.New(t, proxied, apptest.WithRequestTimeout(time.Minute))
		t.Cleanup(heal) // as for e: the stall below is still on when the test ends
		_, token := long.NewClient("Beta")
		long.RawDB().DB().SetMaxIdleConns(0) // no pooled connection to reuse
		proxy.hole.Store(true)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if a := apptest.Await(ctx, t, apptest.Send(ctx, http.MethodGet, long.Srv.URL+"/leases", token, "")); a.Status != http.StatusServiceUnavailable || a.ErrorCode() != apperr.CodeUnavailable {
			t.Fatalf("/leases with no connection to be had: %d %s %v", a.Status, a.Body, a.Err)
		}

		// The connect timeout is the driver's own: a new connection to a
		// database that does not answer gives up (1 s here) instead of
		// waiting for the kernel.
		drv, err := database.DriverWith(proxied, config.DB{ConnectTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer drv.Close()
		errc := make(chan error, 1)
		go func() { errc <- drv.DB().PingContext(context.Background()) }()
		select {
		case err := <-errc:
			var ne net.Error
			if err == nil || !(errors.As(err, &ne) && ne.Timeout()) {
				t.Fatalf("connecting through the black hole: %v, want a timeout", err)
			}
		case <-ctx.Done():
			t.Fatal("connecting through the black hole did not give up")
		}
	})
}

// TestDatabaseBounds: the server's PostgreSQL connections carry the
// statement_timeout backstop and the pool its bounds; a URL's own
// statement_timeout is kept.
func TestDatabaseBounds(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		db := e.RawDB().DB()
		if e.Dialect != "postgres" {
			if n := db.Stats().MaxOpenConnections; n != 1 {
				t.Fatalf("SQLite pool of %d connections, want 1", n)
			}
			return
		}
		if n := db.Stats().MaxOpenConnections; n != database.PGMaxConns {
			t.Fatalf("pool of %d connections", n)
		}
		var st string
		if err := db.QueryRow("SHOW statement_timeout").Scan(&st); err != nil || st != "20s" {
			t.Fatalf("statement_timeout %q (%v), want 20s (the 15 s deadline + 5 s)", st, err)
		}
		own, err := database.DriverWith(dbtest.PostgresURL(t)+"&options=-c%20statement_timeout%3D7s", database.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		defer own.Close()
		if err := own.DB().QueryRow("SHOW statement_timeout").Scan(&st); err != nil || st != "7s" {
			t.Fatalf("the URL's own statement_timeout became %q (%v)", st, err)
		}
	})
}

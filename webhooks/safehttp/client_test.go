package safehttp_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/webhooks/safehttp"
)

func port(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// get sends one request and reads the whole answer.
func get(c *http.Client, raw string) (*http.Response, string, error) {
	resp, err := c.Get(raw)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := safehttp.ReadBody(resp.Body, 0)
	return resp, string(body), err
}

// assertNoConnection shows that the refused requests opened no
// connection: a request the server must accept goes after them, and the
// accept queue is first in, first out, so a connection the refused
// requests had opened would have been accepted, and counted, before it.
func assertNoConnection(t *testing.T, srv *httptest.Server, accepts *countingListener) {
	t.Helper()
	if _, _, err := get(safehttp.NewClient(safehttp.Options{AllowPrivate: true}), srv.URL); err != nil {
		t.Fatalf("the server does not answer: %v", err)
	}
	if n := accepts.n.Load(); n != 1 {
		t.Errorf("the server accepted %d connections, want 1: a refused request connected", n-1)
	}
}

func TestClientRefusesBeforeConnecting(t *testing.T) {
	tests := []struct {
		name  string
		host  string   // in the URL, with the server's port
		addrs []string // the stub's answer for host
	}{
		{"name resolving to loopback", "hook.test", []string{"127.0.0.1"}},
		{"name resolving to mapped loopback", "hook.test", []string{"::ffff:127.0.0.1"}},
		{"loopback literal", "127.0.0.1", nil},
		{"mapped loopback literal", "[::ffff:127.0.0.1]", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, accepts := server(t, ok)
			res := newResolver(map[string][]string{})
			if tt.addrs != nil {
				res.set(tt.host, tt.addrs...)
			}
			c := safehttp.NewClient(safehttp.Options{Resolver: res, Timeout: 5 * time.Second})
			_, _, err := get(c, "http://"+tt.host+":"+port(t, srv)+"/hook")
			if !errors.Is(err, safehttp.ErrRefused) {
				t.Fatalf("the request's error is %v, want ErrRefused", err)
			}
			if !strings.Contains(err.Error(), "127.0.0.1") {
				t.Errorf("the error %q does not name the address", err)
			}
			if tt.addrs != nil && len(res.called()) == 0 {
				t.Error("the client did not resolve the name with Options.Resolver")
			}
			if tt.addrs == nil && len(res.called()) != 0 {
				t.Errorf("the client resolved an IP literal: %q", res.called())
			}
			assertNoConnection(t, srv, accepts)
		})
	}
}

// recorder stands in for the connect step: it records the addresses the
// client would connect to and connects to none, so tests can use public
// (documentation) addresses without a packet leaving this machine.
type recorder struct {
	mu    sync.Mutex
	addrs []string
}

var errNotConnecting = errors.New("recorder: not connecting")

func (r *recorder) dial(_ context.Context, _, address string) (net.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs = append(r.addrs, address)
	return nil, errNotConnecting
}

func (r *recorder) dialled() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.addrs...)
}

// Which addresses the dialer tries, and in which order: all of a name's
// or none.
func TestClientDialsCheckedAddresses(t *testing.T) {
	tests := []struct {
		name    string
		allow   bool
		url     string
		addrs   []string // the stub's answer for hook.test
		network string   // the transport's, "" for tcp
		dialled []string
		refused bool
	}{
		{"public name", false, "https://hook.test/", []string{"203.0.113.7", "2001:db8::7"}, "",
			[]string{"203.0.113.7:443", "[2001:db8::7]:443"}, false},
		{"public literal", false, "http://203.0.113.7:8080/", nil, "", []string{"203.0.113.7:8080"}, false},
		{"mapped public literal, unmapped", false, "https://[::ffff:203.0.113.7]/", nil, "", []string{"203.0.113.7:443"}, false},
		{"mapped public address, unmapped", false, "https://hook.test/", []string{"::ffff:203.0.113.7"}, "",
			[]string{"203.0.113.7:443"}, false},
		// One refused address refuses the name: which one a retry
		// lands on must not decide whether it is safe.
		{"public and loopback", false, "https://hook.test/", []string{"203.0.113.7", "127.0.0.1"}, "", nil, true},
		{"loopback and public", false, "https://hook.test/", []string{"127.0.0.1", "203.0.113.7"}, "", nil, true},
		{"public and metadata", false, "https://hook.test/", []string{"2001:db8::7", "169.254.169.254"}, "", nil, true},
		{"public and ULA", false, "https://hook.test/", []string{"203.0.113.7", "fd00:ec2::254"}, "", nil, true},
		{"private literal", false, "https://10.0.0.1/", nil, "", nil, true},
		{"NAT64 of metadata", false, "https://[64:ff9b::a9fe:a9fe]/", nil, "", nil, true},
		{"mixed, AllowPrivate", true, "https://hook.test/", []string{"127.0.0.1", "203.0.113.7"}, "",
			[]string{"127.0.0.1:443", "203.0.113.7:443"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := newResolver(map[string][]string{"hook.test": tt.addrs})
			rec := &recorder{}
			c := safehttp.NewClientDialing(safehttp.Options{AllowPrivate: tt.allow, Resolver: res}, rec.dial)
			_, err := c.Get(tt.url)
			switch {
			case err == nil:
				t.Fatal("the request succeeded without a connection")
			case tt.refused && !errors.Is(err, safehttp.ErrRefused):
				t.Errorf("the error is %v, want ErrRefused", err)
			case !tt.refused && !errors.Is(err, errNotConnecting):
				t.Errorf("the error is %v, want the failed connections'", err)
			}
			if got := rec.dialled(); !slices.Equal(got, tt.dialled) {
				t.Errorf("the client tried %q, want %q", got, tt.dialled)
			}
		})
	}
}

// The transport lets a dial outlive the request that started it, for a
// later request to use, until CloseIdleConnections cancels it: then the
// dialer stops instead of trying the next address.
func TestClientStopsDialingWhenCancelled(t *testing.T) {
	res := newResolver(map[string][]string{"hook.test": {"203.0.113.7", "203.0.113.8"}})
	var mu sync.Mutex
	var tried []string
	returned := make(chan struct{}, 2)
	hang := func(ctx context.Context, _, address string) (net.Conn, error) {
		mu.Lock()
		tried = append(tried, address)
		mu.Unlock()
		<-ctx.Done()
		returned <- struct{}{}
		return nil, ctx.Err()
	}
	c := safehttp.NewClientDialing(safehttp.Options{Resolver: res, Timeout: 100 * time.Millisecond}, hang)
	if _, err := c.Get("https://hook.test/"); err == nil {
		t.Fatal("the request succeeded")
	}
	c.CloseIdleConnections()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("CloseIdleConnections did not cancel the dial")
	}
	// Give the dialer time to go on to the next address if it would.
	time.Sleep(100 * time.Millisecond)
	c.CloseIdleConnections() // ends a second dial, should there be one
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(tried, []string{"203.0.113.7:443"}) {
		t.Errorf("the client tried %q, want the first address only", tried)
	}
}

// The Control hook refuses the socket's own address, whatever
// dialContext let through.
func TestControl(t *testing.T) {
	tests := []struct {
		address string
		refused bool
	}{
		{"203.0.113.7:443", false},
		{"[2001:db8::7]:443", false},
		{"127.0.0.1:443", true},
		{"169.254.169.254:80", true},
		{"[::ffff:10.0.0.1]:443", true},
		{"[fe80::1%eth0]:443", true},
		{"[::1]:443", true},
		{"hook.test:443", true},
		{"", true},
	}
	for _, tt := range tests {
		err := safehttp.Control(safehttp.Options{}, "tcp", tt.address)
		if tt.refused != errors.Is(err, safehttp.ErrRefused) {
			t.Errorf("Control(%q) = %v, want refused %v", tt.address, err, tt.refused)
		}
		if err := safehttp.Control(safehttp.Options{AllowPrivate: true}, "tcp", tt.address); err != nil {
			t.Errorf("Control(%q) with AllowPrivate = %v", tt.address, err)
		}
	}
}

func TestClientAllowPrivate(t *testing.T) {
	srv, accepts := server(t, ok)
	res := newResolver(map[string][]string{"hook.test": {"127.0.0.1"}})
	c := safehttp.NewClient(safehttp.Options{AllowPrivate: true, Resolver: res})
	for _, raw := range []string{"http://hook.test:" + port(t, srv) + "/hook", srv.URL + "/hook"} {
		resp, body, err := get(c, raw)
		if err != nil {
			t.Fatalf("GET %s: %v", raw, err)
		}
		if resp.StatusCode != http.StatusOK || body != "received" {
			t.Errorf("GET %s = %d %q", raw, resp.StatusCode, body)
		}
	}
	if got := res.called(); len(got) != 1 || got[0] != "hook.test" {
		t.Errorf("the resolver was asked %q, want hook.test once", got)
	}
	if accepts.n.Load() == 0 {
		t.Error("the server saw no connection")
	}
}

// A name checked when the endpoint was saved may point elsewhere at
// delivery: the client resolves it again and refuses.
func TestClientRebinding(t *testing.T) {
	srv, accepts := server(t, ok)
	res := newResolver(map[string][]string{"hook.test": {"203.0.113.7"}})
	if err := safehttp.CheckURL(context.Background(), "https://hook.test/hook", safehttp.Options{Resolver: res}); err != nil {
		t.Fatalf("CheckURL with a public address: %v", err)
	}
	res.set("hook.test", "127.0.0.1")
	c := safehttp.NewClient(safehttp.Options{Resolver: res})
	if _, _, err := get(c, "http://hook.test:"+port(t, srv)+"/hook"); !errors.Is(err, safehttp.ErrRefused) {
		t.Fatalf("after rebinding to 127.0.0.1 the request's error is %v, want ErrRefused", err)
	}
	assertNoConnection(t, srv, accepts)
}

func TestClientResolverFailures(t *testing.T) {
	res := newResolver(map[string][]string{"empty.test": {}})
	c := safehttp.NewClient(safehttp.Options{Resolver: res})
	for _, host := range []string{"nowhere.test", "servfail.test", "empty.test"} {
		_, _, err := get(c, "http://"+host+"/")
		if err == nil {
			t.Errorf("GET %s succeeded", host)
			continue
		}
		if errors.Is(err, safehttp.ErrRefused) {
			t.Errorf("GET %s: %v wraps ErrRefused, but no address was refused", host, err)
		}
		if !strings.Contains(err.Error(), host) {
			t.Errorf("GET %s: the error %q does not name the host", host, err)
		}
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Int64
	target, _ := server(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Add(1) }))
	for _, code := range []int{301, 302, 303, 307, 308} {
		from, _ := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/elsewhere", code)
		}))
		resp, _, err := get(safehttp.NewClient(safehttp.Options{AllowPrivate: true}), from.URL)
		if err != nil {
			t.Fatalf("%d: %v", code, err)
		}
		if resp.StatusCode != code || resp.Header.Get("Location") != target.URL+"/elsewhere" {
			t.Errorf("the answer is %d to %q, want the %d itself", resp.StatusCode, resp.Header.Get("Location"), code)
		}
	}
	if n := followed.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

// A receiver that never answers costs a delivery the configured timeout,
// and not more.
func TestClientTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c); _ = c.Close() }() // reads, never writes
		}
	}()
	const timeout = 200 * time.Millisecond
	c := safehttp.NewClient(safehttp.Options{AllowPrivate: true, Timeout: timeout})
	start := time.Now()
	_, _, err = get(c, "http://"+ln.Addr().String()+"/")
	elapsed := time.Since(start)
	var ue *url.Error
	if !errors.As(err, &ue) || !ue.Timeout() {
		t.Fatalf("the error is %v, want a timeout", err)
	}
	if errors.Is(err, safehttp.ErrRefused) {
		t.Errorf("a timeout wraps ErrRefused: %v", err)
	}
	if elapsed < timeout || elapsed > 10*timeout {
		t.Errorf("the request took %v, want about %v", elapsed, timeout)
	}
}

// The timeout covers reading the answer too: a receiver that sends its
// headers and then trickles nothing is cut off.
func TestClientTimeoutReadingBody(t *testing.T) {
	srv, _ := server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	const timeout = 200 * time.Millisecond
	c := safehttp.NewClient(safehttp.Options{AllowPrivate: true, Timeout: timeout})
	start := time.Now()
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("the headers did not arrive: %v", err)
	}
	defer resp.Body.Close()
	_, err = safehttp.ReadBody(resp.Body, 0)
	if elapsed := time.Since(start); err == nil || elapsed > 10*timeout {
		t.Errorf("reading the body ended after %v with %v, want a timeout after about %v", elapsed, err, timeout)
	}
}

// The TLS handshake and HTTP/2 go through the client's own dialer.
func TestClientTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(ok)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())

	c := safehttp.NewClient(safehttp.Options{AllowPrivate: true})
	c.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: pool}
	resp, body, err := get(c, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ProtoMajor != 2 || body != "received" {
		t.Errorf("the answer is %s %q, want HTTP/2", resp.Proto, body)
	}

	// Refused over TLS as well, before the handshake.
	strict := safehttp.NewClient(safehttp.Options{})
	if _, _, err := get(strict, srv.URL); !errors.Is(err, safehttp.ErrRefused) {
		t.Errorf("the error is %v, want ErrRefused", err)
	}
}

func TestNewClientSettings(t *testing.T) {
	c := safehttp.NewClient(safehttp.Options{})
	if c.Timeout != safehttp.DefaultTimeout || safehttp.DefaultTimeout != 15*time.Second {
		t.Errorf("Timeout = %v, want 15s", c.Timeout)
	}
	if c := safehttp.NewClient(safehttp.Options{Timeout: time.Second}); c.Timeout != time.Second {
		t.Errorf("Timeout = %v, want Options.Timeout", c.Timeout)
	}
	tr, isTransport := c.Transport.(*http.Transport)
	if !isTransport || tr == http.DefaultTransport {
		t.Fatalf("Transport = %T, want a fresh *http.Transport", c.Transport)
	}
	if other := safehttp.NewClient(safehttp.Options{}); other.Transport == c.Transport {
		t.Error("two clients share a Transport")
	}
	// The environment's proxy would connect on the client's behalf, to
	// addresses the dialer never sees.
	if tr.Proxy != nil {
		t.Error("Transport.Proxy is set")
	}
	if tr.DialContext == nil || tr.DialTLSContext != nil {
		t.Error("the Transport does not dial through DialContext alone")
	}
	if !tr.ForceAttemptHTTP2 || tr.TLSHandshakeTimeout != 5*time.Second || tr.IdleConnTimeout != 90*time.Second || tr.MaxIdleConnsPerHost != 16 {
		t.Errorf("Transport settings: HTTP/2 %v, TLS handshake %v, idle %v, idle per host %d",
			tr.ForceAttemptHTTP2, tr.TLSHandshakeTimeout, tr.IdleConnTimeout, tr.MaxIdleConnsPerHost)
	}
	if c.CheckRedirect == nil || !errors.Is(c.CheckRedirect(nil, nil), http.ErrUseLastResponse) {
		t.Error("CheckRedirect does not stop at the first answer")
	}
}

// endless is a body that never ends, counting what is read of it.
type endless struct{ read int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	e.read += int64(len(p))
	return len(p), nil
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestReadBody(t *testing.T) {
	tests := []struct {
		name  string
		r     io.Reader
		limit int64
		want  int
	}{
		{"short", strings.NewReader("hello"), 10, 5},
		{"exactly the limit", strings.NewReader("0123456789"), 10, 10},
		{"longer", strings.NewReader("0123456789abc"), 10, 10},
		{"empty", strings.NewReader(""), 10, 0},
		{"endless", &endless{}, 1000, 1000},
		{"endless, default limit", &endless{}, 0, 64 << 10},
		{"endless, negative limit", &endless{}, -1, 64 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := safehttp.ReadBody(tt.r, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != tt.want {
				t.Errorf("ReadBody read %d bytes, want %d", len(b), tt.want)
			}
			if e, isEndless := tt.r.(*endless); isEndless && e.read != int64(tt.want) {
				t.Errorf("ReadBody took %d bytes from the body, want it to stop at %d", e.read, tt.want)
			}
		})
	}
	if _, err := safehttp.ReadBody(failing{}, 10); err == nil {
		t.Error("ReadBody hid the body's error")
	}
}

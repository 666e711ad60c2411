package safehttp_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// stubResolver answers from a table, so that no test asks DNS. Its
// "public" addresses are documentation ones, which no test dials.
type stubResolver struct {
	mu      sync.Mutex
	answers map[string][]string
	calls   []string
}

func newResolver(answers map[string][]string) *stubResolver {
	return &stubResolver{answers: answers}
}

func (r *stubResolver) set(host string, addrs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers[host] = addrs
}

func (r *stubResolver) called() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

var errServFail = errors.New("stub: server failure")

func (r *stubResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, host)
	if host == "servfail.test" {
		return nil, &net.DNSError{Err: errServFail.Error(), Name: host, IsTemporary: true}
	}
	addrs, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]net.IPAddr, 0, len(addrs))
	for _, a := range addrs {
		ip := net.ParseIP(a)
		if ip == nil {
			panic("stub: not an address: " + a)
		}
		out = append(out, net.IPAddr{IP: ip})
	}
	return out, nil
}

// countingListener counts the connections a server accepts, so a test
// can show that a refusal happened before any connection was opened.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// server starts an httptest server on 127.0.0.1 whose accepts are
// counted.
func server(t *testing.T, h http.Handler) (*httptest.Server, *countingListener) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	l := &countingListener{Listener: srv.Listener}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, l
}

var ok = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	_, _ = w.Write([]byte("received"))
})

package safehttp_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/webhooks/safehttp"
)

func TestCheckURL(t *testing.T) {
	res := newResolver(map[string][]string{
		"hook.example.com":     {"203.0.113.7"},
		"v6.example.com":       {"2001:db8::7"},
		"internal.example.com": {"10.0.0.5"},
		"meta.example.com":     {"169.254.169.254"},
		"mapped.example.com":   {"::ffff:127.0.0.1"},
		"mixed.example.com":    {"203.0.113.7", "2001:db8::7", "192.168.1.10"},
		"localhost":            {"127.0.0.1", "::1"},
		"empty.example.com":    {},
	})
	long := "https://hook.example.com/"
	long += strings.Repeat("a", 2048-len(long))

	const (
		fine    = iota
		invalid // an error, not ErrRefused
		refused // an error wrapping ErrRefused
	)
	tests := []struct {
		raw             string
		strict, private int // the outcome without and with AllowPrivate
	}{
		{"https://hook.example.com/webhooks", fine, fine},
		{"HTTPS://hook.example.com/webhooks?token=abc", fine, fine},
		{"https://hook.example.com:8443/webhooks", fine, fine},
		{"https://v6.example.com/", fine, fine},
		{"https://203.0.113.7/hook", fine, fine},
		{"https://[2001:db8::7]:8443/hook", fine, fine},
		{long, fine, fine},
		{long + "a", invalid, invalid},

		{"http://hook.example.com/webhooks", invalid, fine},
		{"http://127.0.0.1:8080/hook", invalid, fine},
		{"ftp://hook.example.com/", invalid, invalid},
		{"file:///etc/passwd", invalid, invalid},
		{"gopher://hook.example.com/", invalid, invalid},

		{"https://user:s3cret@hook.example.com/", invalid, invalid},
		{"https://user@hook.example.com/", invalid, invalid},
		{"https://:s3cret@hook.example.com/", invalid, invalid},

		{"", invalid, invalid},
		{"/webhooks", invalid, invalid},
		{"hook.example.com/webhooks", invalid, invalid},
		{"//hook.example.com/webhooks", invalid, invalid},
		{"https:hook.example.com", invalid, invalid},
		{"https:///webhooks", invalid, invalid},
		{"https://:443/webhooks", invalid, invalid},
		{"https://hook.example.com:0/", invalid, invalid},
		{"https://hook.example.com:65536/", invalid, invalid},
		{"https://hook example.com/", invalid, invalid},
		{"%zz", invalid, invalid},

		{"https://169.254.169.254/latest/meta-data/", refused, fine},
		{"https://127.0.0.1/", refused, fine},
		{"https://[::1]/", refused, fine},
		{"https://0.0.0.0/", refused, fine},
		{"https://10.1.2.3/", refused, fine},
		{"https://[::ffff:169.254.169.254]/", refused, fine},
		{"https://[fd00:ec2::254]/", refused, fine},
		{"https://[fe80::1%25eth0]/", refused, fine},
		{"https://[64:ff9b::a9fe:a9fe]/", refused, fine},
		{"https://internal.example.com/", refused, fine},
		{"https://meta.example.com/", refused, fine},
		{"https://mapped.example.com/", refused, fine},
		{"https://mixed.example.com/", refused, fine},
		{"https://localhost/", refused, fine},

		{"https://nowhere.example.com/", invalid, invalid},
		{"https://servfail.test/", invalid, invalid},
		{"https://empty.example.com/", invalid, invalid},
	}
	for _, tt := range tests {
		for _, allow := range []bool{false, true} {
			want := tt.strict
			if allow {
				want = tt.private
			}
			err := safehttp.CheckURL(context.Background(), tt.raw, safehttp.Options{AllowPrivate: allow, Resolver: res})
			name := tt.raw
			if len(name) > 60 {
				name = name[:60] + "..."
			}
			switch {
			case want == fine && err != nil:
				t.Errorf("CheckURL(%q, AllowPrivate %v): %v", name, allow, err)
			case want != fine && err == nil:
				t.Errorf("CheckURL(%q, AllowPrivate %v) accepted it", name, allow)
			case want == invalid && errors.Is(err, safehttp.ErrRefused):
				t.Errorf("CheckURL(%q, AllowPrivate %v) = %v, which wraps ErrRefused: not an address's fault", name, allow, err)
			case want == refused && !errors.Is(err, safehttp.ErrRefused):
				t.Errorf("CheckURL(%q, AllowPrivate %v) = %v, want it to wrap ErrRefused", name, allow, err)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("CheckURL(%q)'s error %q repeats the password", name, err)
			}
		}
	}
}

// The errors are shown to API users: they name what is wrong.
func TestCheckURLMessages(t *testing.T) {
	res := newResolver(map[string][]string{"internal.example.com": {"203.0.113.7", "10.0.0.5"}})
	tests := []struct{ raw, want string }{
		{"http://hook.example.com/", "https"},
		{"https://u:p@hook.example.com/", "user name or password"},
		{"https://169.254.169.254/", "169.254.169.254"},
		{"https://internal.example.com/", "10.0.0.5"},
		{"https://nowhere.example.com/", "nowhere.example.com"},
		{"https://" + strings.Repeat("a", 2048) + ".example.com/", "2048"},
	}
	for _, tt := range tests {
		err := safehttp.CheckURL(context.Background(), tt.raw, safehttp.Options{Resolver: res})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckURL(%.40q) = %v, want an error saying %q", tt.raw, err, tt.want)
		}
	}
}

// CheckURL resolves but never connects: even a name that points at a
// listening server on this machine sees no connection.
func TestCheckURLNeverConnects(t *testing.T) {
	srv, accepts := server(t, ok)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res := newResolver(map[string][]string{"hook.test": {"127.0.0.1"}})
	for _, raw := range []string{"http://hook.test:" + u.Port() + "/", srv.URL + "/"} {
		if err := safehttp.CheckURL(context.Background(), raw, safehttp.Options{AllowPrivate: true, Resolver: res}); err != nil {
			t.Fatalf("CheckURL(%s): %v", raw, err)
		}
	}
	if got := res.called(); len(got) != 1 || got[0] != "hook.test" {
		t.Errorf("the resolver was asked %q, want hook.test once (an IP literal is not resolved)", got)
	}
	// Prove the server would have counted a connection.
	resp, err := safehttp.NewClient(safehttp.Options{AllowPrivate: true}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if n := accepts.n.Load(); n != 1 {
		t.Errorf("the server accepted %d connections, want only the client's 1", n)
	}
}

package ratelimit

import (
	"fmt"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

// clock is a hand-moved time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func withClock(k *Keyed) (*Keyed, *clock) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	k.now = c.now
	return k, c
}

func TestAllowSpendsBurstThenWaits(t *testing.T) {
	k, c := withClock(New(Config{Rate: 2, Burst: 3}))
	for i := range 3 {
		if ok, _ := k.Allow("a"); !ok {
			t.Fatalf("event %d of the burst refused", i+1)
		}
	}
	ok, wait := k.Allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("after the burst: ok=%v wait=%v, want refused for 500ms", ok, wait)
	}
	if ok, _ := k.Allow("b"); !ok {
		t.Fatal("another key was refused")
	}
	// A refused event spends nothing: half a second later one is allowed.
	c.advance(500 * time.Millisecond)
	if ok, _ := k.Allow("a"); !ok {
		t.Fatal("refused after waiting the time it was told")
	}
	if ok, _ := k.Allow("a"); ok {
		t.Fatal("allowed twice after earning one event")
	}
}

func TestCheckSpendsNothing(t *testing.T) {
	k, c := withClock(New(Config{Rate: 1.0 / 6, Burst: 2})) // 10 a minute
	if ok, _ := k.Check("x"); !ok || k.Len() != 0 {
		t.Fatalf("unknown key: ok=%v, %d keys stored", ok, k.Len())
	}
	k.Allow("x")
	k.Allow("x")
	for range 5 {
		if ok, wait := k.Check("x"); ok || wait != 6*time.Second {
			t.Fatalf("spent key: ok=%v wait=%v, want refused for 6s", ok, wait)
		}
	}
	c.advance(6 * time.Second)
	if ok, _ := k.Check("x"); !ok {
		t.Fatal("checks spent budget")
	}
}

func TestTableIsBounded(t *testing.T) {
	k, c := withClock(New(Config{Rate: 1, Burst: 1, MaxKeys: 100, Idle: time.Hour}))
	k.Allow("victim")
	for i := range 200_000 {
		k.Allow(fmt.Sprint("k", i))
		if i%1000 == 0 {
			c.advance(time.Millisecond)
		}
	}
	if n := k.Len(); n != 100 {
		t.Fatalf("%d keys tracked, want at most 100", n)
	}
	// Forgetting a key gives it a full bucket: churning the table never
	// takes budget away from anyone.
	if ok, _ := k.Allow("victim"); !ok {
		t.Fatal("an evicted key came back with an empty bucket")
	}
}

func TestIdleKeysDropped(t *testing.T) {
	k, c := withClock(New(Config{Rate: 10, Burst: 20})) // idle after 2 s
	for i := range 50 {
		k.Allow(fmt.Sprint("k", i))
	}
	c.advance(time.Second)
	k.Allow("fresh")
	if n := k.Len(); n != 51 {
		t.Fatalf("%d keys after 1 s, want 51", n)
	}
	c.advance(1500 * time.Millisecond)
	if k.Known("k1") {
		t.Fatal("a key idle past its refill time is still tracked")
	}
	if n := k.Len(); n != 1 {
		t.Fatalf("%d keys after 2.5 s, want only the fresh one", n)
	}
}

func TestForget(t *testing.T) {
	k := New(Config{Rate: 1, Burst: 1})
	k.Allow("a")
	if !k.Known("a") {
		t.Fatal("not known after use")
	}
	k.Forget("a")
	if k.Known("a") {
		t.Fatal("known after Forget")
	}
}

func TestNilAllowsEverything(t *testing.T) {
	k := New(Config{Rate: 0, Burst: 5})
	if k != nil {
		t.Fatal("rate 0 should turn the limit off")
	}
	for range 1000 {
		if ok, _ := k.Allow("a"); !ok {
			t.Fatal("a nil table refused")
		}
	}
	if ok, _ := k.Check("a"); !ok || k.Known("a") || k.Len() != 0 {
		t.Fatal("a nil table tracks keys")
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, time.Second: 1, 1001 * time.Millisecond: 2, 59 * time.Second: 59} {
		if got := RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.7":                "203.0.113.7",
		"::ffff:203.0.113.7":         "203.0.113.7",
		"2001:db8:1:2:aaaa::1":       "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::99": "2001:db8:1:2::/64",
	} {
		if got := AddrKey(netip.MustParseAddr(in)); got != want {
			t.Errorf("AddrKey(%s) = %s, want %s", in, got, want)
		}
	}
	if got := AddrKey(netip.Addr{}); got != "unknown" {
		t.Errorf("invalid address: %s", got)
	}
}

func TestClientAddr(t *testing.T) {
	proxies, err := ParsePrefixes("10.0.0.0/8, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, remote string
		xff          []string
		trusted      []netip.Prefix
		want         string
	}{
		{"no proxies: the peer", "198.51.100.4:5555", []string{"1.2.3.4"}, nil, "198.51.100.4"},
		{"untrusted peer: X-Forwarded-For ignored", "198.51.100.4:5555", []string{"1.2.3.4"}, proxies, "198.51.100.4"},
		{"trusted proxy: the hop it saw", "10.1.1.1:80", []string{"203.0.113.9"}, proxies, "203.0.113.9"},
		{"client-sent entries are not believed", "10.1.1.1:80", []string{"6.6.6.6, 203.0.113.9"}, proxies, "203.0.113.9"},
		{"a chain of trusted proxies", "10.1.1.1:80", []string{"6.6.6.6, 203.0.113.9, 192.0.2.1", "10.2.2.2"}, proxies, "203.0.113.9"},
		{"garbage from the client stops the walk", "10.1.1.1:80", []string{"nonsense, 10.3.3.3"}, proxies, "10.3.3.3"},
		{"only proxies", "10.1.1.1:80", []string{"10.9.9.9"}, proxies, "10.9.9.9"},
		{"no header", "10.1.1.1:80", nil, proxies, "10.1.1.1"},
		{"IPv6 peer", "[2001:db8::1]:443", nil, nil, "2001:db8::1"},
	}
	for _, c := range cases {
		r := &http.Request{RemoteAddr: c.remote, Header: http.Header{}}
		for _, h := range c.xff {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := ClientAddr(r, c.trusted); got.String() != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	if _, err := ParsePrefixes("10.0.0.0/8,not-an-ip"); err == nil {
		t.Error("a bad proxy list was accepted")
	}
}

// Package safehttp is the HTTP client that delivers webhooks to URLs
// chosen by customers, who must not be able to use it to reach what only
// the server can: this machine, the operator's network, the cloud
// provider's metadata service (server-side request forgery).
//
// A URL is checked when an endpoint is created or changed (CheckURL), for
// an answer the customer can act on, and every connection is checked
// again when it is made (NewClient's dialer), because a name is resolved
// anew at each delivery and may by then point somewhere else (DNS
// rebinding). The dialer resolves the name itself and connects to the
// very addresses it checked, and a dialer's Control hook checks the
// address of the socket once more.
//
// Refused addresses (Refused):
//
//	IPv4
//	  0.0.0.0/8        "this network"; 0.0.0.0 reaches this machine
//	  10.0.0.0/8       private (RFC 1918)
//	  100.64.0.0/10    carrier-grade NAT (RFC 6598)
//	  127.0.0.0/8      loopback
//	  169.254.0.0/16   link-local, with the metadata service 169.254.169.254
//	  172.16.0.0/12    private (RFC 1918)
//	  192.0.0.0/24     IETF protocol assignments
//	  192.168.0.0/16   private (RFC 1918)
//	  198.18.0.0/15    benchmarking
//	  224.0.0.0/4      multicast
//	  240.0.0.0/4      reserved, with the broadcast 255.255.255.255
//	IPv6
//	  everything outside 2000::/3, global unicast, except NAT64 below:
//	  ::/128 unspecified, ::1 loopback, ::/96 IPv4-compatible,
//	  fc00::/7 unique local (with AWS's metadata service fd00:ec2::254),
//	  fe80::/10 link-local, fec0::/10 site-local, ff00::/8 multicast,
//	  64:ff9b:1::/48 local-use NAT64
//	  2001::/32        Teredo (tunnels to an IPv4 host it hides)
//	  2001:2::/48      benchmarking
//	  ::ffff:0:0/96    IPv4-mapped: as the IPv4 address it maps
//	  64:ff9b::/96     NAT64: as the IPv4 address it embeds
//	  2002::/16        6to4: as the IPv4 address it embeds
//	  any zoned address (fe80::1%eth0): scoped to this machine's links
//
// The documentation ranges (192.0.2.0/24, 198.51.100.0/24,
// 203.0.113.0/24, 2001:db8::/32) are not refused: nothing answers there,
// and tests use them as public addresses that are never dialled.
//
// Options.AllowPrivate lifts the refusals (and allows plain http) for
// development and demo mode, where the receiver runs on this machine.
package safehttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// ErrRefused is wrapped in every refusal of an address, so that callers
// can tell a destination that is never allowed (report it to the
// customer, do not retry) from a network failure (retry later), with
// errors.Is.
var ErrRefused = errors.New("webhooks are only sent to public internet addresses")

// Defaults for Options' zero values, and the limits of the client.
const (
	DefaultTimeout     = 15 * time.Second
	DefaultMaxResponse = 64 << 10
	// MaxURL bounds an endpoint's URL: enough for any real receiver,
	// small enough to store and show.
	MaxURL = 2048

	dialTimeout = 5 * time.Second
)

// Resolver finds a host's addresses. *net.Resolver satisfies it; tests
// pass a stub, so that no test depends on DNS or reaches another machine.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Options configure CheckURL and NewClient. The zero value is the
// production setting.
type Options struct {
	// AllowPrivate allows refused addresses and plain http, for
	// development and demo mode, whose receivers run on this machine.
	AllowPrivate bool
	// Resolver resolves hosts; nil is net.DefaultResolver.
	Resolver Resolver
	// Timeout bounds a whole request, reading the answer included, so a
	// receiver that trickles its answer cannot hold a worker; 0 is
	// DefaultTimeout.
	Timeout time.Duration
	// MaxResponse is how much of an answer the caller keeps, ReadBody's
	// max; 0 is DefaultMaxResponse.
	MaxResponse int64
}

func (o Options) resolver() Resolver {
	if o.Resolver == nil {
		return net.DefaultResolver
	}
	return o.Resolver
}

// CheckURL says whether raw may be a webhook endpoint's URL, with an
// error an API user can act on: an absolute https URL (http too with
// AllowPrivate) of at most MaxURL bytes, with a host and no credentials,
// whose host is, or resolves only to, addresses not refused (unless
// AllowPrivate). It resolves the host but never connects. The errors
// never repeat the URL, which may hold a token in its query.
func CheckURL(ctx context.Context, raw string, o Options) error {
	if len(raw) > MaxURL {
		return fmt.Errorf("the URL is longer than %d bytes", MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("the URL is not valid")
	}
	if !u.IsAbs() || u.Opaque != "" {
		return errors.New("the URL must be absolute, such as https://example.com/webhooks")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && o.AllowPrivate:
	default:
		return errors.New("the URL must use https")
	}
	// Credentials in the URL would be shown to everyone who can read the
	// endpoint, and sent on every delivery.
	if u.User != nil {
		return errors.New("the URL must not contain a user name or password")
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("the URL has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return errors.New("the URL's port must be a number from 1 to 65535")
		}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !o.AllowPrivate && Refused(ip) {
			return fmt.Errorf("the URL's address %s is private or reserved: %w", ip, ErrRefused)
		}
		return nil
	}
	addrs, err := lookup(ctx, o.resolver(), host)
	if err != nil {
		return err
	}
	if !o.AllowPrivate {
		if ip, bad := firstRefused(addrs); bad {
			return fmt.Errorf("the URL's host %s resolves to %s, a private or reserved address: %w", host, ip, ErrRefused)
		}
	}
	return nil
}

// lookup resolves host, an error when it has no address.
func lookup(ctx context.Context, r Resolver, host string) ([]netip.Addr, error) {
	ipas, err := r.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("the host %s could not be resolved: %w", host, err)
	}
	addrs := make([]netip.Addr, 0, len(ipas))
	for _, ipa := range ipas {
		a, ok := netip.AddrFromSlice(ipa.IP)
		if !ok {
			continue
		}
		addrs = append(addrs, a.Unmap().WithZone(ipa.Zone))
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("the host %s has no address", host)
	}
	return addrs, nil
}

// firstRefused finds a refused address among addrs. One is enough to
// refuse them all: a name that mixes public and private addresses is a
// rebinding attempt or a mistake, and which address a retry lands on
// must not decide whether it is safe.
func firstRefused(addrs []netip.Addr) (netip.Addr, bool) {
	for _, a := range addrs {
		if Refused(a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// NewClient returns the client that delivers webhooks. It never follows a
// redirect (the 3xx is the answer: following one would let a receiver
// send the request anywhere, past the checks of CheckURL), never uses
// the environment's proxy (which would connect on its behalf, past the
// dialer's checks), and refuses to connect to a refused address (unless
// o.AllowPrivate) with an error wrapping ErrRefused, before any packet is
// sent.
func NewClient(o Options) *http.Client {
	return newClient(o, nil)
}

// newClient is NewClient whose connect step, when dial is not nil, is
// dial instead of a net.Dialer's: tests see which addresses the client
// would connect to without sending a packet to them.
func newClient(o Options, dial dialFunc) *http.Client {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	d := &dialer{o: o, resolver: o.resolver(), dial: dial}
	if d.dial == nil {
		nd := &net.Dialer{Timeout: dialTimeout, Control: d.control}
		d.dial = nd.DialContext
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            d.dialContext,
			TLSHandshakeTimeout:    5 * time.Second,
			MaxIdleConns:           100,
			MaxIdleConnsPerHost:    16,
			IdleConnTimeout:        90 * time.Second,
			ExpectContinueTimeout:  1 * time.Second,
			MaxResponseHeaderBytes: 64 << 10,
			ForceAttemptHTTP2:      true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       timeout,
	}
}

type dialFunc func(ctx context.Context, network, address string) (net.Conn, error)

type dialer struct {
	o        Options
	resolver Resolver
	dial     dialFunc // connects to one address, already checked
}

// dialContext resolves addr's host itself and connects to the addresses
// it checked, never letting the system resolve the name again between
// the check and the connection.
func (d *dialer) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("safehttp: %w", err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("safehttp: the port %q is not a number", portStr)
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip.Unmap()}
	} else {
		// The transport detaches a dial from the request's deadline (a
		// later request may use the connection), so the lookup gets a
		// bound of its own, as each connect has the net.Dialer's.
		lctx, cancel := context.WithTimeout(ctx, dialTimeout)
		addrs, err = lookup(lctx, d.resolver, host)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("safehttp: %w", err)
		}
	}
	if !d.o.AllowPrivate {
		if ip, bad := firstRefused(addrs); bad {
			return nil, fmt.Errorf("safehttp: not connecting to %s (%s), a private or reserved address: %w", host, ip, ErrRefused)
		}
	}
	var errs []error
	for _, a := range addrs {
		c, err := d.dial(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// control checks the address the socket is about to connect to: the
// last word, should a future change of dialContext pass it a name or an
// address it has not checked.
func (d *dialer) control(network, address string, _ syscall.RawConn) error {
	if d.o.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("safehttp: not connecting to %q, which is not an address: %w", address, ErrRefused)
	}
	if Refused(ap.Addr()) {
		return fmt.Errorf("safehttp: not connecting to %s, a private or reserved address: %w", ap.Addr(), ErrRefused)
	}
	return nil
}

// ReadBody reads at most limit bytes of r (DefaultMaxResponse when limit
// is 0 or less) and stops there, without error, so that an endless or
// huge answer costs neither memory nor the time to drain it: the start of
// an answer is all a delivery's record keeps.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxResponse
	}
	return io.ReadAll(io.LimitReader(r, limit))
}

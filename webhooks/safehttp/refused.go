package safehttp

import "net/netip"

// refusedV4 are the IPv4 ranges no webhook goes to: each reaches this
// machine, the operator's network or the provider's, or nothing at all.
var refusedV4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network", 0.0.0.0 reaches this machine on Linux
	netip.MustParsePrefix("10.0.0.0/8"),     // private (RFC 1918)
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT (RFC 6598): the provider's side, Alibaba Cloud's metadata 100.100.100.200 among them
	netip.MustParsePrefix("127.0.0.0/8"),    // loopback
	netip.MustParsePrefix("169.254.0.0/16"), // link-local, the cloud metadata service 169.254.169.254 among them
	netip.MustParsePrefix("172.16.0.0/12"),  // private (RFC 1918)
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments (RFC 6890): no public hosts
	netip.MustParsePrefix("192.168.0.0/16"), // private (RFC 1918)
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking (RFC 2544): lab networks
	netip.MustParsePrefix("224.0.0.0/4"),    // multicast
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast 255.255.255.255
}

// Within the global unicast range 2000::/3, the IPv6 ranges refused
// outright (everything outside it is refused, NAT64 and 6to4 aside).
var refusedV6 = []netip.Prefix{
	// Teredo: a relay forwards to the IPv4 host the address encodes,
	// obfuscated, and the protocol is dead; refusing it all is simpler
	// than decoding it.
	netip.MustParsePrefix("2001::/32"),
	netip.MustParsePrefix("2001:2::/48"), // benchmarking (RFC 5180)
}

var (
	globalUnicast = netip.MustParsePrefix("2000::/3")
	nat64         = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052: the IPv4 address in the last 32 bits
	sixToFour     = netip.MustParsePrefix("2002::/16")    // RFC 3056: the IPv4 address in bits 16 to 48
)

// Refused says whether a webhook may not be sent to a, because it is not
// a public internet address (see the package comment for the list). An
// invalid address is refused: it can only come from a bug, and failing
// closed is the safe side of one.
func Refused(a netip.Addr) bool {
	if !a.IsValid() {
		return true
	}
	// A zone scopes an address to one of this machine's links: no
	// public receiver needs one, and netip.Prefix never contains a zoned
	// address, which would make every check below miss it.
	if a.Zone() != "" {
		return true
	}
	// ::ffff:127.0.0.1 is 127.0.0.1 to the kernel.
	a = a.Unmap()
	if a.Is4() {
		for _, p := range refusedV4 {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		// A NAT64 gateway connects to the embedded IPv4 address, from
		// inside the operator's network.
		return Refused(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(a):
		return Refused(netip.AddrFrom4([4]byte(b[2:6])))
	case !globalUnicast.Contains(a):
		// Only 2000::/3 is allocated for public unicast: outside it are
		// loopback, unspecified, IPv4-compatible, unique local (fc00::/7,
		// AWS's metadata fd00:ec2::254), link-local, site-local and
		// multicast addresses, and NAT64's local-use 64:ff9b:1::/48.
		return true
	}
	for _, p := range refusedV6 {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

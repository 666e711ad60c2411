package safehttp_test

import (
	"net/netip"
	"testing"

	"github.com/leasegraph/leasegraph/webhooks/safehttp"
)

func TestRefused(t *testing.T) {
	refused := []string{
		// IPv4, each range at its edges where they meet allowed ones.
		"0.0.0.0", "0.1.2.3", "0.255.255.255",
		"10.0.0.0", "10.0.0.1", "10.255.255.255",
		"100.64.0.0", "100.100.100.200", "100.127.255.255",
		"127.0.0.1", "127.0.0.53", "127.255.255.255",
		"169.254.0.1", "169.254.169.254", "169.254.255.255",
		"172.16.0.0", "172.20.1.1", "172.31.255.255",
		"192.0.0.1", "192.0.0.170", "192.0.0.255",
		"192.168.0.1", "192.168.255.255",
		"198.18.0.0", "198.19.255.255",
		"224.0.0.1", "239.255.255.250",
		"240.0.0.1", "255.255.255.254", "255.255.255.255",
		// IPv6 outside global unicast.
		"::", "::1", "::127.0.0.1", "::8.8.8.8", "100::1", "4000::1", "5f00::1",
		"fc00::1", "fd00::1", "fd00:ec2::254", "fdff:ffff::1",
		"fe80::1", "fe80::1%eth0", "febf::1", "fec0::1",
		"ff02::1", "ff05::1:3", "ff0e::1",
		"64:ff9b:1::1", "64:ff9b:1::a00:1",
		// IPv4-mapped, as the address they map.
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0", "::ffff:100.64.0.1",
		// NAT64 and 6to4, as the address they embed.
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::10.0.0.1", "64:ff9b::192.168.1.1",
		"2002:7f00:1::1", "2002:a9fe:a9fe::", "2002:c0a8:101:1::5", "2002:a00:1::",
		// Teredo, benchmarking.
		"2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:2::1", "2001:2:0:ffff::1",
		// Any zone, which a public address never needs.
		"2001::1%eth0", "2001:4860:4860::8888%eth0", "fe80::1%1",
	}
	allowed := []string{
		"1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.0",
		"100.63.255.255", "100.128.0.0", "126.255.255.255", "128.0.0.0",
		"169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0",
		"192.0.1.0", "192.167.255.255", "192.169.0.0",
		"198.17.255.255", "198.20.0.0", "223.255.255.255",
		// Documentation ranges: the tests' public addresses.
		"192.0.2.1", "198.51.100.1", "203.0.113.7", "2001:db8::1",
		"2001:4860:4860::8888", "2606:4700:4700::1111", "2a00:1450:4001::1", "3fff:ffff::1",
		"::ffff:8.8.8.8", "::ffff:203.0.113.7",
		"64:ff9b::8.8.8.8", "64:ff9b::cb00:7107",
		"2002:cb00:7107::1", "2002:808:808::",
		"2001:1::1", "2001:3::1",
	}
	for _, s := range refused {
		if !safehttp.Refused(netip.MustParseAddr(s)) {
			t.Errorf("Refused(%s) = false, want true", s)
		}
	}
	for _, s := range allowed {
		if safehttp.Refused(netip.MustParseAddr(s)) {
			t.Errorf("Refused(%s) = true, want false", s)
		}
	}
	if !safehttp.Refused(netip.Addr{}) {
		t.Error("Refused(the zero Addr) = false, want true")
	}
}

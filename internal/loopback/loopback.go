// Package loopback tells addresses of this machine from the others: a
// partner elsewhere can never call one, and plain http is tolerable only
// to one.
package loopback

import (
	"net/netip"
	"net/url"
	"strings"
)

// Host says whether host (a name or IP, no port) is this machine:
// localhost or a name under it, a loopback or unspecified address.
func Host(host string) bool {
	host = strings.ToLower(host)
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && (ip.IsLoopback() || ip.IsUnspecified())
}

// URL says whether raw's host is this machine; false when raw does not
// parse.
func URL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && Host(u.Hostname())
}

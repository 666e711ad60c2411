package safehttp

import (
	"context"
	"net"
	"net/http"
)

// NewClientDialing is NewClient with dial in place of its connect step,
// for tests that must see the addresses tried without dialling any.
func NewClientDialing(o Options, dial func(ctx context.Context, network, address string) (net.Conn, error)) *http.Client {
	return newClient(o, dial)
}

// Control is the check of the dialer's Control hook, on its own.
func Control(o Options, network, address string) error {
	d := &dialer{o: o}
	return d.control(network, address, nil)
}

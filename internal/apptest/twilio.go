package apptest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/twilio/twiliotest"
)

// Twilio, simulated (twiliotest) over real HTTP: the SMS invitations and
// their signed status callbacks.

// The Twilio account WithTwilio's simulator knows: tests sign and check
// callbacks with it.
const (
	TestTwilioSID   = "AC00000000000000000000000000000001"
	TestTwilioToken = "test-twilio-auth-token"
	TestTwilioFrom  = "+15005550006"
)

// twilioSim is one test's Twilio simulator; its callbacks to
// TestPublicURL are rerouted by route.
type twilioSim struct {
	sim   *twiliotest.Sim
	route *Reroute
}

type twilioKey struct{}

// WithTwilio sends the app's invitations to a fresh simulator over real
// HTTP, with fast job polling and retries.
func WithTwilio(shared twiliotest.Options) Setup {
	return func(t *testing.T, s *Settings) {
		opts := shared // each database's run has its own (they run in parallel)
		ts := &twilioSim{route: &Reroute{}}
		opts.AccountSID, opts.AuthToken, opts.Numbers = TestTwilioSID, TestTwilioToken, []string{TestTwilioFrom}
		opts.CallbackClient = &http.Client{Transport: ts.route, Timeout: 10 * time.Second}
		ts.sim = twiliotest.New(opts)
		t.Cleanup(ts.sim.Close)
		srv := httptest.NewServer(ts.sim)
		t.Cleanup(srv.Close)
		s.Config.SMS = config.SMS{AccountSID: TestTwilioSID, AuthToken: TestTwilioToken, From: TestTwilioFrom, BaseURL: srv.URL}
		// Twilio signs its callbacks over the public URL; the route
		// reroutes them to the test's server.
		s.Config.Screening.PublicURL = TestPublicURL
		s.Options.RetryBase, s.Options.JobPoll = 10*time.Millisecond, 20*time.Millisecond
		s.attach(twilioKey{}, ts)
	}
}

// TwilioSim returns the test's simulator under WithTwilio, its callbacks
// now reaching e (until then they fail, as to a server that is down).
func (e *Env) TwilioSim(t *testing.T) *twiliotest.Sim {
	t.Helper()
	ts := handle[*twilioSim](t, e, twilioKey{}, "WithTwilio")
	ts.route.To(e.Srv.URL)
	return ts.sim
}

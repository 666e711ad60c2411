package app

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/demo"
	"github.com/leasegraph/leasegraph/internal/admission"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/smartmove"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
	"github.com/leasegraph/leasegraph/twilio"
	"github.com/leasegraph/leasegraph/twilio/twiliotest"
)

// partners are what demo mode runs in place of the partners it has no
// credentials for: in-process simulators, reached through their
// transports, and the SmartMove simulator's pages.
type partners struct {
	propexo   *http.Client
	twilio    *http.Client
	twilioCfg config.SMS
	smartmove *http.Client
	pages     http.Handler
	closers   []func()
}

func (p *partners) close() {
	for _, c := range p.closers {
		c()
	}
	p.closers = nil
}

// The demo Twilio account the simulator knows.
const demoTwilioSID, demoTwilioToken, demoTwilioFrom = "ACdemo0000000000000000000000000000", "demo-auth-token", "+15005550006"

// demoPartners starts a simulator for each partner demo mode has no
// credentials for. Outside demo mode, none.
func demoPartners(cfg config.Config, opts Options, log *slog.Logger) partners {
	var p partners
	if !cfg.Demo {
		return p
	}
	if cfg.Delivery.PropexoToken == "" {
		// Writes finish after a few seconds, so demo prospects are
		// delivered with no token; the demo client's leases arrive
		// through its first sync at start-up.
		sim := propexotest.New(propexotest.Options{AutoComplete: 3 * time.Second})
		demo.FillPropexo(sim)
		p.propexo = &http.Client{Transport: sim.Transport(), Timeout: 10 * time.Second}
	}
	if !cfg.SMS.Configured() {
		// Its status callbacks reach this server, signed as Twilio signs.
		sim := twiliotest.New(twiliotest.Options{AccountSID: demoTwilioSID, AuthToken: demoTwilioToken, Numbers: []string{demoTwilioFrom}, Step: 2 * time.Second})
		p.closers = append(p.closers, sim.Close)
		p.twilio = &http.Client{Transport: sim.Transport(), Timeout: 10 * time.Second}
		p.twilioCfg = config.SMS{AccountSID: demoTwilioSID, AuthToken: demoTwilioToken, From: demoTwilioFrom, BaseURL: "http://twilio.simulator"}
	}
	if cfg.Screening.APIKey == "" {
		// Applicants move one step every few seconds; the links point
		// back to this server, which serves the simulator's pages.
		step := opts.DemoStep
		if step <= 0 {
			step = 4 * time.Second
		}
		sim := smartmovetest.New(smartmovetest.Options{AutoAdvance: step, LinkBaseURL: cfg.Screening.PublicURL})
		p.closers = append(p.closers, sim.Close)
		p.pages = sim
		p.smartmove = &http.Client{Transport: sim.Transport()}
		log.Info("screening: demo mode runs an in-process SmartMove simulator")
	}
	return p
}

// propexoClient is the Propexo client deliveries and the lease sync share,
// or nil when no token is configured (deliveries are then NOT_SENT).
func (a *App) propexoClient() (*propexo.Client, error) {
	token, base, hc := a.cfg.Delivery.PropexoToken, a.cfg.Delivery.PropexoBaseURL, a.opts.PropexoHTTP
	if a.partners.propexo != nil {
		token, base, hc = "demo", "http://propexo.simulator", a.partners.propexo
	}
	if token == "" {
		return nil, nil
	}
	return propexo.New(propexo.Config{Token: token, BaseURL: base, HTTPClient: a.partnerHTTP("propexo", hc, propexo.DefaultTimeout),
		RateWindow: a.opts.PropexoWindow})
}

// twilioClient sends invitations, or is nil when Twilio is not configured
// (invitations are then NOT_SENT).
func (a *App) twilioClient() (*twilio.Client, error) {
	s, hc := a.cfg.SMS, a.opts.TwilioHTTP
	if a.partners.twilio != nil {
		hc = a.partners.twilio
	}
	if !s.Configured() {
		return nil, nil
	}
	// Twilio's client's own default timeout when none is given.
	return twilio.New(twilio.Config{AccountSID: s.AccountSID, AuthToken: s.AuthToken, From: s.From,
		BaseURL: s.BaseURL, HTTPClient: a.tracing.PartnerClient("twilio", hc, 30*time.Second)})
}

// smartMoveClient orders screenings, or is nil when SmartMove is not
// configured (every partner call then fails with PARTNER_ERROR).
func (a *App) smartMoveClient() (*smartmove.Client, error) {
	c := smartmove.Config{BaseURL: a.cfg.Screening.BaseURL, APIKey: a.cfg.Screening.APIKey, HTTPClient: a.opts.SmartMoveHTTP, Timeout: a.opts.SmartMoveTimeout}
	if a.partners.smartmove != nil {
		c = smartmove.Config{BaseURL: smartmove.SandboxURL, APIKey: smartmovetest.DefaultAPIKey, HTTPClient: a.partners.smartmove}
	}
	if c.APIKey == "" {
		return nil, nil
	}
	timeout := smartmove.DefaultTimeout
	if c.Timeout > 0 {
		timeout = c.Timeout
	}
	c.HTTPClient = a.partnerHTTP("smartmove", c.HTTPClient, timeout)
	return smartmove.New(c)
}

// partnerHTTP is a partner's HTTP client (hc, or a new one with timeout):
// its calls counted and traced, and the calling request's admission slot
// free for another while a call waits on the partner.
func (a *App) partnerHTTP(partner string, hc *http.Client, timeout time.Duration) *http.Client {
	hc = a.metrics.PartnerClient(partner, hc, timeout)
	hc = a.tracing.PartnerClient(partner, hc, timeout)
	out := *hc
	out.Transport = admission.Transport(hc.Transport)
	return &out
}

package smartmove

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// TestAPIKeyNeverPrinted gathers every kind of error the client makes and
// every way to print its config, and looks for the key in all of them.
func TestAPIKeyNeverPrinted(t *testing.T) {
	const key = "sk-LIVE-7f3e9a1c-SECRET"
	// A server that echoes the key back, as a careless proxy might.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/smartmove/application/cancel":
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]string{"Message": "key " + r.Header.Get("x-apiKey") + " is not enabled"})
		case "/api/smartmove/application/details":
			w.WriteHeader(502)
			w.Write([]byte("upstream said: x-apiKey=" + r.Header.Get("x-apiKey")))
		default:
			time.Sleep(200 * time.Millisecond)
		}
	}))
	defer echo.Close()
	sim := smartmovetest.New(smartmovetest.Options{APIKeys: []string{key}})
	defer sim.Close()
	simSrv := httptest.NewServer(sim)
	defer simSrv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	cfg := Config{BaseURL: echo.URL, APIKey: key, Timeout: 50 * time.Millisecond}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := New(Config{BaseURL: simSrv.URL, APIKey: key})
	dead, _ := New(Config{BaseURL: closed.URL, APIKey: key})
	_, invalidBase := New(Config{BaseURL: "http://example.com", APIKey: key})

	var outputs []string
	add := func(err error) {
		t.Helper()
		if err == nil {
			t.Fatal("expected an error")
		}
		outputs = append(outputs, err.Error(), fmt.Sprintf("%v|%+v|%#v|%s|%q", err, err, err, err, err))
	}
	add(c.CancelApplication(ctx(t), "c", 1))
	add(func() error { _, err := c.ApplicationDetails(ctx(t), "c", 1); return err }())
	add(func() error { _, err := c.ReportStatus(ctx(t), "c", 1); return err }()) // times out
	add(func() error { _, err := s.ApplicationDetails(ctx(t), "c", 1); return err }())
	add(func() error { _, err := dead.ReportStatus(ctx(t), "c", 1); return err }())
	add(invalidBase)
	sim.MalformedNext(1)
	add(func() error { _, err := s.ReportStatus(ctx(t), "c", 1); return err }())
	for _, v := range []any{cfg, &cfg, c, *c} {
		outputs = append(outputs, fmt.Sprintf("%v|%+v|%#v|%s|%q", v, v, v, v, v))
	}

	for _, out := range outputs {
		if strings.Contains(out, key) || strings.Contains(out, "SECRET") {
			t.Errorf("the key leaked: %s", out)
		}
	}
	// The echoed messages survive, minus the key.
	if !strings.Contains(outputs[0], "key [redacted] is not enabled") {
		t.Errorf("scrubbed message = %q", outputs[0])
	}
	if got := fmt.Sprint(cfg); got != `smartmove.Config{BaseURL:"`+echo.URL+`" APIKey:[redacted] Timeout:50ms}` {
		t.Errorf("Config prints %s", got)
	}
	if got := fmt.Sprint(Config{}); !strings.Contains(got, "APIKey:[unset]") {
		t.Errorf("empty Config prints %s", got)
	}
}

func TestCardAndPasswordNeverPrinted(t *testing.T) {
	o := validOrder()
	o.RequestParameters = &RequestParameters{PostbackURI: "https://example.com/h", PostbackUsername: "hook", PostbackPassword: "pw-SECRET"}
	out := fmt.Sprintf("%v|%+v|%#v|%v|%#v", *o.CreditCard, o.CreditCard, *o.CreditCard, *o.RequestParameters, o.RequestParameters)
	for _, secret := range []string{"5419543578415880", "554", "pw-SECRET"} {
		if strings.Contains(out, secret) {
			t.Errorf("%q printed in %s", secret, out)
		}
	}
	if got := o.CreditCard.String(); got != "CreditCard{mastercard ending 5880, expires 09/2030}" {
		t.Errorf("card prints %q", got)
	}
	o.CreditCard.CardSecurity = "55x4"
	_, err := (&Client{}).CreateEmbeddedApplication(t.Context(), "c", o)
	if err == nil || strings.Contains(err.Error(), "55x4") || err.Error() != "smartmove: invalid CreditCard.cardSecurity: must be digits only" {
		t.Errorf("card validation error = %v", err)
	}
}

// TestRedirectNotFollowed: a redirect would carry x-apiKey to whatever
// host it names.
func TestRedirectNotFollowed(t *testing.T) {
	var hits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer elsewhere.Close()
	redirect := httptest.NewServer(http.RedirectHandler(elsewhere.URL+"/steal", http.StatusTemporaryRedirect))
	defer redirect.Close()
	for _, hc := range []*http.Client{nil, {}} {
		c, _ := New(Config{BaseURL: redirect.URL, APIKey: testKey, HTTPClient: hc})
		err := c.CancelApplication(ctx(t), "c", 1)
		if ae := asAPIError(t, err); ae.Status != 307 {
			t.Fatalf("status = %d, want 307", ae.Status)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("the redirect target was called %d times", hits.Load())
	}
}

func TestNewChecksConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string // error text, "" for success
	}{
		{Config{}, "smartmove: Config.APIKey is required"},
		{Config{APIKey: "k", BaseURL: "stage.rentprep.com"}, "smartmove: Config.BaseURL must be an absolute http(s) URL"},
		{Config{APIKey: "k", BaseURL: "ftp://stage.rentprep.com"}, "smartmove: Config.BaseURL must be an absolute http(s) URL"},
		{Config{APIKey: "k", BaseURL: "http://stage.rentprep.com"}, "smartmove: Config.BaseURL must use https outside a loopback host"},
		{Config{APIKey: "k"}, ""},
		{Config{APIKey: "k", BaseURL: "http://127.0.0.1:8080/"}, ""},
		{Config{APIKey: "k", BaseURL: "http://localhost:8080"}, ""},
		{Config{APIKey: "k", BaseURL: "http://[::1]:8080"}, ""},
		{Config{APIKey: "k", BaseURL: ProductionURL}, ""},
	} {
		c, err := New(tc.cfg)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("New(%v): %v", tc.cfg, err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("New(%v) = %v, want %q", tc.cfg, err, tc.want)
		}
		if tc.want == "" && tc.cfg.BaseURL == "" && c.String() != `smartmove.Client{BaseURL:"https://stage.rentprep.com" APIKey:[redacted]}` {
			t.Errorf("default client = %s", c)
		}
	}
	c, _ := New(Config{APIKey: "k"})
	if c.timeout != DefaultTimeout || c.http.Timeout != DefaultTimeout {
		t.Errorf("timeouts = %v, %v", c.timeout, c.http.Timeout)
	}
	var ve error = &ValidationError{Field: "f", Reason: "r"}
	if !errors.Is(ve, ErrInvalid) {
		t.Error("ValidationError does not match ErrInvalid")
	}
}

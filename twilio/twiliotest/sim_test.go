package twiliotest_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/leasegraph/leasegraph/twilio"
	"github.com/leasegraph/leasegraph/twilio/twiliotest"
)

const (
	sid   = "AC00000000000000000000000000000001"
	token = "secret-token"
	from  = "+15005550006"
	svc   = "MG00000000000000000000000000000001"
)

func newSim(t *testing.T, opts twiliotest.Options) (*twiliotest.Sim, string) {
	opts.AccountSID, opts.AuthToken = sid, token
	opts.Numbers, opts.Services = []string{from}, []string{svc}
	sim := twiliotest.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	return sim, srv.URL
}

func client(t *testing.T, base, acct, tok, sender string) *twilio.Client {
	c, err := twilio.New(twilio.Config{AccountSID: acct, AuthToken: tok, From: sender, BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Each refusal the simulator makes, with the rule of docs/partners/twilio.md it follows.
func TestSimulatorRefuses(t *testing.T) {
	_, base := newSim(t, twiliotest.Options{OptedOut: []string{"+15125550100"}})
	cases := []struct {
		name              string
		acct, tok, sender string
		to, body          string
		status, code      int
	}{
		// HTTP Basic auth AccountSid:AuthToken (docs/partners/twilio.md#create-message).
		{"wrong token", sid, "nope", from, "+15125550101", "hi", 401, 20003},
		{"other account", "AC00000000000000000000000000000009", token, from, "+15125550101", "hi", 401, 20003},
		// To in E.164 (docs/partners/twilio.md#create-message).
		{"To not E.164", sid, token, from, "512-555-0101", "hi", 400, 21211},
		{"To with a leading 0", sid, token, from, "+0125550101", "hi", 400, 21211},
		// From (or MessagingServiceSid): the account's own (docs/partners/twilio.md#create-message).
		{"From not the account's", sid, token, "+15125559999", "+15125550101", "hi", 400, 21606},
		{"unknown messaging service", sid, token, "MG00000000000000000000000000000009", "+15125550101", "hi", 400, 21701},
		// Body is required (docs/partners/twilio.md#create-message).
		{"no body", sid, token, from, "+15125550101", "", 400, 21602},
		{"body over 1600", sid, token, from, "+15125550101", strings.Repeat("a", 1601), 400, 21617},
		// 21610: the recipient replied STOP (docs/partners/twilio.md#error-21610).
		{"opted out", sid, token, from, "+15125550100", "hi", 400, 21610},
	}
	for _, c := range cases {
		_, err := client(t, base, c.acct, c.tok, c.sender).Send(context.Background(), twilio.Message{To: c.to, Body: c.body})
		var te *twilio.Error
		if !errors.As(err, &te) || te.HTTPStatus != c.status || te.Code != c.code {
			t.Errorf("%s: %v, want HTTP %d error %d", c.name, err, c.status, c.code)
			continue
		}
		if te.Temporary() {
			t.Errorf("%s: a lasting refusal is called temporary", c.name)
		}
		if te.OptedOut() != (c.code == twilio.CodeOptedOut) {
			t.Errorf("%s: OptedOut() %v", c.name, te.OptedOut())
		}
	}
}

func TestSimulatorFaultsAreTemporary(t *testing.T) {
	sim, base := newSim(t, twiliotest.Options{})
	sim.FailNext(1, http.StatusServiceUnavailable)
	c := client(t, base, sid, token, from)
	_, err := c.Send(context.Background(), twilio.Message{To: "+15125550101", Body: "hi"})
	var te *twilio.Error
	if !errors.As(err, &te) || !te.Temporary() {
		t.Fatalf("a 503 is %v", err)
	}
	if _, err := c.Send(context.Background(), twilio.Message{To: "+15125550101", Body: "hi"}); err != nil {
		t.Fatal(err)
	}
	if n := len(sim.Messages()); n != 1 {
		t.Fatalf("%d messages, want 1 (a fault creates none)", n)
	}
}

// Accepted messages answer their sid, queued status and segments, and their
// StatusCallback receives queued, sent, then the outcome, each signed as
// docs/partners/twilio.md#status-callbacks says.
func TestSimulatorCallbacks(t *testing.T) {
	var mu sync.Mutex
	var got []url.Values
	bad := 0
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		full := "http://" + r.Host + r.URL.RequestURI()
		mu.Lock()
		defer mu.Unlock()
		if !twilio.ValidSignature(token, full, r.PostForm, r.Header.Get(twilio.SignatureHeader)) {
			bad++
		}
		got = append(got, r.PostForm)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer cb.Close()
	sim, base := newSim(t, twiliotest.Options{Outcomes: map[string]twiliotest.Outcome{"+15125550102": {Status: "undelivered", ErrorCode: 30003}}})
	c := client(t, base, sid, token, svc)
	sent, err := c.Send(context.Background(), twilio.Message{To: "+15125550102", Body: strings.Repeat("ł", 71), StatusCallback: cb.URL + "/status?delivery=7"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sent.SID, "SM") || sent.Status != "queued" || sent.NumSegments != 2 {
		t.Fatalf("answer %+v", sent)
	}
	sim.Close() // waits for the callbacks
	mu.Lock()
	defer mu.Unlock()
	if bad != 0 || len(got) != 3 {
		t.Fatalf("%d callbacks, %d badly signed", len(got), bad)
	}
	for i, want := range []string{"queued", "sent", "undelivered"} {
		if got[i].Get("MessageStatus") != want || got[i].Get("MessageSid") != sent.SID {
			t.Errorf("callback %d: %v", i, got[i])
		}
	}
	if got[2].Get("ErrorCode") != "30003" {
		t.Errorf("undelivered without its error code: %v", got[2])
	}
	if m := sim.Messages()[0]; m.MessagingServiceSID != svc || m.From != "" {
		t.Errorf("a messaging-service sender was sent as %+v", m)
	}
}

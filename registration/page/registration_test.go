package page_test

import (
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/leasegraph/leasegraph/ent/integrationjob"
	entreg "github.com/leasegraph/leasegraph/ent/registration"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/registration/page"
	"github.com/leasegraph/leasegraph/viewer"
)

// HTTP-level tests of the registration page (no browser): headers, the
// outcomes the page shows and posts, what is recorded, and the card screen's
// signed form state.

var (
	regCardErrRe = regexp.MustCompile(`id="card-error">([^<]*)</p>`)
)

// anyParent says whether the page posts its result to any parent ("*").
func anyParent(p apptest.RegPage) bool {
	return regexp.MustCompile(`var anyParent = \s*true\s*;`).MatchString(p.Body)
}

// resultJSON is the string the page must post: {status, message} in that order.
func resultJSON(status, message string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}{status, message})
	return strings.TrimSuffix(b.String(), "\n")
}

func TestRegistrationPageHeaders(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := apptest.RegFixture(t, e, "Acme", "https://crm.example.com", "https://crm2.example.com:8443")
		_, noOrigins := apptest.RegFixture(t, e, "Bolt")
		q := url.Values{"auth_token": {token}, "property_tag": {"OPEN"}, "full_name": {"Jordan Miles"}, "mobile_phone": {"(512) 555-0134"}}

		// The first screen registers nobody: only its form, which the page
		// submits once the browser has let the CRM frame it, does.
		first := apptest.StartRegPage(t, e.Srv.URL, q)
		if n, err := e.Client.Registration.Query().Count(e.Sys()); err != nil || n != 0 || first.State == "" || !first.FirstScreen() {
			t.Fatalf("first screen: %d registrations (%v), state %q", n, err, first.State)
		}
		if csp := first.Res.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; frame-ancestors https://crm.example.com https://crm2.example.com:8443") {
			t.Errorf("first screen: CSP frame-ancestors is not the allow-list: %s", csp)
		}
		p := apptest.GetRegPage(t, e.Srv.URL, q)
		h := p.Res.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.HasSuffix(csp, "; frame-ancestors https://crm.example.com https://crm2.example.com:8443") {
			t.Errorf("CSP frame-ancestors is not the allow-list: %s", csp)
		}
		for _, d := range []string{"default-src 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("CSP lacks %s: %s", d, csp)
			}
		}
		nonce := regexp.MustCompile(`script-src 'nonce-([^']+)'`).FindStringSubmatch(csp)
		attr := regexp.MustCompile(`<script nonce="([^"]*)">`).FindStringSubmatch(p.Body)
		if nonce == nil || attr == nil || html.UnescapeString(attr[1]) != nonce[1] {
			t.Errorf("the script's nonce is not the CSP's: %s", csp)
		}
		if got := h.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("Referrer-Policy = %q", got)
		}
		if got := h.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q", got)
		}
		if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("X-Content-Type-Options = %q", got)
		}
		if len(p.Body) >= 20<<10 {
			t.Errorf("the page is %d bytes, over 20 KB", len(p.Body))
		}
		if strings.Contains(p.Body, token) {
			t.Error("the page holds the token")
		}
		if want := resultJSON("invited", "Registered for a self-showing at Acme OPEN. No SMS provider is set up, so no invitation was sent."); p.Result != want {
			t.Errorf("result = %s, want %s", p.Result, want)
		}
		if anyParent(p) || !regexp.MustCompile(`var anyParent = \s*false\s*;`).MatchString(p.Body) {
			t.Error("a client's result may go to any parent")
		}

		// A client with no origins: no one may frame the page.
		q.Set("auth_token", noOrigins)
		q.Set("mobile_phone", "(512) 555-0135")
		p = apptest.GetRegPage(t, e.Srv.URL, q)
		if csp := p.Res.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; frame-ancestors 'none'") {
			t.Errorf("no origins: CSP = %s", csp)
		}

		// No client known: the page says so and posts it to whichever page
		// framed it, with nothing about any client in it.
		q.Del("auth_token")
		p = apptest.GetRegPage(t, e.Srv.URL, q)
		want := resultJSON("incomplete", "The CRM did not pass the agent's leasegraph token (auth_token): the agent cannot be signed in.")
		if p.Status != "incomplete" || p.Result != want || !anyParent(p) {
			t.Errorf("no token: shows %q, posts %q (to any parent: %v)", p.Status, p.Result, anyParent(p))
		}
		if strings.Contains(p.Body, "crm.example.com") {
			t.Error("the page without a client names the client's CRM origins")
		}
	})
}

func TestRegistrationPageOutcomes(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		clientID, token := apptest.RegFixture(t, e, "Acme", "https://crm.example.com")
		boltID, _ := apptest.RegFixture(t, e, "Bolt")
		readOnly := e.Token(clientID, viewer.ScopeRead)
		if err := e.Client.Property.Create().SetClientID(boltID).SetTag("BOLTONLY").Exec(e.Sys()); err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("é", 151)

		cases := []struct {
			name     string
			q        url.Values
			status   string
			message  string
			recorded bool
		}{
			{"no token", url.Values{"property_tag": {"OPEN"}, "mobile_phone": {"5125550134"}},
				"incomplete", "The CRM did not pass the agent's leasegraph token (auth_token): the agent cannot be signed in.", false},
			{"unknown token", url.Values{"auth_token": {"lg_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, "property_tag": {"OPEN"}, "mobile_phone": {"5125550134"}},
				"incomplete", "The agent's leasegraph token (auth_token) is not valid: it is unknown or revoked.", false},
			{"read-only token", url.Values{"auth_token": {readOnly}, "property_tag": {"OPEN"}, "mobile_phone": {"5125550134"}},
				"incomplete", "The agent's leasegraph token (auth_token) may not register prospects: it must be a client token with the write scope.", false},
			{"no property", url.Values{"auth_token": {token}, "mobile_phone": {"5125550134"}},
				"incomplete", "Choose the property to register the prospect for: the CRM sent no property tag.", true},
			{"no phone", url.Values{"auth_token": {token}, "property_tag": {"OPEN"}},
				"incomplete", "Enter the prospect's mobile phone number.", true},
			{"invalid phone", url.Values{"auth_token": {token}, "property_tag": {"OPEN"}, "mobile_phone": {"555-01"}},
				"incomplete", "The mobile phone number is not valid: enter a 10-digit US number, or + and the country code.", true},
			{"sms_notes too long", url.Values{"auth_token": {token}, "property_tag": {"OPEN"}, "mobile_phone": {"5125550134"}, "sms_notes": {long}},
				"incomplete", "The SMS notes are 151 characters long: shorten them to 150 or fewer.", true},
			{"unknown property", url.Values{"auth_token": {token}, "property_tag": {"NOPE"}, "mobile_phone": {"5125550134"}},
				"incomplete", `No property with the tag "NOPE" was found: check the property in the CRM.`, true},
			{"another client's property", url.Values{"auth_token": {token}, "property_tag": {"BOLTONLY"}, "mobile_phone": {"5125550134"}},
				"incomplete", `No property with the tag "BOLTONLY" was found: check the property in the CRM.`, true},
			{"inactive property", url.Values{"auth_token": {token}, "property_tag": {"SHUT"}, "mobile_phone": {"5125550134"}},
				"incomplete", "Acme SHUT is not open for showings.", true},
			{"crm_origin not allowed", url.Values{"auth_token": {token}, "property_tag": {"OPEN"}, "mobile_phone": {"5125550134"}, "crm_origin": {"https://evil.example.com"}},
				"incomplete", "This CRM page (https://evil.example.com) is not one of the client's allowed CRM origins: ask an administrator to add it.", true},
			{"require_cc not a boolean", url.Values{"auth_token": {token}, "property_tag": {"OPEN"}, "mobile_phone": {"5125550134"}, "require_cc": {"maybe"}},
				"incomplete", "The card requirement (require_cc) must be true, false, 1 or 0.", true},
			{"prelease", url.Values{"auth_token": {token}, "property_tag": {"SOON"}, "mobile_phone": {"5125550137"}, "require_cc": {"0"}},
				"prelease", "Added to the pre-lease wait list for Acme SOON.", true},
			{"invited", url.Values{"auth_token": {token}, "property_tag": {"OPEN"}, "full_name": {"Jordan Q Miles"}, "mobile_phone": {"(512) 555-0134"}, "sms_notes": {"Gate code 1234"}, "require_cc": {"false"}},
				"invited", "Registered for a self-showing at Acme OPEN. No SMS provider is set up, so no invitation was sent.", true},
		}
		ctx := e.Sys()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before, err := e.Client.Registration.Query().Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				p := apptest.GetRegPage(t, e.Srv.URL, c.q)
				if p.Status != c.status || p.Message != c.message {
					t.Errorf("shows %q %q, want %q %q", p.Status, p.Message, c.status, c.message)
				}
				// Every outcome reaches the CRM page, a refused token's too.
				if wantResult := resultJSON(c.status, c.message); p.Result != wantResult {
					t.Errorf("posts %q, want %q", p.Result, wantResult)
				}
				after, err := e.Client.Registration.Query().Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got := after - before; (got == 1) != c.recorded || got > 1 {
					t.Fatalf("%d registrations recorded (recorded: %v)", got, c.recorded)
				}
				if !c.recorded {
					return
				}
				r, err := e.Client.Registration.Query().Order(entreg.ByID(entsql.OrderDesc())).First(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if string(r.Status) != strings.ToUpper(c.status) || r.Message != c.message || r.Channel != entreg.ChannelIFRAME || r.TokenID == 0 || r.ClientID != clientID {
					t.Errorf("recorded %+v", r)
				}
				if n := []rune(r.SmsNotes); len(n) > 150 {
					t.Errorf("sms_notes recorded with %d characters", len(n))
				}
			})
		}

		// The invitation: a prospect and an SMS delivery recorded NOT_SENT
		// with its reason, since no SMS provider is configured.
		p, err := e.Client.Prospect.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, pr := range p {
			if pr.Phone1 == "+15125550134" {
				found = true
				if pr.FirstName != "Jordan Q" || pr.LastName != "Miles" {
					t.Errorf("prospect %q %q", pr.FirstName, pr.LastName)
				}
			}
		}
		if !found {
			t.Errorf("no prospect +15125550134 among %d", len(p))
		}
		jobs, err := e.Client.IntegrationJob.Query().Where(integrationjob.KindEQ(integrationjob.KindSMS)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 2 { // invited and prelease
			t.Fatalf("%d SMS deliveries, want 2", len(jobs))
		}
		for _, j := range jobs {
			if j.Status != integrationjob.StatusNOT_SENT || j.LastError == "" || j.RegistrationID == nil {
				t.Errorf("SMS delivery %+v", j)
			}
		}
	})
}

func TestRegistrationPageCardScreen(t *testing.T) {
	// A server whose signing key the test knows.
	key := []byte("registration-test-key-0123456789")
	withKey := func(t *testing.T, s *apptest.Settings) { s.Config.Secret = string(key) }
	apptest.EachDBSetup(t, withKey, func(t *testing.T, e *apptest.Env) {
		srv, logs := e.Srv, e.Logs
		_, token := apptest.RegFixture(t, e, "Acme", "https://crm.example.com")
		ctx := e.Sys()
		count := func() int {
			n, err := e.Client.Registration.Query().Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		q := url.Values{"auth_token": {token}, "property_tag": {"OPEN"}, "full_name": {"Jordan Miles"},
			"mobile_phone": {"(512) 555-0142"}, "require_cc": {"true"}, "crm_origin": {"https://crm.example.com"}}
		card := func(state, number string) url.Values {
			return url.Values{"state": {state}, "action": {"submit"}, "name": {"Jordan Miles"}, "number": {number},
				"expiry": {"12/" + time.Now().AddDate(2, 0, 0).Format("06")}, "cvc": {"123"}, "postal_code": {"78701"}}
		}

		p := apptest.GetRegPage(t, srv.URL, q)
		if p.State == "" || p.Result != "" || count() != 0 {
			t.Fatalf("card screen: state %q, result %q, %d recorded", p.State, p.Result, count())
		}
		if strings.Contains(p.State, token) {
			t.Error("the form state holds the token")
		}
		st, err := page.VerifyState(key, p.State, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		formStateMsg := "The form has expired or was changed: open the registration again."

		payload, sig, _ := strings.Cut(p.State, ".")
		expired := st
		expired.Expires = time.Now().Add(-time.Second)
		forged := st
		forged.PropertyTag = "SOON"
		for name, state := range map[string]string{
			"tampered":     payload[:len(payload)-2] + "xy." + sig,
			"unsigned":     payload,
			"other key":    page.SignState([]byte("another-key-0123456789abcdefghij"), forged),
			"expired":      page.SignState(key, expired),
			"empty":        "",
			"bad encoding": "!!!." + sig,
		} {
			p := apptest.PostRegPage(t, srv.URL, card(state, apptest.BrowserCardNumber))
			// Posted to the parent, as a result that knows no client.
			if p.Status != "incomplete" || p.Message != formStateMsg || p.Result != resultJSON("incomplete", formStateMsg) || !anyParent(p) {
				t.Errorf("%s state: shows %q %q, posts %q", name, p.Status, p.Message, p.Result)
			}
		}
		if n := count(); n != 0 {
			t.Fatalf("%d registrations recorded for refused forms", n)
		}

		// A body over the limit is not read.
		big := card(p.State, apptest.BrowserCardNumber)
		big.Set("name", strings.Repeat("x", 70<<10))
		if p := apptest.PostRegPage(t, srv.URL, big); p.Status != "incomplete" || p.Message != "The form could not be read." {
			t.Errorf("oversized form: %q %q", p.Status, p.Message)
		}

		// A mistyped number: the screen again, with the error, and the number
		// not written back into the page.
		bad := apptest.PostRegPage(t, srv.URL, card(p.State, "4242424242424241"))
		if bad.State == "" || !strings.Contains(bad.Body, "The card number is not valid: check for a typo.") || strings.Contains(bad.Body, "4242424242424241") {
			t.Errorf("mistyped card: state %q, body:\n%s", bad.State, bad.Body)
		}
		// What is safe to keep is kept; the number and the code are not.
		for _, kept := range []string{`id="cc-name" name="name" autocomplete="cc-name" value="Jordan Miles"`,
			`autocomplete="cc-exp" value="12/` + time.Now().AddDate(2, 0, 0).Format("06") + `"`, `autocomplete="postal-code" value="78701"`} {
			if !strings.Contains(bad.Body, kept) {
				t.Errorf("mistyped card: the screen lost %s", kept)
			}
		}
		if regexp.MustCompile(`name="(number|cvc)"[^>]*value=`).MatchString(bad.Body) {
			t.Error("mistyped card: the number or the security code was written back into the page")
		}
		if m := regCardErrRe.FindStringSubmatch(bad.Body); m == nil {
			t.Error("no card error shown")
		}
		if n := count(); n != 0 {
			t.Fatalf("%d registrations recorded for a mistyped card", n)
		}

		ok := apptest.PostRegPage(t, srv.URL, card(bad.State, apptest.BrowserCardNumber))
		want := resultJSON("invited", "Registered for a self-showing at Acme OPEN. No SMS provider is set up, so no invitation was sent.")
		if ok.Result != want || strings.Contains(ok.Body, apptest.BrowserCardNumber) {
			t.Errorf("card: posts %q, want %q", ok.Result, want)
		}
		var crmOrigin string
		if m := regexp.MustCompile(`var candidates = \[("(?:[^"\\]|\\.)*")\]`).FindStringSubmatch(ok.Body); m == nil ||
			json.Unmarshal([]byte(m[1]), &crmOrigin) != nil || crmOrigin != "https://crm.example.com" {
			t.Errorf("the page after the card screen lost the CRM origin (%q)", crmOrigin)
		}
		cards, err := e.Client.Card.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cards) != 1 || cards[0].Brand != "visa" || cards[0].Last4 != "4242" {
			t.Fatalf("cards %+v", cards)
		}
		db := e.Queries.Driver.(*entsql.Driver).DB()
		for _, table := range apptest.BrowserTables(t, db, e.Dialect) {
			apptest.ScanForString(t, db, table, apptest.BrowserCardNumber)
		}
		if strings.Contains(logs.String(), apptest.BrowserCardNumber) || strings.Contains(logs.String(), token) {
			t.Error("the log holds the card number or the token")
		}

		// Cancel on a new card screen.
		q.Set("mobile_phone", "(512) 555-0143")
		p = apptest.GetRegPage(t, srv.URL, q)
		c := apptest.PostRegPage(t, srv.URL, url.Values{"state": {p.State}, "action": {"cancel"}})
		if want := resultJSON("incomplete", "The card screen was not completed."); c.Result != want {
			t.Errorf("cancel: posts %q, want %q", c.Result, want)
		}
	})
}

package sms_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/sms"
	"github.com/leasegraph/leasegraph/twilio"
	"github.com/leasegraph/leasegraph/twilio/twiliotest"
)

const registerSMS = `mutation($in: RegisterProspectInput!) {
	registerProspect(input: $in) { status message registration { id } } }`

const smsQuery = `query($id: ID!) { node(id: $id) { ... on Registration {
	deliveries { id kind status partnerStatus errorCode lastError segments sentAt updatedAt attempts } } } }`

type smsDelivery struct {
	ID, Kind, Status, PartnerStatus, ErrorCode, LastError string
	Segments, Attempts                                    int
	SentAt                                                *time.Time
	UpdatedAt                                             time.Time
}

// register registers phone at OPEN and returns the registration's id.
func register(e *apptest.Env, token, phone, notes string) string {
	e.T.Helper()
	id, _ := registerMsg(e, token, phone, notes)
	return id
}

// registerMsg is register that also returns the message the agent reads.
func registerMsg(e *apptest.Env, token, phone, notes string) (string, string) {
	e.T.Helper()
	var out struct {
		RegisterProspect struct {
			Status       string
			Message      string
			Registration struct{ ID string }
		}
	}
	e.MustGQL(token, registerSMS, map[string]any{"in": map[string]any{"propertyTag": "OPEN", "mobilePhone": phone, "smsNotes": notes}}, &out)
	if out.RegisterProspect.Status != "invited" {
		e.T.Fatalf("registration %s", out.RegisterProspect.Status)
	}
	return out.RegisterProspect.Registration.ID, out.RegisterProspect.Message
}

// smsOf reads the registration's SMS delivery through the graph.
func smsOf(e *apptest.Env, token, regID string) smsDelivery {
	e.T.Helper()
	var out struct {
		Node struct{ Deliveries []smsDelivery }
	}
	e.MustGQL(token, smsQuery, map[string]any{"id": regID}, &out)
	if len(out.Node.Deliveries) != 1 || out.Node.Deliveries[0].Kind != "SMS" {
		e.T.Fatalf("deliveries %+v", out.Node.Deliveries)
	}
	return out.Node.Deliveries[0]
}

// waitSMS waits until the registration's SMS reaches the wanted status and
// Twilio status (no timing asserted: the bound only ends a hung test).
func waitSMS(e *apptest.Env, token, regID, status, partnerStatus string) smsDelivery {
	e.T.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d := smsOf(e, token, regID)
		// Twilio's callbacks may come before the send's own answer is
		// stored: a message Twilio took is done once both are in.
		if d.Status == status && d.PartnerStatus == partnerStatus && (partnerStatus == "" || d.SentAt != nil) {
			return d
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("SMS is %s/%s, want %s/%s (%+v)", d.Status, d.PartnerStatus, status, partnerStatus, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSMSInvitationDelivered(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithTwilio(twiliotest.Options{}), func(t *testing.T, e *apptest.Env) {
		sim := e.TwilioSim(t)
		_, token := e.ArrangeRegistrationClient("Acme")
		reg, msg := registerMsg(e, token, "(512) 555-0134", "Gate code 4711")
		if msg != "Registered for a self-showing at Acme OPEN. The invitation is on its way by SMS." {
			t.Fatalf("the agent reads %q", msg)
		}
		d := waitSMS(e, token, reg, "SUCCEEDED", "delivered")
		if d.Segments != 1 || d.SentAt == nil || d.ErrorCode != "" || d.LastError != "" || d.Attempts != 1 {
			t.Fatalf("delivered SMS %+v", d)
		}
		msgs := sim.Messages()
		if len(msgs) != 1 {
			t.Fatalf("%d messages sent", len(msgs))
		}
		m := msgs[0]
		if m.To != "+15125550134" || m.From != apptest.TestTwilioFrom || !strings.Contains(m.Body, "Acme OPEN") || !strings.HasSuffix(m.Body, "\nGate code 4711") {
			t.Fatalf("message %+v", m)
		}
		// A late `sent` never moves a delivered SMS back; a repeat is harmless.
		if code := sim.Post(m.SID, twiliotest.Outcome{Status: twilio.StatusSent}); code != http.StatusNoContent {
			t.Fatalf("late callback answered %d", code)
		}
		if d := smsOf(e, token, reg); d.Status != "SUCCEEDED" || d.PartnerStatus != "delivered" {
			t.Fatalf("a late sent moved the SMS back: %+v", d)
		}
		if code := sim.Post(m.SID, twiliotest.Outcome{Status: twilio.StatusDelivered}); code != http.StatusNoContent {
			t.Fatalf("repeated callback answered %d", code)
		}
		if d := smsOf(e, token, reg); d.Status != "SUCCEEDED" || d.PartnerStatus != "delivered" {
			t.Fatalf("after a late callback: %+v", d)
		}
		// Another client reads nothing of it.
		_, other := e.NewClient("Other")
		if r := e.GQLNoFatal(other, smsQuery, map[string]any{"id": reg}); len(r.Data) > 0 && !strings.Contains(string(r.Data), "null") {
			t.Fatalf("another client read %s", r.Data)
		}
	})
}

func TestSMSInvitationFailedAndUndelivered(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithTwilio(twiliotest.Options{Outcomes: map[string]twiliotest.Outcome{
		"+15125550140": {Status: twilio.StatusUndelivered, ErrorCode: 30003},
		"+15125550141": {Status: twilio.StatusFailed, ErrorCode: 30008},
	}}), func(t *testing.T, e *apptest.Env) {
		e.TwilioSim(t)
		_, token := e.ArrangeRegistrationClient("Acme")
		und := register(e, token, "512-555-0140", "")
		fai := register(e, token, "512-555-0141", "")
		if d := waitSMS(e, token, und, "FAILED", "undelivered"); d.ErrorCode != "30003" || !strings.Contains(d.LastError, "undelivered") {
			t.Fatalf("undelivered %+v", d)
		}
		if d := waitSMS(e, token, fai, "FAILED", "failed"); d.ErrorCode != "30008" || !strings.Contains(d.LastError, "failed") {
			t.Fatalf("failed %+v", d)
		}
	})
}

func TestSMSOptedOutIsFinal(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithTwilio(twiliotest.Options{OptedOut: []string{"+15125550150"}}), func(t *testing.T, e *apptest.Env) {
		sim := e.TwilioSim(t)
		_, token := e.ArrangeRegistrationClient("Acme")
		reg := register(e, token, "512-555-0150", "")
		d := waitSMS(e, token, reg, "FAILED", "")
		if d.ErrorCode != "21610" || d.Attempts != 1 || !strings.Contains(d.LastError, "STOP") {
			t.Fatalf("opted out %+v", d)
		}
		// Never retried: a second registration's SMS, sent after it, is
		// delivered while the first still counts one attempt.
		next := register(e, token, "512-555-0151", "")
		waitSMS(e, token, next, "SUCCEEDED", "delivered")
		if d := smsOf(e, token, reg); d.Attempts != 1 || d.Status != "FAILED" {
			t.Fatalf("the opted-out SMS was retried: %+v", d)
		}
		if n := len(sim.Messages()); n != 1 {
			t.Fatalf("%d messages accepted, want the second registration's only", n)
		}
	})
}

func TestSMSTransientErrorIsRetried(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithTwilio(twiliotest.Options{}), func(t *testing.T, e *apptest.Env) {
		sim := e.TwilioSim(t)
		sim.FailNext(2, http.StatusServiceUnavailable)
		_, token := e.ArrangeRegistrationClient("Acme")
		reg := register(e, token, "512-555-0160", "")
		if d := waitSMS(e, token, reg, "SUCCEEDED", "delivered"); d.Attempts != 3 {
			t.Fatalf("after two 503s: %+v", d)
		}
		if n := len(sim.Messages()); n != 1 {
			t.Fatalf("%d messages sent", n)
		}
	})
}

func TestSMSStatusCallbackSignature(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithTwilio(twiliotest.Options{Outcomes: map[string]twiliotest.Outcome{}}), func(t *testing.T, e *apptest.Env) {
		sim := e.TwilioSim(t)
		_, token := e.ArrangeRegistrationClient("Acme")
		reg := register(e, token, "512-555-0170", "")
		d := waitSMS(e, token, reg, "SUCCEEDED", "delivered")
		sid := sim.Messages()[0].SID
		j, err := e.Client.IntegrationJob.Query().Where(integrationjob.PartnerJobID(sid)).Only(e.Sys())
		if err != nil {
			t.Fatal(err)
		}
		path := sms.CallbackURL("", j.ID)
		params := url.Values{"MessageSid": {sid}, "MessageStatus": {"failed"}, "ErrorCode": {"30008"}}
		post := func(sig string, p url.Values) (int, map[string]map[string]string) {
			req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+path, strings.NewReader(p.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if sig != "" {
				req.Header.Set(twilio.SignatureHeader, sig)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&body)
			return resp.StatusCode, body
		}
		cases := map[string]string{
			"missing":           "",
			"wrong key":         twilio.Signature("not-the-token", apptest.TestPublicURL+path, params),
			"over the test URL": twilio.Signature(apptest.TestTwilioToken, e.Srv.URL+path, params),
			"other params":      twilio.Signature(apptest.TestTwilioToken, apptest.TestPublicURL+path, url.Values{"MessageSid": {sid}, "MessageStatus": {"delivered"}}),
		}
		for name, sig := range cases {
			code, body := post(sig, params)
			if code != http.StatusForbidden || body["error"]["code"] != "FORBIDDEN" {
				t.Errorf("%s signature: %d %v", name, code, body)
			}
		}
		if after := smsOf(e, token, reg); after.Status != d.Status || after.PartnerStatus != d.PartnerStatus {
			t.Fatalf("a refused callback changed the SMS: %+v", after)
		}
		// Signed right, an unknown delivery is a 404, not applied elsewhere.
		other := sms.CallbackURL("", j.ID+1)
		req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+other, strings.NewReader(params.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(twilio.SignatureHeader, twilio.Signature(apptest.TestTwilioToken, apptest.TestPublicURL+other, params))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a callback for no delivery answered %d", resp.StatusCode)
		}
	})
}

// Without Twilio settings nothing is sent and the graph says why; with them,
// a rejected registration enqueues nothing.
func TestSMSNotConfigured(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.ArrangeRegistrationClient("Acme")
		reg, msg := registerMsg(e, token, "512-555-0180", "")
		if msg != "Registered for a self-showing at Acme OPEN. No SMS provider is set up, so no invitation was sent." {
			t.Fatalf("the agent reads %q", msg)
		}
		d := smsOf(e, token, reg)
		if d.Status != "NOT_SENT" || d.LastError != "no SMS provider is configured" || d.SentAt != nil || d.Segments != 0 {
			t.Fatalf("unconfigured SMS %+v", d)
		}
		// The Hook has no auth token to check signatures with: all refused.
		path := sms.CallbackURL("", 1)
		p := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}}
		req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+path, strings.NewReader(p.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(twilio.SignatureHeader, twilio.Signature("", apptest.TestPublicURL+path, p))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a callback without a configured token answered %d", resp.StatusCode)
		}
	})
}

func TestSMSNotEnqueuedWhenRejected(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithTwilio(twiliotest.Options{}), func(t *testing.T, e *apptest.Env) {
		sim := e.TwilioSim(t)
		_, token := e.ArrangeRegistrationClient("Acme")
		for _, in := range []map[string]any{
			{"propertyTag": "OPEN", "mobilePhone": "+15125550199"}, // banned
			{"propertyTag": "SHUT", "mobilePhone": "512-555-0190"}, // inactive
			{"propertyTag": "NOPE", "mobilePhone": "512-555-0191"}, // unknown
			{"propertyTag": "OPEN", "mobilePhone": "12345"},        // invalid phone
		} {
			var out struct{ RegisterProspect struct{ Status string } }
			e.MustGQL(token, registerSMS, map[string]any{"in": in}, &out)
			if out.RegisterProspect.Status == "invited" {
				t.Fatalf("%v was invited", in)
			}
		}
		if n := sendJobs(e); n != 0 {
			t.Fatalf("rejected registrations enqueued %d send_sms jobs", n)
		}
		reg := register(e, token, "512-555-0192", "")
		waitSMS(e, token, reg, "SUCCEEDED", "delivered")
		if n := len(sim.Messages()); n != 1 {
			t.Fatalf("%d messages sent", n)
		}
		n, err := e.Client.IntegrationJob.Query().Where(integrationjob.KindEQ(integrationjob.KindSMS)).Count(e.Sys())
		if err != nil || n != 1 {
			t.Fatalf("%d SMS deliveries recorded (%v)", n, err)
		}
		if n := sendJobs(e); n != 1 {
			t.Fatalf("%d send_sms jobs after one invitation", n)
		}
	})
}

// sendJobs counts the River jobs that send an SMS.
func sendJobs(e *apptest.Env) int {
	e.T.Helper()
	var rows entsql.Rows
	if err := e.Queries.Driver.Query(e.Sys(), "SELECT COUNT(*) FROM river_job WHERE kind = 'send_sms'", []any{}, &rows); err != nil {
		e.T.Fatal(err)
	}
	defer rows.Close()
	n := 0
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			e.T.Fatal(err)
		}
	}
	return n
}

package sms_test

import (
	"net/http"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/twilio"
	"github.com/leasegraph/leasegraph/twilio/twiliotest"
)

// An invitation's end raises its event with the write that ends it:
// sms.delivered from Twilio's delivered callback, sms.failed from an
// undelivered one and from a send Twilio refuses (opted out). Late and
// repeated callbacks move nothing and raise nothing.
func TestSMSRaisesEvents(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithTwilio(twiliotest.Options{
		Outcomes: map[string]twiliotest.Outcome{"+15125550140": {Status: twilio.StatusUndelivered, ErrorCode: 30003}},
		OptedOut: []string{"+15125550150"},
	}), func(t *testing.T, e *apptest.Env) {
		sim := e.TwilioSim(t)
		_, token := e.ArrangeRegistrationClient("Acme")

		reg := register(e, token, "(512) 555-0134", "")
		d := waitSMS(e, token, reg, "SUCCEEDED", "delivered")
		delivered := e.Events(token, "sms.delivered")
		if len(delivered) != 1 {
			t.Fatalf("%d sms.delivered", len(delivered))
		}
		ev := delivered[0]
		// Twilio's delivered callback may outrun its answer to the send:
		// the event then tells what was known at the callback, with no
		// sent_at and no segments yet.
		answered := ev.Payload.Data["segments"] == 1.0 && ev.Str("sent_at") != ""
		outrun := ev.Payload.Data["segments"] == 0.0 && ev.Payload.Data["sent_at"] == nil
		if ev.ObjectType != "IntegrationJob" || ev.ObjectID != d.ID || ev.Str("status") != "SUCCEEDED" || ev.Str("partner_status") != "delivered" ||
			!(answered || outrun) || ev.Str("registration_id") != reg || ev.Str("prospect_id") == "" ||
			ev.Str("error_code") != "" {
			t.Fatalf("sms.delivered: %s", apptest.JSON(ev))
		}
		sid := sim.Messages()[0].SID
		for _, st := range []string{twilio.StatusSent, twilio.StatusDelivered, twilio.StatusFailed} {
			if code := sim.Post(sid, twiliotest.Outcome{Status: st}); code != http.StatusNoContent {
				t.Fatalf("late %s answered %d", st, code)
			}
		}
		if n, m := len(e.Events(token, "sms.delivered")), len(e.Events(token, "sms.failed")); n != 1 || m != 0 {
			t.Fatalf("late callbacks raised %d sms.delivered, %d sms.failed", n, m)
		}

		und := register(e, token, "512-555-0140", "")
		waitSMS(e, token, und, "FAILED", "undelivered")
		opt := register(e, token, "512-555-0150", "")
		waitSMS(e, token, opt, "FAILED", "")
		failed := e.Events(token, "sms.failed")
		if len(failed) != 2 {
			t.Fatalf("%d sms.failed, want 2: %s", len(failed), apptest.JSON(failed))
		}
		byReg := map[string]apptest.GQLEvent{}
		for _, f := range failed {
			byReg[f.Str("registration_id")] = f
		}
		if f := byReg[und]; f.Str("error_code") != "30003" || f.Str("partner_status") != "undelivered" || f.Str("status") != "FAILED" {
			t.Fatalf("sms.failed of the undelivered message: %s", apptest.JSON(f))
		}
		if f := byReg[opt]; f.Str("error_code") != "21610" || f.Str("status") != "FAILED" || f.Payload.Data["sent_at"] != nil {
			t.Fatalf("sms.failed of the refused send: %s", apptest.JSON(f))
		}
	})
}

package sms_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/ent/registration"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/internal/textlimit"
	"github.com/leasegraph/leasegraph/internal/workflow"
	"github.com/leasegraph/leasegraph/sms"
	"github.com/leasegraph/leasegraph/twilio"
)

// answer is a Twilio that answers every send with status and body.
type answer struct {
	status int
	body   string
}

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: a.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(a.body)), Request: r}, nil
}

// queuedSMS is a registration's QUEUED invitation, ready to send.
func queuedSMS(t *testing.T, db *ent.Client) int {
	t.Helper()
	ctx := dbtest.System()
	client := dbtest.NewClient(t, db, "Acme")
	prop := db.Property.Create().SetClientID(client).SetTag("P1").SetName("Elm Court").SaveX(ctx)
	p := db.Prospect.Create().SetClientID(client).SetPhone1("+14155550100").SaveX(ctx)
	reg := db.Registration.Create().SetClientID(client).SetPropertyID(prop.ID).SetProspectID(p.ID).
		SetStatus(registration.StatusINVITED).SetChannel(registration.ChannelGRAPHQL).SaveX(ctx)
	return db.IntegrationJob.Create().SetClientID(client).SetKind(integrationjob.KindSMS).
		SetRegistrationID(reg.ID).SetProspectID(p.ID).SaveX(ctx).ID
}

// Twilio's message is free text of any length: an SMS it refuses, or whose
// send fails, is stored with the message cut to the column's limit, not
// left QUEUED by a write the column refuses.
func TestSendKeepsLongTwilioErrorsCut(t *testing.T) {
	long := strings.Repeat("é", 2*textlimit.ErrorLen)
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		for _, c := range []struct {
			name   string
			status int
			at     workflow.Attempt
			want   workflow.Action
		}{
			{"refused", http.StatusBadRequest, workflow.Attempt{}, workflow.ActionDone},
			{"failing on the last attempt", http.StatusServiceUnavailable, workflow.Attempt{Failures: 11, Last: true}, workflow.ActionRetry},
		} {
			tw, err := twilio.New(twilio.Config{AccountSID: "AC1", AuthToken: "token", From: "+15005550006",
				HTTPClient: &http.Client{Transport: answer{c.status, `{"code": 21211, "message": "` + long + `"}`}}})
			if err != nil {
				t.Fatal(err)
			}
			id := queuedSMS(t, db.Client)
			out := (&sms.Sender{DB: db.Client, Twilio: tw}).Send(context.Background(), id, c.at)
			j := db.Client.IntegrationJob.GetX(dbtest.System(), id)
			if out.Action != c.want || j.Status != integrationjob.StatusFAILED || j.ErrorCode != "21211" ||
				utf8.RuneCountInString(j.LastError) != textlimit.ErrorLen || !strings.Contains(j.LastError, "éé") {
				t.Errorf("%s: %v (%v); the SMS is %s, error %s, last error of %d characters", c.name, out.Action, out.Err,
					j.Status, j.ErrorCode, utf8.RuneCountInString(j.LastError))
			}
		}
	})
}

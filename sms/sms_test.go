package sms_test

import (
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/sms"
	"github.com/leasegraph/leasegraph/types"
)

func TestText(t *testing.T) {
	open := &ent.Property{Tag: "P1", Name: "Elm Court", ShowingMode: property.ShowingModeSELF_SHOWING,
		Address: &types.Address{Street: "12 Elm St", City: "Austin"}}
	got := sms.Text(open, "  Gate code 4711 ")
	if got != "You are registered for a self-showing at Elm Court (12 Elm St, Austin).\nGate code 4711" {
		t.Errorf("self-showing: %q", got)
	}
	soon := &ent.Property{Tag: "P2", ShowingMode: property.ShowingModePRELEASE}
	if got := sms.Text(soon, ""); !strings.HasPrefix(got, "You are on the pre-lease wait list for P2.") || strings.HasSuffix(got, "\n") {
		t.Errorf("prelease without notes: %q", got)
	}
}

// Callbacks arrive in any order and repeat; the delivery only moves
// forward, and ends where the furthest status put it.
func TestApplyStatusIsMonotonic(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		ctx := dbtest.System()
		client := dbtest.NewClient(t, db.Client, "Acme")
		newJob := func() int {
			j, err := db.Client.IntegrationJob.Create().SetClientID(client).SetKind(integrationjob.KindSMS).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return j.ID
		}
		cases := []struct {
			order      []string
			status     integrationjob.Status
			partner    string
			acceptedAt int // where the send's own answer lands among the callbacks
		}{
			{[]string{"queued", "sent", "delivered"}, integrationjob.StatusSUCCEEDED, "delivered", 0},
			{[]string{"delivered", "sent", "queued", "delivered"}, integrationjob.StatusSUCCEEDED, "delivered", 4},
			{[]string{"sent", "undelivered", "sent"}, integrationjob.StatusFAILED, "undelivered", 1},
			{[]string{"queued", "sending"}, integrationjob.StatusSENT, "sending", 2},
		}
		for i, c := range cases {
			id := newJob()
			for k, st := range append(c.order, "") {
				if k == c.acceptedAt {
					if err := sms.Accepted(ctx, db.Client, nil, id, "SM1", "queued", 2, time.Now()); err != nil {
						t.Fatal(err)
					}
				}
				if st == "" {
					break
				}
				code := ""
				if st == "undelivered" {
					code = "30003"
				}
				if ok, err := sms.ApplyStatus(ctx, db.Client, nil, id, "SM1", st, code); err != nil || !ok {
					t.Fatalf("case %d: %s: %v %v", i, st, ok, err)
				}
			}
			j := db.Client.IntegrationJob.GetX(ctx, id)
			if j.Status != c.status || j.PartnerStatus != c.partner || j.PartnerJobID != "SM1" || j.Segments != 2 || j.SentAt == nil {
				t.Errorf("case %d %v: %s/%s sid %q segments %d", i, c.order, j.Status, j.PartnerStatus, j.PartnerJobID, j.Segments)
			}
		}
		// Another sid for a delivery that has one is not applied.
		id := newJob()
		if _, err := sms.ApplyStatus(ctx, db.Client, nil, id, "SM1", "sent", ""); err != nil {
			t.Fatal(err)
		}
		if ok, _ := sms.ApplyStatus(ctx, db.Client, nil, id, "SM2", "failed", "1"); ok {
			t.Error("a callback of another message was applied")
		}
	})
}

package integrationstatus_test

import (
	"errors"
	"testing"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/internal/integrationstatus"
)

const (
	create = integrationjob.KindPROPEXO_CREATE_PROSPECT
	update = integrationjob.KindPROPEXO_UPDATE_PROSPECT
	sms    = integrationjob.KindSMS
	run    = integrationjob.KindLEASE_SYNC

	queued    = integrationjob.StatusQUEUED
	sent      = integrationjob.StatusSENT
	succeeded = integrationjob.StatusSUCCEEDED
	partial   = integrationjob.StatusPARTIAL
	failed    = integrationjob.StatusFAILED
	notSent   = integrationjob.StatusNOT_SENT
)

func TestAllowed(t *testing.T) {
	for _, c := range []struct {
		kind     integrationjob.Kind
		from, to integrationjob.Status
		want     bool
	}{
		{create, queued, sent, true},
		{update, sent, partial, true},
		{create, queued, succeeded, true}, // adopted: found at Propexo
		{create, partial, queued, true},   // retried
		{create, notSent, queued, true},
		{create, succeeded, queued, false}, // done is done
		{create, sent, queued, false},      // Propexo has the write
		{create, queued, partial, false},   // PARTIAL is Propexo's answer to a sent write
		{sms, queued, succeeded, true},     // a callback outran the send's answer
		{sms, failed, succeeded, true},     // the send was given up, Twilio delivered it
		{sms, succeeded, failed, false},
		{sms, notSent, sent, false},
		{sms, failed, queued, false}, // an SMS is not retried
		{sms, sent, partial, false},
		{run, sent, queued, true}, // waiting on its retry
		{run, queued, failed, false},
		{run, succeeded, sent, false}, // an ended run is not restarted
		{run, sent, sent, true},       // a rescued attempt starts again
		{create, failed, failed, true},
	} {
		if got := integrationstatus.Allowed(c.kind, c.from, c.to); got != c.want {
			t.Errorf("%s %s → %s: %v, want %v", c.kind, c.from, c.to, got, c.want)
		}
	}
}

// A refused move writes nothing: the update is left without a status.
func TestSetAndInitial(t *testing.T) {
	db := ent.NewClient()
	j := &ent.IntegrationJob{ID: 7, Kind: sms, Status: integrationjob.StatusSUCCEEDED}
	u := db.IntegrationJob.UpdateOne(j)
	if err := integrationstatus.Set(u, j, failed); !errors.Is(err, integrationstatus.ErrMove) {
		t.Fatalf("SUCCEEDED to FAILED: %v", err)
	}
	if _, ok := u.Mutation().Status(); ok {
		t.Fatal("a refused move set the status")
	}
	j.Status = sent
	if err := integrationstatus.Set(u, j, succeeded); err != nil {
		t.Fatal(err)
	}
	if s, _ := u.Mutation().Status(); s != succeeded {
		t.Fatalf("status %s", s)
	}
	c := db.IntegrationJob.Create().SetKind(run)
	if err := integrationstatus.Initial(c, notSent); !errors.Is(err, integrationstatus.ErrMove) {
		t.Fatalf("a lease sync run NOT_SENT: %v", err)
	}
	if err := integrationstatus.Initial(c, sent); err != nil {
		t.Fatal(err)
	}
	if err := integrationstatus.Initial(db.IntegrationJob.Create(), queued); !errors.Is(err, integrationstatus.ErrMove) {
		t.Fatalf("a row without a kind: %v", err)
	}
}

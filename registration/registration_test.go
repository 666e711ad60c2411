package registration_test

import (
	"context"
	"testing"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/ent/property"
	entreg "github.com/leasegraph/leasegraph/ent/registration"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/prospects"
	"github.com/leasegraph/leasegraph/registration"
	"github.com/leasegraph/leasegraph/viewer"
)

// agent is a client's agent registering prospects, with a property in each
// showing mode (tags SELF, PRE, OFF).
type agent struct {
	db  *ent.Client
	ctx context.Context
	svc *registration.Service
}

func newAgent(t *testing.T, db *ent.Client, name string) *agent {
	t.Helper()
	ctx := dbtest.As(t, db, dbtest.NewClient(t, db, name))
	for tag, mode := range map[string]property.ShowingMode{
		"SELF": property.ShowingModeSELF_SHOWING, "PRE": property.ShowingModePRELEASE, "OFF": property.ShowingModeINACTIVE,
	} {
		if err := db.Property.Create().SetTag(tag).SetName(name + " " + tag).SetShowingMode(mode).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return &agent{db: db, ctx: ctx, svc: &registration.Service{DB: db, Prospects: &prospects.Service{DB: db}}}
}

// register runs one registration through the GraphQL channel, committed.
func (a *agent) register(t *testing.T, tag, phone, email string) *registration.Outcome {
	t.Helper()
	out, err := a.svc.Register(a.ctx, registration.Request{
		PropertyTag: tag, FullName: "Ann Marie Lee", MobilePhone: phone, Email: email, Channel: entreg.ChannelGRAPHQL,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (a *agent) ban(t *testing.T, phone, email string) {
	t.Helper()
	if _, err := a.svc.AddBan(a.ctx, phone, email, "test"); err != nil {
		t.Fatal(err)
	}
}

// The outcome follows the property's showing mode, and each attempt is
// recorded with the agent's token: self-showing invites (and records the
// SMS, NOT_SENT with no provider), prelease wait-lists, an inactive or
// unknown property is incomplete and registers nobody.
func TestOutcomeByShowingMode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		a := newAgent(t, db.Client, "Acme")
		for _, c := range []struct {
			tag, phone, want string
			prospect         bool
		}{
			{"SELF", "415-555-0101", registration.Invited, true},
			{"PRE", "415-555-0102", registration.Prelease, true},
			{"OFF", "415-555-0103", registration.Incomplete, false},
			{"NOPE", "415-555-0104", registration.Incomplete, false},
			{"SELF", "12", registration.Incomplete, false},
		} {
			out := a.register(t, c.tag, c.phone, "")
			r := out.Registration
			if out.Status != c.want || r == nil || string(r.Status) != map[string]string{
				registration.Invited: "INVITED", registration.Prelease: "PRELEASE", registration.Incomplete: "INCOMPLETE",
			}[c.want] {
				t.Fatalf("%s %s: outcome %q (%+v), want %q recorded", c.tag, c.phone, out.Status, r, c.want)
			}
			if (r.ProspectID != nil) != c.prospect {
				t.Fatalf("%s %s: prospect %v, want one: %v", c.tag, c.phone, r.ProspectID, c.prospect)
			}
			if r.TokenID != viewer.FromContext(a.ctx).TokenID {
				t.Fatalf("registration's token %d, want the agent's %d", r.TokenID, viewer.FromContext(a.ctx).TokenID)
			}
		}
		p, err := a.db.Prospect.Query().Order(ent.Asc("id")).First(a.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.Phone1 != "+14155550101" || p.FirstName != "Ann Marie" || p.LastName != "Lee" {
			t.Fatalf("prospect %q %q %q: want the E.164 phone and the name split", p.Phone1, p.FirstName, p.LastName)
		}
		sms, err := a.db.IntegrationJob.Query().Where(integrationjob.KindEQ(integrationjob.KindSMS)).All(a.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(sms) != 2 || sms[0].Status != integrationjob.StatusNOT_SENT {
			t.Fatalf("%d SMS deliveries, want 2 NOT_SENT (one per registered prospect)", len(sms))
		}
	})
}

// A banned phone, in any spelling, or a banned email is refused, also when
// the email comes from the prospect already on file; a ban belongs to its
// client and does not refuse anyone at another.
func TestBans(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		acme := newAgent(t, db.Client, "Acme")
		rival := newAgent(t, db.Client, "Rival")
		acme.ban(t, "+1 415 555 0199", "")
		acme.ban(t, "", "Eve@Example.com")

		if out := acme.register(t, "SELF", "(415) 555-0199", ""); out.Status != registration.Banned {
			t.Fatalf("a banned phone in another spelling: %q, want banned", out.Status)
		}
		if out := acme.register(t, "SELF", "415-555-0111", "eve@example.COM"); out.Status != registration.Banned {
			t.Fatalf("a banned email: %q, want banned", out.Status)
		}
		if out := rival.register(t, "SELF", "415-555-0199", "eve@example.com"); out.Status != registration.Invited {
			t.Fatalf("Acme's ban applied at Rival: %q, want invited", out.Status)
		}

		// On file at Acme with the banned email; registering by phone
		// alone finds it and is refused.
		if err := acme.db.Prospect.Create().SetPhone1("+14155550122").SetEmail1("eve@example.com").Exec(acme.ctx); err != nil {
			t.Fatal(err)
		}
		out := acme.register(t, "PRE", "415 555 0122", "")
		if out.Status != registration.Banned || out.Registration.ProspectID == nil {
			t.Fatalf("a prospect on file with a banned email: %q, want banned and linked to it", out.Status)
		}
		if n, _ := acme.db.Registration.Query().Where(entreg.StatusEQ(entreg.StatusBANNED)).Count(acme.ctx); n != 3 {
			t.Fatalf("%d banned attempts recorded at Acme, want 3", n)
		}
	})
}

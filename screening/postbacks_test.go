package screening_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent/inboundevent"
	"github.com/leasegraph/leasegraph/ent/screeningapplication"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/screening"
	"github.com/leasegraph/leasegraph/smartmove"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// The postback rules without HTTP: the simulator's postbacks are captured
// on their way out and handed to the service in the order a test chooses.

type captured struct {
	key, auth string
	body      []byte
}

// capture is the simulator's postback transport: it keeps each postback
// and answers 200.
type capture struct {
	mu   sync.Mutex
	sent []captured
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.sent = append(c.sent, captured{key: r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:], auth: r.Header.Get("Authorization"), body: body})
	c.mu.Unlock()
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
}

func (c *capture) all() []captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]captured(nil), c.sent...)
}

// TestPostbackRules orders an embedded screening from the simulator, lets
// its applicant complete (four postbacks) and delivers them newest first:
// the newest applies, the older ones are stored as STALE and move nothing
// back; a repeat is a duplicate; wrong credentials, an unknown URL and a
// message for another customer are refused and store nothing.
func TestPostbackRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		pb := &capture{}
		sim := smartmovetest.New(smartmovetest.Options{PostbackClient: &http.Client{Transport: pb}})
		t.Cleanup(sim.Close)
		sm, err := smartmove.New(smartmove.Config{APIKey: smartmovetest.DefaultAPIKey, HTTPClient: &http.Client{Transport: sim.Transport()}})
		if err != nil {
			t.Fatal(err)
		}
		svc := &screening.Service{DB: db.Client, SmartMove: sm, PublicURL: "https://leasegraph.test"}
		id := dbtest.NewClient(t, db.Client, "Acme")
		if err := db.Client.Company.UpdateOneID(id).SetSmartmoveReference("ref-acme").Exec(dbtest.System()); err != nil {
			t.Fatal(err)
		}
		ctx := dbtest.As(t, db.Client, id)
		no := false
		app, err := svc.CreateEmbedded(ctx, "order-1", screening.Order{
			Applicants: []string{"Lisa@Example.com"}, LandlordPays: &no,
			Property: &smartmove.Property{
				LandlordFirstName: "Homer", LandlordLastName: "Simpson", LandlordStreetAddressLineOne: "123 Fake Street",
				LandlordCity: "Springfield", LandlordState: "NY", LandlordZip: "12345", LandlordPhoneNumber: "5555555555",
				LandlordEmail: "homer@example.com", Street: "123 Property Street", City: "Springfield", State: "NY",
				Zip: "12345", UnitNumber: "4", PropertyName: "742 Evergreen Terrace",
				Classification: smartmove.ClassificationConventional, IsFcraAgreementAccepted: true,
			},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if app.SmartmoveApplicationID == nil {
			t.Fatal("the order has no SmartMove application id")
		}
		if err := sim.CompleteApplicant(*app.SmartmoveApplicationID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := sim.FlushPostbacks(ctx); err != nil {
			t.Fatal(err)
		}
		sent := pb.all()
		if len(sent) != 4 {
			t.Fatalf("the simulator sent %d postbacks, want 4 (one per step)", len(sent))
		}

		status := func() screeningapplication.Status {
			a, err := db.Client.ScreeningApplication.Get(dbtest.System(), app.ID)
			if err != nil {
				t.Fatal(err)
			}
			return a.Status
		}
		events := func() int {
			n, err := db.Client.InboundEvent.Query().Count(dbtest.System())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		// Refused: nothing stored, nothing moved.
		last := sent[len(sent)-1]
		if _, err := svc.HandlePostback(ctx, last.key, "", last.body); !errors.Is(err, screening.ErrUnauthorized) {
			t.Fatalf("no credentials: %v, want ErrUnauthorized", err)
		}
		if _, err := svc.HandlePostback(ctx, last.key, sent[0].auth+"x", last.body); !errors.Is(err, screening.ErrUnauthorized) {
			t.Fatalf("wrong credentials: %v, want ErrUnauthorized", err)
		}
		if _, err := svc.HandlePostback(ctx, last.key+"x", last.auth, last.body); !errors.Is(err, screening.ErrUnauthorized) {
			t.Fatalf("unknown URL: %v, want ErrUnauthorized", err)
		}
		var other map[string]any
		if err := json.Unmarshal(last.body, &other); err != nil {
			t.Fatal(err)
		}
		other["customerReferenceId"] = "ref-rival"
		body, _ := json.Marshal(other)
		_, err = svc.HandlePostback(ctx, last.key, last.auth, body)
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.CodeBadInput {
			t.Fatalf("another customer's message: %v, want BAD_USER_INPUT", err)
		}
		if n := events(); n != 0 || status() != screeningapplication.StatusPENDING {
			t.Fatalf("refused postbacks stored %d events, status %s", n, status())
		}

		// Newest first: it applies, the older ones are stale.
		for i := len(sent) - 1; i >= 0; i-- {
			want := screening.PostbackStale
			if i == len(sent)-1 {
				want = screening.PostbackApplied
			}
			got, err := svc.HandlePostback(ctx, sent[i].key, sent[i].auth, sent[i].body)
			if err != nil || got != want {
				t.Fatalf("postback %d of %d, newest first: %q %v, want %q", i+1, len(sent), got, err, want)
			}
		}
		if got, err := svc.HandlePostback(ctx, last.key, last.auth, last.body); err != nil || got != screening.PostbackDuplicate {
			t.Fatalf("the newest again: %q %v, want duplicate", got, err)
		}
		if st := status(); st != screeningapplication.StatusREADY {
			t.Fatalf("status %s after late postbacks, want READY kept", st)
		}
		stale, err := db.Client.InboundEvent.Query().Where(inboundevent.OutcomeEQ(inboundevent.OutcomeSTALE)).Count(dbtest.System())
		if err != nil {
			t.Fatal(err)
		}
		if n := events(); n != 4 || stale != 3 {
			t.Fatalf("%d events stored, %d stale: want 4 (the repeat not stored again), 3 stale", n, stale)
		}
	})
}

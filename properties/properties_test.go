package properties_test

import (
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/properties"
	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/viewer"
)

func ptr[T any](v T) *T { return &v }

// TestUpsertByTag: as a client, an upsert matches the client's own tags
// only, keeps what it is not sent, and writes nothing when one entry is
// refused.
func TestUpsertByTag(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		a := dbtest.NewClient(t, db.Client, "A")
		b := dbtest.NewClient(t, db.Client, "B")
		asA := dbtest.As(t, db.Client, a, viewer.ScopeWrite)
		asB := dbtest.As(t, db.Client, b, viewer.ScopeWrite)
		svc := &properties.Service{DB: db.Client}

		if _, err := svc.Create(asB, properties.Input{Tag: ptr("T1"), ShowingMode: ptr(property.ShowingModeINACTIVE)}); err != nil {
			t.Fatal(err)
		}
		mine, err := svc.Create(asA, properties.Input{Tag: ptr("T2"), Name: ptr("Two"),
			Address: &types.Address{City: "Austin"}, ShowingMode: ptr(property.ShowingModePRELEASE)})
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.Upsert(asA, []properties.Input{{Tag: ptr("T1")}, {Tag: ptr("T2"), Name: ptr(" Two B ")}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 1 || res.Updated != 1 {
			t.Fatalf("created %d, updated %d", res.Created, res.Updated)
		}
		// B's T1 is not A's: A got its own, with the defaults.
		if p := res.Properties[0]; p.ClientID != a || p.ShowingMode != property.ShowingModeSELF_SHOWING {
			t.Errorf("T1 for A: %+v", p)
		}
		if p := res.Properties[1]; p.ID != mine.ID || p.Name != "Two B" || p.ShowingMode != property.ShowingModePRELEASE || p.Address == nil || p.Address.City != "Austin" {
			t.Errorf("T2 for A: %+v", p)
		}
		bs, err := db.Client.Property.Query().Where(property.ClientID(b)).All(dbtest.System())
		if err != nil || len(bs) != 1 || bs[0].ShowingMode != property.ShowingModeINACTIVE {
			t.Fatalf("B's properties: %+v (%v)", bs, err)
		}

		before, _ := db.Client.Property.Query().Count(dbtest.System())
		_, err = svc.Upsert(asA, []properties.Input{{Tag: ptr("T3")}, {Tag: ptr("T2"), ShowingMode: ptr(property.ShowingModeINACTIVE)}, {Tag: ptr(strings.Repeat("x", 101))}})
		if ae, ok := apperr.As(err); !ok || ae.Code != apperr.CodeBadInput || len(ae.Field) != 3 || ae.Field[1] != "2" {
			t.Fatalf("a refused entry: %v", err)
		}
		after, _ := db.Client.Property.Query().Count(dbtest.System())
		if p, _ := db.Client.Property.Get(dbtest.System(), mine.ID); after != before || p.ShowingMode != property.ShowingModePRELEASE {
			t.Errorf("a refused upsert wrote: %d properties, then %d; T2 %s", before, after, p.ShowingMode)
		}

		// A platform viewer names no client to write into.
		if _, err := svc.Create(dbtest.System(), properties.Input{Tag: ptr("T9")}); err == nil {
			t.Error("a property created without a client")
		}
	})
}

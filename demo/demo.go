// Package demo seeds demo mode's data (LEASEGRAPH_DEMO=1): one client with
// properties, a few prospects delivered to Propexo's simulator, and a token
// to try the API with. Its leases and tenants are not written here: they
// are the Propexo simulator's records (FillPropexo, from a fixed seed) and
// arrive through a lease sync, as a real client's do.
package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/apitoken"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/prospects"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/viewer"
)

const (
	demoClientName = "Demo Property Management"
	demoTokenName  = "demo"
	// Leases is how many leases the demo client holds.
	Leases = 500
)

// Seed makes sure the demo client and its data exist (a restart adds
// nothing) and returns a token for it: fixed when given, else a new one each
// start, with the previous demo tokens revoked.
// origins are the CRM origins the demo's sample CRM page is served from.
// Its prospects are delivered through prospects, to Propexo's simulator.
// Its leases arrive through sync, run at every start (the simulator's
// records live in memory); nil syncs from an in-process simulator of its
// own.
func Seed(ctx context.Context, client *ent.Client, prospects *prospects.Service, fixedToken string, origins []string, sync Syncer) (string, error) {
	ctx = viewer.SystemContext(ctx)
	demo, err := client.Company.Query().Where(company.Name(demoClientName)).First(ctx)
	if ent.IsNotFound(err) {
		demo, err = seedDemoData(ctx, client, prospects)
	}
	if err != nil {
		return "", err
	}
	if sync == nil {
		sync = simSync(client)
	}
	if err := sync(ctx, demo.ID); err != nil {
		return "", fmt.Errorf("syncing the demo's leases from Propexo's simulator: %w", err)
	}
	if _, err := (&tenancy.Service{DB: client}).UpdateCrmOrigins(ctx, demo.ID, origins); err != nil {
		return "", err
	}
	if fixedToken != "" {
		exists, err := client.APIToken.Query().Where(apitoken.Hash(tenancy.Hash(fixedToken)), apitoken.RevokedAtIsNil()).Exist(ctx)
		if err != nil || exists {
			return fixedToken, err
		}
	} else {
		err := client.APIToken.Update().
			Where(apitoken.ClientID(demo.ID), apitoken.Name(demoTokenName), apitoken.RevokedAtIsNil()).
			SetRevokedAt(time.Now().UTC()).Exec(ctx)
		if err != nil {
			return "", err
		}
	}
	_, secret, err := (&tenancy.Service{DB: client}).CreateToken(ctx, tenancy.NewToken{
		ClientID: demo.ID, Name: demoTokenName, Secret: fixedToken,
		Scopes: []viewer.Scope{viewer.ScopeRead, viewer.ScopeWrite, viewer.ScopeAdmin},
	})
	return secret, err
}

// seedDemoData writes the demo client in one transaction: a half-seeded
// demo is never left behind to be skipped on the next start.
func seedDemoData(ctx context.Context, client *ent.Client, prospects *prospects.Service) (*ent.Company, error) {
	return ent.WithTx(ctx, client, func(ctx context.Context, db *ent.Client) (*ent.Company, error) {
		return writeDemo(ctx, db, prospects)
	})
}

var (
	demoFirst    = []string{"Ryan", "Maria", "Wei", "Aisha", "Diego", "Hannah", "Tomas", "Priya", "Kofi", "Olga", "Sam", "Lena"}
	demoLast     = []string{"Hubbard", "Garcia", "Chen", "Okafor", "Silva", "Schmidt", "Novak", "Patel", "Mensah", "Ivanova", "Lee", "Brown"}
	demoStatuses = []string{"Approved", "Future", "Pending", "Signed", "Current", "Current", "Current", "Notice", "On Notice", "Vacating", "Ending", "Transfer", "Past"}
	demoStreets  = []string{"1140 Broadway", "28 W 22nd Street", "30 W 48th Street", "500 Grand Ave", "77 Market Street", "9 Elm Court"}
	demoCities   = []struct{ city, state, zip string }{{"New York", "NY", "10010"}, {"Austin", "TX", "78701"}, {"Denver", "CO", "80202"}, {"Seattle", "WA", "98101"}}
)

// propertyAddress is the address of the demo property PROP-00n (n from 1),
// which the Propexo simulator's residents at its units also hold.
func propertyAddress(n int) types.Address {
	city := demoCities[(n-1)%len(demoCities)]
	return types.Address{Street: demoStreets[(n-1)%len(demoStreets)], City: city.city, State: city.state, Zip: city.zip}
}

func writeDemo(ctx context.Context, db *ent.Client, prospects *prospects.Service) (*ent.Company, error) {
	demo, err := db.Company.Create().SetName(demoClientName).
		SetSmartmoveReference("demo-smartmove").SetPropexoIntegrationID(Integration).Save(ctx)
	if err != nil {
		return nil, err
	}
	modes := []property.ShowingMode{property.ShowingModeSELF_SHOWING, property.ShowingModePRELEASE, property.ShowingModeINACTIVE}
	var props []*ent.Property
	for i := range 6 {
		addr := propertyAddress(i + 1)
		p, err := db.Property.Create().SetClientID(demo.ID).
			SetTag(fmt.Sprintf("PROP-%03d", i+1)).
			SetName(fmt.Sprintf("%s Residences %d", addr.City, i+1)).
			SetAddress(&addr).
			SetShowingMode(modes[i%len(modes)]).
			Save(ctx)
		if err != nil {
			return nil, err
		}
		props = append(props, p)
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, name := range [][2]string{{"Jordan", "Miles"}, {"Avery", "Stone"}, {"Casey", "Rivera"}} {
		p, err := db.Prospect.Create().SetClientID(demo.ID).SetPropertyID(props[i].ID).
			SetFirstName(name[0]).SetLastName(name[1]).
			SetEmail1(fmt.Sprintf("%s@example.com", strings.ToLower(name[0]))).
			SetPhone1(fmt.Sprintf("+1555010%04d", i)).
			SetMoveInDate(base.AddDate(0, 6+i, 0)).
			SetDesiredNumBedrooms([]int{1 + i}).
			SetProspectSource("demo").
			Save(ctx)
		if err != nil {
			return nil, err
		}
		if err := prospects.QueueCreate(ctx, p); err != nil {
			return nil, err
		}
	}
	return demo, nil
}

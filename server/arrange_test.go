package main

import (
	"context"
	"database/sql"
	"testing"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/database"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/viewer"
)

// arranged is what a process test sets up in the database before it
// starts servers: the client "Acme" and a token of it.
type arranged struct {
	DB        *ent.Client
	Raw       *sql.DB
	CompanyID int
	Token     string
}

// arrange migrates the database at dbURL, creates the client Acme (set
// adds its partner references) and a token with scopes; the connection is
// closed with the test.
func arrange(t *testing.T, ctx context.Context, dbURL string, set func(*ent.CompanyCreate) *ent.CompanyCreate, scopes ...viewer.Scope) arranged {
	t.Helper()
	drv, err := database.Driver(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	client, err := database.Client(ctx, drv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	sys := viewer.SystemContext(ctx)
	company, err := set(client.Company.Create().SetName("Acme")).Save(sys)
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := (&tenancy.Service{DB: client}).CreateToken(sys, tenancy.NewToken{ClientID: company.ID, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return arranged{DB: client, Raw: drv.DB(), CompanyID: company.ID, Token: token}
}

package tenancy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/viewer"
)

// wantCode fails unless err is an apperr with the code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	ae, ok := apperr.As(err)
	if !ok || ae.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

// An admin token mints a token for its own client, which authenticates as
// that client until it is revoked; after that it is refused like a token
// that never existed. Without the admin scope nothing is minted or revoked.
func TestTokenLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		acme := dbtest.NewClient(t, db.Client, "Acme")
		admin := dbtest.As(t, db.Client, acme, viewer.ScopeAdmin)
		writer := dbtest.As(t, db.Client, acme, viewer.ScopeWrite)

		_, _, err := service(db).CreateToken(writer, tenancy.NewToken{Scopes: []viewer.Scope{viewer.ScopeRead}})
		wantCode(t, err, apperr.CodeForbidden)

		tok, secret, err := service(db).CreateToken(admin, tenancy.NewToken{Name: "crm", Scopes: []viewer.Scope{viewer.ScopeRead}})
		if err != nil {
			t.Fatal(err)
		}
		if tok.ClientID == nil || *tok.ClientID != acme {
			t.Fatalf("token's client = %v, want the admin's client %d", tok.ClientID, acme)
		}
		if !strings.HasPrefix(secret, "lg_") || !strings.HasPrefix(secret, tok.Prefix) || tok.Hash == secret || strings.Contains(tok.Hash, secret) {
			t.Fatalf("secret %q, prefix %q: the secret must start with the visible prefix and never be stored", secret, tok.Prefix)
		}

		v, err := service(db).Authenticate(context.Background(), secret)
		if err != nil {
			t.Fatal(err)
		}
		if v.ClientID != acme || v.TokenID != tok.ID || !v.Has(viewer.ScopeRead) || v.Has(viewer.ScopeWrite) {
			t.Fatalf("viewer = %+v, want client %d, token %d, read only", v, acme, tok.ID)
		}
		_, err = service(db).Authenticate(context.Background(), secret+"x")
		wantCode(t, err, apperr.CodeUnauthenticated)

		_, err = service(db).RevokeToken(writer, tok.ID, "")
		wantCode(t, err, apperr.CodeForbidden)
		if _, err := service(db).RevokeToken(admin, 0, tok.Prefix); err != nil {
			t.Fatal(err)
		}
		_, err = service(db).Authenticate(context.Background(), secret)
		wantCode(t, err, apperr.CodeUnauthenticated)
		_, err = service(db).ViewerForToken(context.Background(), tok.ID)
		wantCode(t, err, apperr.CodeUnauthenticated)
	})
}

// A client's admin cannot mint a token for another client, nor a platform
// token, nor revoke or list another client's tokens: it is told "not found",
// exactly as for a client that does not exist.
func TestTokensStayWithinTheClient(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		acme := dbtest.NewClient(t, db.Client, "Acme")
		rival := dbtest.NewClient(t, db.Client, "Rival")
		admin := dbtest.As(t, db.Client, acme, viewer.ScopeAdmin)
		_, rivalToken := dbtest.Token(t, db.Client, rival, viewer.ScopeAdmin)

		_, _, err := service(db).CreateToken(admin, tenancy.NewToken{ClientID: rival, Scopes: []viewer.Scope{viewer.ScopeAdmin}})
		wantCode(t, err, apperr.CodeNotFound)
		_, _, err = service(db).CreateToken(admin, tenancy.NewToken{ClientID: rival + 1000, Scopes: []viewer.Scope{viewer.ScopeAdmin}})
		wantCode(t, err, apperr.CodeNotFound)

		_, err = service(db).RevokeToken(admin, rivalToken.TokenID, "")
		wantCode(t, err, apperr.CodeNotFound)
		if _, err := service(db).ViewerForToken(context.Background(), rivalToken.TokenID); err != nil {
			t.Fatalf("the rival's token was revoked by another client: %v", err)
		}
		_, err = service(db).ListTokens(admin, rival)
		wantCode(t, err, apperr.CodeNotFound)

		// What a client's admin mints without naming a client is its own.
		tok, _, err := service(db).CreateToken(admin, tenancy.NewToken{Scopes: []viewer.Scope{viewer.ScopeAdmin}})
		if err != nil {
			t.Fatal(err)
		}
		if tok.ClientID == nil || *tok.ClientID != acme {
			t.Fatalf("a client admin's token without a client became %v, want client %d", tok.ClientID, acme)
		}
		own, err := service(db).ListTokens(admin, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range own {
			if tk.ClientID == nil || *tk.ClientID != acme {
				t.Fatalf("ListTokens showed token %d of client %v to client %d", tk.ID, tk.ClientID, acme)
			}
		}
	})
}

// The privacy rules: a client's viewer reads only its own rows, cannot
// reach another client's by id, cannot update them, and cannot create a row
// in another client or hanging on another client's row. The system sees all.
func TestPrivacyRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		acme := dbtest.NewClient(t, db.Client, "Acme")
		rival := dbtest.NewClient(t, db.Client, "Rival")
		asAcme := dbtest.As(t, db.Client, acme)
		asRival := dbtest.As(t, db.Client, rival)
		mine, err := db.Client.Property.Create().SetTag("A1").SetName("Acme Tower").Save(asAcme)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := db.Client.Property.Create().SetTag("R1").SetName("Rival Court").Save(asRival)
		if err != nil {
			t.Fatal(err)
		}
		if mine.ClientID != acme || theirs.ClientID != rival {
			t.Fatalf("a create takes its client from the viewer: got %d and %d", mine.ClientID, theirs.ClientID)
		}

		seen, err := db.Client.Property.Query().All(asAcme)
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != 1 || seen[0].ID != mine.ID {
			t.Fatalf("Acme sees %d properties, want only its own", len(seen))
		}
		if _, err := db.Client.Property.Get(asAcme, theirs.ID); !ent.IsNotFound(err) {
			t.Fatalf("reading another client's property by id: %v, want not found", err)
		}
		if n, err := db.Client.Property.Update().SetName("taken").Save(asAcme); err != nil || n != 1 {
			t.Fatalf("a bulk update as Acme changed %d rows (%v), want its own 1", n, err)
		}
		if err := db.Client.Property.UpdateOneID(theirs.ID).SetName("taken").Exec(asAcme); !ent.IsNotFound(err) {
			t.Fatalf("updating another client's property: %v, want not found", err)
		}
		if err := db.Client.Property.Create().SetTag("X").SetName("x").SetClientID(rival).Exec(asAcme); err == nil {
			t.Fatal("Acme created a property in Rival's name")
		}
		if err := db.Client.Prospect.Create().SetFirstName("Ann").SetPropertyID(theirs.ID).Exec(asAcme); err == nil {
			t.Fatal("Acme hung a prospect on Rival's property")
		}
		if _, err := db.Client.Company.Get(asAcme, rival); !ent.IsNotFound(err) {
			t.Fatalf("reading another client: %v, want not found", err)
		}
		if _, err := db.Client.Property.Query().All(context.Background()); err == nil {
			t.Fatal("a context without a viewer read properties")
		}

		all, err := db.Client.Property.Query().All(dbtest.System())
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 {
			t.Fatalf("the system sees %d properties, want both", len(all))
		}
		if got, _ := db.Client.Property.Get(dbtest.System(), theirs.ID); got.Name != "Rival Court" {
			t.Fatalf("Rival's property is now named %q", got.Name)
		}
	})
}

// service is the tenancy service on the test's database.
func service(db *dbtest.DB) *tenancy.Service { return &tenancy.Service{DB: db.Client} }

// With the authentication cache on, a token read once is answered without
// the database; a revoke another client's admin could not make (NOT_FOUND)
// leaves every cached token alone, and a revoke that happens ends its token
// at once.
func TestAuthCacheRevocation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *dbtest.DB) {
		svc := &tenancy.Service{DB: db.Client, CacheTTL: time.Hour}
		acme := dbtest.NewClient(t, db.Client, "Acme")
		rival := dbtest.NewClient(t, db.Client, "Rival")
		secret, v := dbtest.Token(t, db.Client, acme, viewer.ScopeRead)
		ctx := context.Background()
		if _, err := svc.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
		_, err := svc.RevokeToken(dbtest.As(t, db.Client, rival, viewer.ScopeAdmin), v.TokenID, "")
		wantCode(t, err, apperr.CodeNotFound)
		before := db.Statements.Load()
		if _, err := svc.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if n := db.Statements.Load() - before; n != 0 {
			t.Fatalf("a refused revoke emptied the cache: authentication ran %d statements", n)
		}
		if _, err := svc.RevokeToken(dbtest.As(t, db.Client, acme, viewer.ScopeAdmin), v.TokenID, ""); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Authenticate(ctx, secret)
		wantCode(t, err, apperr.CodeUnauthenticated)
	})
}

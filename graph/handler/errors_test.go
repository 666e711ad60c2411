package handler_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/tenancy"
)

// Every route turns errors into answers through apperr/classify: the same
// error kind gets the same code and status on /graphql, /leases, the
// SmartMove postback and authentication, and an internal one is logged
// once and answered without detail.

// routeError decodes {"error": {"code", "message"}}.
func routeError(t *testing.T, body []byte) (code, message string) {
	t.Helper()
	var out struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("not the HTTP routes' error shape: %s", body)
	}
	return out.Error.Code, out.Error.Message
}

// A privacy denial (here: a token that belongs to no client and is not a
// platform admin, so the tenancy policy denies every read) is NOT_FOUND on
// every route, as in GraphQL: /leases answered it with a 500.
func TestErrorsPrivacyDenial(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		clientID, _ := e.NewClient("Acme")
		e.ArrangeLeases(clientID, "P1", apptest.RestLease{Source: "L1", Status: "approved", Start: "2025-01-01"})
		secret := tenancy.NewSecret()
		if err := e.Client.APIToken.Create().SetName("orphan").SetPrefix(secret[:11]).SetHash(tenancy.Hash(secret)).
			SetScopes([]string{"read"}).Exec(e.Sys()); err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/leases", "/leases?move=[in]&from=2025-01-01&to=2025-12-31"} {
			status, _, body := e.Get(secret, path)
			if code, _ := routeError(t, body); status != http.StatusNotFound || code != apperr.CodeNotFound {
				t.Fatalf("GET %s: HTTP %d %s, want 404 NOT_FOUND", path, status, body)
			}
		}
		r := e.GQL(secret, `{ leases(first: 1) { totalCount } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != apperr.CodeNotFound {
			t.Fatalf("GraphQL: HTTP %d %+v, want NOT_FOUND", r.Status, r.Errors)
		}
		if strings.Contains(e.Logs.String(), "level=ERROR") {
			t.Fatalf("a denial is the caller's, not an internal error: %s", e.Logs.String())
		}
	})
}

// An internal error (a table gone from under the server) is answered 500
// INTERNAL_SERVER_ERROR "internal error" on every route, never quoting the
// driver, and logged exactly once.
func TestErrorsInternalOnEveryRoute(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		clientID, token := e.NewClient("Acme")
		// Never used before api_tokens goes: a token already seen is
		// answered from the authentication cache without the table.
		unseen := e.Token(clientID)
		db := e.RawDB().DB()
		rename := func(table string) {
			t.Helper()
			if _, err := db.Exec("ALTER TABLE " + table + " RENAME TO " + table + "_gone"); err != nil {
				t.Fatal(err)
			}
		}
		logged := func(what string, before int) {
			t.Helper()
			if n := strings.Count(e.Logs.String(), "level=ERROR") - before; n != 1 {
				t.Fatalf("%s: %d error lines, want 1: %s", what, n, e.Logs.String())
			}
		}
		errLines := func() int { return strings.Count(e.Logs.String(), "level=ERROR") }
		wantInternal := func(what string, status int, body []byte) {
			t.Helper()
			code, msg := routeError(t, body)
			if status != http.StatusInternalServerError || code != apperr.CodeInternal || msg != "internal error" {
				t.Fatalf("%s: HTTP %d %s, want 500 internal error", what, status, body)
			}
		}

		rename("leases")
		n := errLines()
		status, _, body := e.Get(token, "/leases")
		wantInternal("/leases", status, body)
		logged("/leases", n)

		n = errLines()
		r := e.GQL(token, `{ leases(first: 1) { totalCount } }`, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != apperr.CodeInternal || r.Errors[0].Message != "internal error" {
			t.Fatalf("GraphQL: %+v", r.Errors)
		}
		logged("/graphql", n)

		rename("screening_applications")
		n = errLines()
		code, reply := apptest.Postback(t, e.Srv.URL+"/webhooks/smartmove/somekey", "dXNlcg==:cGFzcw==", []byte(`{"applicationId":1,"reportStatus":"Ready"}`))
		wantInternal("postback", code, []byte(reply))
		logged("postback", n)

		rename("api_tokens")
		n = errLines()
		status, _, body = e.Get(unseen, "/leases")
		wantInternal("authentication", status, body)
		logged("authentication", n)
	})
}

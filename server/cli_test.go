package main

import (
	"bytes"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/config/testknobs"
	"github.com/leasegraph/leasegraph/ent/apitoken"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/dbtest"
)

// The command line administers clients and tokens against DATABASE_URL.
// These tests set the environment, so they cannot run in parallel: each
// database gets its own sequential subtest, with a server on the same
// database to prove the tokens work.

func TestCLI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testCLI(t, "sqlite:"+filepath.Join(t.TempDir(), "cli.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		testknobs.SkipPostgres(t)
		testCLI(t, dbtest.PostgresURL(t))
	})
}

// cli runs the command line and returns what it printed.
func cli(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = run(args, &o, &e)
	return o.String(), e.String(), err
}

// mustCLI runs a command that must succeed.
func mustCLI(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	o, e, err := cli(t, args...)
	if err != nil {
		t.Fatalf("server %s: %v\nstderr: %s", strings.Join(args, " "), err, e)
	}
	return o, e
}

var tokenLine = regexp.MustCompile(`^lg_[a-z2-7]{32}\n$`)

func testCLI(t *testing.T, url string) {
	t.Setenv("DATABASE_URL", url)
	t.Setenv("LOG_LEVEL", "debug")
	e := apptest.New(t, url, apptest.WithAuthCacheTTL(config.Defaults().AuthCacheTTL)) // the shipped lifetime: the revocation below is timed against it
	var secrets []string
	// output collects everything the commands printed, except the one
	// place a token is meant to appear.
	var output strings.Builder

	// client create prints the new client's id.
	out, errOut := mustCLI(t, "client", "create", "--name", "Acme Homes")
	output.WriteString(out + errOut)
	if !regexp.MustCompile(`^\d+\n$`).MatchString(out) {
		t.Fatalf("client create printed %q", out)
	}
	clientID, _ := strconv.Atoi(strings.TrimSpace(out))
	c, err := e.Client.Company.Get(e.Sys(), clientID)
	if err != nil || c.Name != "Acme Homes" {
		t.Fatalf("client %d: %v %+v", clientID, err, c)
	}
	out, _ = mustCLI(t, "client", "create", "--name", "Bravo Homes")
	otherID, _ := strconv.Atoi(strings.TrimSpace(out))
	if otherID == 0 || otherID == clientID {
		t.Fatalf("second client id %q", out)
	}

	// token create prints the token once, on its own line.
	create := func(args ...string) string {
		t.Helper()
		out, errOut := mustCLI(t, append([]string{"token", "create"}, args...)...)
		if !tokenLine.MatchString(out) {
			t.Fatalf("token create printed %q", out)
		}
		if !strings.Contains(errOut, "cannot be shown again") || strings.Contains(errOut, "lg_") {
			t.Fatalf("token create stderr %q", errOut)
		}
		output.WriteString(errOut)
		secret := strings.TrimSpace(out)
		secrets = append(secrets, secret)
		return secret
	}
	writeTok := create("--client", strconv.Itoa(clientID), "--scope", "write", "--name", "crm")
	readTok := create("--client", strconv.Itoa(clientID), "--name", "reports")
	adminTok := create("--client", strconv.Itoa(clientID), "--scope", "read,admin", "--name", "setup")
	otherTok := create("--client", strconv.Itoa(otherID), "--scope", "read", "--scope", "write")
	platformTok := create("--admin", "--name", "ops")

	// Each works against the API with its scopes.
	var cl struct {
		Clients struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID, Name string } }
		}
	}
	for _, tok := range []string{writeTok, readTok, adminTok} {
		e.MustGQL(tok, `{ clients { totalCount edges { node { id name } } } }`, nil, &cl)
		if cl.Clients.TotalCount != 1 || cl.Clients.Edges[0].Node.ID != strconv.Itoa(clientID) {
			t.Fatalf("a CLI token sees %+v", cl)
		}
	}
	e.MustGQL(otherTok, `{ clients { totalCount edges { node { id name } } } }`, nil, &cl)
	if cl.Clients.TotalCount != 1 || cl.Clients.Edges[0].Node.Name != "Bravo Homes" {
		t.Fatalf("the other client's token sees %+v", cl)
	}
	update := `mutation($id: ID!) { updateClientStatusSets(id: $id, input: {moveIn: ["approved"]}) { id } }`
	e.MustGQL(writeTok, update, map[string]any{"id": strconv.Itoa(clientID)}, nil)
	apptest.WantCode(t, e.GQL(readTok, update, map[string]any{"id": strconv.Itoa(clientID)}), "FORBIDDEN")
	apptest.WantCode(t, e.GQL(writeTok, update, map[string]any{"id": strconv.Itoa(otherID)}), "NOT_FOUND")
	e.MustGQL(adminTok, `mutation { createAPIToken(input: {name: "made by setup"}) { token } }`, nil, nil)
	e.MustGQL(platformTok, `{ clients { totalCount } }`, nil, &cl)
	if cl.Clients.TotalCount != 2 {
		t.Fatalf("the platform token sees %d clients", cl.Clients.TotalCount)
	}
	e.MustGQL(platformTok, `mutation { createClient(input: {name: "Charlie"}) { id } }`, nil, nil)

	// Stored: the hash and the prefix, with the name and scopes asked for.
	tok, err := e.Client.APIToken.Query().Where(apitoken.Name("crm")).Only(e.Sys())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(writeTok, tok.Prefix) || tok.Hash == writeTok || tok.ClientID == nil || *tok.ClientID != clientID ||
		strings.Join(tok.Scopes, ",") != "write" {
		t.Fatalf("stored token %+v", tok)
	}
	if p, err := e.Client.APIToken.Query().Where(apitoken.Name("ops")).Only(e.Sys()); err != nil || p.ClientID != nil ||
		strings.Join(p.Scopes, ",") != "admin" {
		t.Fatalf("platform token %+v %v", p, err)
	}

	// Refusals, with nothing created.
	before, _ := e.Client.APIToken.Query().Count(e.Sys())
	for _, args := range [][]string{
		{"client", "create"},
		{"client", "create", "--name", "  "},
		{"token", "create"},
		{"token", "create", "--client", strconv.Itoa(clientID + 1_000_000)},
		{"token", "create", "--client", strconv.Itoa(clientID), "--admin"},
		{"token", "create", "--client", strconv.Itoa(clientID), "--scope", "root"},
		{"token", "create", "--client", "acme"},
		{"token", "list"},
		{"token", "list", "--client", strconv.Itoa(clientID + 1_000_000)},
		{"token", "revoke"},
		{"token", "revoke", "lg_zzzzzzzz"},
		{"token", "revoke", "a", "b"},
		{"token", "delete", "x"},
		{"frobnicate"},
	} {
		o, errOut, err := cli(t, args...)
		if err == nil {
			t.Fatalf("server %s succeeded: %q", strings.Join(args, " "), o)
		}
		if o != "" {
			t.Fatalf("server %s printed %q on stdout", strings.Join(args, " "), o)
		}
		output.WriteString(errOut + err.Error())
	}
	if n, _ := e.Client.APIToken.Query().Count(e.Sys()); n != before {
		t.Fatalf("refused commands created %d tokens", n-before)
	}
	if _, _, err := cli(t, "token", "create", "--client", strconv.Itoa(clientID+1_000_000)); err == nil || !strings.Contains(err.Error(), "client not found") {
		t.Fatalf("token create for a missing client: %v", err)
	}

	// token list shows prefixes and names, never a secret.
	list := func(id int) string {
		t.Helper()
		out, errOut := mustCLI(t, "token", "list", "--client", strconv.Itoa(id))
		output.WriteString(out + errOut)
		return out
	}
	l := list(clientID)
	lines := strings.Split(strings.TrimSpace(l), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "PREFIX") { // header, 3 CLI tokens, 1 made by setup
		t.Fatalf("token list:\n%s", l)
	}
	for _, s := range []string{writeTok, readTok, adminTok} {
		if !strings.Contains(l, s[:11]+" ") {
			t.Fatalf("token list does not show prefix %s:\n%s", s[:11], l)
		}
	}
	for _, name := range []string{"crm", "reports", "setup", "made by setup"} {
		if !strings.Contains(l, name) {
			t.Fatalf("token list does not show %q:\n%s", name, l)
		}
	}
	if strings.Contains(l, otherTok[:11]) || strings.Contains(l, platformTok[:11]) {
		t.Fatalf("token list shows another client's token:\n%s", l)
	}

	// token revoke PREFIX: the token stops working within the server's
	// authentication cache time (another process revoked it); the others
	// go on working.
	out, errOut = mustCLI(t, "token", "revoke", writeTok[:11])
	output.WriteString(out + errOut)
	if out != "revoked "+writeTok[:11]+"\n" {
		t.Fatalf("token revoke printed %q", out)
	}
	r := e.GQL(writeTok, `{ clients { totalCount } }`, nil)
	for until := time.Now().Add(config.Defaults().AuthCacheTTL + time.Second); r.Status == http.StatusOK && time.Now().Before(until); {
		time.Sleep(100 * time.Millisecond)
		r = e.GQL(writeTok, `{ clients { totalCount } }`, nil)
	}
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked token: HTTP %d %+v", r.Status, r.Errors)
	}
	apptest.WantCode(t, r, "UNAUTHENTICATED")
	e.MustGQL(readTok, `{ clients { totalCount } }`, nil, nil)
	e.MustGQL(otherTok, `{ clients { totalCount } }`, nil, nil)
	for _, line := range strings.Split(strings.TrimSpace(list(clientID)), "\n")[1:] {
		revoked := strings.HasSuffix(strings.TrimSpace(line), "-")
		if strings.HasPrefix(line, writeTok[:11]) == revoked {
			t.Fatalf("token list after revoke, line %q", line)
		}
	}
	// Revoking again is harmless.
	mustCLI(t, "token", "revoke", writeTok[:11])

	// Help lists the commands and the environment.
	o, errOut, err := cli(t, "-h")
	if err != nil || o != "" || !strings.Contains(errOut, "token revoke PREFIX") || !strings.Contains(errOut, "DATABASE_URL") {
		t.Fatalf("-h: %v %q %q", err, o, errOut)
	}

	// Nothing but token create's stdout ever showed a secret.
	all := output.String()
	for _, s := range secrets {
		if strings.Contains(all, s) || strings.Contains(all, s[11:]) {
			t.Fatalf("a secret was printed outside token create:\n%s", all)
		}
	}
	if logs := e.Logs.String(); containsAny(logs, secrets) {
		t.Fatalf("a secret reached the server log:\n%s", logs)
	}
}

func containsAny(s string, secrets []string) bool {
	for _, x := range secrets {
		if strings.Contains(s, x) || strings.Contains(s, x[11:]) {
			return true
		}
	}
	return false
}

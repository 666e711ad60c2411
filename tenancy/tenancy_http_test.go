package tenancy_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/contrib/entgql"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/apitoken"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/ent/lease"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/ent/prospect"
	"github.com/leasegraph/leasegraph/ent/tenant"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/viewer"
)

// The tenancy suite: API tokens (storage, authentication, scopes,
// management) and the isolation of one client's data from another's.

// ---------------------------------------------------------------------------
// Fixtures

// tenantData is one client with a little of everything, and its tokens.
type tenantData struct {
	client               int
	name                 string
	properties           []int // tags P-100, P-200
	lease, tenant, prosp int
	// tokens by role: admin (read, write, admin), write (read, write), read.
	admin, write, read                string
	adminID, writeID, readID          int
	adminPrefix, writePrefix, readPre string
}

// seedTenant creates a client whose keys (property tags, lease source ids,
// tenant and prospect names and emails, token names) are the same for every
// client; only marker, which a test never sends, tells the clients apart.
func seedTenant(e *apptest.Env, name, marker string) tenantData {
	e.T.Helper()
	t, ctx, db := e.T, e.Sys(), e.Client
	d := tenantData{name: name}
	c, err := db.Company.Create().SetName(name).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d.client = c.ID
	for i, tag := range []string{"P-100", "P-200"} {
		p, err := db.Property.Create().SetClientID(c.ID).SetTag(tag).
			SetName(fmt.Sprintf("%s tower %d", marker, i)).
			SetAddress(&types.Address{Street: "1 Main St", City: "Springfield", State: "IL", Zip: "62701", Apt: marker}).
			Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d.properties = append(d.properties, p.ID)
	}
	day := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
	l, err := db.Lease.Create().SetClientID(c.ID).SetPropertyID(d.properties[0]).
		SetSourceID("L-1").SetStatus("Approved").SetLeaseStartDate(day("2025-03-01")).
		SetMoveInDate(day("2025-03-01")).SetUseType(marker).
		SetExtra(map[string]any{"note": marker}).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d.lease = l.ID
	tn, err := db.Tenant.Create().SetClientID(c.ID).SetLeaseID(l.ID).SetSourceID("T-1").
		SetFirstName("Jo").SetLastName("Doe").SetEmail("jo@example.com").SetHomePhone(marker).
		Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d.tenant = tn.ID
	p, err := db.Prospect.Create().SetClientID(c.ID).SetPropertyID(d.properties[0]).
		SetFirstName("Sam").SetLastName("Lee").SetEmail1("sam@example.com").SetPhone1("+15555550100").
		SetNotes(marker).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d.prosp = p.ID
	mk := func(scopes ...viewer.Scope) (string, int, string) {
		tok, secret, err := (&tenancy.Service{DB: db}).CreateToken(ctx, tenancy.NewToken{ClientID: c.ID, Name: "crm", Scopes: scopes})
		if err != nil {
			t.Fatal(err)
		}
		return secret, tok.ID, tok.Prefix
	}
	d.admin, d.adminID, d.adminPrefix = mk(viewer.ScopeRead, viewer.ScopeWrite, viewer.ScopeAdmin)
	d.write, d.writeID, d.writePrefix = mk(viewer.ScopeRead, viewer.ScopeWrite)
	d.read, d.readID, d.readPre = mk(viewer.ScopeRead)
	return d
}

// ---------------------------------------------------------------------------
// 1. What is stored of a token

func TestTokenStorage(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		clientID, _ := e.NewClient("Acme")
		platform, _ := e.PlatformToken()
		// One token made by the service, one through GraphQL by a platform admin.
		var out struct {
			CreateAPIToken struct {
				Token    string
				APIToken struct {
					ID, Prefix string
					Scopes     []string
				}
			}
		}
		e.MustGQL(platform, `mutation($c: ID!) { createAPIToken(input: {clientId: $c, name: "crm", scopes: [READ, WRITE]}) { token apiToken { id prefix scopes } } }`,
			map[string]any{"c": apptest.Itoa(clientID)}, &out)
		viaGraphQL := out.CreateAPIToken.Token
		if viaGraphQL == "" || !strings.HasPrefix(viaGraphQL, out.CreateAPIToken.APIToken.Prefix) {
			t.Fatalf("createAPIToken: token %q, prefix %q", viaGraphQL, out.CreateAPIToken.APIToken.Prefix)
		}
		if !slices.Equal(out.CreateAPIToken.APIToken.Scopes, []string{"read", "write"}) {
			t.Fatalf("scopes = %v", out.CreateAPIToken.APIToken.Scopes)
		}
		secrets := []string{viaGraphQL, platform, e.Token(clientID, viewer.ScopeRead)}

		rows, err := e.Client.APIToken.Query().All(e.Sys())
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 { // NewClient's, the platform token, and the two above
			t.Fatalf("%d token rows, want 4", len(rows))
		}
		for _, secret := range secrets {
			sum := sha256.Sum256([]byte(secret))
			i := slices.IndexFunc(rows, func(r *ent.APIToken) bool { return r.Hash == hex.EncodeToString(sum[:]) })
			if i < 0 {
				t.Fatalf("no row holds the SHA-256 of token %s…", secret[:6])
			}
			r := rows[i]
			if !strings.HasPrefix(secret, r.Prefix) || len(r.Prefix) < 6 || len(r.Prefix) >= len(secret)-16 {
				t.Fatalf("prefix %q is not a short prefix of the token", r.Prefix)
			}
			for _, col := range []string{r.Prefix, r.Hash, r.Name, strings.Join(r.Scopes, ",")} {
				if strings.Contains(col, secret) || strings.Contains(col, secret[len(r.Prefix):]) {
					t.Fatalf("a column holds the secret")
				}
			}
		}

		// The rows as the database holds them, every column.
		res, err := e.RawDB().DB().QueryContext(context.Background(), "SELECT * FROM api_tokens")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		cols, _ := res.Columns()
		n := 0
		for res.Next() {
			n++
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := res.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				s := fmt.Sprint(v)
				if b, ok := v.([]byte); ok {
					s = string(b)
				}
				for _, secret := range secrets {
					// The secret, or the part of it that is not the visible prefix.
					if strings.Contains(s, secret) || strings.Contains(s, secret[11:]) {
						t.Fatalf("column %s holds a token's secret", cols[i])
					}
				}
			}
		}
		if n != 4 {
			t.Fatalf("SELECT * FROM api_tokens: %d rows", n)
		}

		// GraphQL shows metadata, never a hash or the secret.
		var list struct {
			APITokens []map[string]any `json:"apiTokens"`
		}
		e.MustGQL(platform, `query($c: ID!) { apiTokens(clientId: $c) { id name prefix scopes lastUsedAt revokedAt createdAt } }`,
			map[string]any{"c": apptest.Itoa(clientID)}, &list)
		raw, _ := json.Marshal(list)
		if len(list.APITokens) != 3 {
			t.Fatalf("apiTokens: %s", raw)
		}
		for _, secret := range secrets {
			if strings.Contains(string(raw), secret[11:]) {
				t.Fatalf("apiTokens shows a secret: %s", raw)
			}
		}
	})
}

func TestTokenLastUsedAndScopes(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		d := seedTenant(e, "Acme", "ALPHA")
		before, err := e.Client.APIToken.Get(e.Sys(), d.readID)
		if err != nil {
			t.Fatal(err)
		}
		if before.LastUsedAt != nil {
			t.Fatalf("a new token has lastUsedAt %v", before.LastUsedAt)
		}
		e.MustGQL(d.read, `{ clients { totalCount } }`, nil, nil)
		after, err := e.Client.APIToken.Get(e.Sys(), d.readID)
		if err != nil {
			t.Fatal(err)
		}
		if after.LastUsedAt == nil || time.Since(*after.LastUsedAt) > time.Minute {
			t.Fatalf("lastUsedAt after a request: %v", after.LastUsedAt)
		}
		if !slices.Equal(after.Scopes, []string{"read"}) {
			t.Fatalf("scopes %v", after.Scopes)
		}
		// The token's own view of it.
		var out struct {
			Node struct {
				LastUsedAt *time.Time
				Scopes     []string
			}
		}
		e.MustGQL(d.read, `query($id: ID!) { node(id: $id) { ... on APIToken { lastUsedAt scopes } } }`, map[string]any{"id": apptest.Itoa(d.readID)}, &out)
		if out.Node.LastUsedAt == nil || !slices.Equal(out.Node.Scopes, []string{"read"}) {
			t.Fatalf("node: %+v", out.Node)
		}
	})
}

// ---------------------------------------------------------------------------
// 2. Authentication on /graphql

func TestTokenAuthentication(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		d := seedTenant(e, "Acme", "ALPHA")
		revoked := e.Token(d.client, viewer.ScopeRead, viewer.ScopeWrite)
		if _, err := (&tenancy.Service{DB: e.Client}).RevokeToken(e.Sys(), 0, revoked[:11]); err != nil {
			t.Fatal(err)
		}
		post := func(auth string) (*http.Response, []byte) {
			req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/graphql", strings.NewReader(`{"query":"{ clients { totalCount } }"}`))
			req.Header.Set("Content-Type", "application/json")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res, b
		}
		var unknownMsg, revokedMsg string
		for _, c := range []struct{ name, auth string }{
			{"missing", ""},
			{"empty bearer", "Bearer "},
			{"other scheme", "Basic " + d.read},
			{"token without scheme", d.read},
			{"unknown", "Bearer lg_" + strings.Repeat("a", 32)},
			{"prefix only", "Bearer " + d.readPre},
			{"token plus a character", "Bearer " + d.read + "x"},
			{"revoked", "Bearer " + revoked},
		} {
			t.Run(c.name, func(t *testing.T) {
				res, body := post(c.auth)
				var r apptest.GQLResponse
				if err := json.Unmarshal(body, &r); err != nil {
					t.Fatalf("HTTP %d, not JSON: %s", res.StatusCode, body)
				}
				if res.StatusCode != http.StatusUnauthorized || len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" || r.Data != nil {
					t.Fatalf("HTTP %d %s", res.StatusCode, body)
				}
				if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Fatalf("WWW-Authenticate %q", res.Header.Get("WWW-Authenticate"))
				}
				switch c.name {
				case "unknown":
					unknownMsg = r.Errors[0].Message
				case "revoked":
					revokedMsg = r.Errors[0].Message
				}
			})
		}
		if unknownMsg != revokedMsg {
			t.Fatalf("an unknown and a revoked token are told apart: %q vs %q", unknownMsg, revokedMsg)
		}
		// The scheme is case-insensitive.
		if res, body := post("bearer " + d.read); res.StatusCode != http.StatusOK {
			t.Fatalf("lower-case bearer: HTTP %d %s", res.StatusCode, body)
		}

		// A read-only token may query but not mutate, and the mutation changes nothing.
		m := `mutation($id: ID!) { updateClientStatusSets(id: $id, input: {moveIn: ["zzz"]}) { id moveInStatuses } }`
		r := e.GQL(d.read, m, map[string]any{"id": apptest.Itoa(d.client)})
		apptest.WantCode(t, r, "FORBIDDEN")
		if r.Data != nil && string(r.Data) != "null" {
			t.Fatalf("forbidden mutation returned data %s", r.Data)
		}
		c, _ := e.Client.Company.Get(e.Sys(), d.client)
		if slices.Contains(c.MoveInStatuses, "zzz") {
			t.Fatal("a read-only token changed the client")
		}
		e.MustGQL(d.write, m, map[string]any{"id": apptest.Itoa(d.client)}, nil)
		for _, q := range []string{
			`mutation { createClient(input: {name: "X"}) { id } }`,
			`mutation { createAPIToken(input: {name: "x", scopes: [READ]}) { token } }`,
			fmt.Sprintf(`mutation { revokeAPIToken(id: "%d") { id } }`, d.writeID),
		} {
			apptest.WantCode(t, e.GQL(d.read, q, nil), "FORBIDDEN")
		}

		// The playground stays public.
		res, err := http.Get(e.Srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Type"), "text/html") || !bytes.Contains(bytes.ToLower(body), []byte("<html")) {
			t.Fatalf("GET /: HTTP %d %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		// GET /graphql needs a token too.
		res, err = http.Get(e.Srv.URL + "/graphql?query=" + "%7Bclients%7BtotalCount%7D%7D")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("GET /graphql without a token: HTTP %d", res.StatusCode)
		}
	})
}

// ---------------------------------------------------------------------------
// 3. Managing clients and tokens through GraphQL

func TestTokenManagementGraphQL(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		platform, _ := e.PlatformToken()
		other := seedTenant(e, "Bravo", "BRAVO")

		// A platform admin creates a client and its first (admin) token.
		var created struct {
			CreateClient struct{ ID, Name string }
		}
		e.MustGQL(platform, `mutation { createClient(input: {name: "  Acme  "}) { id name } }`, nil, &created)
		if created.CreateClient.Name != "Acme" {
			t.Fatalf("createClient: %+v", created)
		}
		clientID, _ := strconv.Atoi(created.CreateClient.ID)
		apptest.WantCode(t, e.GQL(platform, `mutation { createClient(input: {name: " "}) { id } }`, nil), "BAD_USER_INPUT")

		var tok struct {
			CreateAPIToken struct {
				Token    string
				APIToken struct {
					ID     string
					Client struct{ ID string }
				}
			}
		}
		e.MustGQL(platform, `mutation($c: ID!) { createAPIToken(input: {clientId: $c, name: "setup", scopes: [ADMIN]}) { token apiToken { id client { id } } } }`,
			map[string]any{"c": created.CreateClient.ID}, &tok)
		admin := tok.CreateAPIToken.Token
		if tok.CreateAPIToken.APIToken.Client.ID != created.CreateClient.ID {
			t.Fatalf("token's client %+v", tok.CreateAPIToken.APIToken)
		}

		// The new token sees its client only.
		var cl struct {
			Clients struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
		}
		e.MustGQL(admin, `{ clients { totalCount edges { node { id } } } }`, nil, &cl)
		if cl.Clients.TotalCount != 1 || cl.Clients.Edges[0].Node.ID != created.CreateClient.ID {
			t.Fatalf("clients: %+v", cl)
		}

		// A client's admin token makes tokens for its own client only.
		apptest.WantCode(t, e.GQL(admin, `mutation { createClient(input: {name: "Mine"}) { id } }`, nil), "FORBIDDEN")
		var mine struct {
			CreateAPIToken struct {
				Token    string
				APIToken struct {
					ID, Prefix string
					Client     struct{ ID string }
				}
			}
		}
		e.MustGQL(admin, `mutation { createAPIToken(input: {name: "crm", scopes: [READ, WRITE]}) { token apiToken { id prefix client { id } } } }`, nil, &mine)
		if mine.CreateAPIToken.APIToken.Client.ID != created.CreateClient.ID {
			t.Fatalf("token made without clientId belongs to %+v", mine.CreateAPIToken.APIToken.Client)
		}
		crm := mine.CreateAPIToken.Token
		e.MustGQL(crm, `{ clients { totalCount } }`, nil, nil)
		r := e.GQL(admin, `mutation($c: ID!) { createAPIToken(input: {clientId: $c, scopes: [ADMIN]}) { token } }`, map[string]any{"c": apptest.Itoa(other.client)})
		apptest.WantCode(t, r, "NOT_FOUND")
		// A write token may not manage tokens.
		r = e.GQL(crm, `mutation { createAPIToken(input: {scopes: [ADMIN]}) { token } }`, nil)
		apptest.WantCode(t, r, "FORBIDDEN")

		// Listing: own tokens only, newest first, never a secret.
		var list struct {
			APITokens []struct {
				ID, Prefix, Name string
				RevokedAt        *time.Time
			} `json:"apiTokens"`
		}
		e.MustGQL(admin, `{ apiTokens { id prefix name revokedAt } }`, nil, &list)
		if len(list.APITokens) != 2 || list.APITokens[0].ID != mine.CreateAPIToken.APIToken.ID || list.APITokens[1].ID != tok.CreateAPIToken.APIToken.ID {
			t.Fatalf("apiTokens: %+v", list.APITokens)
		}
		e.MustGQL(admin, `query($c: ID!) { apiTokens(clientId: $c) { id } }`, map[string]any{"c": created.CreateClient.ID}, &list)
		if len(list.APITokens) != 2 {
			t.Fatalf("apiTokens(own id): %+v", list.APITokens)
		}
		apptest.WantCode(t, e.GQL(admin, `query($c: ID!) { apiTokens(clientId: $c) { id } }`, map[string]any{"c": apptest.Itoa(other.client)}), "NOT_FOUND")

		// Revoking: another client's token is not found and keeps working.
		apptest.WantCode(t, e.GQL(admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": apptest.Itoa(other.readID)}), "NOT_FOUND")
		e.MustGQL(other.read, `{ clients { totalCount } }`, nil, nil)
		// A write token may not revoke (managing tokens needs admin).
		apptest.WantCode(t, e.GQL(crm, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": tok.CreateAPIToken.APIToken.ID}), "FORBIDDEN")
		// Its own client's token: revoked at once.
		var rev struct {
			RevokeAPIToken struct {
				ID        string
				RevokedAt *time.Time
			}
		}
		e.MustGQL(admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id revokedAt } }`, map[string]any{"id": mine.CreateAPIToken.APIToken.ID}, &rev)
		if rev.RevokeAPIToken.RevokedAt == nil {
			t.Fatalf("revokeAPIToken: %+v", rev)
		}
		r = e.GQL(crm, `{ clients { totalCount } }`, nil)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("revoked token: HTTP %d %+v", r.Status, r.Errors)
		}
		apptest.WantCode(t, r, "UNAUTHENTICATED")
		// Revoking twice is harmless.
		e.MustGQL(admin, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": mine.CreateAPIToken.APIToken.ID}, nil)

		// The platform admin sees and manages both clients.
		e.MustGQL(platform, `{ clients { totalCount edges { node { id } } } }`, nil, &cl)
		if cl.Clients.TotalCount != 2 {
			t.Fatalf("platform clients: %+v", cl)
		}
		e.MustGQL(platform, `query($c: ID!) { apiTokens(clientId: $c) { id } }`, map[string]any{"c": apptest.Itoa(other.client)}, &list)
		if len(list.APITokens) != 3 {
			t.Fatalf("platform apiTokens(other): %+v", list.APITokens)
		}
		e.MustGQL(platform, `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, map[string]any{"id": apptest.Itoa(other.readID)}, nil)
		if r := e.GQL(other.read, `{ clients { totalCount } }`, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("token revoked by the platform admin: HTTP %d", r.Status)
		}
		// A platform admin may make another platform admin token; a client may not.
		var pt struct {
			CreateAPIToken struct {
				Token    string
				APIToken struct{ Client *struct{ ID string } }
			}
		}
		e.MustGQL(platform, `mutation { createAPIToken(input: {name: "ops2", scopes: [ADMIN]}) { token apiToken { client { id } } } }`, nil, &pt)
		if pt.CreateAPIToken.APIToken.Client != nil {
			t.Fatalf("platform token has a client: %+v", pt)
		}
		e.MustGQL(pt.CreateAPIToken.Token, `{ clients { totalCount } }`, nil, &cl)
		if cl.Clients.TotalCount != 2 {
			t.Fatalf("second platform token sees %d clients", cl.Clients.TotalCount)
		}
		apptest.WantCode(t, e.GQL(platform, `mutation { createAPIToken(input: {scopes: [READ]}) { token } }`, nil), "BAD_USER_INPUT")
		// A platform admin naming a client that does not exist is told so.
		apptest.WantCode(t, e.GQL(platform, `query($c: ID!) { apiTokens(clientId: $c) { id } }`, map[string]any{"c": apptest.Itoa(clientID + 1_000_000)}), "NOT_FOUND")
	})
}

// ---------------------------------------------------------------------------
// 4. Isolation between clients

// target names the rows an isolation case aims at: client B's, or rows that
// never existed (ghost). A's answer must be the same for both.
type target struct {
	Client, Property, Property2, Lease, Tenant, Prospect int
	AdminToken, ReadToken, PlatformToken, APropertyOfA   int
	Name, Tag, PropertyCursor, ClientCursor, TokenPrefix string
}

func (x target) ids() map[string]int {
	return map[string]int{"client": x.Client, "property": x.Property, "property2": x.Property2, "lease": x.Lease,
		"tenant": x.Tenant, "prospect": x.Prospect, "adminToken": x.AdminToken, "readToken": x.ReadToken, "platformToken": x.PlatformToken}
}

func cursor(t *testing.T, id int, value any) string {
	var b bytes.Buffer
	entgql.Cursor[int]{ID: id, Value: value}.MarshalGQL(&b)
	s, err := strconv.Unquote(b.String())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type isolationCase struct {
	name  string
	token string // "admin" (default), "write" or "read": A's token to use
	query string
	vars  func(x target) map[string]any
	// check asserts more about A's answer for B's rows.
	check func(t *testing.T, r apptest.GQLResponse)
}

func notFound(t *testing.T, r apptest.GQLResponse) { t.Helper(); apptest.WantCode(t, r, "NOT_FOUND") }

// count asserts the number at path and no errors.
func count(path string, want int) func(t *testing.T, r apptest.GQLResponse) {
	return func(t *testing.T, r apptest.GQLResponse) {
		t.Helper()
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		if got := apptest.Dig(t, r.Data, path); got != float64(want) {
			t.Fatalf("%s = %v, want %d (%s)", path, got, want, r.Data)
		}
	}
}

// onlyA asserts an answer without errors whose ids all are A's.
func onlyA(a tenantData, path string, want ...int) func(t *testing.T, r apptest.GQLResponse) {
	return func(t *testing.T, r apptest.GQLResponse) {
		t.Helper()
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		edges, _ := apptest.Dig(t, r.Data, path).([]any)
		var got []int
		for _, ed := range edges {
			id, _ := strconv.Atoi(ed.(map[string]any)["node"].(map[string]any)["id"].(string))
			got = append(got, id)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: ids %v, want %v (%s)", path, got, want, r.Data)
		}
	}
}

// TestIsolation is the tenancy suite's core; every route adds its own cases
// in a TestIsolation* test beside it, in the route's own package
// (leases/rest's LeasesREST, leases/importer's ImportLeases, registration's
// Registration, prospects' Prospects, screening's Screening), so
// `go test -run TestIsolation ./...` runs them all.
func TestIsolation(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		a := seedTenant(e, "Alpha Homes", "ALPHA-SECRET")
		b := seedTenant(e, "Bravo Homes", "BRAVO-SECRET")
		_, platformID := e.PlatformToken()

		B := target{Client: b.client, Property: b.properties[0], Property2: b.properties[1], Lease: b.lease, Tenant: b.tenant,
			Prospect: b.prosp, AdminToken: b.adminID, ReadToken: b.readID, PlatformToken: platformID, APropertyOfA: a.properties[0],
			Name: b.name, Tag: "P-100", TokenPrefix: b.readPre}
		const off = 1_000_000 // stays inside each type's id range
		ghost := target{Client: b.client + off, Property: b.properties[0] + off, Property2: b.properties[1] + off, Lease: b.lease + off,
			Tenant: b.tenant + off, Prospect: b.prosp + off, AdminToken: b.adminID + off, ReadToken: b.readID + off,
			PlatformToken: platformID + off, APropertyOfA: a.properties[0], Name: "Nobody Homes", Tag: "P-999", TokenPrefix: "lg_zzzzzzzz"}
		B.PropertyCursor, ghost.PropertyCursor = cursor(t, B.Property, nil), cursor(t, ghost.Property, nil)
		B.ClientCursor, ghost.ClientCursor = cursor(t, B.Client, B.Name), cursor(t, ghost.Client, B.Name)
		for _, x := range []int{ghost.Client, ghost.Property, ghost.Lease, ghost.Tenant, ghost.Prospect, ghost.AdminToken} {
			if _, err := e.Client.Noder(e.Sys(), x); !ent.IsNotFound(err) {
				t.Fatalf("ghost id %d exists (%v)", x, err)
			}
		}
		id := func(f func(x target) int) func(x target) map[string]any {
			return func(x target) map[string]any { return map[string]any{"id": apptest.Itoa(f(x))} }
		}
		ids := func(f func(x target) []int) func(x target) map[string]any {
			return func(x target) map[string]any {
				var out []string
				for _, i := range f(x) {
					out = append(out, apptest.Itoa(i))
				}
				return map[string]any{"ids": out}
			}
		}
		none := func(target) map[string]any { return nil }

		cases := []isolationCase{
			// node and nodes with B's global ids
			{name: "node/client", query: `query($id: ID!) { node(id: $id) { id ... on Client { name moveInStatuses } } }`, vars: id(func(x target) int { return x.Client }), check: notFound},
			{name: "node/client properties", query: `query($id: ID!) { node(id: $id) { ... on Client { properties { totalCount edges { node { id tag } } } } } }`, vars: id(func(x target) int { return x.Client }), check: notFound},
			{name: "node/property", query: `query($id: ID!) { node(id: $id) { id ... on Property { tag name address { street apt } } } }`, vars: id(func(x target) int { return x.Property }), check: notFound},
			{name: "node/property leases", query: `query($id: ID!) { node(id: $id) { ... on Property { leases { totalCount edges { node { id sourceID } } } } } }`, vars: id(func(x target) int { return x.Property }), check: notFound},
			{name: "node/lease", query: `query($id: ID!) { node(id: $id) { id ... on Lease { sourceID status extra tenants { id firstName } } } }`, vars: id(func(x target) int { return x.Lease }), check: notFound},
			{name: "node/tenant", query: `query($id: ID!) { node(id: $id) { id ... on Tenant { firstName email homePhone lease { id } } } }`, vars: id(func(x target) int { return x.Tenant }), check: notFound},
			{name: "node/prospect", query: `query($id: ID!) { node(id: $id) { id ... on Prospect { firstName email1 notes property { id } } } }`, vars: id(func(x target) int { return x.Prospect }), check: notFound},
			{name: "node/admin token", query: `query($id: ID!) { node(id: $id) { id ... on APIToken { prefix name scopes client { id name } } } }`, vars: id(func(x target) int { return x.AdminToken }), check: notFound},
			{name: "node/platform token", query: `query($id: ID!) { node(id: $id) { id ... on APIToken { prefix name } } }`, vars: id(func(x target) int { return x.PlatformToken }), check: notFound},
			{name: "node/as read token", token: "read", query: `query($id: ID!) { node(id: $id) { id } }`, vars: id(func(x target) int { return x.Lease }), check: notFound},
			{name: "nodes/every type", query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
				vars: ids(func(x target) []int {
					return []int{x.Client, x.Property, x.Lease, x.Tenant, x.Prospect, x.ReadToken}
				}),
				check: func(t *testing.T, r apptest.GQLResponse) {
					if len(r.Errors) != 6 || string(r.Data) != `{"nodes":[null,null,null,null,null,null]}` {
						t.Fatalf("nodes: %s %+v", r.Data, r.Errors)
					}
				}},
			{name: "nodes/A's and B's property", query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
				vars: ids(func(x target) []int { return []int{x.APropertyOfA, x.Property, x.Property2} }),
				check: func(t *testing.T, r apptest.GQLResponse) {
					if len(r.Errors) != 2 || string(r.Data) != fmt.Sprintf(`{"nodes":[{"id":"%d"},null,null]}`, a.properties[0]) {
						t.Fatalf("nodes: %s %+v", r.Data, r.Errors)
					}
				}},

			// connections filtered by B's ids and keys
			{name: "clients/where id", query: `query($id: ID) { clients(where: {id: $id}) { totalCount edges { node { id } } } }`, vars: id(func(x target) int { return x.Client }), check: count("clients.totalCount", 0)},
			{name: "clients/where idIn with own", query: `query($ids: [ID!]) { clients(where: {idIn: $ids}) { totalCount edges { node { id } } } }`,
				vars: func(x target) map[string]any {
					return map[string]any{"ids": []string{apptest.Itoa(a.client), apptest.Itoa(x.Client)}}
				}, check: onlyA(a, "clients.edges", a.client)},
			{name: "clients/where name", query: `query($n: String) { clients(where: {or: [{name: $n}, {nameContainsFold: $n}]}) { totalCount } }`,
				vars: func(x target) map[string]any { return map[string]any{"n": x.Name} }, check: count("clients.totalCount", 0)},
			{name: "clients/where idNEQ", query: `query($id: ID) { clients(where: {idNEQ: $id}) { totalCount edges { node { id } } } }`, vars: id(func(x target) int { return x.Client }), check: onlyA(a, "clients.edges", a.client)},
			{name: "properties/where id", query: `query($id: ID) { properties(where: {id: $id}) { totalCount edges { node { id } } } }`, vars: id(func(x target) int { return x.Property }), check: count("properties.totalCount", 0)},
			{name: "properties/where idIn", query: `query($ids: [ID!]) { properties(where: {idIn: $ids}) { totalCount } }`, vars: ids(func(x target) []int { return []int{x.Property, x.Property2} }), check: count("properties.totalCount", 0)},
			{name: "properties/where idGTE", query: `query($id: ID) { properties(where: {idGTE: $id}) { totalCount } }`, vars: id(func(x target) int { return x.Property }), check: count("properties.totalCount", 0)},
			{name: "properties/same tag", query: `query($tag: String) { properties(where: {tag: $tag}) { totalCount edges { node { id tag name } } } }`,
				vars: func(x target) map[string]any { return map[string]any{"tag": "P-100"} }, check: onlyA(a, "properties.edges", a.properties[0])},
			{name: "properties/hasClientWith id", query: `query($id: ID) { properties(where: {hasClientWith: {id: $id}}) { totalCount } }`, vars: id(func(x target) int { return x.Client }), check: count("properties.totalCount", 0)},
			{name: "properties/hasClientWith name", query: `query($n: String) { properties(where: {hasClientWith: {name: $n}}) { totalCount } }`,
				vars: func(x target) map[string]any { return map[string]any{"n": x.Name} }, check: count("properties.totalCount", 0)},
			{name: "properties/hasLeasesWith id", query: `query($id: ID) { properties(where: {hasLeasesWith: {id: $id}}) { totalCount } }`, vars: id(func(x target) int { return x.Lease }), check: count("properties.totalCount", 0)},
			{name: "properties/hasProspectsWith id", query: `query($id: ID) { properties(where: {hasProspectsWith: {id: $id}}) { totalCount } }`, vars: id(func(x target) int { return x.Prospect }), check: count("properties.totalCount", 0)},
			{name: "properties/not hasClientWith", query: `query($id: ID) { properties(where: {not: {hasClientWith: {id: $id}}}) { totalCount } }`, vars: id(func(x target) int { return x.Client }), check: count("properties.totalCount", 2)},
			{name: "leases/where id", query: `query($id: ID) { leases(where: {id: $id}) { totalCount edges { node { id } } } }`, vars: id(func(x target) int { return x.Lease }), check: count("leases.totalCount", 0)},
			{name: "leases/where idIn", query: `query($ids: [ID!]) { leases(where: {idIn: $ids}) { totalCount } }`, vars: ids(func(x target) []int { return []int{x.Lease} }), check: count("leases.totalCount", 0)},
			{name: "leases/same source id", query: `{ leases(where: {sourceID: "L-1"}) { totalCount edges { node { id } } } }`, vars: none, check: onlyA(a, "leases.edges", a.lease)},
			{name: "leases/hasPropertyWith id", query: `query($id: ID) { leases(where: {hasPropertyWith: {id: $id}}) { totalCount } }`, vars: id(func(x target) int { return x.Property }), check: count("leases.totalCount", 0)},
			{name: "leases/hasPropertyWith tag", query: `{ leases(where: {hasPropertyWith: {tag: "P-100"}}) { totalCount edges { node { id } } } }`, vars: none, check: onlyA(a, "leases.edges", a.lease)},
			{name: "leases/hasClientWith id", query: `query($id: ID) { leases(where: {hasClientWith: {id: $id}}) { totalCount } }`, vars: id(func(x target) int { return x.Client }), check: count("leases.totalCount", 0)},
			{name: "leases/moving window", query: `{ leases(moving: {kinds: [MOVE_IN], from: "2025-01-01", to: "2025-12-31"}) { totalCount edges { node { id } } } }`, vars: none, check: onlyA(a, "leases.edges", a.lease)},
			{name: "prospects/where id", query: `query($id: ID) { prospects(where: {id: $id}) { totalCount } }`, vars: id(func(x target) int { return x.Prospect }), check: count("prospects.totalCount", 0)},
			{name: "prospects/same email", query: `{ prospects(where: {email1: "sam@example.com"}) { totalCount edges { node { id } } } }`, vars: none, check: onlyA(a, "prospects.edges", a.prosp)},
			{name: "prospects/hasPropertyWith id", query: `query($id: ID) { prospects(where: {hasPropertyWith: {id: $id}}) { totalCount } }`, vars: id(func(x target) int { return x.Property }), check: count("prospects.totalCount", 0)},
			{name: "prospects/hasClientWith id", query: `query($id: ID) { prospects(where: {hasClientWith: {id: $id}}) { totalCount } }`, vars: id(func(x target) int { return x.Client }), check: count("prospects.totalCount", 0)},
			{name: "property.leases/hasPropertyWith B", query: `query($a: ID!, $id: ID) { node(id: $a) { ... on Property { leases(where: {hasPropertyWith: {id: $id}}) { totalCount } } } }`,
				vars: func(x target) map[string]any {
					return map[string]any{"a": apptest.Itoa(a.properties[0]), "id": apptest.Itoa(x.Property)}
				}, check: count("node.leases.totalCount", 0)},

			// totalCount of every connection is A's own
			{name: "totalCount/clients", query: `{ clients { totalCount } }`, vars: none, check: count("clients.totalCount", 1)},
			{name: "totalCount/properties", query: `{ properties { totalCount } }`, vars: none, check: count("properties.totalCount", 2)},
			{name: "totalCount/leases", query: `{ leases { totalCount } }`, vars: none, check: count("leases.totalCount", 1)},
			{name: "totalCount/prospects", query: `{ prospects { totalCount } }`, vars: none, check: count("prospects.totalCount", 1)},
			{name: "totalCount/client.properties", query: `{ clients { edges { node { properties { totalCount } } } } }`, vars: none, check: count("clients.edges.0.node.properties.totalCount", 2)},
			{name: "totalCount/property.leases and prospects", query: `{ properties(where: {tag: "P-100"}) { edges { node { leases { totalCount } prospects { totalCount } } } } }`, vars: none,
				check: func(t *testing.T, r apptest.GQLResponse) {
					count("properties.edges.0.node.leases.totalCount", 1)(t, r)
					count("properties.edges.0.node.prospects.totalCount", 1)(t, r)
				}},
			{name: "totalCount/lease.tenants", query: `{ leases { edges { node { tenants { id } } } } }`, vars: none,
				check: func(t *testing.T, r apptest.GQLResponse) {
					if got := apptest.Dig(t, r.Data, "leases.edges.0.node.tenants.0.id"); got != apptest.Itoa(a.tenant) {
						t.Fatalf("tenants: %s", r.Data)
					}
				}},
			{name: "apiTokens/own", query: `{ apiTokens { id prefix } }`, vars: none,
				check: func(t *testing.T, r apptest.GQLResponse) {
					if n := len(apptest.Dig(t, r.Data, "apiTokens").([]any)); n != 3 {
						t.Fatalf("apiTokens: %s", r.Data)
					}
				}},

			// ordering and paging tricks
			{name: "order/properties by tag last", query: `{ properties(orderBy: {field: TAG, direction: DESC}, last: 1) { totalCount pageInfo { hasPreviousPage } edges { node { id } } } }`, vars: none, check: onlyA(a, "properties.edges", a.properties[0])},
			{name: "order/clients by name first", query: `{ clients(orderBy: {field: NAME, direction: DESC}, first: 5) { pageInfo { hasNextPage } edges { node { id } } } }`, vars: none, check: onlyA(a, "clients.edges", a.client)},
			{name: "order/properties after B's cursor", query: `query($c: Cursor) { properties(after: $c) { totalCount edges { node { id } } } }`,
				vars: func(x target) map[string]any { return map[string]any{"c": x.PropertyCursor} }, check: count("properties.totalCount", 2)},
			{name: "order/properties before B's cursor", query: `query($c: Cursor) { properties(before: $c, last: 10) { edges { node { id } } } }`,
				vars: func(x target) map[string]any { return map[string]any{"c": x.PropertyCursor} }, check: onlyA(a, "properties.edges", a.properties...)},
			{name: "order/clients after B's cursor by name", query: `query($c: Cursor) { clients(after: $c, orderBy: {field: NAME}) { totalCount edges { node { id } } } }`,
				vars: func(x target) map[string]any { return map[string]any{"c": x.ClientCursor} }, check: count("clients.totalCount", 1)},

			// tokens of B
			{name: "apiTokens/B's client", query: `query($id: ID) { apiTokens(clientId: $id) { id prefix } }`, vars: id(func(x target) int { return x.Client }), check: notFound},

			// every mutation on B's ids
			{name: "mutation/updateClientStatusSets", query: `mutation($id: ID!) { updateClientStatusSets(id: $id, input: {moveIn: ["hacked"]}) { id moveInStatuses } }`, vars: id(func(x target) int { return x.Client }), check: notFound},
			{name: "mutation/updateClientStatusSets as write", token: "write", query: `mutation($id: ID!) { updateClientStatusSets(id: $id, input: {moveOut: []}) { id } }`, vars: id(func(x target) int { return x.Client }), check: notFound},
			{name: "mutation/updateClientStatusSets with a property id", query: `mutation($id: ID!) { updateClientStatusSets(id: $id, input: {moveIn: ["x"]}) { id } }`, vars: id(func(x target) int { return x.Property }), check: notFound},
			{name: "mutation/revokeAPIToken", query: `mutation($id: ID!) { revokeAPIToken(id: $id) { id revokedAt } }`, vars: id(func(x target) int { return x.ReadToken }), check: notFound},
			{name: "mutation/revokeAPIToken admin", query: `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, vars: id(func(x target) int { return x.AdminToken }), check: notFound},
			{name: "mutation/revokeAPIToken platform", query: `mutation($id: ID!) { revokeAPIToken(id: $id) { id } }`, vars: id(func(x target) int { return x.PlatformToken }), check: notFound},
			{name: "mutation/createAPIToken naming B", query: `mutation($id: ID) { createAPIToken(input: {clientId: $id, name: "x", scopes: [ADMIN]}) { token apiToken { id } } }`, vars: id(func(x target) int { return x.Client }), check: notFound},
			{name: "mutation/createAPIToken naming B as write", token: "write", query: `mutation($id: ID) { createAPIToken(input: {clientId: $id, scopes: [READ]}) { token } }`, vars: id(func(x target) int { return x.Client }),
				check: func(t *testing.T, r apptest.GQLResponse) { apptest.WantCode(t, r, "FORBIDDEN") }},
			{name: "mutation/createClient named like B", query: `mutation($n: String!) { createClient(input: {name: $n}) { id } }`,
				vars: func(x target) map[string]any { return map[string]any{"n": x.Name} }, check: func(t *testing.T, r apptest.GQLResponse) { apptest.WantCode(t, r, "FORBIDDEN") }},
		}
		if len(cases) < 30 {
			t.Fatalf("only %d cases", len(cases))
		}

		before := snapshot(t, e, b.client)
		tokens := map[string]string{"": a.admin, "admin": a.admin, "write": a.write, "read": a.read}
		bIDs := B.ids()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				tok := tokens[c.token]
				got := e.GQL(tok, c.query, c.vars(B))
				want := e.GQL(tok, c.query, c.vars(ghost))
				body, _ := json.Marshal(got)
				if strings.Contains(string(body), "BRAVO") || strings.Contains(string(body), "Bravo") {
					t.Fatalf("A's answer shows B's data: %s", body)
				}
				for name, i := range bIDs {
					if strings.Contains(string(got.Data), `"`+apptest.Itoa(i)+`"`) {
						t.Fatalf("A's answer holds B's %s id: %s", name, got.Data)
					}
				}
				if g, w := normalize(got, B), normalize(want, ghost); g != w {
					t.Fatalf("B's rows and rows that never existed are told apart:\n  B:     %s\n  ghost: %s", g, w)
				}
				if c.check != nil {
					c.check(t, got)
				}
			})
		}
		if after := snapshot(t, e, b.client); after != before {
			t.Fatalf("client B changed:\nbefore %s\nafter  %s", before, after)
		}
		for _, tok := range []string{b.admin, b.write, b.read} {
			e.MustGQL(tok, `{ clients { totalCount } }`, nil, nil)
		}

		// Every root connection, including ones added after this suite was
		// written: A's totalCount is B's, and half of what the platform sees
		// (the two clients hold the same rows). Admin tokens: some rows
		// (webhook endpoints) are an admin's only.
		platform, _ := e.PlatformToken()
		for _, field := range rootConnections(t, e, a.read) {
			t.Run("every connection/"+field, func(t *testing.T) {
				q := fmt.Sprintf(`{ %s { totalCount } }`, field)
				total := func(tok string) int {
					t.Helper()
					r := e.GQL(tok, q, nil)
					var out map[string]struct{ TotalCount int }
					if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil {
						t.Fatalf("%s: HTTP %d %+v", q, r.Status, r.Errors)
					}
					return out[field].TotalCount
				}
				ca, cb, cp := total(a.admin), total(b.admin), total(platform)
				if ca != cb || 2*ca != cp {
					t.Fatalf("%s.totalCount: A %d, B %d, platform %d", field, ca, cb, cp)
				}
			})
		}

		t.Logf("%d isolation cases", len(cases))
	})
}

// normalize renders a response with the target's ids replaced by their
// names, so B's answer and the ghost's compare equal when nothing leaks.
func normalize(r apptest.GQLResponse, x target) string {
	b, _ := json.Marshal(r)
	names := map[string]string{}
	for name, id := range x.ids() {
		names[apptest.Itoa(id)] = name
	}
	// Each request has its own id, quoted in its errors.
	b = requestIDExt.ReplaceAll(b, []byte(`"requestId":"<request>"`))
	// Ids appear quoted: "123" in data, '123' in node errors.
	return quotedNumber.ReplaceAllStringFunc(string(b), func(m string) string {
		if name, ok := names[m[1:len(m)-1]]; ok {
			return m[:1] + "<" + name + ">" + m[len(m)-1:]
		}
		return m
	})
}

var (
	quotedNumber = regexp.MustCompile(`"\d+"|'\d+'`)
	requestIDExt = regexp.MustCompile(`"requestId":"[^"]*"`)
)

// snapshot renders every row of a client and the number of rows of every
// table, to prove that nothing was written.
func snapshot(t *testing.T, e *apptest.Env, clientID int) string {
	t.Helper()
	ctx, db := e.Sys(), e.Client
	var parts []any
	add := func(v any, err error) {
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, v)
	}
	add(db.Company.Query().Where(company.ID(clientID)).All(ctx))
	add(db.Property.Query().Where(property.ClientID(clientID)).Order(ent.Asc(property.FieldID)).All(ctx))
	add(db.Lease.Query().Where(lease.ClientID(clientID)).Order(ent.Asc(lease.FieldID)).All(ctx))
	add(db.Tenant.Query().Where(tenant.ClientID(clientID)).Order(ent.Asc(tenant.FieldID)).All(ctx))
	add(db.Prospect.Query().Where(prospect.ClientID(clientID)).Order(ent.Asc(prospect.FieldID)).All(ctx))
	add(db.APIToken.Query().Where(apitoken.ClientID(clientID)).Order(ent.Asc(apitoken.FieldID)).All(ctx))
	add(db.APIToken.Query().Where(apitoken.RevokedAtNotNil()).Count(ctx))
	for _, n := range []func(context.Context) (int, error){
		db.Company.Query().Count, db.Property.Query().Count, db.Lease.Query().Count,
		db.Tenant.Query().Count, db.Prospect.Query().Count, db.APIToken.Query().Count,
	} {
		add(n(ctx))
	}
	b, err := json.Marshal(parts)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIsolationPlatformAdmin(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		a := seedTenant(e, "Alpha Homes", "ALPHA-SECRET")
		b := seedTenant(e, "Bravo Homes", "BRAVO-SECRET")
		platform, _ := e.PlatformToken()
		var out struct {
			Clients, Properties, Leases, Prospects struct{ TotalCount int }
			Nodes                                  []*struct{ ID string }
		}
		e.MustGQL(platform, `query($ids: [ID!]!) {
			clients { totalCount } properties { totalCount } leases { totalCount } prospects { totalCount }
			nodes(ids: $ids) { id }
		}`, map[string]any{"ids": []string{apptest.Itoa(a.lease), apptest.Itoa(b.lease), apptest.Itoa(b.tenant), apptest.Itoa(b.prosp), apptest.Itoa(b.client), apptest.Itoa(b.readID)}}, &out)
		if out.Clients.TotalCount != 2 || out.Properties.TotalCount != 4 || out.Leases.TotalCount != 2 || out.Prospects.TotalCount != 2 {
			t.Fatalf("platform counts: %+v", out)
		}
		for i, n := range out.Nodes {
			if n == nil {
				t.Fatalf("platform admin cannot see node %d", i)
			}
		}
		var tags struct {
			Properties struct {
				Edges []struct {
					Node struct {
						Tag    string
						Client struct{ ID string }
					}
				}
			}
		}
		e.MustGQL(platform, `{ properties(where: {tag: "P-100"}) { edges { node { tag client { id } } } } }`, nil, &tags)
		if len(tags.Properties.Edges) != 2 || tags.Properties.Edges[0].Node.Client.ID == tags.Properties.Edges[1].Node.Client.ID {
			t.Fatalf("platform P-100: %+v", tags)
		}
		var upd struct {
			UpdateClientStatusSets struct{ MoveInStatuses []string }
		}
		e.MustGQL(platform, `mutation($id: ID!) { updateClientStatusSets(id: $id, input: {moveIn: ["Approved", "Future"]}) { moveInStatuses } }`,
			map[string]any{"id": apptest.Itoa(b.client)}, &upd)
		if !slices.Equal(upd.UpdateClientStatusSets.MoveInStatuses, []string{"approved", "future"}) {
			t.Fatalf("platform update: %+v", upd)
		}
	})
}

// TestIsolationWrites holds the privacy rules to account where services
// write: a client's viewer creating or changing rows that name another
// client's rows.
func TestIsolationWrites(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		a := seedTenant(e, "Alpha Homes", "ALPHA-SECRET")
		b := seedTenant(e, "Bravo Homes", "BRAVO-SECRET")
		actx := viewer.NewContext(context.Background(), &viewer.Viewer{ClientID: a.client, TokenID: a.adminID,
			Scopes: []viewer.Scope{viewer.ScopeRead, viewer.ScopeWrite, viewer.ScopeAdmin}})
		db := e.Client
		day := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
		before := snapshot(t, e, b.client)

		// Sanity: A can write its own rows, owned by A whatever it names.
		p, err := db.Property.Create().SetTag("P-300").Save(actx)
		if err != nil || p.ClientID != a.client {
			t.Fatalf("own property: %v %+v", err, p)
		}

		denied := []struct {
			name string
			do   func() error
		}{
			{"property naming B's client", func() error {
				return db.Property.Create().SetClientID(b.client).SetTag("P-900").Exec(actx)
			}},
			{"lease naming B's client", func() error {
				return db.Lease.Create().SetClientID(b.client).SetPropertyID(a.properties[0]).SetSourceID("L-9").SetStatus("x").SetLeaseStartDate(day).Exec(actx)
			}},
			{"lease on B's property", func() error {
				return db.Lease.Create().SetPropertyID(b.properties[0]).SetSourceID("L-9").SetStatus("x").SetLeaseStartDate(day).Exec(actx)
			}},
			{"moving A's lease to B's property", func() error {
				return db.Lease.UpdateOneID(a.lease).SetPropertyID(b.properties[0]).Exec(actx)
			}},
			{"tenant on B's lease", func() error {
				return db.Tenant.Create().SetLeaseID(b.lease).SetFirstName("Eve").Exec(actx)
			}},
			{"prospect for B's property", func() error {
				return db.Prospect.Create().SetPropertyID(b.properties[0]).SetFirstName("Eve").Exec(actx)
			}},
			{"moving A's prospect to B's property", func() error {
				return db.Prospect.UpdateOneID(a.prosp).SetPropertyID(b.properties[0]).Exec(actx)
			}},
			{"token naming B's client", func() error {
				return db.APIToken.Create().SetClientID(b.client).SetPrefix("lg_evil0000").SetHash("x").SetScopes([]string{"admin"}).Exec(actx)
			}},
			{"client", func() error { return db.Company.Create().SetName("Evil").Exec(actx) }},
			{"update B's client", func() error { return db.Company.UpdateOneID(b.client).SetName("Evil").Exec(actx) }},
			{"update B's property", func() error { return db.Property.UpdateOneID(b.properties[0]).SetName("Evil").Exec(actx) }},
			{"update B's lease", func() error { return db.Lease.UpdateOneID(b.lease).SetStatus("Evil").Exec(actx) }},
			{"update B's tenant", func() error { return db.Tenant.UpdateOneID(b.tenant).SetEmail("evil@example.com").Exec(actx) }},
			{"update B's prospect", func() error { return db.Prospect.UpdateOneID(b.prosp).SetNotes("Evil").Exec(actx) }},
			{"revoke B's token", func() error { return db.APIToken.UpdateOneID(b.readID).SetRevokedAt(day).Exec(actx) }},
			{"delete B's property", func() error { return db.Property.DeleteOneID(b.properties[1]).Exec(actx) }},
			{"delete B's client", func() error { return db.Company.DeleteOneID(b.client).Exec(actx) }},
		}
		for _, c := range denied {
			t.Run(c.name, func(t *testing.T) {
				if err := c.do(); err == nil {
					t.Errorf("%s: allowed", c.name)
				}
			})
		}
		// Bulk updates and deletes are narrowed to A's rows.
		for name, n := range map[string]func() (int, error){
			"bulk update properties": func() (int, error) {
				return db.Property.Update().Where(property.ID(b.properties[0])).SetName("Evil").Save(actx)
			},
			"bulk delete tenants": func() (int, error) { return db.Tenant.Delete().Where(tenant.ID(b.tenant)).Exec(actx) },
			"bulk delete tokens":  func() (int, error) { return db.APIToken.Delete().Where(apitoken.ClientID(b.client)).Exec(actx) },
		} {
			if got, err := n(); got != 0 {
				t.Errorf("%s: %d of B's rows (%v)", name, got, err)
			}
		}
		if after := snapshot(t, e, b.client); after != before {
			// A's own P-300 is in the table counts; compare B's rows only.
			if bRows(after) != bRows(before) {
				t.Errorf("client B changed:\nbefore %s\nafter  %s", before, after)
			}
		}
	})
}

// bRows drops the table counts that end a snapshot.
func bRows(s string) string {
	var parts []json.RawMessage
	_ = json.Unmarshal([]byte(s), &parts)
	b, _ := json.Marshal(parts[:6])
	return string(b)
}

// ---------------------------------------------------------------------------
// 5. Tokens never reach the logs

func TestTokenNotLogged(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		d := seedTenant(e, "Acme", "ALPHA")
		platform, _ := e.PlatformToken()
		revoked := e.Token(d.client)
		if _, err := (&tenancy.Service{DB: e.Client}).RevokeToken(e.Sys(), 0, revoked[:11]); err != nil {
			t.Fatal(err)
		}
		unknown := tenancy.NewSecret()
		secrets := []string{d.admin, d.write, d.read, platform, revoked, unknown}

		e.GQL(d.read, `{ clients { totalCount } }`, nil)
		e.GQL(d.read, `mutation { createClient(input: {name: "x"}) { id } }`, nil)
		e.GQL(d.admin, `{ nonsense }`, nil)
		e.GQL(d.admin, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": "not-a-number"})
		e.GQL(revoked, `{ clients { totalCount } }`, nil)
		e.GQL(unknown, `{ clients { totalCount } }`, nil)
		var out struct {
			CreateAPIToken struct{ Token string }
		}
		e.MustGQL(d.admin, `mutation { createAPIToken(input: {name: "new"}) { token } }`, nil, &out)
		secrets = append(secrets, out.CreateAPIToken.Token)
		e.MustGQL(platform, `mutation { createAPIToken(input: {name: "ops", scopes: [ADMIN]}) { token } }`, nil, &out)
		secrets = append(secrets, out.CreateAPIToken.Token)
		// A token in the wrong places: the query string, another header, the body.
		for _, u := range []string{"/graphql?token=" + d.read, "/graphql?access_token=" + d.read, "/?token=" + d.read, "/healthz?t=" + d.read, "/graphql/" + d.read, "/" + d.admin, "/v1/" + strings.ToUpper(d.write) + "/x"} {
			res, err := http.Get(e.Srv.URL + u)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
		}
		req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/graphql", strings.NewReader(`{"query":"{ clients { totalCount } }","variables":{"t":"`+d.admin+`"}}`))
		req.Header.Set("Authorization", "Token "+d.admin)
		req.Header.Set("Cookie", "token="+d.admin)
		req.Header.Set("Content-Type", "application/json")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}

		logs := strings.ToLower(e.Logs.String())
		if !strings.Contains(logs, "request") {
			t.Fatalf("no request logged: %q", logs)
		}
		for _, s := range secrets {
			if strings.Contains(logs, s) || strings.Contains(logs, s[11:]) {
				t.Fatalf("a token is in the logs:\n%s", logs)
			}
		}
	})
}

// TestTokenRevokeFirstToken revokes, through GraphQL, the first token of a
// fresh database: api_tokens is the first table of the global id space, so
// its ids are the smallest numbers, and none may read as "no id".
func TestTokenRevokeFirstToken(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		first, firstID := e.PlatformToken()
		second, secondID := e.PlatformToken()
		t.Logf("token ids %d, %d", firstID, secondID)
		var out struct {
			RevokeAPIToken struct {
				ID        string
				RevokedAt *time.Time
			}
		}
		e.MustGQL(second, `mutation($id: ID!) { revokeAPIToken(id: $id) { id revokedAt } }`, map[string]any{"id": apptest.Itoa(firstID)}, &out)
		if out.RevokeAPIToken.ID != apptest.Itoa(firstID) || out.RevokeAPIToken.RevokedAt == nil {
			t.Fatalf("revokeAPIToken(%d): %+v", firstID, out)
		}
		if r := e.GQL(first, `{ clients { totalCount } }`, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("revoked first token: HTTP %d", r.Status)
		}
		e.MustGQL(second, `{ clients { totalCount } }`, nil, nil)
	})
}

// rootConnections lists the Query fields that return a connection and need
// no argument, by introspection.
func rootConnections(t *testing.T, e *apptest.Env, token string) []string {
	t.Helper()
	var out struct {
		Schema struct {
			QueryType struct {
				Fields []struct {
					Name string
					Args []struct {
						Type struct{ Kind string }
					}
					Type struct {
						Kind   string
						Name   string
						OfType *struct{ Name string }
					}
				}
			}
		} `json:"__schema"`
	}
	e.MustGQL(token, `{ __schema { queryType { fields { name args { type { kind } } type { kind name ofType { name } } } } } }`, nil, &out)
	var names []string
	for _, f := range out.Schema.QueryType.Fields {
		typ := f.Type.Name
		if f.Type.OfType != nil {
			typ = f.Type.OfType.Name
		}
		required := slices.ContainsFunc(f.Args, func(a struct{ Type struct{ Kind string } }) bool { return a.Type.Kind == "NON_NULL" })
		if strings.HasSuffix(typ, "Connection") && !required {
			names = append(names, f.Name)
		}
	}
	if len(names) < 4 {
		t.Fatalf("root connections: %v", names)
	}
	return names
}

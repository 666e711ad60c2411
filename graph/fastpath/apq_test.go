package fastpath_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/apptest"
)

// TestPersistedQueries: Apollo's automatic persisted queries over POST and
// GET. An unknown hash asks for the query (PERSISTED_QUERY_NOT_FOUND); a
// query sent with a hash that is not its own is refused and not kept; the
// query sent once with its hash is then run from the hash alone, and the
// leases page so named is still answered by the fast path, byte for byte
// what the full query gets. A GET answer may be kept by the caller only.
func TestPersistedQueries(t *testing.T) {
	forEachDBFastPath(t, func(t *testing.T, f fastPathEnv) {
		e := f.Env
		clientID, token := e.NewClient("Persisted")
		p := e.NewProperty(clientID, "P-1", "Pine")
		day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		for i := range 3 {
			l := e.NewLease(p, fmt.Sprintf("L%d", i), "Approved", day.AddDate(-1, 0, i), apptest.MoveIn(day.AddDate(0, 0, i)))
			e.NewTenant(l, fmt.Sprintf("T%d", i), "Sam", "Lee", fmt.Sprintf("t%d@example.com", i))
		}
		query := apptest.PageQuery
		sum := sha256.Sum256([]byte(query))
		hash := hex.EncodeToString(sum[:])
		vars := map[string]any{"first": 2, "from": "2025-03-01", "to": "2025-03-31", "count": false}
		persisted := func(h string) map[string]any {
			return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": h}}
		}
		post := func(body map[string]any) []byte {
			t.Helper()
			b, _ := json.Marshal(body)
			_, raw := postTo(t, f.Srv.URL, token, b)
			return raw
		}
		code := func(raw []byte) string {
			var out struct {
				Errors []struct{ Extensions map[string]any }
			}
			_ = json.Unmarshal(raw, &out)
			if len(out.Errors) != 1 {
				return ""
			}
			c, _ := out.Errors[0].Extensions["code"].(string)
			return c
		}

		if raw := post(map[string]any{"variables": vars, "extensions": persisted(hash)}); code(raw) != "PERSISTED_QUERY_NOT_FOUND" {
			t.Fatalf("an unknown hash: %s", raw)
		}
		wrong := hex.EncodeToString(make([]byte, 32))
		if raw := post(map[string]any{"query": query, "variables": vars, "extensions": persisted(wrong)}); code(raw) != "BAD_USER_INPUT" {
			t.Fatalf("a query under another hash: %s", raw)
		}
		if raw := post(map[string]any{"variables": vars, "extensions": persisted(wrong)}); code(raw) != "PERSISTED_QUERY_NOT_FOUND" {
			t.Fatalf("the refused hash was kept: %s", raw)
		}

		full := post(map[string]any{"query": query, "variables": vars})
		registered := post(map[string]any{"query": query, "variables": vars, "extensions": persisted(hash)})
		before := f.served.Load()
		byHash := post(map[string]any{"variables": vars, "extensions": persisted(hash)})
		if !bytes.Equal(byHash, full) || !bytes.Equal(registered, full) || !bytes.Contains(full, []byte(`"L0"`)) {
			t.Fatalf("by hash:\n%s\nregistering:\n%s\nthe full query:\n%s", byHash, registered, full)
		}
		if f.served.Load() != before+1 {
			t.Fatalf("the persisted page was not answered by the fast path (%d, then %d)", before, f.served.Load())
		}

		// GET: the hash and the variables in the URL.
		ext, _ := json.Marshal(persisted(hash))
		vs, _ := json.Marshal(vars)
		req, _ := http.NewRequest(http.MethodGet, f.Srv.URL+"/graphql?extensions="+url.QueryEscape(string(ext))+"&variables="+url.QueryEscape(string(vs)), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !bytes.Equal(got, full) || res.Header.Get("Cache-Control") != "private, no-cache" ||
			res.Header.Get("Vary") != "Authorization" {
			t.Fatalf("GET by hash: HTTP %d, Cache-Control %q, Vary %q:\n%s", res.StatusCode, res.Header.Get("Cache-Control"), res.Header.Get("Vary"), got)
		}
	})
}

package fastpath_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent/tenant"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/types"
)

// The differential test through the whole app (internal/app over HTTP):
// what differential_test.go compares on graph/handler alone, here with
// the app's middleware in front. Its query and selections are that file's
// (perfQuery, everyField), and so is the comparison (compare).

// fastPathEnv serves the app twice over one database: e with the leases
// fast path (graph/fastpath), off without it; served counts the operations
// the fast path answered.
type fastPathEnv struct {
	*apptest.Env
	off    *httptest.Server
	served *atomic.Int64
}

func forEachDBFastPath(t *testing.T, fn func(t *testing.T, f fastPathEnv)) {
	t.Helper()
	// The databases' runs are parallel: each keeps its own count, by test
	// name.
	var counts sync.Map
	apptest.EachDBSetup(t, func(t *testing.T, s *apptest.Settings) {
		served := &atomic.Int64{}
		s.Options.FastPathServed = func() { served.Add(1) }
		counts.Store(t.Name(), served)
	}, func(t *testing.T, e *apptest.Env) {
		v, _ := counts.Load(t.Name())
		// The same app but for the fast path, on the same database.
		gqlgenOnly := e.Build(t, func(t *testing.T, s *apptest.Settings) { s.Options.NoFastPath, s.Options.FastPathServed = true, nil })
		off := httptest.NewServer(gqlgenOnly.Handler())
		t.Cleanup(off.Close)
		fn(t, fastPathEnv{Env: e, off: off, served: v.(*atomic.Int64)})
	})
}

// both posts the request to the app with and without the fast path and
// fails unless both answer with the same bytes; it returns the answer and
// whether the fast path answered it.
func (f fastPathEnv) both(t *testing.T, token, query string, vars map[string]any) ([]byte, bool) {
	t.Helper()
	return compare(t, overHTTP(t, f.Srv.URL, token), overHTTP(t, f.off.URL, token), f.served, query, vars)
}

// overHTTP sends a body to the app served at base with the token (postTo).
func overHTTP(t *testing.T, base, token string) sender {
	return func(body []byte) (int, []byte) { return postTo(t, base, token, body) }
}

// postTo posts body to base's /graphql with the token, as a client of the
// app does.
func postTo(t *testing.T, base, token string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	// The same request id on both sides: errors quote it.
	req.Header.Set("X-Request-Id", "fastpath-differential")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, raw
}

// The fast path's answers are gqlgen's through the whole app too: bearer
// tokens (each client sees its own leases), the request id that errors
// quote, the route deadline's buffered answer and the app's POST splice.
// The shapes themselves (hand-written and generated, accepted and refused,
// on both databases) are graph/fastpath's TestFastPathMatchesGqlgen, which
// serves graph/handler alone.
func TestFastPathMatchesGqlgenThroughTheApp(t *testing.T) {
	forEachDBFastPath(t, func(t *testing.T, f fastPathEnv) {
		e, harness := f.Env, perfQuery(t)
		clientID, token := e.NewClient("Fast")
		otherID, otherToken := e.NewClient("Other")
		p := e.NewProperty(clientID, "P-1", "Pine")
		day := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
		for i := range 4 {
			l := e.NewLease(p, fmt.Sprintf("L%d", i), "Approved", day.AddDate(-1, 0, i), apptest.MoveIn(day.AddDate(0, 0, i)))
			if i == 0 {
				// Escapes gqlgen writes and the HTML escapes encoding/json adds.
				e.NewTenant(l, "T0", "Zoë \"Q\" \\ <b>&amp;\u2028\u2029", "Tab\there\r\nnew\x01\x1f", "t0@example.com")
				_, err := e.Client.Tenant.Create().SetClientID(clientID).SetLeaseID(l.ID).SetSourceID("T0b").
					SetFirstName("No").SetLastName("Address").SetEmail("").SetCellPhone("+15125550100").
					SetGender(tenant.GenderFEMALE).
					SetForwardingAddress(&types.Address{Street: "5 New St", Zip: "10001"}).Save(e.Sys())
				if err != nil {
					t.Fatal(err)
				}
			} else if i != 3 {
				e.NewTenant(l, fmt.Sprintf("T%d", i), "Sam", "Lee", fmt.Sprintf("t%d@example.com", i))
			}
		}
		op := e.NewProperty(otherID, "P-9", "Oak")
		theirs := e.NewLease(op, "THEIRS", "Approved", day, apptest.MoveIn(day))
		e.NewTenant(theirs, "X1", "Hidden", "Person", "hidden@example.com")

		e.MustGQL(token, harness, map[string]any{"from": "2025-03-01", "to": "2025-03-31"}, nil) // caches

		// The harness's page, then its next page by the end cursor.
		after := harnessPage(t, func(vars map[string]any) ([]byte, bool) { return f.both(t, token, harness, vars) })
		next, served := f.both(t, token, harness, map[string]any{"first": 3, "after": after, "from": "2025-03-01", "to": "2025-03-31"})
		if !served || strings.Contains(string(next), `"errors"`) {
			t.Errorf("the harness's next page (fast path %v): %s", served, next)
		}
		mine, served := f.both(t, token, everyField, nil)
		if !served || strings.Contains(string(mine), "THEIRS") || strings.Contains(string(mine), "Hidden") || !strings.Contains(string(mine), `"L0"`) {
			t.Errorf("the client's page (fast path %v): %s", served, mine)
		}
		// The other client's token sees its lease and none of ours.
		theirPage, served := f.both(t, otherToken, everyField, nil)
		if !served || !strings.Contains(string(theirPage), `"THEIRS"`) || strings.Contains(string(theirPage), `"L0"`) {
			t.Errorf("the other client's page (fast path %v): %s", served, theirPage)
		}

		// Refused: gqlgen's answer, errors quoting the request id.
		body, served := f.both(t, token, harness, map[string]any{"after": "not-a-cursor", "from": "2025-03-01", "to": "2025-03-31"})
		if served || !strings.Contains(string(body), `"requestId":"fastpath-differential"`) {
			t.Errorf("a bad cursor (fast path %v): %s", served, body)
		}
		// A value found unwritable only while writing: gqlgen answers.
		if err := e.Queries.Driver.Exec(e.Sys(), "UPDATE leases SET created_at = '0001-01-01 00:00:00+00:00' WHERE source_id = 'L3'", []any{}, nil); err != nil {
			t.Fatal(err)
		}
		body, served = f.both(t, token, everyField, map[string]any{"where": map[string]any{"sourceID": "L3"}})
		if served || !strings.Contains(string(body), `"requestId":"fastpath-differential"`) {
			t.Errorf("a lease created at the zero time (fast path %v): %s", served, body)
		}
	})
}

// The fast path's answer buffers and the route's answer buffers are reused
// between requests. Many pages at once, of two clients and several sizes,
// must each be exactly the page that client and size get alone: no byte of
// another answer, nothing left over from a longer one.
func TestFastPathAnswersStayTheirOwn(t *testing.T) {
	forEachDBFastPath(t, func(t *testing.T, f fastPathEnv) {
		e, harness := f.Env, perfQuery(t)
		day := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
		var tokens []string
		for c, name := range []string{"Alder", "Birch"} {
			id, token := e.NewClient(name)
			p := e.NewProperty(id, "P-"+name, name+" Court")
			for i := range 4 + 3*c {
				l := e.NewLease(p, fmt.Sprintf("%s-%d", name, i), "Approved", day.AddDate(-1, 0, i), apptest.MoveIn(day.AddDate(0, 0, i)))
				for j := range 1 + i%3 {
					e.NewTenant(l, fmt.Sprintf("%s-%d-%d", name, i, j), strings.Repeat(name, 1+i), "Lee", fmt.Sprintf("%s%d%d@example.com", name, i, j))
				}
			}
			tokens = append(tokens, token)
		}
		body := func(first int) []byte {
			b, _ := json.Marshal(map[string]any{"query": harness, "variables": map[string]any{"first": first, "from": "2025-03-01", "to": "2025-03-31"}})
			return b
		}
		want := map[[2]int][]byte{}
		for c, token := range tokens {
			for first := 1; first <= 7; first++ {
				status, page := postTo(t, e.Srv.URL, token, body(first))
				if status != http.StatusOK || !bytes.Contains(page, []byte(`"hasNextPage"`)) {
					t.Fatalf("HTTP %d %s", status, page)
				}
				want[[2]int{c, first}] = page
			}
		}
		served := f.served.Load()
		var wg sync.WaitGroup
		errs := make(chan string, 300)
		for i := range 300 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, first := i%2, 1+i%7
				if _, page := postTo(t, e.Srv.URL, tokens[c], body(first)); !bytes.Equal(page, want[[2]int{c, first}]) {
					errs <- fmt.Sprintf("client %d first %d:\n%s\nwant\n%s", c, first, page, want[[2]int{c, first}])
				}
			}()
		}
		wg.Wait()
		close(errs)
		for msg := range errs {
			t.Error(msg)
		}
		if n := f.served.Load() - served; n != 300 {
			t.Errorf("the fast path answered %d of 300 pages", n)
		}
	})
}

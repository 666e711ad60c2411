package app_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/leasegraph/leasegraph/demo"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/playground"
	"github.com/leasegraph/leasegraph/prospects"
)

// TestPlayground loads GraphiQL in Chromium as a visitor of demo mode does:
// everything it loads comes from this server (no CDN), the demo token is
// in its headers editor, the README's leases query runs and shows data,
// the docs explorer lists `leases`, and a subscription opens the
// websocket, authenticated by the token (connection_ack).
func TestPlayground(t *testing.T) {
	browser := apptest.StartBrowser(t)
	const token = "lg_fixed_demo_token_for_playground"
	withDemo := func(t *testing.T, s *apptest.Settings) {
		// Not closed: the client is over the test's own pool.
		client := ent.NewClient(ent.Driver(entsql.OpenDB(s.Dialect, s.SQL)))
		got, err := demo.Seed(context.Background(), client, &prospects.Service{DB: client}, token, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Options.DemoToken = got
	}
	query := readmeLeasesQuery(t)
	apptest.EachDBSetup(t, withDemo, func(t *testing.T, e *apptest.Env) {
		ctx, cancel := chromedp.NewContext(browser)
		t.Cleanup(cancel)
		if err := chromedp.Do(ctx); err != nil { // opens the tab: no timeout
			t.Fatal(err)
		}
		origin, _ := url.Parse(e.Srv.URL)
		var mu sync.Mutex
		var requested, socketFrames []string
		if err := chromedp.Listen(ctx, func(ev any) {
			mu.Lock()
			defer mu.Unlock()
			switch ev := ev.(type) {
			case *network.EventRequestWillBeSent:
				requested = append(requested, ev.Request.URL)
			case *network.EventWebSocketCreated:
				requested = append(requested, ev.URL)
			case *network.EventWebSocketFrameReceived:
				socketFrames = append(socketFrames, string(ev.Response.PayloadData))
			}
		}); err != nil {
			t.Fatal(err)
		}
		do := func(actions ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			actx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := chromedp.Do(actx, actions...); err != nil {
				t.Fatal(err)
			}
		}
		eval := func(js string) string {
			t.Helper()
			actx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			s, err := chromedp.Run(actx, chromedp.Evaluate[string](js))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		// editors: the CodeMirror editors' texts, by their GraphiQL section.
		const editor = `(sel) => document.querySelector(sel + ' .CodeMirror').CodeMirror`
		run := func(q string) {
			t.Helper()
			qj, _ := json.Marshal(q)
			cm := `(` + editor + `)('.graphiql-query-editor')`
			// GraphiQL parses the editor's text after a debounce, and runs
			// (over HTTP or the websocket) by the parsed document: the click
			// waits until the document is the text's.
			do(chromedp.Evaluate[chromedp.Void](cm+`.setValue(`+string(qj)+`)`),
				chromedp.Poll[chromedp.Void](cm+`.documentAST && `+cm+`.documentAST.loc.source.body === `+string(qj),
					chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)),
				chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)))
		}

		do(chromedp.Navigate(e.Srv.URL+"/"),
			chromedp.Poll[chromedp.Void](`!!document.querySelector('.graphiql-query-editor .CodeMirror')`, chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))

		// The demo token is filled in.
		var headers map[string]string
		h := eval(`[...document.querySelectorAll('.graphiql-editor-tool .CodeMirror')].map(e => e.CodeMirror.getValue()).find(v => v.includes('Authorization')) || ''`)
		if err := json.Unmarshal([]byte(h), &headers); err != nil || headers["Authorization"] != "Bearer "+token {
			t.Fatalf("headers editor: %q, want the demo token", h)
		}

		// It opens on leasegraph's examples, a tab each; the first, run as
		// it is, shows moves with their tenants.
		first := eval(`(` + editor + `)('.graphiql-query-editor').getValue()`)
		if first != playground.Examples[0].Query {
			t.Fatalf("the query editor opens on %q, want the first example", first)
		}
		if n := eval(`String(document.querySelectorAll('.graphiql-tab').length)`); n != strconv.Itoa(len(playground.Examples)) {
			t.Fatalf("%s tabs, want %d", n, len(playground.Examples))
		}
		cm := `(` + editor + `)('.graphiql-query-editor')`
		do(chromedp.Poll[chromedp.Void](cm+`.documentAST && `+cm+`.documentAST.loc.source.body === `+cm+`.getValue()`,
			chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(20*time.Millisecond)),
			chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
			chromedp.Poll[chromedp.Void](`(`+editor+`)('.graphiql-response').getValue().includes('totalCount')`,
				chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
		var moves struct {
			Data struct {
				Leases struct {
					TotalCount int
					Edges      []struct {
						Node struct{ Tenants []struct{ FirstName string } }
					}
				}
			}
			Errors []apptest.GQLError
		}
		if raw := eval(`(` + editor + `)('.graphiql-response').getValue()`); json.Unmarshal([]byte(raw), &moves) != nil ||
			len(moves.Errors) > 0 || moves.Data.Leases.TotalCount == 0 || len(moves.Data.Leases.Edges[0].Node.Tenants) == 0 {
			t.Fatalf("the first example answered %s", raw)
		}

		// The README's query runs and shows data.
		run(query)
		do(chromedp.Poll[chromedp.Void](`(`+editor+`)('.graphiql-response').getValue().includes('totalCount')`,
			chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
		var res struct {
			Data struct {
				Leases struct {
					TotalCount int
					Edges      []struct{ Node struct{ ID string } }
				}
			}
			Errors     []apptest.GQLError
			Extensions struct {
				Cost struct{ RequestedQueryCost, MaximumCost int }
			}
		}
		raw := eval(`(` + editor + `)('.graphiql-response').getValue()`)
		if err := json.Unmarshal([]byte(raw), &res); err != nil || len(res.Errors) > 0 || res.Data.Leases.TotalCount == 0 || len(res.Data.Leases.Edges) == 0 {
			t.Fatalf("the README's query in the playground answered %s", raw)
		}
		// The answer pane shows what the query cost against the limit.
		if c := res.Extensions.Cost; c.RequestedQueryCost <= 0 || c.MaximumCost <= c.RequestedQueryCost {
			t.Fatalf("the playground shows no extensions.cost: %s", raw)
		}
		t.Cleanup(func() {
			if t.Failed() {
				mu.Lock()
				defer mu.Unlock()
				t.Logf("requests: %q\nwebsocket frames: %q\nserver log:\n%s", requested, socketFrames, e.Logs)
			}
		})

		// The docs explorer shows leases among the query fields.
		do(chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)),
			chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('.graphiql-doc-explorer a')].some(a => a.textContent === 'Query')`,
				chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)),
			chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('.graphiql-doc-explorer a')].find(a => a.textContent === 'Query').click()`),
			chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('.graphiql-doc-explorer a.graphiql-doc-explorer-field-name')].some(a => a.textContent === 'leases')`,
				chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))

		// A subscription opens the websocket with the token from the
		// headers editor: the server acknowledges it.
		run(`subscription { screeningApplicationUpdated(id: "1") { id status } }`)
		acked := func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, f := range socketFrames {
				if strings.Contains(f, `"connection_ack"`) {
					return true
				}
			}
			return false
		}
		wait, cancelWait := context.WithTimeout(ctx, 30*time.Second)
		defer cancelWait()
		for !acked() {
			select {
			case <-wait.Done():
				t.Fatalf("the playground's websocket was not acknowledged; the response pane shows %s",
					eval(`(`+editor+`)('.graphiql-response').getValue()`))
			case <-time.After(20 * time.Millisecond):
			}
		}

		mu.Lock()
		defer mu.Unlock()
		if len(requested) == 0 {
			t.Fatal("no request was seen")
		}
		for _, u := range requested {
			p, err := url.Parse(u)
			if err != nil || p.Scheme == "data" {
				continue // a data: URL (GraphiQL's fonts) leaves for nowhere
			}
			if p.Host != origin.Host {
				t.Errorf("the playground requested %s, off this server (%s)", u, origin.Host)
			}
		}
	})
}

// readmeLeasesQuery is the GraphQL example of the README's first query
// section, so the README's promise is what the test runs.
func readmeLeasesQuery(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md") // the repository's, from internal/app
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	i := strings.Index(s, "## First query")
	if i < 0 {
		t.Fatal("README has no first query section")
	}
	s = s[i:]
	i = strings.Index(s, "```graphql\n")
	j := strings.Index(s[i+11:], "```")
	if i < 0 || j < 0 {
		t.Fatal("README's first query section has no graphql block")
	}
	return s[i+11 : i+11+j]
}

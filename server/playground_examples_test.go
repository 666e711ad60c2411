package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/playground"
)

// TestPlaygroundExamples: every operation of every tab the playground
// opens with runs as is in demo mode, with the demo token, against the
// simulated partners, and answers data without errors; the first tab's
// window holds moves.
func TestPlaygroundExamples(t *testing.T) {
	operation := regexp.MustCompile(`(?m)^(query|mutation) (\w+)`)
	apptest.EachProcessDB(t, func(t *testing.T, dbURL string) {
		srv := apptest.Serve(t, map[string]string{"DATABASE_URL": dbURL, "LEASEGRAPH_DEMO": "1"})
		t.Cleanup(func() { _ = srv.Stop() })
		var token string
		apptest.Until(t, "the demo token in the log", func() bool {
			_, rest, ok := strings.Cut(srv.Logs.String(), "demo token")
			if !ok {
				return false
			}
			_, tok, ok := strings.Cut(rest, "token=")
			token, _, _ = strings.Cut(tok, "\n")
			token = strings.Trim(strings.TrimSpace(token), `"`)
			return ok && strings.HasPrefix(token, "lg_")
		})
		run := func(ex playground.Example, name string) map[string]any {
			t.Helper()
			body, _ := json.Marshal(map[string]any{"query": ex.Query, "operationName": name})
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var out struct {
				Data   map[string]any
				Errors []any
			}
			if err := json.Unmarshal(raw, &out); err != nil || res.StatusCode != http.StatusOK || len(out.Errors) > 0 || len(out.Data) == 0 {
				t.Fatalf("%s: HTTP %d %s", name, res.StatusCode, raw)
			}
			return out.Data
		}
		apptest.Until(t, "the demo's leases synced", func() bool {
			leases, _ := run(playground.Examples[0], "MovesInWindow")["leases"].(map[string]any)
			n, _ := leases["totalCount"].(float64)
			return n > 0
		})
		ran := 0
		for _, ex := range playground.Examples {
			for _, m := range operation.FindAllStringSubmatch(ex.Query, -1) {
				run(ex, m[2])
				ran++
			}
		}
		if ran < len(playground.Examples) {
			t.Fatalf("ran %d operations of %d examples", ran, len(playground.Examples))
		}
	})
}

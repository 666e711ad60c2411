package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestBodyLimit: a body over the limit is a 413 with a JSON error, whether
// it says its length up front or not, and never reaches a handler.
func TestBodyLimit(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		_, token := e.newClient("A")
		big := `{"query":"{ clients { totalCount } }","variables":{"pad":"` + strings.Repeat("x", maxBodyBytes) + `"}}`
		for name, body := range map[string]io.Reader{
			"with a length": strings.NewReader(big),
			"chunked":       io.MultiReader(strings.NewReader(big)), // no length known up front
		} {
			status, raw := e.postGraphQL(token, body)
			if status < 400 || status >= 500 || !json.Valid(raw) {
				t.Errorf("%s: HTTP %d %.200s", name, status, raw)
			}
			if name == "with a length" && (status != http.StatusRequestEntityTooLarge || !bytes.Contains(raw, []byte("PAYLOAD_TOO_LARGE"))) {
				t.Errorf("%s: HTTP %d %.200s, want 413 PAYLOAD_TOO_LARGE", name, status, raw)
			}
		}
	})
}

// TestMalformedBody: a body that is not JSON is BAD_USER_INPUT, and nothing
// of it (here a card number) reaches the answer or the log.
func TestMalformedBody(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		_, token := e.newClient("A")
		const card = "4242424242424242"
		for _, body := range []string{
			`{"query": "mutation { x }", "variables": {"card": "` + card + `"`,
			`not json ` + card,
			`{"query": 42, "card": "` + card + `"}`,
		} {
			status, raw := e.postGraphQL(token, strings.NewReader(body))
			if status != http.StatusBadRequest || !bytes.Contains(raw, []byte(`"BAD_USER_INPUT"`)) || bytes.Contains(raw, []byte(card)) {
				t.Errorf("%.40s: HTTP %d %s", body, status, raw)
			}
		}
		if strings.Contains(e.logs.String(), card) {
			t.Fatalf("the log holds the card number:\n%s", e.logs.String())
		}
	})
}

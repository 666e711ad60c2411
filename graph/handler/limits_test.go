package handler_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/middleware"
	"github.com/leasegraph/leasegraph/viewer"
)

// TestBodyLimit: a body over the limit is a 413 with a JSON error, whether
// it says its length up front or not, and never reaches a handler.
func TestBodyLimit(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("A")
		big := `{"query":"{ clients { totalCount } }","variables":{"pad":"` + strings.Repeat("x", middleware.MaxBodyBytes) + `"}}`
		for name, body := range map[string]io.Reader{
			"with a length": strings.NewReader(big),
			"chunked":       io.MultiReader(strings.NewReader(big)), // no length known up front
		} {
			status, raw := e.PostGraphQL(token, body)
			if status < 400 || status >= 500 || !json.Valid(raw) {
				t.Errorf("%s: HTTP %d %.200s", name, status, raw)
			}
			if status != http.StatusRequestEntityTooLarge || !bytes.Contains(raw, []byte("PAYLOAD_TOO_LARGE")) {
				t.Errorf("%s: HTTP %d %.200s, want 413 PAYLOAD_TOO_LARGE", name, status, raw)
			}
		}
	})
}

// TestBodyReadAfterAuthentication: of a caller without a valid token the
// server reads at most 1 MiB of body (middleware.PreAuthBody) before refusing it, so
// anonymous callers cannot make it hold 32 MiB bodies each: a request that
// declares 30 MiB (or is chunked), sends 2 MiB and stalls is answered 401
// at once. With a write token, a body over 1 MiB is read whole and served;
// a read token's is refused (413): only importLeases needs one.
func TestBodyReadAfterAuthentication(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		for name, framing := range map[string]string{
			"with a length": "Content-Length: 31457280\r\n",
			"chunked":       "Transfer-Encoding: chunked\r\n",
		} {
			conn, err := net.Dial("tcp", e.Srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			part := strings.Repeat("x", 2<<20)
			if framing[0] == 'T' {
				part = fmt.Sprintf("%x\r\n%s\r\n", len(part), part)
			}
			go func() {
				// Stalls after this, holding the connection open.
				_, _ = io.WriteString(conn, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
					"Authorization: Bearer lg_not-a-token\r\n"+framing+"\r\n"+part)
			}()
			_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("%s: no answer while the body stalls after 2 MiB: %v", name, err)
			}
			raw, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusUnauthorized || !bytes.Contains(raw, []byte("UNAUTHENTICATED")) {
				t.Fatalf("%s: HTTP %d %.200s; want 401 UNAUTHENTICATED", name, res.StatusCode, raw)
			}
		}

		id, token := e.NewClient("A")
		big := `{"query":"{ clients { totalCount } }","variables":{"pad":"` + strings.Repeat("x", 3<<20) + `"}}`
		for name, body := range map[string]io.Reader{
			"with a length": strings.NewReader(big),
			"chunked":       io.MultiReader(strings.NewReader(big)),
		} {
			status, raw := e.PostGraphQL(token, body)
			if status != http.StatusOK || !bytes.Contains(raw, []byte(`"totalCount":1`)) {
				t.Errorf("%s: a 3 MiB body with a write token: HTTP %d %.300s", name, status, raw)
			}
		}
		reader := e.Token(id, viewer.ScopeRead)
		if status, raw := e.PostGraphQL(reader, strings.NewReader(big)); status != http.StatusRequestEntityTooLarge || !bytes.Contains(raw, []byte("PAYLOAD_TOO_LARGE")) {
			t.Errorf("a 3 MiB body with a read token: HTTP %d %.300s; want 413", status, raw)
		}
	})
}

// TestMalformedBody: a body that is not JSON (400) or JSON that is not a
// GraphQL request (422, the draft's statuses) is BAD_USER_INPUT, and
// nothing of it (here a card number) reaches the answer or the log.
func TestMalformedBody(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("A")
		const card = "4242424242424242"
		for body, want := range map[string]int{
			`{"query": "mutation { x }", "variables": {"card": "` + card + `"`: http.StatusBadRequest,
			`not json ` + card:                      http.StatusBadRequest,
			`{"query": 42, "card": "` + card + `"}`: http.StatusUnprocessableEntity,
		} {
			status, raw := e.PostGraphQL(token, strings.NewReader(body))
			if status != want || !bytes.Contains(raw, []byte(`"BAD_USER_INPUT"`)) || bytes.Contains(raw, []byte(card)) {
				t.Errorf("%.40s: HTTP %d %s", body, status, raw)
			}
		}
		if strings.Contains(e.Logs.String(), card) {
			t.Fatalf("the log holds the card number:\n%s", e.Logs.String())
		}
	})
}

// Package receiver is demo mode's webhook receiver, inside the server: an
// endpoint that takes the demo client's events and a page that lists them
// with whether each signature verified, checked with the Standard Webhooks
// reference library (what a vendor's own receiver would use), never with
// the code that signs. So a CRM vendor exploring the playground sees events
// arrive, and the shape of what their receiver gets.
package receiver

import (
	"bytes"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Paths of the receiver and its page.
const (
	Path = "/demo/webhooks/receiver"
	Page = "/demo/webhooks"
)

// kept bounds the events the page lists (the newest); maxBody bounds what
// one POST may carry.
const (
	kept    = 100
	maxBody = 64 << 10
)

// Received is one request the receiver got.
type Received struct {
	At        time.Time
	ID, Type  string
	Verified  bool
	Problem   string
	Signature string
	Body      string
}

// Receiver keeps the last requests. Its secret is the demo endpoint's,
// set once demo mode has created or rotated it.
type Receiver struct {
	mu     sync.Mutex
	secret string
	got    []Received
}

// SetSecret sets the secret requests are verified with.
func (r *Receiver) SetSecret(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secret = s
}

// Received answers what arrived, newest first.
func (r *Receiver) Received() []Received {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Received, len(r.got))
	for i, g := range r.got {
		out[len(r.got)-1-i] = g
	}
	return out
}

// ServeHTTP takes one delivery: 204 when its signature verifies, 400
// otherwise (a receiver must refuse what it cannot verify); either way
// the page lists it.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	r.mu.Lock()
	secret := r.secret
	r.mu.Unlock()
	got := Received{At: time.Now().UTC(), ID: req.Header.Get("webhook-id"), Signature: req.Header.Get("webhook-signature")}
	var ev struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(body, &ev)
	got.Type = ev.Type
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		got.Body = pretty.String()
	} else {
		got.Body = string(body)
	}
	if wh, err := standardwebhooks.NewWebhook(secret); err != nil {
		got.Problem = "no secret to verify with"
	} else if err := wh.Verify(body, req.Header); err != nil {
		got.Problem = err.Error()
	} else {
		got.Verified = true
	}
	r.mu.Lock()
	r.got = append(r.got, got)
	if len(r.got) > kept {
		r.got = r.got[len(r.got)-kept:]
	}
	r.mu.Unlock()
	if !got.Verified {
		http.Error(w, "signature not verified: "+got.Problem, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>leasegraph demo: webhooks received</title></head>
<body>
<h1>Webhooks received</h1>
<p>Demo mode registered an endpoint of the demo client at <code>{{.Path}}</code>, inside this server.
Each event leasegraph raises for the demo client is POSTed here, signed per Standard Webhooks, and
verified with the Standard Webhooks reference library. Newest first; the last {{.Kept}} are kept.
Raise one with <code>mutation { sendTestWebhookEvent(endpointId: "…") { event { id } } }</code>
(the endpoint's id: <code>{ webhookEndpoints { edges { node { id url } } } }</code>), or
<code>syncLeasesNow</code>. Reload to see new ones.</p>
{{if not .Got}}<p>Nothing yet.</p>{{end}}
{{range .Got}}
<details>
<summary>{{.At.Format "15:04:05"}} <b>{{.Type}}</b> <code>{{.ID}}</code>:
{{if .Verified}}signature verified{{else}}NOT verified ({{.Problem}}){{end}}</summary>
<p>webhook-signature: <code>{{.Signature}}</code></p>
<pre>{{.Body}}</pre>
</details>
{{end}}
</body></html>
`))

// ServePage lists what arrived.
func (r *Receiver) ServePage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	_ = page.Execute(w, struct {
		Path string
		Kept int
		Got  []Received
	}{Path, kept, r.Received()})
}

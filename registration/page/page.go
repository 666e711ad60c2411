// Package page serves the agent-assisted registration page a CRM opens in
// an iframe (GET and POST /prospects/registration), the embed.js script
// that opens it, and demo mode's sample CRM page. It reads the page's
// parameters, carries them across the card screen in a signed form state,
// runs the registration service, and shows (and posts to the CRM) the
// outcome, framed only by the client's CRM origins.
package page

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/apperr/classify"
	"github.com/leasegraph/leasegraph/cards"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/property"
	entreg "github.com/leasegraph/leasegraph/ent/registration"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/registration"
	"github.com/leasegraph/leasegraph/tenancy"
	"github.com/leasegraph/leasegraph/tenancy/guard"
	"github.com/leasegraph/leasegraph/viewer"
)

//go:embed web
var webFS embed.FS

var registrationPage = template.Must(template.ParseFS(webFS, "web/registration.html"))

// maxFormBytes bounds the POST body: the signed state carries every
// parameter (each up to MaxParam, JSON-escaped) besides the card fields.
const maxFormBytes = 64 << 10

// MaxParam bounds each of the page's parameters and card form fields;
// crm_origin, which the message quotes, has a tighter bound. The service
// truncates longer names and notes as the spec's limits say.
const (
	MaxParam     = 2000
	MaxCRMOrigin = 200
)

// paramLabels name the page's parameters and card fields as an agent
// reads them.
var paramLabels = map[string]string{
	// The CRM passes these: their names let its developers find the value.
	"property_tag": "The property tag (property_tag)", "full_name": "The full name (full_name)",
	"mobile_phone": "The mobile phone number (mobile_phone)", "sms_notes": "The SMS notes (sms_notes)",
	"auth_token": "The agent's token (auth_token)", "require_cc": "The card requirement (require_cc)",
	"crm_origin": "The CRM page's origin (crm_origin)",
	// The agent fills in these.
	"state": "The form", "action": "The form's button",
	"name": "The name on the card", "number": "The card number", "expiry": "The expiry", "cvc": "The security code",
	"postal_code": "The billing postal code",
}

func paramLabel(name string) string {
	if l, ok := paramLabels[name]; ok {
		return l
	}
	return "The parameter " + strconv.Quote(name)
}

// badText names the first of values that the page cannot take: text a
// database cannot store, or too long. It returns "" when all are fine.
func badText(values url.Values) string {
	for _, name := range slices.Sorted(maps.Keys(values)) {
		limit := MaxParam
		switch name {
		case "crm_origin":
			limit = MaxCRMOrigin
		case "state":
			limit = maxFormBytes // signed by us; verifyState judges it
		}
		for _, v := range values[name] {
			if apperr.TextProblem(v) != "" {
				return paramLabel(name) + " holds characters that cannot be stored: remove them and try again."
			}
			if len(v) > limit {
				return fmt.Sprintf("%s is longer than %d characters: shorten it.", paramLabel(name), limit)
			}
		}
	}
	return ""
}

// Handler serves the page. Its methods are the routes; package main mounts
// them.
type Handler struct {
	DB            *ent.Client
	Registrations *registration.Service
	Tenancy       *tenancy.Service
	// Guard authenticates auth_token within the rate limits.
	Guard *guard.Guard
	// Secret signs the card screen's form state.
	Secret []byte
	Log    *slog.Logger
	// DemoToken logs the demo CRM page in (demo mode only).
	DemoToken string
}

// registrationView is what the page shows.
type registrationView struct {
	Nonce string
	// Start is the first screen: the registration's values, signed, in a
	// form the page submits to itself at once (see Get).
	Start        bool
	NeedsCard    bool
	FullName     string
	PropertyName string
	CardError    string
	// What the agent typed on the card screen that is safe to show again
	// after an error; never the number or the security code.
	CardName, CardExpiry, CardPostalCode string
	State                                string
	Status                               string
	Message                              string
	ResultJSON                           string
	// AnyParent posts the result to whichever page framed this one: only
	// for a result that knows no client (see renderRegistration).
	AnyParent      bool
	AllowedOrigins []string
	CRMOrigin      string
}

// Get is the page a CRM opens in its iframe: URL parameters in, the
// outcome out (posted to the CRM page), a card screen between when one is
// required.
//
// Get itself registers nobody. The server cannot learn reliably who frames
// a page (a CRM may send no Referer; Sec-Fetch-Site says only "cross-site";
// location.ancestorOrigins is Chromium's alone), but the browser can:
// frame-ancestors lists the client's CRM origins, and a browser renders
// nothing (so runs no script) when any ancestor is off that list. Get
// therefore answers with the values signed in a form, and the page's script
// submits it at once; only that POST registers. A page framed by another
// origin is blocked before its script runs, so nothing is written or queued.
func (a *Handler) Get(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	requireCC, ok := parseBool(q.Get("require_cc"))
	token := q.Get("auth_token")
	if apperr.TextProblem(token) != "" || len(token) > MaxParam {
		token = "-" // unknown, so answered as any wrong token is
	}
	v, key, msg, limited := a.agent(r.Context(), a.Guard.ClientKey(r), token)
	a.budget(w, key)
	if v == nil {
		if limited != nil {
			httpjson.SetRetryAfter(w, limited)
			w = &statusWriter{ResponseWriter: w, status: http.StatusTooManyRequests}
		}
		a.renderRegistration(w, nil, false, registrationView{Status: registration.Incomplete, Message: msg})
		return
	}
	_, client := a.company(w, r, v)
	if client == nil {
		return
	}
	if problem := badText(q); problem != "" {
		// Nothing is recorded: the values cannot be stored. The CRM still
		// hears the outcome when its origin is a valid, allowed one.
		origin := q.Get("crm_origin")
		if apperr.TextProblem(origin) != "" {
			origin = ""
		}
		a.renderRegistration(w, client.CrmOrigins, true, registrationView{Status: registration.Incomplete, Message: problem,
			AllowedOrigins: client.CrmOrigins, CRMOrigin: allowedOrigin(client.CrmOrigins, origin)})
		return
	}
	state := FormState{
		TokenID: v.TokenID, PropertyTag: q.Get("property_tag"), FullName: q.Get("full_name"),
		MobilePhone: q.Get("mobile_phone"), SMSNotes: q.Get("sms_notes"), CRMOrigin: q.Get("crm_origin"),
		RequireCC: requireCC, Expires: time.Now().Add(formStateTTL),
	}
	switch {
	case !ok:
		state.Problem = "The card requirement (require_cc) must be true, false, 1 or 0."
	case state.CRMOrigin != "" && allowedOrigin(client.CrmOrigins, state.CRMOrigin) == "":
		// The page will not post its result there: do not register a
		// prospect nobody will see the result for.
		state.Problem = "This CRM page (" + state.CRMOrigin + ") is not one of the client's allowed CRM origins: ask an administrator to add it."
	}
	a.renderRegistration(w, client.CrmOrigins, true, registrationView{Start: true, State: SignState(a.Secret, state),
		AllowedOrigins: client.CrmOrigins, CRMOrigin: allowedOrigin(client.CrmOrigins, state.CRMOrigin)})
}

// Post receives the first screen's form (which registers) and the card
// screen.
func (a *Handler) Post(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.renderRegistration(w, nil, false, registrationView{Status: registration.Incomplete, Message: "The form could not be read."})
		return
	}
	state, err := VerifyState(a.Secret, r.PostForm.Get("state"), time.Now())
	if err != nil {
		a.renderRegistration(w, nil, false, registrationView{Status: registration.Incomplete, Message: sentence(err.Error())})
		return
	}
	// The form is signed and holds the token's id, not its secret: each
	// POST spends a budget of the token's own (by id), so a replayed form
	// is bounded like any request of the token.
	formKey := "form:" + strconv.Itoa(state.TokenID)
	ok, wait := a.Guard.AllowToken(formKey)
	a.budget(w, formKey)
	if !ok {
		e := guard.RateLimited("this agent's token is over its request rate limit", wait)
		httpjson.SetRetryAfter(w, e)
		w = &statusWriter{ResponseWriter: w, status: http.StatusTooManyRequests}
		a.renderRegistration(w, nil, false, registrationView{Status: registration.Incomplete, Message: "Too many attempts: " + e.Message + "."})
		return
	}
	v, err := a.Tenancy.ViewerForToken(r.Context(), state.TokenID)
	if err != nil || !v.Has(viewer.ScopeWrite) {
		a.renderRegistration(w, nil, false, registrationView{Status: registration.Incomplete, Message: "The agent's token is no longer valid."})
		return
	}
	ctx, client := a.company(w, r, v)
	if client == nil {
		return
	}
	req := state.request()
	if problem := badText(r.PostForm); problem != "" {
		a.renderRegistration(w, client.CrmOrigins, true, registrationView{Status: registration.Incomplete, Message: problem,
			AllowedOrigins: client.CrmOrigins, CRMOrigin: allowedOrigin(client.CrmOrigins, state.CRMOrigin)})
		return
	}
	if !state.Card {
		// The first screen's form: the browser showed it, so the framing
		// page is on the client's list (see Get).
		req.RequireCC = state.RequireCC
		a.register(w, r, ctx, client, state, req, state.Problem)
		return
	}
	req.RequireCC = true
	if r.PostForm.Get("action") == "cancel" {
		req.CardAbandoned = true
	} else {
		req.Card = &cards.Input{
			Name: r.PostForm.Get("name"), Number: r.PostForm.Get("number"), Expiry: r.PostForm.Get("expiry"),
			CVC: r.PostForm.Get("cvc"), PostalCode: r.PostForm.Get("postal_code"),
		}
	}
	a.register(w, r, ctx, client, state, req, "")
}

// company reads the agent's client, in the agent's context; when it cannot,
// it answers the request and returns a nil client.
func (a *Handler) company(w http.ResponseWriter, r *http.Request, v *viewer.Viewer) (context.Context, *ent.Company) {
	ctx := viewer.NewContext(r.Context(), v)
	client, err := a.DB.Company.Get(ctx, v.ClientID)
	if err != nil {
		httpjson.Fail(w, r, a.Log, err)
		return ctx, nil
	}
	return ctx, client
}

func (s FormState) request() registration.Request {
	return registration.Request{
		PropertyTag: s.PropertyTag, FullName: s.FullName, MobilePhone: s.MobilePhone,
		SMSNotes: s.SMSNotes, Channel: entreg.ChannelIFRAME,
	}
}

// register runs the domain rules (in one transaction: the service opens it)
// and renders the outcome.
// problem, when set, records the attempt as incomplete without running the rules.
func (a *Handler) register(w http.ResponseWriter, r *http.Request, ctx context.Context, client *ent.Company, state FormState, req registration.Request, problem string) {
	view := registrationView{AllowedOrigins: client.CrmOrigins, CRMOrigin: allowedOrigin(client.CrmOrigins, state.CRMOrigin)}
	var out *registration.Outcome
	var err error
	if problem != "" {
		out, err = a.Registrations.Incomplete(ctx, req, problem)
	} else {
		out, err = a.Registrations.Register(ctx, req)
	}
	if err != nil {
		if ce, _ := classify.Classify(ctx, err); ce.Code == apperr.CodeBadInput {
			// Bad input the checks above let through: the page's answer
			// is still an outcome the CRM hears, never an error page.
			view.Status, view.Message = registration.Incomplete, "A value is not valid: "+inputName(ce)+"."
			a.renderRegistration(w, client.CrmOrigins, true, view)
			return
		}
		httpjson.Fail(w, r, a.Log, err)
		return
	}
	if out.NeedsCard {
		view.NeedsCard = true
		view.FullName = req.FullName
		view.PropertyName = a.propertyName(ctx, req.PropertyTag)
		if out.CardError != nil {
			view.CardError = sentence(out.CardError.Message)
			// Retyping the number and the security code is the price of
			// never sending them back into a page.
			view.CardName, view.CardExpiry, view.CardPostalCode = req.Card.Name, req.Card.Expiry, req.Card.PostalCode
		}
		state.Card = true
		state.Expires = time.Now().Add(formStateTTL)
		view.State = SignState(a.Secret, state)
	} else {
		view.Status, view.Message = out.Status, out.Message
	}
	a.renderRegistration(w, client.CrmOrigins, true, view)
}

// sentence makes a rule's message (lower case, no full stop, as errors are
// written) read as a sentence on the page.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

func (a *Handler) propertyName(ctx context.Context, tag string) string {
	p, err := a.DB.Property.Query().Where(property.Tag(tag)).Only(ctx)
	if err != nil || p.Name == "" {
		return tag
	}
	return p.Name
}

// agent authenticates the auth_token parameter: a write-scoped token of the
// client logs the agent in with no other step. Rate limits apply as on the
// API; key is the token's budget's, and limited the RATE_LIMITED error when
// one refused the token.
func (a *Handler) agent(ctx context.Context, addr, token string) (v *viewer.Viewer, key, msg string, limited *apperr.Error) {
	if strings.TrimSpace(token) == "" {
		return nil, "", "The CRM did not pass the agent's leasegraph token (auth_token): the agent cannot be signed in.", nil
	}
	v, key, err := a.Guard.Authenticate(ctx, addr, token)
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.CodeRateLimited {
		return nil, key, "Too many attempts: " + ae.Message + ".", ae
	}
	if err != nil {
		return nil, key, "The agent's leasegraph token (auth_token) is not valid: it is unknown or revoked.", nil
	}
	if v.ClientID == 0 || !v.Has(viewer.ScopeWrite) {
		return nil, key, "The agent's leasegraph token (auth_token) may not register prospects: it must be a client token with the write scope.", nil
	}
	return v, key, "", nil
}

// budget tells the page's answer where the token's budget (by its key)
// stands, in the headers every route of a token sends (ratelimit.State);
// an unknown token is told none.
func (a *Handler) budget(w http.ResponseWriter, key string) {
	if st, ok := a.Guard.TokenState(key); ok {
		st.Header(w.Header(), time.Now())
	}
}

// renderRegistration writes the page with headers that keep it inside the
// client's CRM origins: frame-ancestors for who may frame it, a nonce for
// its one script and style, and nothing loaded from anywhere else.
func (a *Handler) renderRegistration(w http.ResponseWriter, allowed []string, clientKnown bool, view registrationView) {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	view.Nonce = base64.StdEncoding.EncodeToString(nonce)
	if view.Status != "" {
		// Exactly what JSON.stringify({status, message}) gives: field order
		// as the spec writes it, and no \u0026-style escapes (html/template
		// escapes the string inside the script tag itself).
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(struct {
			Status  string `json:"status"`
			Message string `json:"message"`
		}{view.Status, view.Message})
		view.ResultJSON = strings.TrimSuffix(b.String(), "\n")
	}
	ancestors := "'none'"
	switch {
	case !clientKnown:
		// No client is known (no valid token, or a form that cannot be
		// trusted): the page only says so, and any CRM may show it. Its
		// result names no client, no origin list and no value the CRM did
		// not send, so it may go to whichever page framed this one
		// (postMessage's "*"): there is no list to check the parent
		// against, and without the message a CRM's listener, and embed.js's
		// promise, would never hear back.
		ancestors = "*"
		view.AnyParent = true
	case len(allowed) > 0:
		ancestors = strings.Join(allowed, " ")
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+view.Nonce+"'; style-src 'nonce-"+view.Nonce+
		"'; form-action 'self'; base-uri 'none'; frame-ancestors "+ancestors)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	if err := registrationPage.Execute(w, view); err != nil {
		a.Log.Error("rendering the registration page", "error", err.Error())
	}
}

// inputName names the input an error is about, without its value.
func inputName(e *apperr.Error) string {
	if len(e.Field) > 0 {
		return strings.Join(e.Field, ".")
	}
	return "the request"
}

// allowedOrigin returns origin when it is on the allow-list.
func allowedOrigin(allowed []string, origin string) string {
	for _, o := range allowed {
		if o == origin {
			return o
		}
	}
	return ""
}

func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "false", "0":
		return false, true
	case "true", "1":
		return true, true
	}
	return false, false
}

// EmbedJS serves the script CRM pages include to open the page.
func EmbedJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	http.ServeFileFS(w, r, webFS, "web/embed.js")
}

var demoCRMPage = template.Must(template.ParseFS(webFS, "web/democrm.html"))

// DemoCRM is a sample CRM page for demo mode: it embeds the registration
// page through embed.js, logged in with the demo token.
func (a *Handler) DemoCRM(w http.ResponseWriter, r *http.Request) {
	ctx := viewer.SystemContext(r.Context())
	v, err := a.Tenancy.Authenticate(ctx, a.DemoToken)
	if err != nil {
		httpjson.Fail(w, r, a.Log, err)
		return
	}
	props, err := a.DB.Property.Query().Where(property.ClientID(v.ClientID)).Order(ent.Asc(property.FieldTag)).All(ctx)
	if err != nil {
		httpjson.Fail(w, r, a.Log, err)
		return
	}
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	n := base64.StdEncoding.EncodeToString(nonce)
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+n+"'; style-src 'nonce-"+n+"'; frame-src 'self' http: https:; connect-src 'self'; base-uri 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = demoCRMPage.Execute(w, map[string]any{"Nonce": n, "Properties": props, "Token": a.DemoToken})
}

// statusWriter answers with a fixed status, for a page rendered by code
// that does not choose its own.
type statusWriter struct {
	http.ResponseWriter
	status  int
	written bool
}

func (s *statusWriter) WriteHeader(int) {
	if !s.written {
		s.written = true
		s.ResponseWriter.WriteHeader(s.status)
	}
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.WriteHeader(s.status)
	return s.ResponseWriter.Write(b)
}

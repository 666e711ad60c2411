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

// maxFormBytes bounds the card screen's POST body.
const maxFormBytes = 16 << 10

// MaxParam bounds each of the page's parameters and card form fields;
// crm_origin, which the message quotes, has a tighter bound. The service
// truncates longer names and notes as the spec's limits say.
const (
	MaxParam     = 2000
	MaxCRMOrigin = 200
)

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
			if err := apperr.CheckText(name, v); err != nil {
				return err.Message + "."
			}
			if len(v) > limit {
				return fmt.Sprintf("%s is longer than %d characters.", name, limit)
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
	Nonce          string
	NeedsCard      bool
	FullName       string
	PropertyName   string
	CardError      string
	State          string
	Status         string
	Message        string
	ResultJSON     string
	AllowedOrigins []string
	CRMOrigin      string
}

// Get is the page a CRM opens in its iframe: URL parameters in,
// a card screen when required, the result shown and posted to the CRM page.
func (a *Handler) Get(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	requireCC, ok := parseBool(q.Get("require_cc"))
	token := q.Get("auth_token")
	if apperr.TextProblem(token) != "" || len(token) > MaxParam {
		token = "-" // unknown, so answered as any wrong token is
	}
	v, msg, limited := a.agent(r.Context(), a.Guard.ClientKey(r), token)
	if v == nil {
		if limited != nil {
			httpjson.SetRetryAfter(w, limited)
			w = &statusWriter{ResponseWriter: w, status: http.StatusTooManyRequests}
		}
		a.renderRegistration(w, nil, false, registrationView{Status: registration.Incomplete, Message: msg})
		return
	}
	ctx, client := a.company(w, r, v)
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
	}
	req := state.request()
	req.RequireCC = requireCC
	problem := ""
	switch {
	case !ok:
		problem = "require_cc must be true, false, 1 or 0"
	case state.CRMOrigin != "" && allowedOrigin(client.CrmOrigins, state.CRMOrigin) == "":
		// The browser will refuse to show this page to that origin: do not
		// register a prospect nobody will see the result for.
		problem = "crm_origin " + state.CRMOrigin + " is not one of the client's allowed CRM origins"
	}
	a.register(w, r, ctx, client, state, req, problem)
}

// Post receives the card screen.
func (a *Handler) Post(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		a.renderRegistration(w, nil, false, registrationView{Status: registration.Incomplete, Message: "The form could not be read."})
		return
	}
	state, err := VerifyState(a.Secret, r.PostForm.Get("state"), time.Now())
	if err != nil {
		a.renderRegistration(w, nil, false, registrationView{Status: registration.Incomplete, Message: err.Error()})
		return
	}
	// The form is signed and holds the token's id, not its secret: the
	// card screen spends a budget of the token's own (by id), so a replayed
	// form is bounded like any request of the token.
	if ok, wait := a.Guard.AllowToken("form:" + strconv.Itoa(state.TokenID)); !ok {
		e := guard.RateLimited("this agent's token is over its request rate limit", wait)
		httpjson.SetRetryAfter(w, e)
		w = &statusWriter{ResponseWriter: w, status: http.StatusTooManyRequests}
		a.renderRegistration(w, nil, false, registrationView{Status: registration.Incomplete, Message: e.Message})
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
	req.RequireCC = true
	if problem := badText(r.PostForm); problem != "" {
		a.renderRegistration(w, client.CrmOrigins, true, registrationView{Status: registration.Incomplete, Message: problem,
			AllowedOrigins: client.CrmOrigins, CRMOrigin: allowedOrigin(client.CrmOrigins, state.CRMOrigin)})
		return
	}
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
			view.CardError = out.CardError.Message
		}
		state.Expires = time.Now().Add(formStateTTL)
		view.State = SignState(a.Secret, state)
	} else {
		view.Status, view.Message = out.Status, out.Message
	}
	a.renderRegistration(w, client.CrmOrigins, true, view)
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
// API; limited is the RATE_LIMITED error when one refused the token.
func (a *Handler) agent(ctx context.Context, addr, token string) (v *viewer.Viewer, msg string, limited *apperr.Error) {
	if strings.TrimSpace(token) == "" {
		return nil, "auth_token is missing: the CRM must pass the agent's leasegraph token.", nil
	}
	v, _, err := a.Guard.Authenticate(ctx, addr, token)
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.CodeRateLimited {
		return nil, "Too many attempts: " + ae.Message + ".", ae
	}
	if err != nil {
		return nil, "auth_token is not valid: it is unknown or revoked.", nil
	}
	if v.ClientID == 0 || !v.Has(viewer.ScopeWrite) {
		return nil, "auth_token may not register prospects: use a client token with the write scope.", nil
	}
	return v, "", nil
}

// renderRegistration writes the page with headers that keep it inside the
// client's CRM origins: frame-ancestors for who may frame it, a nonce for
// its one script and style, and nothing loaded from anywhere else.
func (a *Handler) renderRegistration(w http.ResponseWriter, allowed []string, clientKnown bool, view registrationView) {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	view.Nonce = base64.StdEncoding.EncodeToString(nonce)
	if view.Status != "" && clientKnown {
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
		// No client is known (no valid token): the page only says so, holds
		// nothing and posts nothing, so any CRM may show it.
		ancestors = "*"
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

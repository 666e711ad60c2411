package apptest

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/leasegraph/leasegraph/ent/property"
)

// Prospect registration: the clients it needs, the registerProspect
// mutation, and the registration page read over HTTP (no browser).

// RegisterMutation registers a prospect ($in) through the graph, answering
// the registration and its prospect (RegisterResult).
const RegisterMutation = `mutation($in: RegisterProspectInput!) {
	registerProspect(input: $in) {
		status message
		registration { id status channel propertyTag smsNotes
			prospect { firstName lastName phone1 integrationJobs { edges { node { kind status lastError } } } } } } }`

// RegisterResult is RegisterMutation's answer.
type RegisterResult struct {
	RegisterProspect struct {
		Status, Message string
		Registration    struct {
			ID, Status, Channel, PropertyTag, SmsNotes string
			Prospect                                   *struct {
				FirstName, LastName, Phone1 string
				IntegrationJobs             struct {
					Edges []struct {
						Node struct{ Kind, Status, LastError string }
					}
				}
			}
		}
	}
}

// ArrangeRegistrationClient gives a client one property in each showing
// mode (tags OPEN, SOON, SHUT), a banned phone (+15125550199) and a banned
// email (banned@example.com): every outcome of a registration is one
// input away.
func (e *Env) ArrangeRegistrationClient(name string) (int, string) {
	e.T.Helper()
	id, token := e.NewClient(name)
	ctx := e.Sys()
	for tag, mode := range map[string]property.ShowingMode{
		"OPEN": property.ShowingModeSELF_SHOWING, "SOON": property.ShowingModePRELEASE, "SHUT": property.ShowingModeINACTIVE,
	} {
		if err := e.Client.Property.Create().SetClientID(id).SetTag(tag).SetName(name + " " + tag).SetShowingMode(mode).Exec(ctx); err != nil {
			e.T.Fatal(err)
		}
	}
	if err := e.Client.Ban.Create().SetClientID(id).SetPhone("+15125550199").Exec(ctx); err != nil {
		e.T.Fatal(err)
	}
	if err := e.Client.Ban.Create().SetClientID(id).SetEmail("banned@example.com").Exec(ctx); err != nil {
		e.T.Fatal(err)
	}
	return id, token
}

// RegFixture gives a client one property per showing mode (tags OPEN,
// SOON, SHUT) and the CRM origins that may frame its registration page.
func RegFixture(t *testing.T, e *Env, name string, origins ...string) (int, string) {
	t.Helper()
	id, token := e.NewClient(name)
	ctx := e.Sys()
	if err := e.Client.Company.UpdateOneID(id).SetCrmOrigins(origins).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	for tag, mode := range map[string]property.ShowingMode{
		"OPEN": property.ShowingModeSELF_SHOWING, "SOON": property.ShowingModePRELEASE, "SHUT": property.ShowingModeINACTIVE,
	} {
		if err := e.Client.Property.Create().SetClientID(id).SetTag(tag).SetName(name + " " + tag).SetShowingMode(mode).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return id, token
}

// BrowserCardNumber is a test Visa number entered on the registration
// page's card screen; it must never reach the database or the logs.
const BrowserCardNumber = "4242424242424242"

// RegPage is a fetched registration page, read as the CRM would: what it
// shows and what it posts.
type RegPage struct {
	Res     *http.Response
	Body    string
	Status  string // the status shown
	Message string // the message shown
	Result  string // the JSON string the page posts to the CRM; "" when none
	State   string // the card screen's signed state; "" when no card screen
}

var (
	regStatusRe  = regexp.MustCompile(`<div class="status">([^<]*)</div>`)
	regMessageRe = regexp.MustCompile(`<div id="message">([^<]*)</div>`)
	regResultRe  = regexp.MustCompile(`var result = ("(?:[^"\\]|\\.)*");`)
	regStateRe   = regexp.MustCompile(`name="state" value="([^"]*)"`)
	regStartRe   = regexp.MustCompile(`<form method="post" action="/prospects/registration" id="start">`)
)

// FirstScreen says whether the page is the first screen, whose form the
// page's script submits once the browser let the CRM frame it.
func (p RegPage) FirstScreen() bool { return regStartRe.MatchString(p.Body) }

func parseRegPage(t *testing.T, res *http.Response) RegPage {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := RegPage{Res: res, Body: string(b)}
	if m := regStatusRe.FindStringSubmatch(p.Body); m != nil {
		p.Status = html.UnescapeString(m[1])
	}
	if m := regMessageRe.FindStringSubmatch(p.Body); m != nil {
		p.Message = html.UnescapeString(m[1])
	}
	if m := regStateRe.FindStringSubmatch(p.Body); m != nil {
		p.State = html.UnescapeString(m[1])
	}
	m := regResultRe.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no result in the page's script:\n%s", p.Body)
	}
	// html/template writes the string as a JavaScript string literal; its
	// escapes are JSON's.
	if err := json.Unmarshal([]byte(m[1]), &p.Result); err != nil {
		t.Fatalf("the result literal %s: %v", m[1], err)
	}
	return p
}

// StartRegPage GETs the page at base with the CRM's query: its first
// screen, or the outcome when the request cannot start.
func StartRegPage(t *testing.T, base string, q url.Values) RegPage {
	t.Helper()
	res, err := http.Get(base + "/prospects/registration?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET: HTTP %d", res.StatusCode)
	}
	return parseRegPage(t, res)
}

// GetRegPage opens the page as a browser that may frame it does: the GET,
// then the first screen's form, which its script submits at once.
func GetRegPage(t *testing.T, base string, q url.Values) RegPage {
	t.Helper()
	p := StartRegPage(t, base, q)
	if !p.FirstScreen() {
		return p
	}
	if p.State == "" || p.Result != "" || p.Status != "" {
		t.Fatalf("first screen: state %q, posts %q, shows %q", p.State, p.Result, p.Status)
	}
	return PostRegPage(t, base, url.Values{"state": {p.State}, "action": {"start"}})
}

// PostRegPage posts a screen's form (its signed state and action) to the
// page at base and reads the next screen.
func PostRegPage(t *testing.T, base string, form url.Values) RegPage {
	t.Helper()
	res, err := http.PostForm(base+"/prospects/registration", form)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST: HTTP %d", res.StatusCode)
	}
	return parseRegPage(t, res)
}

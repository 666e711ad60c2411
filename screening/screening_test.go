package screening_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent/screeningapplication"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
	"github.com/leasegraph/leasegraph/viewer"
)

// The screening suite: SmartMove orders, applicants, partner errors and
// idempotency, against the simulator over real HTTP, on both databases.

// act runs one of the mutations that take an application and an email.
func act(e *apptest.Env, token, mutation, key, id, email string) apptest.GQLResponse {
	e.T.Helper()
	switch mutation {
	case "addScreeningApplicant", "removeScreeningApplicant":
		return e.GQL(token, `mutation($key: String!, $id: ID!, $email: String!) { `+mutation+`(idempotencyKey: $key, applicationId: $id, email: $email) { `+apptest.ScreeningAppFields+` } }`,
			map[string]any{"key": key, "id": id, "email": email})
	}
	return e.GQL(token, `mutation($key: String!, $id: ID!) { `+mutation+`(idempotencyKey: $key, id: $id) { `+apptest.ScreeningAppFields+` } }`,
		map[string]any{"key": key, "id": id})
}

func mustAct(e *apptest.Env, token, mutation, key, id, email string) apptest.ScreeningApp {
	e.T.Helper()
	r := act(e, token, mutation, key, id, email)
	if len(r.Errors) > 0 {
		e.T.Fatalf("%s: %+v", mutation, r.Errors)
	}
	var out map[string]apptest.ScreeningApp
	if err := json.Unmarshal(r.Data, &out); err != nil {
		e.T.Fatal(err)
	}
	return out[mutation]
}

// ---------------------------------------------------------------------------

// TestScreeningLinkOrder walks a LINK order from the completion link to the
// report: the landlord finishes the form, postbacks move it forward, the
// report fields are fetched on demand.
func TestScreeningLinkOrder(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Acme")
		link, app := e.CreateLink(token, "order-1", "Lisa.Simpson@Example.com", "marge.simpson@example.com")
		if !strings.HasPrefix(link, sm.SimURL+"/smartmove/api/create/") {
			t.Fatalf("completionLink %q", link)
		}
		if app.Kind != "LINK" || app.OrderStatus != "ORDERED" || app.Status != "PENDING" || app.SmartmoveApplicationID != nil ||
			app.CustomerReference != "ref-Acme" || app.PropertyName != "742 Evergreen Terrace" || app.UnitNumber != "4" {
			t.Fatalf("created: %+v", app)
		}
		if got := app.ApplicantStatuses(); got != "lisa.simpson@example.com=NO_ACTIVITY,marge.simpson@example.com=NO_ACTIVITY" {
			t.Fatalf("applicants %s", got)
		}
		// Nothing to fetch before SmartMove has the application.
		got := e.ScreeningApp(token, app.ID, "reportUrl reportStatus")
		if got.ReportURL != nil || got.ReportStatus != nil {
			t.Fatalf("report fields before the landlord finished: %v %v", got.ReportURL, got.ReportStatus)
		}
		r := act(e, token, "cancelScreeningApplication", "c-early", app.ID, "")
		apptest.WantCode(t, r, "BAD_USER_INPUT")

		smID, err := sm.Sim.FinishCreate(link)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := sm.Sim.Advance(smID); !ok || err != nil {
			t.Fatalf("advance: %v %v", ok, err)
		}
		sm.Flush(t)
		got = e.ScreeningApp(token, app.ID, "reportUrl reportStatus")
		if got.SmartmoveApplicationID == nil || *got.SmartmoveApplicationID != smID || got.Status != "IN_PROGRESS" ||
			got.LastNotification != "Lisa.Simpson@Example.com has accepted the request" && got.LastNotification != "lisa.simpson@example.com has accepted the request" {
			t.Fatalf("after the first postback: %+v", got)
		}
		if got.ReportURL != nil || got.ReportStatus == nil || *got.ReportStatus != "InProgress" {
			t.Fatalf("report fields while in progress: url %v status %v", got.ReportURL, got.ReportStatus)
		}
		for _, email := range []string{"lisa.simpson@example.com", "marge.simpson@example.com"} {
			if err := sm.Sim.CompleteApplicant(smID, email); err != nil {
				t.Fatal(err)
			}
		}
		sm.Flush(t)
		got = e.ScreeningApp(token, app.ID, "reportUrl reportStatus")
		if got.Status != "READY" || got.ReportURL == nil || !strings.HasPrefix(*got.ReportURL, sm.SimURL+"/smartmove/api/application/report/") ||
			*got.ReportStatus != "Ready" {
			t.Fatalf("ready: %+v url %v", got, got.ReportURL)
		}
		// Postbacks carry no applicant statuses: refresh pulls them, and the
		// recommendation.
		got = mustAct(e, token, "refreshScreeningApplication", "refresh-1", app.ID, "")
		if got.ApplicantStatuses() != "lisa.simpson@example.com=REPORTS_AVAILABLE,marge.simpson@example.com=REPORTS_AVAILABLE" ||
			got.CreditRecommendation != "ACCEPT" || got.SmartmoveStatus != "Ready" || got.Applicants.Edges[0].Node.FirstName != "Lisa" {
			t.Fatalf("refreshed: %+v", got)
		}
		// A ready screening cannot be cancelled, nor take applicants.
		apptest.WantCode(t, act(e, token, "cancelScreeningApplication", "c-1", app.ID, ""), "BAD_USER_INPUT")
		apptest.WantCode(t, act(e, token, "addScreeningApplicant", "a-1", app.ID, "bart@example.com"), "BAD_USER_INPUT")
		// The list, filtered and ordered.
		var list struct {
			ScreeningApplications struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID, Status string } }
			}
		}
		e.MustGQL(token, `{ screeningApplications(where: {status: READY}, orderBy: {field: CREATED_AT, direction: DESC}) { totalCount edges { node { id status } } } }`, nil, &list)
		if list.ScreeningApplications.TotalCount != 1 || list.ScreeningApplications.Edges[0].Node.ID != app.ID {
			t.Fatalf("screeningApplications: %+v", list)
		}
		var applicants struct {
			ScreeningApplicants struct{ TotalCount int }
		}
		e.MustGQL(token, `{ screeningApplicants(where: {status: REPORTS_AVAILABLE}) { totalCount } }`, nil, &applicants)
		if applicants.ScreeningApplicants.TotalCount != 2 {
			t.Fatalf("screeningApplicants: %+v", applicants)
		}
	})
}

// TestScreeningEmbeddedOrderKeepsNoCard: the card goes to SmartMove and
// nowhere else: not a column, a log line or an answer.
func TestScreeningEmbeddedOrderKeepsNoCard(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Acme")
		r := e.GQL(token, apptest.CreateEmbeddedMutation, map[string]any{"key": "emb-1", "input": apptest.EmbeddedInput(true, "lisa@example.com")})
		if len(r.Errors) > 0 {
			t.Fatalf("%+v", r.Errors)
		}
		var out struct{ CreateEmbeddedScreeningApplication apptest.ScreeningApp }
		_ = json.Unmarshal(r.Data, &out)
		app := out.CreateEmbeddedScreeningApplication
		if app.Kind != "EMBEDDED" || app.OrderStatus != "ORDERED" || app.SmartmoveApplicationID == nil || app.LandlordPays == nil || !*app.LandlordPays {
			t.Fatalf("created: %+v", app)
		}
		// The same key: the first result, no second charge.
		again := e.CreateEmbedded(token, "emb-1", true, "lisa@example.com")
		if again.ID != app.ID || sm.Calls("application/create/embedded") != 1 {
			t.Fatalf("replay: %s vs %s, %d embedded calls", again.ID, app.ID, sm.Calls("application/create/embedded"))
		}
		// A refused card (the partner's 400) is not echoed either.
		in := apptest.EmbeddedInput(true, "bart@example.com")
		in["card"].(map[string]any)["expireMonth"] = "13"
		bad := e.GQL(token, apptest.CreateEmbeddedMutation, map[string]any{"key": "emb-2", "input": in})
		apptest.WantCode(t, bad, "BAD_USER_INPUT")
		raw, _ := json.Marshal([]any{r, again, bad})
		for _, secret := range []string{apptest.TestCardNumber, apptest.TestCardCVV + `"`, "5880"} {
			if strings.Contains(string(raw), secret) {
				t.Fatalf("an answer holds card data %q: %s", secret, raw)
			}
		}
		if strings.Contains(e.Logs.String(), apptest.TestCardNumber) {
			t.Fatalf("the log holds the card number")
		}
		e.AssertNoColumnHolds(t, apptest.TestCardNumber, "541954357841")
	})
}

// TestScreeningApplicantRules: adding and removing applicants, cancelling,
// by the rules of the service (checked before SmartMove is asked).
func TestScreeningApplicantRules(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Acme")
		app := e.CreateEmbedded(token, "tenants-pay", false, "lisa@example.com")
		smID := *app.SmartmoveApplicationID

		got := mustAct(e, token, "addScreeningApplicant", "add-1", app.ID, " Bart@Example.com ")
		if got.ApplicantStatuses() != "bart@example.com=NO_ACTIVITY,lisa@example.com=NO_ACTIVITY" {
			t.Fatalf("after add: %s", got.ApplicantStatuses())
		}
		// A retry of the same add replays; the same person again is refused.
		if again := mustAct(e, token, "addScreeningApplicant", "add-1", app.ID, " Bart@Example.com "); again.Applicants.TotalCount != 2 {
			t.Fatalf("replayed add: %+v", again)
		}
		if n := sm.Calls("applicant/add"); n != 1 {
			t.Fatalf("%d add calls", n)
		}
		r := act(e, token, "addScreeningApplicant", "add-2", app.ID, "bart@example.com")
		apptest.WantCode(t, r, "BAD_USER_INPUT")
		if !strings.Contains(r.Errors[0].Message, "already on this application") {
			t.Fatalf("message %q", r.Errors[0].Message)
		}
		apptest.WantCode(t, act(e, token, "addScreeningApplicant", "add-3", app.ID, "not-an-email"), "BAD_USER_INPUT")
		// The same key with other arguments is refused.
		apptest.WantCode(t, act(e, token, "addScreeningApplicant", "add-1", app.ID, "maggie@example.com"), "CONFLICT")

		// Lisa responds: she can no longer be removed; Bart can.
		if err := sm.Sim.SetApplicantStatus(smID, "lisa@example.com", smartmovetest.RequestAccepted); err != nil {
			t.Fatal(err)
		}
		sm.Flush(t)
		mustAct(e, token, "refreshScreeningApplication", "r-1", app.ID, "")
		r = act(e, token, "removeScreeningApplicant", "rm-1", app.ID, "lisa@example.com")
		apptest.WantCode(t, r, "BAD_USER_INPUT")
		if !strings.Contains(r.Errors[0].Message, "already responded") {
			t.Fatalf("message %q", r.Errors[0].Message)
		}
		apptest.WantCode(t, act(e, token, "removeScreeningApplicant", "rm-2", app.ID, "nobody@example.com"), "BAD_USER_INPUT")
		got = mustAct(e, token, "removeScreeningApplicant", "rm-3", app.ID, "bart@example.com")
		if got.ApplicantStatuses() != "lisa@example.com=REQUEST_ACCEPTED" {
			t.Fatalf("after remove: %s", got.ApplicantStatuses())
		}
		// The only applicant stays, whatever their status.
		other := e.CreateEmbedded(token, "single", false, "solo@example.com")
		r = act(e, token, "removeScreeningApplicant", "rm-4", other.ID, "solo@example.com")
		apptest.WantCode(t, r, "BAD_USER_INPUT")
		if !strings.Contains(r.Errors[0].Message, "only applicant") {
			t.Fatalf("message %q", r.Errors[0].Message)
		}
		if n := sm.Calls("applicant/delete"); n != 1 {
			t.Fatalf("%d delete calls: a refused removal reached SmartMove", n)
		}

		// When the landlord pays, no applicant may be added.
		paid := e.CreateEmbedded(token, "landlord-pays", true, "homer@example.com")
		r = act(e, token, "addScreeningApplicant", "add-4", paid.ID, "bart@example.com")
		apptest.WantCode(t, r, "BAD_USER_INPUT")

		// Cancel: once; the status is final and later postbacks do not move it.
		got = mustAct(e, token, "cancelScreeningApplication", "cancel-1", app.ID, "")
		if got.Status != "CANCELLED" {
			t.Fatalf("cancelled: %+v", got)
		}
		if again := mustAct(e, token, "cancelScreeningApplication", "cancel-1", app.ID, ""); again.Status != "CANCELLED" {
			t.Fatalf("replayed cancel: %+v", again)
		}
		apptest.WantCode(t, act(e, token, "cancelScreeningApplication", "cancel-2", app.ID, ""), "BAD_USER_INPUT")
		if err := sm.Sim.SetApplicantStatus(smID, "lisa@example.com", smartmovetest.ReportsAvailable); err != nil {
			t.Fatal(err)
		}
		sm.Flush(t)
		if st := e.ScreeningApp(token, app.ID, "").Status; st != "CANCELLED" {
			t.Fatalf("a postback moved a cancelled screening to %s", st)
		}
		if n := sm.Calls("application/cancel"); n != 1 {
			t.Fatalf("%d cancel calls", n)
		}
	})
}

// TestScreeningPartnerErrors maps every kind of SmartMove failure, and
// checks what a failed order leaves behind and what its key does next.
func TestScreeningPartnerErrors(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Acme")
		count := func() int {
			n, err := e.Client.ScreeningApplication.Query().Count(e.Sys())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		create := func(key string) apptest.GQLResponse {
			return e.GQL(token, apptest.CreateLinkMutation, map[string]any{"key": key, "input": apptest.LinkInput("lisa@example.com")})
		}

		// Refused for sure (4xx): nothing is kept and the same key may retry.
		for _, c := range []struct {
			name      string
			fault     func()
			status    int
			retryable bool
			message   string
		}{
			{"bad request", func() { sm.Sim.FailNext(1, 400) }, 400, false, "SmartMove refused the request: "},
			{"unauthorized", func() { sm.Sim.FailNext(1, 401) }, 401, false, "SmartMove refused leasegraph's API credentials (HTTP 401)"},
			{"forbidden", func() { sm.Sim.FailNext(1, 403) }, 403, false, "SmartMove refused leasegraph's API credentials (HTTP 403)"},
			{"rate limited", func() { sm.Sim.RateLimitNext(1, 7*time.Second) }, 429, true, "SmartMove is limiting requests; retry later"},
		} {
			before := count()
			c.fault()
			r := create("refused-" + c.name)
			apptest.WantCode(t, r, "PARTNER_ERROR")
			ext := r.Errors[0].Extensions
			if ext["partnerStatus"] != float64(c.status) || ext["retryable"] != c.retryable || !strings.HasPrefix(r.Errors[0].Message, c.message) {
				t.Fatalf("%s: %+v", c.name, r.Errors[0])
			}
			if c.status == 429 && ext["retryAfterSeconds"] != float64(7) {
				t.Fatalf("retryAfterSeconds: %v", ext)
			}
			if count() != before {
				t.Fatalf("%s: a refused order left a row", c.name)
			}
			var ok apptest.CreatedLink
			e.MustGQL(token, apptest.CreateLinkMutation, map[string]any{"key": "refused-" + c.name, "input": apptest.LinkInput("lisa@example.com")}, &ok)
			if ok.CreateScreeningApplication.CompletionLink == "" {
				t.Fatalf("%s: retry with the key did not order", c.name)
			}
		}

		// Outcome unknown (5xx, timeout, unreadable answer): the key keeps
		// the failure, the row stays UNCONFIRMED, and a retry never orders again.
		for _, c := range []struct {
			name    string
			fault   func()
			message string
		}{
			{"server error", func() { sm.Sim.FailNext(1, 500) }, "SmartMove failed (HTTP 500); retry later"},
			{"unavailable", func() { sm.Sim.FailNext(1, 503) }, "SmartMove failed (HTTP 503); retry later"},
			{"timeout", func() { sm.Sim.HangNext(1) }, "SmartMove did not answer in time"},
			{"malformed", func() { sm.Sim.MalformedNext(1) }, "SmartMove sent an answer leasegraph could not read"},
		} {
			key := "unknown-" + c.name
			before, creates := count(), sm.Calls("application/create")
			c.fault()
			r := create(key)
			apptest.WantCode(t, r, "PARTNER_ERROR")
			if !strings.HasPrefix(r.Errors[0].Message, c.message) || r.Errors[0].Extensions["retryable"] != false {
				t.Fatalf("%s: %+v", c.name, r.Errors[0])
			}
			if count() != before+1 {
				t.Fatalf("%s: %d rows, want %d", c.name, count(), before+1)
			}
			again := create(key)
			apptest.WantCode(t, again, "PARTNER_ERROR")
			if again.Errors[0].Message != r.Errors[0].Message || again.Errors[0].Extensions["replayed"] != true {
				t.Fatalf("%s: replay %+v", c.name, again.Errors[0])
			}
			if got := sm.Calls("application/create"); c.name != "timeout" && got != creates+1 {
				t.Fatalf("%s: %d create calls after a retry, want %d", c.name, got, creates+1)
			}
		}
		n, err := e.Client.ScreeningApplication.Query().Where(screeningapplication.OrderStatusEQ(screeningapplication.OrderStatusUNCONFIRMED)).Count(e.Sys())
		if err != nil || n != 4 {
			t.Fatalf("%d UNCONFIRMED rows (%v), want 4", n, err)
		}

		// The client's own checks name the input at fault and reach no one.
		creates := sm.Calls("application/create")
		in := apptest.LinkInput("lisa@example.com")
		in["property"].(map[string]any)["landlordZip"] = "123456"
		r := e.GQL(token, apptest.CreateLinkMutation, map[string]any{"key": "zip", "input": in})
		apptest.WantCode(t, r, "BAD_USER_INPUT")
		if f, _ := json.Marshal(r.Errors[0].Extensions["field"]); string(f) != `["input","property","landlordZip"]` {
			t.Fatalf("field %s: %+v", f, r.Errors[0])
		}
		r = e.GQL(token, apptest.CreateLinkMutation, map[string]any{"key": "dup", "input": apptest.LinkInput("a@example.com", "A@example.com")})
		apptest.WantCode(t, r, "BAD_USER_INPUT")
		if f, _ := json.Marshal(r.Errors[0].Extensions["field"]); string(f) != `["input","applicants","1"]` {
			t.Fatalf("field %s", f)
		}
		noCard := apptest.EmbeddedInput(true, "lisa@example.com")
		delete(noCard, "card")
		r = e.GQL(token, apptest.CreateEmbeddedMutation, map[string]any{"key": "nocard", "input": noCard})
		apptest.WantCode(t, r, "BAD_USER_INPUT")
		if f, _ := json.Marshal(r.Errors[0].Extensions["field"]); string(f) != `["input","card"]` {
			t.Fatalf("field %s: %+v", f, r.Errors[0])
		}
		apptest.WantCode(t, e.GQL(token, apptest.CreateLinkMutation, map[string]any{"key": " ", "input": apptest.LinkInput()}), "BAD_USER_INPUT")
		if got := sm.Calls("application/create"); got != creates {
			t.Fatalf("invalid orders reached SmartMove: %d calls, want %d", got, creates)
		}

		// Errors on the on-demand fields are field errors with PARTNER_ERROR.
		app := e.CreateEmbedded(token, "emb", false, "lisa@example.com")
		sm.Sim.FailNext(1, 500)
		r = e.GQL(token, `query($id: ID!) { node(id: $id) { ... on ScreeningApplication { status reportStatus } } }`, map[string]any{"id": app.ID})
		apptest.WantCode(t, r, "PARTNER_ERROR")
		if st := apptest.Dig(t, r.Data, "node.status"); st != "PENDING" {
			t.Fatalf("partial data: %s", r.Data)
		}
		// Refresh failures give the key back.
		sm.Sim.FailNext(1, 503)
		apptest.WantCode(t, act(e, token, "refreshScreeningApplication", "rf", app.ID, ""), "PARTNER_ERROR")
		mustAct(e, token, "refreshScreeningApplication", "rf", app.ID, "")

		// A server without SmartMove says so.
		sm.Svc.SmartMove = nil
		r = create("unconfigured")
		apptest.WantCode(t, r, "PARTNER_ERROR")
		if !strings.Contains(r.Errors[0].Message, "not configured") {
			t.Fatalf("message %q", r.Errors[0].Message)
		}
	})
}

// TestScreeningIdempotencyConcurrentRetries: retries racing the first call
// with the same key all get its result, and SmartMove sees one order.
func TestScreeningIdempotencyConcurrentRetries(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Acme")
		for round, mutation := range []string{apptest.CreateLinkMutation, apptest.CreateEmbeddedMutation} {
			const n = 8
			var wg sync.WaitGroup
			results := make([]apptest.GQLResponse, n)
			input := apptest.LinkInput("lisa@example.com")
			if round == 1 {
				input = apptest.EmbeddedInput(true, "lisa@example.com")
			}
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = e.GQL(token, mutation, map[string]any{"key": "same-key", "input": input})
				}()
			}
			wg.Wait()
			first := ""
			for i, r := range results {
				if len(r.Errors) > 0 {
					t.Fatalf("round %d, call %d: %+v", round, i, r.Errors)
				}
				if first == "" {
					first = string(r.Data)
				}
				if string(r.Data) != first {
					t.Fatalf("round %d: different answers:\n%s\n%s", round, first, r.Data)
				}
			}
		}
		if c, em := sm.Calls("application/create"), sm.Calls("application/create/embedded"); c != 1 || em != 1 {
			t.Fatalf("SmartMove saw %d creates and %d embedded creates, want 1 and 1", c, em)
		}
		if n, _ := e.Client.ScreeningApplication.Query().Count(e.Sys()); n != 2 {
			t.Fatalf("%d applications, want 2", n)
		}
		// The key is the client's: another client's same key orders anew.
		_, other := e.ScreeningClient("Other")
		link, _ := e.CreateLink(other, "same-key", "lisa@example.com")
		if link == "" || sm.Calls("application/create") != 2 {
			t.Fatalf("another client's key: %d creates", sm.Calls("application/create"))
		}
	})
}

// TestIsolationScreening: another client's applications, by id, through
// every route.
func TestIsolationScreening(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		_ = apptest.SmartMove(t, e)
		_, aToken := e.ScreeningClient("Alpha")
		bID, bToken := e.ScreeningClient("Beta")
		_, aLinkApp := e.CreateLink(aToken, "k", "lisa@example.com")
		aApp := e.CreateEmbedded(aToken, "k2", false, "lisa@example.com")

		var node struct{ Node *struct{ ID string } }
		r := e.GQL(bToken, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": aApp.ID})
		if len(r.Errors) == 1 {
			apptest.WantCode(t, r, "NOT_FOUND")
		} else if json.Unmarshal(r.Data, &node); node.Node != nil {
			t.Fatalf("B reads A's application: %s", r.Data)
		}
		for _, m := range []string{"addScreeningApplicant", "removeScreeningApplicant", "cancelScreeningApplication", "refreshScreeningApplication"} {
			for _, id := range []string{aApp.ID, aLinkApp.ID} {
				r := act(e, bToken, m, "b-"+m, id, "lisa@example.com")
				apptest.WantCode(t, r, "NOT_FOUND")
				if r.Data != nil && string(r.Data) != "null" {
					t.Fatalf("%s: data %s", m, r.Data)
				}
			}
		}
		var list struct{ ScreeningApplications struct{ TotalCount int } }
		e.MustGQL(bToken, `{ screeningApplications { totalCount } }`, nil, &list)
		if list.ScreeningApplications.TotalCount != 0 {
			t.Fatalf("B lists %d applications", list.ScreeningApplications.TotalCount)
		}
		var applicants struct{ ScreeningApplicants struct{ TotalCount int } }
		e.MustGQL(bToken, `{ screeningApplicants { totalCount } }`, nil, &applicants)
		if applicants.ScreeningApplicants.TotalCount != 0 {
			t.Fatalf("B lists %d applicants", applicants.ScreeningApplicants.TotalCount)
		}
		// A's state is untouched, and B's own key space is separate.
		if st := e.ScreeningApp(aToken, aApp.ID, "").Status; st != "PENDING" {
			t.Fatalf("A's application is %s", st)
		}
		// Scopes: a read token cannot order; a platform token has no client to order for.
		read := e.Token(bID, viewer.ScopeRead)
		apptest.WantCode(t, e.GQL(read, apptest.CreateLinkMutation, map[string]any{"key": "r", "input": apptest.LinkInput("x@example.com")}), "FORBIDDEN")
		platform, _ := e.PlatformToken()
		apptest.WantCode(t, e.GQL(platform, apptest.CreateLinkMutation, map[string]any{"key": "p", "input": apptest.LinkInput("x@example.com")}), "FORBIDDEN")
		// A client without a SmartMove reference cannot order.
		_, bare := e.NewClient("Bare")
		r = e.GQL(bare, apptest.CreateLinkMutation, map[string]any{"key": "n", "input": apptest.LinkInput("x@example.com")})
		apptest.WantCode(t, r, "BAD_USER_INPUT")
	})
}

// TestScreeningRefreshStale: when postbacks stop arriving, the periodic job
// pulls the state from SmartMove.
func TestScreeningRefreshStale(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithSmartMove(smartmovetest.Options{}), func(t *testing.T, e *apptest.Env) {
		sm := apptest.SmartMove(t, e)
		_, token := e.ScreeningClient("Acme")
		app := e.CreateEmbedded(token, "k", true, "lisa@example.com")
		sm.Sim.HoldPostbacks() // postbacks are lost
		if err := sm.Sim.CompleteApplicant(*app.SmartmoveApplicationID, "lisa@example.com"); err != nil {
			t.Fatal(err)
		}
		n, err := sm.Svc.RefreshStale(context.Background(), time.Hour)
		if err != nil || n != 0 {
			t.Fatalf("a fresh application was refreshed: %d %v", n, err)
		}
		if st := e.ScreeningApp(token, app.ID, "").Status; st != "PENDING" {
			t.Fatalf("status %s", st)
		}
		n, err = sm.Svc.RefreshStale(context.Background(), 0)
		if err != nil || n != 1 {
			t.Fatalf("refreshed %d (%v), want 1", n, err)
		}
		got := e.ScreeningApp(token, app.ID, "")
		if got.Status != "READY" || got.CreditRecommendation != "ACCEPT" || got.ApplicantStatuses() != "lisa@example.com=REPORTS_AVAILABLE" {
			t.Fatalf("after refresh: %+v", got)
		}
		// Ready is not refreshed again.
		if n, _ := sm.Svc.RefreshStale(context.Background(), 0); n != 0 {
			t.Fatalf("refreshed a ready application")
		}
	})
}

// TestScreeningDemo is the playground user's path in demo mode, with no
// SmartMove key: order, finish the form on the completion link, watch the
// postbacks move the application to READY, open the report.
func TestScreeningDemo(t *testing.T) {
	e := apptest.New(t, "sqlite:"+t.TempDir()+"/demo.db", func(t *testing.T, s *apptest.Settings) {
		s.Config.Demo, s.Options.DemoStep = true, 30*time.Millisecond
	})
	public := e.Srv.URL
	// The demo client, as the playground user has it (its SmartMove
	// reference included).
	token := e.App.DemoToken()

	link, app := e.CreateLink(token, "demo-1", "lisa.simpson@example.com")
	if !strings.HasPrefix(link, public+"/smartmove/api/create/") {
		t.Fatalf("completion link %q does not open on this server", link)
	}
	c, m := apptest.DialWS(t, public, map[string]any{"Authorization": "Bearer " + token})
	if m.Type != "connection_ack" {
		t.Fatalf("connection: %s %s", m.Type, m.Payload)
	}
	c.Subscribe("1", app.ID)
	if st := c.NextStatus(); st != "PENDING" {
		t.Fatalf("first update %s", st)
	}
	// The landlord finishes the order on the simulated page.
	status, page := httpDo(t, http.MethodGet, link)
	if status != 200 || !strings.Contains(page, "lisa.simpson@example.com") {
		t.Fatalf("completion page: HTTP %d %s", status, page)
	}
	if status, page = httpDo(t, http.MethodPost, link); status != 200 || !strings.Contains(page, "created") {
		t.Fatalf("finishing: HTTP %d %s", status, page)
	}
	c.WaitStatus("READY", "PENDING", "IN_PROGRESS", "READY")
	got := e.ScreeningApp(token, app.ID, "reportUrl")
	if got.ReportURL == nil || !strings.HasPrefix(*got.ReportURL, public+"/smartmove/api/application/report/") {
		t.Fatalf("reportUrl %v", got.ReportURL)
	}
	if status, page = httpDo(t, http.MethodGet, *got.ReportURL); status != 200 || !strings.Contains(page, "Reports for application") {
		t.Fatalf("report page: HTTP %d %s", status, page)
	}
}

func httpDo(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

package prospects_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/viewer"
)

func TestProspectDelivery(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithPropexo(propexotest.Options{AutoComplete: 30 * time.Millisecond}, false), func(t *testing.T, e *apptest.Env) {
		sim := apptest.Propexo(t, e).Sim
		_, token := e.PropexoClient("Acme")
		var out apptest.CreatedProspect
		e.MustGQL(token, apptest.CreateProspect, map[string]any{"in": map[string]any{
			"firstName": "Ada", "lastName": "Lovelace", "phone1": "(512) 555-0100", "notes": "first visit:  gate 4711 ✓",
			"desiredNumBedrooms": []int{2, 3}, "leaseTermInMonths": 12, "subscribe": false,
		}}, &out)
		p := out.CreateProspect
		if p.Phone1 != "+15125550100" || len(p.IntegrationJobs.Edges) != 1 || p.IntegrationJobs.Edges[0].Node.Status != "QUEUED" {
			t.Fatalf("created %+v", p)
		}
		ds := e.WaitJobs(1, 20*time.Second)
		jobs0 := ds[0]
		if jobs0.Status != integrationjob.StatusSUCCEEDED || jobs0.PartnerJobID == "" || jobs0.Attempts != 1 {
			t.Fatalf("delivery %+v", jobs0)
		}
		var got struct {
			Node struct{ PropexoProspectID string }
		}
		e.MustGQL(token, `query($id: ID!) { node(id: $id) { ... on Prospect { propexoProspectID } } }`, map[string]any{"id": p.ID}, &got)
		remote, ok := sim.Prospect(got.Node.PropexoProspectID)
		if !ok || remote.FirstName != "Ada" || remote.IntegrationID != "int-Acme" || len(remote.DesiredNumBedrooms) != 1 {
			t.Fatalf("at Propexo: %v %+v", ok, remote)
		}

		// An update appends notes here and there, and sends only the new ones.
		var upd struct{ UpdateProspect struct{ Notes string } }
		e.MustGQL(token, `mutation($id: ID!) { updateProspect(id: $id, input: {notes: "second visit <b>&amp;</b>", city: "Austin"}) { notes } }`,
			map[string]any{"id": p.ID}, &upd)
		if upd.UpdateProspect.Notes != "first visit:  gate 4711 ✓\nsecond visit <b>&amp;</b>" {
			t.Fatalf("local notes %q", upd.UpdateProspect.Notes)
		}
		ds = e.WaitJobs(2, 20*time.Second)
		if ds[1].Kind != integrationjob.KindPROPEXO_UPDATE_PROSPECT || ds[1].Status != integrationjob.StatusSUCCEEDED {
			t.Fatalf("update delivery %+v", ds[1])
		}
		// The notes reach the CRM byte for byte as written: nothing of ours
		// is added to recognise a write (Propexo appends an update's notes
		// on a new line).
		remote, _ = sim.Prospect(got.Node.PropexoProspectID)
		if remote.Notes != upd.UpdateProspect.Notes || remote.City != "Austin" {
			t.Fatalf("at Propexo after the update: %+v", remote)
		}
	})
}

func TestProspectFieldRules(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.NewClient("Acme")
		cases := []struct {
			name  string
			in    map[string]any
			field string
		}{
			{"address1 over 40", map[string]any{"address1": strings.Repeat("a", 41)}, "address1"},
			{"address2 over 40", map[string]any{"address2": strings.Repeat("é", 41)}, "address2"},
			{"city over 30", map[string]any{"city": strings.Repeat("c", 31)}, "city"},
			{"state over 4", map[string]any{"state": "Texas"}, "state"},
			{"zip over 12", map[string]any{"zip": "1234567890123"}, "zip"},
			{"country over 2", map[string]any{"country": "USA"}, "country"},
			{"lease term 0", map[string]any{"leaseTermInMonths": 0}, "leaseTermInMonths"},
			{"lease term 19", map[string]any{"leaseTermInMonths": 19}, "leaseTermInMonths"},
			{"rent minimum 0", map[string]any{"rentMinimumInCents": 0}, "rentMinimumInCents"},
			{"rent maximum negative", map[string]any{"rentMaximumInCents": -5}, "rentMaximumInCents"},
		}
		for _, c := range cases {
			r := e.GQL(token, apptest.CreateProspect, map[string]any{"in": c.in})
			if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" ||
				fmt.Sprint(r.Errors[0].Extensions["field"]) != fmt.Sprint([]any{"input", c.field}) {
				t.Errorf("%s: %+v", c.name, r.Errors)
			}
		}
		if n, _ := e.Client.Prospect.Query().Count(e.Sys()); n != 0 {
			t.Fatalf("rejected creates wrote %d prospects", n)
		}
		// At the limits, it is accepted; on update the lease term has no maximum of 18 at
		// Propexo, but a stored prospect must stay creatable, so 18 is ours.
		var ok apptest.CreatedProspect
		e.MustGQL(token, apptest.CreateProspect, map[string]any{"in": map[string]any{
			"address1": strings.Repeat("a", 40), "city": strings.Repeat("é", 30), "state": "TX", "zip": "123456789012",
			"country": "US", "leaseTermInMonths": 18, "rentMinimumInCents": 1,
		}}, &ok)
		r := e.GQL(token, `mutation($id: ID!) { updateProspect(id: $id, input: {leaseTermInMonths: 0}) { id } }`, map[string]any{"id": ok.CreateProspect.ID})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("update lease term 0: %+v", r.Errors)
		}
		// Without a Propexo integration nothing is queued.
		if n, _ := e.Client.IntegrationJob.Query().Count(e.Sys()); n != 0 {
			t.Fatalf("%d deliveries for a client without Propexo", n)
		}
	})
}

func TestIsolationProspects(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		_, token := e.PropexoClient("A")
		b, tokenB := e.NewClient("B")
		var first, again apptest.CreatedProspect
		vars := map[string]any{"in": map[string]any{"firstName": "Once"}, "key": "create-once"}
		e.MustGQL(token, apptest.CreateProspect, vars, &first)
		e.MustGQL(token, apptest.CreateProspect, vars, &again)
		if first.CreateProspect.ID != again.CreateProspect.ID {
			t.Fatalf("same key, two prospects: %s and %s", first.CreateProspect.ID, again.CreateProspect.ID)
		}
		// No Propexo token is configured here: the delivery is visible as NOT_SENT.
		if n, _ := e.Client.Prospect.Query().Count(e.Sys()); n != 1 {
			t.Fatalf("%d prospects", n)
		}
		jobs, _ := e.Client.IntegrationJob.Query().All(e.Sys())
		if len(jobs) != 1 || jobs[0].Status != integrationjob.StatusNOT_SENT || jobs[0].LastError != "no Propexo token is configured" {
			t.Fatalf("deliveries %+v", jobs)
		}
		upd := `mutation($id: ID!, $key: String) { updateProspect(id: $id, input: {notes: "n"}, idempotencyKey: $key) { notes } }`
		for range 2 {
			e.MustGQL(token, upd, map[string]any{"id": first.CreateProspect.ID, "key": "note-once"}, nil)
		}
		p, _ := e.Client.Prospect.Query().Only(e.Sys())
		if p.Notes != "n" {
			t.Fatalf("notes after a retried update: %q", p.Notes)
		}
		// B cannot see, change or retry A's prospect and deliveries.
		prop, err := e.Client.Property.Create().SetClientID(b).SetTag("B1").Save(e.Sys())
		if err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			token, query string
			vars         map[string]any
		}{
			"update A's prospect":       {tokenB, upd, map[string]any{"id": first.CreateProspect.ID}},
			"retry A's delivery":        {tokenB, `mutation($id: ID!) { retryIntegrationJob(id: $id) { id } }`, map[string]any{"id": apptest.Itoa(jobs[0].ID)}},
			"A creates at B's property": {token, apptest.CreateProspect, map[string]any{"in": map[string]any{"propertyId": apptest.Itoa(prop.ID)}}},
		} {
			r := e.GQL(c.token, c.query, c.vars)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
				t.Errorf("%s: %+v", name, r.Errors)
			}
		}
		var list struct{ IntegrationJobs struct{ TotalCount int } }
		e.MustGQL(tokenB, `{ integrationJobs { totalCount } }`, nil, &list)
		if list.IntegrationJobs.TotalCount != 0 {
			t.Fatalf("B sees %d of A's deliveries", list.IntegrationJobs.TotalCount)
		}
	})
}

// TestProspectDeliveryFailures: a rejected write is final and visible, a
// Propexo job that fails is final, and retryIntegrationJob recovers both;
// 5xx and 429 are retried with backoff.
func TestProspectDeliveryFailures(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithPropexo(propexotest.Options{RateLimit: 1000, RateWindow: time.Second}, false), func(t *testing.T, e *apptest.Env) {
		sim := apptest.Propexo(t, e).Sim
		_, token := e.PropexoClient("F")
		create := func(name string) {
			e.MustGQL(token, apptest.CreateProspect, map[string]any{"in": map[string]any{"firstName": name}}, nil)
		}
		// 1. Rejected by Propexo (400): final, with the partner's message.
		sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultError, Status: 400})
		create("Rejected")
		j := e.WaitJobs(1, 20*time.Second)[0]
		if j.Status != integrationjob.StatusFAILED || j.LastError == "" || j.Attempts != 1 {
			t.Fatalf("rejected: %+v", j)
		}
		e.MustGQL(token, `mutation($id: ID!) { retryIntegrationJob(id: $id) { status } }`, map[string]any{"id": apptest.Itoa(j.ID)}, nil)
		completeWhenSent(t, e, sim, j.ID, propexotest.Success)
		if j = e.WaitJobs(1, 20*time.Second)[0]; j.Status != integrationjob.StatusSUCCEEDED {
			t.Fatalf("retried: %+v", j)
		}

		// 2. Server errors and a rate limit: retried until accepted.
		sim.FailNext(2, propexotest.Fault{Kind: propexotest.FaultError, Status: 503})
		sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultRateLimited})
		create("Flaky")
		completeWhenSent(t, e, sim, j.ID+1, propexotest.Success)
		j = e.WaitJobs(2, 30*time.Second)[1]
		if j.Status != integrationjob.StatusSUCCEEDED || j.Attempts != 3 {
			t.Fatalf("after faults: %+v (want SUCCEEDED after 2 failed attempts and 1 rate-limited wait)", j)
		}

		// 3. Propexo's job fails: FAILED with its errors; a retry re-runs it there.
		create("Doomed")
		completeWhenSent(t, e, sim, j.ID+1, propexotest.Failure, "unit not found")
		j = e.WaitJobs(3, 20*time.Second)[2]
		if j.Status != integrationjob.StatusFAILED || !strings.Contains(j.LastError, "unit not found") {
			t.Fatalf("failed at Propexo: %+v", j)
		}
		e.MustGQL(token, `mutation($id: ID!) { retryIntegrationJob(id: $id) { status } }`, map[string]any{"id": apptest.Itoa(j.ID)}, nil)
		completeWhenSent(t, e, sim, j.ID, propexotest.Success)
		if j = e.WaitJobs(3, 20*time.Second)[2]; j.Status != integrationjob.StatusSUCCEEDED {
			t.Fatalf("after retry-write: %+v", j)
		}
		r := e.GQL(token, `mutation($id: ID!) { retryIntegrationJob(id: $id) { status } }`, map[string]any{"id": apptest.Itoa(j.ID)})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("retrying a success: %+v", r.Errors)
		}
	})
}

// completeWhenSent finishes the Propexo job of a delivery once it is SENT.
func completeWhenSent(t *testing.T, e *apptest.Env, sim *propexotest.Sim, integrationJobID int, outcome propexotest.Status, errs ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		j, err := e.Client.IntegrationJob.Get(e.Sys(), integrationJobID)
		if err == nil && j.Status == integrationjob.StatusSENT {
			if pj, ok := sim.Job(j.PartnerJobID); ok && pj.Status == propexotest.Pending {
				if err := sim.CompleteJob(j.PartnerJobID, outcome, errs...); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("delivery %d was never sent", integrationJobID)
}

// TestProspectDeliverySurvivesRestart: deliveries queued while no worker
// runs (the server stopped) are all delivered, once, when one starts.
func TestProspectDeliverySurvivesRestart(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithPropexo(propexotest.Options{AutoComplete: 20 * time.Millisecond}, true), func(t *testing.T, e *apptest.Env) {
		d := apptest.Propexo(t, e)
		_, token := e.PropexoClient("R")
		for i := range 5 {
			e.MustGQL(token, apptest.CreateProspect, map[string]any{"in": map[string]any{"firstName": fmt.Sprint("P", i)}}, nil)
		}
		time.Sleep(100 * time.Millisecond)
		if n := d.Sim.CreateRequests(); n != 0 {
			t.Fatalf("%d requests reached Propexo with no worker running", n)
		}
		queued, _ := e.Client.IntegrationJob.Query().Where(integrationjob.StatusEQ(integrationjob.StatusQUEUED)).Count(e.Sys())
		if queued != 5 {
			t.Fatalf("%d deliveries queued, want 5", queued)
		}
		d.Start(t) // the server comes back
		for _, j := range e.WaitJobs(5, 30*time.Second) {
			if j.Status != integrationjob.StatusSUCCEEDED {
				t.Fatalf("after the restart: %+v", j)
			}
		}
		if n := len(d.Sim.Prospects()); n != 5 {
			t.Fatalf("%d prospects at Propexo, want 5", n)
		}
	})
}

// TestProspectDeliveryExactlyOnce is the issue's scenario: with the
// simulator failing 30% of calls (writes and write-status reads; half of the
// failed writes after applying the write, the answer lost), 200 createProspect calls end as exactly 200 prospects at
// Propexo, each once, all SUCCEEDED in the graph.
func TestProspectDeliveryExactlyOnce(t *testing.T) {
	opts := propexotest.Options{FailRate: 0.3, ReadFailRate: 0.3, Seed: 7, RateLimit: 100000, AutoComplete: 10 * time.Millisecond}
	apptest.EachDBSetup(t, apptest.WithPropexo(opts, false), func(t *testing.T, e *apptest.Env) {
		d := apptest.Propexo(t, e)
		_, token := e.PropexoClient("X")
		const n = 200
		for i := range n {
			e.MustGQL(token, apptest.CreateProspect, map[string]any{"in": map[string]any{"firstName": fmt.Sprintf("P%03d", i),
				"notes": fmt.Sprintf("visit %d\n  at 5 pm ✓", i)}}, nil)
		}
		jobs := e.WaitJobs(n, 3*time.Minute)
		retried := 0
		for _, j := range jobs {
			if j.Status != integrationjob.StatusSUCCEEDED {
				t.Fatalf("delivery %d ended %s: %s", j.ID, j.Status, j.LastError)
			}
			if j.Attempts > 1 {
				retried++
			}
		}
		var names []string
		for _, p := range d.Sim.Prospects() {
			names = append(names, p.FirstName)
			// Nothing of ours reaches the CRM: the notes are the user's,
			// byte for byte, through every lost answer.
			var i int
			if _, err := fmt.Sscanf(p.FirstName, "P%03d", &i); err != nil || p.Notes != fmt.Sprintf("visit %d\n  at 5 pm ✓", i) {
				t.Fatalf("%s's notes at Propexo: %q", p.FirstName, p.Notes)
			}
		}
		slices.Sort(names)
		if len(names) != n || len(slices.Compact(slices.Clone(names))) != n {
			t.Fatalf("%d prospects at Propexo (%d distinct), want %d each once", len(names), len(slices.Compact(names)), n)
		}
		st := d.Sim.Stats()
		if st.FaultsAfterWrite == 0 || st.FaultsBeforeWrite == 0 || st.FaultsOnReads == 0 || retried == 0 {
			t.Fatalf("the scenario did not exercise lost answers: %+v, %d retried", st, retried)
		}
		var graph struct {
			IntegrationJobs struct{ TotalCount int }
		}
		e.MustGQL(token, `{ integrationJobs(where: {status: SUCCEEDED}) { totalCount } }`, nil, &graph)
		if graph.IntegrationJobs.TotalCount != n {
			t.Fatalf("the graph shows %d SUCCEEDED deliveries", graph.IntegrationJobs.TotalCount)
		}
		t.Logf("%d deliveries retried; simulator: %+v", retried, st)
	})
}

func TestClientPartnerReferences(t *testing.T) {
	apptest.EachDB(t, func(t *testing.T, e *apptest.Env) {
		a, clientAdmin := e.NewClient("A", viewer.ScopeAdmin)
		writer := e.Token(a, viewer.ScopeWrite)
		admin := e.Token(0, viewer.ScopeAdmin) // partner references are the platform's to set
		const set = `mutation($id: ID!, $in: ClientPartnerReferencesInput!) {
			updateClientPartnerReferences(id: $id, input: $in) { smartmoveReference propexoIntegrationID } }`
		var out struct {
			UpdateClientPartnerReferences struct{ SmartmoveReference, PropexoIntegrationID string }
		}
		e.MustGQL(admin, set, map[string]any{"id": apptest.Itoa(a), "in": map[string]any{"propexoIntegrationId": " int-9 "}}, &out)
		if r := out.UpdateClientPartnerReferences; r.PropexoIntegrationID != "int-9" || r.SmartmoveReference != "" {
			t.Fatalf("stored %+v", r)
		}
		for name, c := range map[string]struct {
			token, id, code string
		}{
			"write scope only": {writer, apptest.Itoa(a), "FORBIDDEN"},
			"client admin":     {clientAdmin, apptest.Itoa(a), "FORBIDDEN"},
		} {
			r := e.GQL(c.token, set, map[string]any{"id": c.id, "in": map[string]any{"smartmoveReference": "x"}})
			if len(r.Errors) != 1 || r.Errors[0].Code() != c.code {
				t.Errorf("%s: %+v", name, r.Errors)
			}
		}
		// With the integration id set, a new prospect's delivery is recorded
		// (NOT_SENT here: this server has no Propexo token).
		var p apptest.CreatedProspect
		e.MustGQL(writer, apptest.CreateProspect, map[string]any{"in": map[string]any{"firstName": "Z"}}, &p)
		if edges := p.CreateProspect.IntegrationJobs.Edges; len(edges) != 1 || edges[0].Node.Status != "NOT_SENT" {
			t.Fatalf("delivery %+v", edges)
		}
	})
}

// TestRegistrationDeliversProspect: a prospect registered by an agent goes
// to the client's CRM through the same delivery as createProspect.
func TestRegistrationDeliversProspect(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithPropexo(propexotest.Options{AutoComplete: 20 * time.Millisecond}, false), func(t *testing.T, e *apptest.Env) {
		d := apptest.Propexo(t, e)
		clientID, token := e.PropexoClient("Reg")
		if err := e.Client.Property.Create().SetClientID(clientID).SetTag("OPEN").SetName("Open House").Exec(e.Sys()); err != nil {
			t.Fatal(err)
		}
		var out apptest.RegisterResult
		e.MustGQL(token, apptest.RegisterMutation, map[string]any{"in": map[string]any{
			"propertyTag": "OPEN", "fullName": "Ana Lopez", "mobilePhone": "(512) 555-0142",
		}}, &out)
		if out.RegisterProspect.Status != "invited" {
			t.Fatalf("registration: %+v", out.RegisterProspect)
		}
		jobs := e.WaitJobs(1, 20*time.Second)
		if jobs[0].Kind != integrationjob.KindPROPEXO_CREATE_PROSPECT || jobs[0].Status != integrationjob.StatusSUCCEEDED {
			t.Fatalf("delivery %+v", jobs[0])
		}
		remote := d.Sim.Prospects()
		if len(remote) != 1 || remote[0].Phone1 != "+15125550142" || remote[0].FirstName != "Ana" || remote[0].IntegrationID != "int-Reg" {
			t.Fatalf("at Propexo: %+v", remote)
		}
	})
}

// deliveryView is an IntegrationJob as the graph shows it.
type deliveryView struct {
	Status, LastError string
	FailedFields      []string
	Attempts          int
}

func delivery(e *apptest.Env, token string, id int) deliveryView {
	e.T.Helper()
	var out struct{ Node deliveryView }
	e.MustGQL(token, `query($id: ID!) { node(id: $id) { ... on IntegrationJob { status lastError failedFields attempts } } }`,
		map[string]any{"id": apptest.Itoa(id)}, &out)
	return out.Node
}

// TestProspectDeliveryRepair: what Propexo says about a failed write reaches
// the graph, and each kind of failure is repaired the way Propexo allows: a
// rejected field is named; a PARTIAL write is completed by sending the failed
// fields again (retry-write would be a 400: only failed writes can be
// retried); a refused retry-write is FAILED with the reason.
func TestProspectDeliveryRepair(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithPropexo(propexotest.Options{RateLimit: 1000, RateWindow: time.Second}, false), func(t *testing.T, e *apptest.Env) {
		sim := apptest.Propexo(t, e).Sim
		_, token := e.PropexoClient("P")
		create := func(in map[string]any) apptest.CreatedProspect {
			var out apptest.CreatedProspect
			e.MustGQL(token, apptest.CreateProspect, map[string]any{"in": in}, &out)
			return out
		}

		// 1. Propexo rejects a field (400, issues at error.details.details.issues).
		sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultError, Status: 400, Issues: []propexotest.Issue{
			{Code: "too_big", Path: []any{"address_1"}, Message: "String must contain at most 40 character(s)"}}})
		create(map[string]any{"firstName": "Rejected"})
		j := e.WaitJobs(1, 20*time.Second)[0]
		d := delivery(e, token, j.ID)
		if d.Status != "FAILED" || !strings.Contains(d.LastError, "address_1: String must contain at most 40") ||
			!slices.Equal(d.FailedFields, []string{"address_1"}) {
			t.Fatalf("rejected field: %+v", d)
		}

		// 2. PARTIAL_SUCCESS: the prospect exists (created_record_id kept),
		// the city was not written. Completing sends the city again, once.
		p := create(map[string]any{"firstName": "Partly", "city": "Austin", "notes": "hello"})
		completeWhenSent(t, e, sim, j.ID+1, propexotest.PartialSuccess, "city: RentCafe refused the city")
		j = e.WaitJobs(2, 20*time.Second)[1]
		d = delivery(e, token, j.ID)
		if d.Status != "PARTIAL" || !strings.Contains(d.LastError, "RentCafe refused the city") || !slices.Equal(d.FailedFields, []string{"city"}) {
			t.Fatalf("partial: %+v", d)
		}
		var linked struct {
			Node struct{ PropexoProspectID string }
		}
		e.MustGQL(token, `query($id: ID!) { node(id: $id) { ... on Prospect { propexoProspectID } } }`, map[string]any{"id": p.CreateProspect.ID}, &linked)
		remote, ok := sim.Prospect(linked.Node.PropexoProspectID)
		if !ok || remote.City != "" || remote.FirstName != "Partly" {
			t.Fatalf("after the partial write, Propexo holds %v %+v", ok, remote)
		}
		e.MustGQL(token, `mutation($id: ID!) { retryIntegrationJob(id: $id) { status } }`, map[string]any{"id": apptest.Itoa(j.ID)}, nil)
		completeWhenSent(t, e, sim, j.ID, propexotest.Success)
		e.WaitJobs(2, 20*time.Second)
		if d = delivery(e, token, j.ID); d.Status != "SUCCEEDED" || len(d.FailedFields) != 0 {
			t.Fatalf("completed: %+v", d)
		}
		remote, _ = sim.Prospect(linked.Node.PropexoProspectID)
		if remote.City != "Austin" || strings.Count(remote.Notes, "hello") != 1 || sim.Stats().RetryRequests != 0 {
			t.Fatalf("after completing, Propexo holds %+v (%d retry-writes)", remote, sim.Stats().RetryRequests)
		}
		if last := sim.Jobs()[len(sim.Jobs())-1]; last.Kind != "update" {
			t.Fatalf("completed with a %s, want an update", last.Kind)
		}

		// 3. A FAILURE write whose retry-write Propexo refuses (success: false).
		create(map[string]any{"firstName": "Refused"})
		completeWhenSent(t, e, sim, j.ID+1, propexotest.Failure, "PMS unavailable")
		j = e.WaitJobs(3, 20*time.Second)[2]
		sim.RefuseNextRetries(1)
		e.MustGQL(token, `mutation($id: ID!) { retryIntegrationJob(id: $id) { status } }`, map[string]any{"id": apptest.Itoa(j.ID)}, nil)
		j = e.WaitJobs(3, 20*time.Second)[2]
		if d = delivery(e, token, j.ID); d.Status != "FAILED" || !strings.Contains(d.LastError, "Propexo refused to retry the write") {
			t.Fatalf("refused retry: %+v", d)
		}
	})
}

// TestProspectUpdateExactlyOnce: an update whose answer was lost after
// Propexo applied it is recognised there (its note counted once more than
// before the send) and not sent again, so its notes are appended once; the
// same note sent again later, when it is already there, is appended once
// more, not held and not doubled.
func TestProspectUpdateExactlyOnce(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithPropexo(propexotest.Options{AutoComplete: 10 * time.Millisecond}, false), func(t *testing.T, e *apptest.Env) {
		sim := apptest.Propexo(t, e).Sim
		_, token := e.PropexoClient("U")
		var p apptest.CreatedProspect
		e.MustGQL(token, apptest.CreateProspect, map[string]any{"in": map[string]any{"firstName": "Una"}}, &p)
		e.WaitJobs(1, 20*time.Second)
		sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultError, Status: 502, AfterWrite: true})
		e.MustGQL(token, `mutation($id: ID!) { updateProspect(id: $id, input: {notes: "called back"}) { id } }`, map[string]any{"id": p.CreateProspect.ID}, nil)
		ds := e.WaitJobs(2, 20*time.Second)
		remote := sim.Prospects()
		if ds[1].Status != integrationjob.StatusSUCCEEDED || len(remote) != 1 || remote[0].Notes != "called back" ||
			sim.Stats().UpdateRequests != 1 || sim.Stats().FaultsAfterWrite != 1 {
			t.Fatalf("update %s (%s); Propexo notes %q after %d updates", ds[1].Status, ds[1].LastError, remote[0].Notes, sim.Stats().UpdateRequests)
		}
		sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultError, Status: 502, AfterWrite: true})
		e.MustGQL(token, `mutation($id: ID!) { updateProspect(id: $id, input: {notes: "called back"}) { id } }`, map[string]any{"id": p.CreateProspect.ID}, nil)
		ds = e.WaitJobs(3, 20*time.Second)
		remote = sim.Prospects()
		if ds[2].Status != integrationjob.StatusSUCCEEDED || remote[0].Notes != "called back\ncalled back" ||
			sim.Stats().UpdateRequests != 2 || sim.Stats().FaultsAfterWrite != 2 {
			t.Fatalf("the repeated note: %s (%s); Propexo notes %q after %d updates", ds[2].Status, ds[2].LastError, remote[0].Notes, sim.Stats().UpdateRequests)
		}
	})
}

// TestHeldDeliveryIsResolved: two leads at Propexo match a prospect whose
// create lost its answer, so the delivery is HELD, visible in the graph
// with its candidates (ours and the two twins), and a person decides:
// adopting ours links the prospect; abandoning ends a second one FAILED
// with nothing sent; resending a third creates it again. Refused decisions
// write nothing.
func TestHeldDeliveryIsResolved(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithPropexo(propexotest.Options{AutoComplete: 10 * time.Millisecond}, false), func(t *testing.T, e *apptest.Env) {
		sim := apptest.Propexo(t, e).Sim
		_, token := e.PropexoClient("H")
		twin := propexotest.Prospect{IntegrationID: "int-H", FirstName: "Hal", LastName: "Held", Phone1: "+15125550111"}
		twins := []string{sim.SeedProspect(twin), sim.SeedProspect(twin)}
		create := func() string {
			sim.FailNext(1, propexotest.Fault{Kind: propexotest.FaultError, Status: 502, AfterWrite: true})
			var p apptest.CreatedProspect
			e.MustGQL(token, apptest.CreateProspect, map[string]any{"in": map[string]any{"firstName": "Hal", "lastName": "Held", "phone1": "(512) 555-0111"}}, &p)
			return p.CreateProspect.ID
		}
		type job struct {
			ID, Status, LastError string
			Candidates            []string
		}
		var prospect struct {
			Node struct {
				PropexoProspectID string
				IntegrationJobs   struct{ Edges []struct{ Node job } }
			}
		}
		read := func(id string) job {
			e.MustGQL(token, `query($id: ID!) { node(id: $id) { ... on Prospect { propexoProspectID
				integrationJobs { edges { node { id status lastError candidates } } } } } }`, map[string]any{"id": id}, &prospect)
			return prospect.Node.IntegrationJobs.Edges[0].Node
		}
		const resolve = `mutation($id: ID!, $action: HeldDeliveryAction!, $c: String) {
			resolveHeldDelivery(id: $id, action: $action, candidateId: $c) { status lastError candidates } }`
		ours := func(candidates []string) string {
			for _, c := range candidates {
				if !slices.Contains(twins, c) {
					return c
				}
			}
			return ""
		}

		p1 := create()
		e.WaitJobs(1, 20*time.Second)
		j := read(p1)
		mine := ours(j.Candidates)
		if j.Status != "HELD" || len(j.Candidates) != 3 || mine == "" || !strings.Contains(j.LastError, "resolveHeldDelivery") ||
			prospect.Node.PropexoProspectID != "" || sim.Stats().CreateRequests != 1 {
			t.Fatalf("held delivery %+v, prospect linked to %q, %d creates", j, prospect.Node.PropexoProspectID, sim.Stats().CreateRequests)
		}
		for _, bad := range []struct {
			vars  map[string]any
			field string
		}{
			{map[string]any{"action": "ADOPT", "c": "prospect_nope"}, "candidateId"},
			{map[string]any{"action": "ADOPT"}, "candidateId"},
			{map[string]any{"action": "RESEND", "c": mine}, "candidateId"},
		} {
			bad.vars["id"] = j.ID
			r := e.GQL(token, resolve, bad.vars)
			apptest.WantCode(t, r, "BAD_USER_INPUT")
			if f, _ := r.Errors[0].Extensions["field"].([]any); len(f) == 0 || f[len(f)-1] != bad.field {
				t.Fatalf("%v: the error names %v, want %s", bad.vars, r.Errors[0].Extensions["field"], bad.field)
			}
		}
		if again := read(p1); again.Status != "HELD" || len(again.Candidates) != 3 {
			t.Fatalf("after refused decisions: %+v", again)
		}
		var out struct{ ResolveHeldDelivery job }
		e.MustGQL(token, resolve, map[string]any{"id": j.ID, "action": "ADOPT", "c": mine}, &out)
		if out.ResolveHeldDelivery.Status != "SUCCEEDED" || len(out.ResolveHeldDelivery.Candidates) != 0 {
			t.Fatalf("adopted: %+v", out.ResolveHeldDelivery)
		}
		if read(p1); prospect.Node.PropexoProspectID != mine {
			t.Fatalf("the prospect is linked to %q, want %q", prospect.Node.PropexoProspectID, mine)
		}
		apptest.WantCode(t, e.GQL(token, resolve, map[string]any{"id": j.ID, "action": "ABANDON"}), "BAD_USER_INPUT")

		// The lead adopted is the first prospect's: not a candidate of the
		// second, whose own write makes three again with the twins.
		p2 := create()
		e.WaitJobs(2, 20*time.Second)
		j = read(p2)
		if j.Status != "HELD" || len(j.Candidates) != 3 || slices.Contains(j.Candidates, mine) {
			t.Fatalf("second held delivery %+v (the first's lead %s)", j, mine)
		}
		e.MustGQL(token, resolve, map[string]any{"id": j.ID, "action": "ABANDON"}, &out)
		if out.ResolveHeldDelivery.Status != "FAILED" || !strings.Contains(out.ResolveHeldDelivery.LastError, "abandoned") {
			t.Fatalf("abandoned: %+v", out.ResolveHeldDelivery)
		}

		p3 := create()
		e.WaitJobs(3, 20*time.Second)
		j = read(p3)
		if j.Status != "HELD" {
			t.Fatalf("third delivery %+v", j)
		}
		e.MustGQL(token, resolve, map[string]any{"id": j.ID, "action": "RESEND"}, &out)
		if out.ResolveHeldDelivery.Status != "QUEUED" {
			t.Fatalf("resent: %+v", out.ResolveHeldDelivery)
		}
		e.WaitJobs(3, 20*time.Second)
		if j = read(p3); j.Status != "SUCCEEDED" || prospect.Node.PropexoProspectID == "" || sim.Stats().CreateRequests != 4 {
			t.Fatalf("after the resend: %+v, linked to %q, %d creates", j, prospect.Node.PropexoProspectID, sim.Stats().CreateRequests)
		}
	})
}

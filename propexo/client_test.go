package propexo

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"

	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

func fullCreate() *CreateProspectRequest {
	return &CreateProspectRequest{
		IntegrationID: "int_1", CommunityID: "com_1", Email1: "ada@example.com", Phone1: "+15555550100",
		Phone2: "+15555550101", FirstName: "Ada", MiddleName: "K", LastName: "Lovelace", MoveInDate: "2025-07-01",
		RentMinimumInCents: Int(150000), RentMaximumInCents: Int(200000), Notes: "wants parking",
		Pets: []string{"dog"}, AttributionID: "att_1", AgentID: "agt_1", Address1: "1 Main St", Address2: "Apt 2",
		City: "Reno", State: "NV", Zip: "89501", Country: "US", NumberOfOccupants: Int(2), LeaseTermInMonths: Int(12),
		DesiredNumBedrooms: []int{2, 3}, Subscribe: Bool(true), FirstContactType: "web",
		PreferredContactMethod: "email", ProspectSource: "Zillow",
	}
}

func TestCreateProspectEndToEnd(t *testing.T) {
	e := newEnv(t, propexotest.Options{}, Config{})
	ctx := context.Background()
	wr, err := e.client.CreateProspect(ctx, fullCreate())
	if err != nil {
		t.Fatal(err)
	}
	if wr.JobID != "job_1" {
		t.Fatalf("job id %q", wr.JobID)
	}
	var data map[string]any
	if err := json.Unmarshal(wr.Data, &data); err != nil || data["city"] != "Reno" || len(data) != 28 {
		t.Fatalf("data %s (%v)", wr.Data, err)
	}
	ws, err := e.client.WriteStatus(ctx, wr.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (&WriteStatus{JobID: "job_1", Status: StatusPending}); !reflect.DeepEqual(ws, want) {
		t.Fatalf("status %+v", ws)
	}
	if err := e.sim.CompleteJob(wr.JobID, propexotest.Success); err != nil {
		t.Fatal(err)
	}
	ws, err = e.client.WriteStatus(ctx, wr.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (&WriteStatus{JobID: "job_1", Status: StatusSuccess, CreatedRecordID: "prospect_1"}); !reflect.DeepEqual(ws, want) {
		t.Fatalf("status %+v", ws)
	}
	// Every field arrived under its spec name (the simulator rejects
	// unknown keys), and only the first bedroom count was kept.
	b := true
	want := propexotest.Prospect{ID: "prospect_1",
		IntegrationID: "int_1", CommunityID: "com_1", Email1: "ada@example.com", Phone1: "+15555550100",
		Phone2: "+15555550101", FirstName: "Ada", MiddleName: "K", LastName: "Lovelace", MoveInDate: "2025-07-01",
		RentMinimumInCents: Int(150000), RentMaximumInCents: Int(200000), Notes: "wants parking",
		Pets: []string{"dog"}, AttributionID: "att_1", AgentID: "agt_1", Address1: "1 Main St", Address2: "Apt 2",
		City: "Reno", State: "NV", Zip: "89501", Country: "US", NumberOfOccupants: Int(2), LeaseTermInMonths: Int(12),
		DesiredNumBedrooms: []int{2}, Subscribe: &b, FirstContactType: "web",
		PreferredContactMethod: "email", ProspectSource: "Zillow",
	}
	if got := e.sim.Prospects(); !reflect.DeepEqual(got, []propexotest.Prospect{want}) {
		t.Fatalf("stored\n got %+v\nwant %+v", got, want)
	}
}

func TestOptionalFieldsOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  any
		want string
	}{
		{"create minimal", &CreateProspectRequest{IntegrationID: "i"}, `{"integration_id":"i"}`},
		{"subscribe false is sent", &CreateProspectRequest{IntegrationID: "i", Subscribe: Bool(false)}, `{"integration_id":"i","subscribe":false}`},
		{"update minimal", &UpdateProspectRequest{LeaseID: "l"}, `{"lease_id":"l"}`},
		{"update subscribe false", &UpdateProspectRequest{LeaseID: "l", Subscribe: Bool(false)}, `{"lease_id":"l","subscribe":false}`},
	} {
		b, err := json.Marshal(tc.req)
		if err != nil || string(b) != tc.want {
			t.Errorf("%s: %s (%v), want %s", tc.name, b, err, tc.want)
		}
	}
	// And the simulator stores unset and false differently.
	e := newEnv(t, propexotest.Options{}, Config{})
	ctx := context.Background()
	for _, s := range []*bool{nil, Bool(false)} {
		if _, err := e.client.CreateProspect(ctx, &CreateProspectRequest{IntegrationID: "i", Subscribe: s}); err != nil {
			t.Fatal(err)
		}
	}
	e.sim.CompleteAll(propexotest.Success)
	ps := e.sim.Prospects()
	if len(ps) != 2 || ps[0].Subscribe != nil || ps[1].Subscribe == nil || *ps[1].Subscribe {
		t.Fatalf("prospects %+v", ps)
	}
}

func TestUpdateProspectEndToEnd(t *testing.T) {
	e := newEnv(t, propexotest.Options{}, Config{})
	ctx := context.Background()
	id := e.sim.SeedProspect(propexotest.Prospect{IntegrationID: "int_1", FirstName: "Ada", Notes: "first call", MiddleName: "K"})
	wr, err := e.client.UpdateProspect(ctx, id, &UpdateProspectRequest{
		LeaseID: "lease_1", Email1: "a@x.io", Phone1: "1", Phone2: "2", FirstName: "Ava", LastName: "L",
		MoveInDate: "2025-08-01", RentMinimumInCents: Int(1), RentMaximumInCents: Int(2), Notes: "toured",
		Pets: []string{"cat"}, AgentID: "agt", NumberOfOccupants: Int(1), LeaseTermInMonths: Int(24),
		DesiredNumBedrooms: []int{4, 1}, Address1: "a1", Address2: "a2", City: "c", State: "s", Zip: "z",
		Country: "CA", PreferredContactMethod: "sms", Subscribe: Bool(false), ProspectSource: "web",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.CompleteJob(wr.JobID, propexotest.Success); err != nil {
		t.Fatal(err)
	}
	f := false
	want := propexotest.Prospect{ID: id, IntegrationID: "int_1", MiddleName: "K", LeaseID: "lease_1", Email1: "a@x.io",
		Phone1: "1", Phone2: "2", FirstName: "Ava", LastName: "L", MoveInDate: "2025-08-01",
		RentMinimumInCents: Int(1), RentMaximumInCents: Int(2), Notes: "first call\ntoured", Pets: []string{"cat"},
		AgentID: "agt", NumberOfOccupants: Int(1), LeaseTermInMonths: Int(24), DesiredNumBedrooms: []int{4},
		Address1: "a1", Address2: "a2", City: "c", State: "s", Zip: "z", Country: "CA",
		PreferredContactMethod: "sms", Subscribe: &f, ProspectSource: "web"}
	if got, _ := e.sim.Prospect(id); !reflect.DeepEqual(got, want) {
		t.Fatalf("prospect\n got %+v\nwant %+v", got, want)
	}
	ws, err := e.client.WriteStatus(ctx, wr.JobID)
	if err != nil || ws.Status != StatusSuccess || ws.CreatedRecordID != id {
		t.Fatalf("status %+v, %v", ws, err)
	}
}

func TestUpdateUnknownProspect(t *testing.T) {
	e := newEnv(t, propexotest.Options{}, Config{})
	_, err := e.client.UpdateProspect(context.Background(), "prospect_nope", &UpdateProspectRequest{LeaseID: "l"})
	want := &APIError{StatusCode: 404, Code: "NOT_FOUND", Message: "prospect prospect_nope not found"}
	var got *APIError
	if !errors.As(err, &got) || !reflect.DeepEqual(got, want) {
		t.Fatalf("err %#v", err)
	}
	if !errors.Is(err, ErrNotFound) || Retryable(err) || MaybeApplied(err) {
		t.Errorf("classification of %v", err)
	}
}

// TestWriteStatusLifecycle: a write is followed to its end; retry-write
// is refused (400) unless the write FAILED, answers the new job to follow,
// and a success: false is ErrRetryRefused.
func TestWriteStatusLifecycle(t *testing.T) {
	e := newEnv(t, propexotest.Options{}, Config{})
	ctx := context.Background()
	wr, err := e.client.CreateProspect(ctx, &CreateProspectRequest{IntegrationID: "i", FirstName: "Bo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.RetryWrite(ctx, wr.JobID); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("retry of pending job: %v", err)
	}
	if err := e.sim.CompleteJob(wr.JobID, propexotest.Failure, "RentCafe rejected the email"); err != nil {
		t.Fatal(err)
	}
	e.sim.RefuseNextRetries(1)
	if _, err := e.client.RetryWrite(ctx, wr.JobID); !errors.Is(err, ErrRetryRefused) {
		t.Fatalf("refused retry: %v", err)
	}
	next := ""
	steps := []struct {
		act  func()
		job  *string
		want WriteStatus
	}{
		{func() {}, &wr.JobID, WriteStatus{Status: StatusFailure, Errors: []string{"RentCafe rejected the email"}}},
		{func() {
			if next, err = e.client.RetryWrite(ctx, wr.JobID); err != nil || next == wr.JobID {
				t.Fatal(next, err)
			}
		}, &next, WriteStatus{Status: StatusPending}},
		{func() { _ = e.sim.CompleteJob(next, propexotest.PartialSuccess, "pets not supported") },
			&next, WriteStatus{Status: StatusPartialSuccess, Errors: []string{"pets not supported"}, CreatedRecordID: "prospect_1"}},
	}
	for i, s := range steps {
		s.act()
		s.want.JobID = *s.job
		ws, err := e.client.WriteStatus(ctx, *s.job)
		if err != nil || !reflect.DeepEqual(*ws, s.want) {
			t.Fatalf("step %d: %+v %v, want %+v", i, ws, err, s.want)
		}
		if ws.Status.Done() != (s.want.Status != StatusPending) {
			t.Errorf("Done() for %s", ws.Status)
		}
	}
	if j, _ := e.sim.Job(next); j.Attempts != 2 {
		t.Errorf("attempts %d", j.Attempts)
	}
	// An unknown job is a 400 at Propexo (docs/partners/propexo.md#write-status).
	if _, err := e.client.WriteStatus(ctx, "job_404"); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("unknown job: %v", err)
	}
	if _, err := e.client.RetryWrite(ctx, "job_404"); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("retry unknown job: %v", err)
	}
}

// TestLeads: ListLeads pages newest first by integration; GetLead reads one.
func TestLeads(t *testing.T) {
	e := newEnv(t, propexotest.Options{}, Config{})
	ctx := context.Background()
	for _, n := range []string{"one", "two"} {
		wr, err := e.client.CreateProspect(ctx, &CreateProspectRequest{IntegrationID: "i", Notes: n})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.sim.CompleteJob(wr.JobID, propexotest.Success); err != nil {
			t.Fatal(err)
		}
	}
	p, err := e.client.ListLeads(ctx, LeadQuery{IntegrationID: "i", Limit: 1, OrderBy: "created_at:asc"})
	if err != nil || len(p.Leads) != 1 || !p.HasMore || p.Total != 2 || p.Leads[0].Notes != "one" || p.Leads[0].CreatedAt.IsZero() {
		t.Fatalf("page: %+v %v", p, err)
	}
	l, err := e.client.GetLead(ctx, p.Leads[0].ID)
	if err != nil || l.Notes != "one" || l.IntegrationID != "i" {
		t.Fatalf("lead: %+v %v", l, err)
	}
	if _, err := e.client.ListLeads(ctx, LeadQuery{Limit: 251}); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("limit 251: %v", err)
	}
}

func TestMetaResultShapeFromSimulator(t *testing.T) {
	e := newEnv(t, propexotest.Options{MetaResult: true}, Config{})
	ctx := context.Background()
	wr, err := e.client.CreateProspect(ctx, &CreateProspectRequest{IntegrationID: "i", Zip: "89501"})
	if err != nil {
		t.Fatal(err)
	}
	if wr.JobID != "job_1" || string(wr.Data) != `{"integration_id":"i","zip":"89501"}` {
		t.Fatalf("%q %s", wr.JobID, wr.Data)
	}
	e.sim.CompleteAll(propexotest.Success)
	ws, err := e.client.WriteStatus(ctx, wr.JobID)
	if want := (&WriteStatus{JobID: "job_1", Status: StatusSuccess, CreatedRecordID: "prospect_1"}); err != nil || !reflect.DeepEqual(ws, want) {
		t.Fatalf("%+v %v", ws, err)
	}
}

func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, propexotest.Options{}, Config{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := e.client.CreateProspect(context.Background(), &CreateProspectRequest{IntegrationID: "i"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := e.sim.CreateRequests(); n != 20 {
		t.Fatalf("creates %d", n)
	}
}

package app_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/tracing"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// exporters are the spans of each running test (by name: the databases'
// subtests run in parallel).
var exporters sync.Map

// withTracing records the app's spans in an exporter of the test's own
// (synchronously: a span is there once it ended).
func withTracing(then ...apptest.Setup) apptest.Setup {
	return func(t *testing.T, s *apptest.Settings) {
		exp := tracetest.NewInMemoryExporter()
		exporters.Store(t.Name(), exp)
		t.Cleanup(func() { exporters.Delete(t.Name()) })
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
		t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
		s.Options.Tracing = tracing.New(tp)
		for _, setup := range then {
			setup(t, s)
		}
	}
}

func spans(t *testing.T) *tracetest.InMemoryExporter {
	exp, ok := exporters.Load(t.Name())
	if !ok {
		t.Fatal("no exporter: use apptest.EachDBSetup(t, withTracing(...), ...)")
	}
	return exp.(*tracetest.InMemoryExporter)
}

// waitSpan waits for the first span matching ok: a server span ends just
// after its answer is sent, so the client may read it first.
func waitSpan(t *testing.T, exp *tracetest.InMemoryExporter, what string, ok func(tracetest.SpanStub) bool) tracetest.SpanStub {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, s := range exp.GetSpans() {
			if ok(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			var names []string
			for _, s := range exp.GetSpans() {
				names = append(names, s.Name)
			}
			t.Fatalf("no span %s among %q", what, names)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func named(name string) func(tracetest.SpanStub) bool {
	return func(s tracetest.SpanStub) bool { return s.Name == name }
}

func attr(s tracetest.SpanStub, key string) attribute.Value {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// TestTracingGraphQLRequest: one GraphQL request over HTTP is a server span
// named by its route, with the operation's span as its child; a refused
// operation's span carries the error's code, not its message.
func TestTracingGraphQLRequest(t *testing.T) {
	apptest.EachDBSetup(t, withTracing(), func(t *testing.T, e *apptest.Env) {
		exp := spans(t)
		_, token := e.NewClient("Acme")
		e.MustGQL(token, `query Typename { __typename }`, nil, nil)
		op := waitSpan(t, exp, "graphql query Typename", named("graphql query Typename"))
		req := waitSpan(t, exp, "POST /graphql", named("POST /graphql"))
		if req.SpanKind != trace.SpanKindServer || attr(req, "http.route").AsString() != "/graphql" {
			t.Errorf("request span kind %v, route %q", req.SpanKind, attr(req, "http.route").AsString())
		}
		if op.Parent.SpanID() != req.SpanContext.SpanID() || op.SpanContext.TraceID() != req.SpanContext.TraceID() {
			t.Errorf("operation span's parent %v, want the request's %v", op.Parent.SpanID(), req.SpanContext.SpanID())
		}
		if got := attr(op, "graphql.operation.type").AsString(); got != "query" {
			t.Errorf("operation type %q", got)
		}
		if op.Status.Code == codes.Error {
			t.Errorf("a successful operation has status %+v", op.Status)
		}

		// A path holding a secret (a postback's key) is recorded as its
		// route only.
		res, err := http.Post(e.Srv.URL+"/webhooks/smartmove/secretkey0123456789", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		hook := waitSpan(t, exp, "of the postback", func(s tracetest.SpanStub) bool { return strings.Contains(s.Name, "/webhooks/smartmove/") })
		for _, kv := range hook.Attributes {
			if strings.Contains(kv.Value.String(), "secretkey") {
				t.Errorf("span %q: the path's key in %s", hook.Name, kv.Key)
			}
		}

		r := e.GQL(token, `query Bad { noSuchField }`, nil)
		if len(r.Errors) == 0 {
			t.Fatal("an unknown field was answered")
		}
		bad := waitSpan(t, exp, "with an error status", func(s tracetest.SpanStub) bool {
			return strings.HasPrefix(s.Name, "graphql ") && s.Status.Code == codes.Error
		})
		if bad.Status.Description != "GRAPHQL_VALIDATION_FAILED" || strings.Contains(bad.Status.Description, "noSuchField") {
			t.Errorf("error status %q: want the code alone", bad.Status.Description)
		}
	})
}

// TestTracingPartnerCallInRequest: the SmartMove order a mutation makes is
// a client span, a child of the operation's, named by endpoint template
// with no id in it.
func TestTracingPartnerCallInRequest(t *testing.T) {
	apptest.EachDBSetup(t, withTracing(apptest.WithSmartMove(smartmovetest.Options{})), func(t *testing.T, e *apptest.Env) {
		exp := spans(t)
		apptest.SmartMove(t, e) // points the postbacks at this server
		_, token := e.ScreeningClient("Acme")
		e.CreateLink(token, "order-1", "lisa@example.com")
		op := waitSpan(t, exp, "of the mutation", func(s tracetest.SpanStub) bool { return strings.HasPrefix(s.Name, "graphql mutation") })
		call := waitSpan(t, exp, "of a SmartMove call", func(s tracetest.SpanStub) bool { return strings.HasPrefix(s.Name, "smartmove ") })
		if call.Parent.SpanID() != op.SpanContext.SpanID() {
			t.Errorf("partner span %q's parent is not the operation", call.Name)
		}
		if call.SpanKind != trace.SpanKindClient {
			t.Errorf("partner span kind %v", call.SpanKind)
		}
		assertNoIDs(t, exp)
	})
}

// TestTracingJobLinkedToRequest: a prospect created in a request is
// delivered by a job whose span links to that request's trace, and whose
// Propexo calls are its children.
func TestTracingJobLinkedToRequest(t *testing.T) {
	setup := withTracing(apptest.WithPropexo(propexotest.Options{AutoComplete: 30 * time.Millisecond}, false))
	apptest.EachDBSetup(t, setup, func(t *testing.T, e *apptest.Env) {
		exp := spans(t)
		_, token := e.PropexoClient("Acme")
		e.MustGQL(token, apptest.CreateProspect, map[string]any{"in": map[string]any{
			"firstName": "Ada", "lastName": "Lovelace", "phone1": "(512) 555-0100",
		}}, nil)
		if ds := e.WaitJobs(1, 20*time.Second); ds[0].Status != integrationjob.StatusSUCCEEDED {
			t.Fatalf("delivery %+v", ds[0])
		}
		req := waitSpan(t, exp, "POST /graphql", named("POST /graphql"))
		job := waitSpan(t, exp, "job deliver_prospect", named("job deliver_prospect"))
		linked := false
		for _, l := range job.Links {
			linked = linked || l.SpanContext.TraceID() == req.SpanContext.TraceID()
		}
		if !linked {
			t.Errorf("job span links %+v, none to the request's trace %v", job.Links, req.SpanContext.TraceID())
		}
		call := waitSpan(t, exp, "of a Propexo call", func(s tracetest.SpanStub) bool { return strings.HasPrefix(s.Name, "propexo ") })
		if call.SpanContext.TraceID() != job.SpanContext.TraceID() {
			t.Errorf("Propexo call %q is not in the job's trace", call.Name)
		}
		assertNoIDs(t, exp)
	})
}

// assertNoIDs: no span name or attribute of a partner call holds a path
// segment with a digit other than an API version (ids, keys, tokens).
func assertNoIDs(t *testing.T, exp *tracetest.InMemoryExporter) {
	t.Helper()
	for _, s := range exp.GetSpans() {
		if attr(s, "partner").AsString() == "" {
			continue
		}
		for _, v := range []string{s.Name, attr(s, "url.template").AsString()} {
			for _, seg := range strings.Split(v, "/") {
				if seg != "{id}" && strings.ContainsAny(seg, "0123456789") && !(len(seg) > 1 && seg[0] == 'v' && strings.Trim(seg[1:], "0123456789") == "") {
					t.Errorf("span %q: an id in %q", s.Name, v)
				}
			}
		}
		for _, kv := range s.Attributes {
			if strings.Contains(kv.Value.String(), "://") {
				t.Errorf("span %q: a URL in %s", s.Name, kv.Key)
			}
		}
	}
}

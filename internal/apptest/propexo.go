package apptest

import (
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/integrationjob"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

// Propexo, simulated (propexotest) over real HTTP: prospect deliveries
// (WithPropexo) and the lease sync with its webhooks (WithLeaseSync).

// TestPublicURL is the test server as a partner is told to reach it
// (Twilio's callbacks, Propexo's webhooks): deliveries are signed over it
// and rerouted to the test server (Reroute), as a proxy in front of it
// would.
const TestPublicURL = "https://leasegraph.example"

// WebhookSecret is the app's master key for Propexo webhooks under
// WithLeaseSync; each client's secret derives from it
// (propexosync.WebhookSecret).
const WebhookSecret = "whsec-test-0123456789"

// Reroute is a partner simulator's transport for its calls back to
// TestPublicURL: it sends them to the test server, as a proxy in front of
// it would; until a target is set (To) it refuses them.
type Reroute struct {
	mu     sync.Mutex
	target string
}

// To points the calls at target (a test server's URL).
func (r *Reroute) To(target string) {
	r.mu.Lock()
	r.target = target
	r.mu.Unlock()
}

// RoundTrip sends req to the target instead of its own host.
func (r *Reroute) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	target := r.target
	r.mu.Unlock()
	u, err := url.Parse(target)
	if err != nil || target == "" {
		return nil, &url.Error{Op: "Post", URL: req.URL.String(), Err: io.ErrUnexpectedEOF}
	}
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = u.Scheme, u.Host, ""
	return http.DefaultTransport.RoundTrip(req)
}

// ---- prospect deliveries ---------------------------------------------------

// PropexoSim is a test's Propexo simulator under WithPropexo.
type PropexoSim struct {
	Sim *propexotest.Sim
	// Start starts another server process on the test's database, its
	// workers running (the server coming back).
	Start func(t *testing.T)
}

type propexoKey struct{}

// WithPropexo delivers the app's prospects to a fresh simulator (one per
// database run) over real HTTP, with fast polling and retries so a test
// waits milliseconds, not minutes. With workersDown the API enqueues but
// nothing works the queue, as when the server stopped.
func WithPropexo(opts propexotest.Options, workersDown bool) Setup {
	return func(t *testing.T, s *Settings) {
		sim := propexotest.New(opts)
		t.Cleanup(sim.Close)
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		s.Config.Delivery.PropexoToken, s.Config.Delivery.PropexoBaseURL = "test-token", srv.URL
		s.Config.Delivery.ReconcileAfter = 100 * time.Millisecond
		s.Options.PropexoWindow = opts.RateWindow
		s.Options.PollEvery, s.Options.RetryBase, s.Options.JobPoll = 20*time.Millisecond, 10*time.Millisecond, 20*time.Millisecond
		s.Options.InsertOnly, s.Options.NoLeaseSync = workersDown, true
		d := &PropexoSim{Sim: sim}
		s.Ready = append(s.Ready, func(e *Env) {
			d.Start = func(t *testing.T) {
				e.Another(t, func(t *testing.T, s *Settings) { s.Options.InsertOnly = false })
			}
		})
		s.attach(propexoKey{}, d)
	}
}

// Propexo is the test's simulator under WithPropexo.
func Propexo(t *testing.T, e *Env) *PropexoSim {
	t.Helper()
	return handle[*PropexoSim](t, e, propexoKey{}, "WithPropexo")
}

// PropexoClient makes a client that delivers to Propexo (integration id
// "int-"+name), with a write token.
func (e *Env) PropexoClient(name string) (int, string) {
	e.T.Helper()
	id, token := e.NewClient(name)
	if err := e.Client.Company.UpdateOneID(id).SetPropexoIntegrationID("int-" + name).Exec(e.Sys()); err != nil {
		e.T.Fatal(err)
	}
	return id, token
}

// WaitJobs waits until want prospect deliveries exist and every one is
// final, and returns them in id order.
func (e *Env) WaitJobs(want int, timeout time.Duration) []*ent.IntegrationJob {
	e.T.Helper()
	deadline := time.Now().Add(timeout)
	for {
		// Prospect deliveries only: with Propexo configured, the lease sync
		// records its runs as integration jobs too.
		jobs, err := e.Client.IntegrationJob.Query().Where(integrationjob.KindIn(integrationjob.KindPROPEXO_CREATE_PROSPECT, integrationjob.KindPROPEXO_UPDATE_PROSPECT)).
			Order(ent.Asc(integrationjob.FieldID)).All(e.Sys())
		if err != nil {
			e.T.Fatal(err)
		}
		final := 0
		for _, j := range jobs {
			if j.Status != integrationjob.StatusQUEUED && j.Status != integrationjob.StatusSENT {
				final++
			}
		}
		if len(jobs) == want && final == want {
			return jobs
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("after %s: %d deliveries, %d final; want %d final", timeout, len(jobs), final, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CreateProspect creates a prospect ($in), under an idempotency key ($key),
// answering its deliveries (CreatedProspect).
const CreateProspect = `mutation($in: CreateProspectInput!, $key: String) {
	createProspect(input: $in, idempotencyKey: $key) { id firstName notes phone1
		integrationJobs { edges { node { id kind status } } } } }`

// CreatedProspect is CreateProspect's answer.
type CreatedProspect struct {
	CreateProspect struct {
		ID, FirstName, Notes, Phone1 string
		IntegrationJobs              struct {
			Edges []struct {
				Node struct{ ID, Kind, Status string }
			}
		}
	}
}

// ---- the lease sync --------------------------------------------------------

// LeaseSyncSim is a test's simulator and the app's sync service under
// WithLeaseSync.
type LeaseSyncSim struct {
	Sim *propexotest.Sim
	Svc *propexosync.Service
	// DB is the test's database, where River's jobs are counted.
	DB    *sql.DB
	route *Reroute
}

type leaseSyncKey struct{}

// WithLeaseSync runs the app's queue with the lease sync against a fresh
// simulator (over real HTTP), as the server wires it.
func WithLeaseSync() Setup { return WithLeaseSyncHooks(nil) }

// WithLeaseSyncHooks is WithLeaseSync with, when limits is set, those
// limits (WithLimits) and webhooks registered at the simulator: a sync
// registers the client's webhook with TestPublicURL, and the simulator's
// deliveries to it are rerouted to the test server (HooksTo).
func WithLeaseSyncHooks(limits *config.RateLimits) Setup {
	return func(t *testing.T, s *Settings) {
		route := &Reroute{}
		sim := propexotest.New(propexotest.Options{WebhookClient: &http.Client{Transport: route, Timeout: 10 * time.Second},
			WebhookTries: 3, WebhookRetryEvery: 50 * time.Millisecond})
		t.Cleanup(sim.Close)
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		s.Config.Delivery.PropexoToken, s.Config.Delivery.PropexoBaseURL = "test-token", srv.URL
		s.Options.SyncPageSize = 2
		s.Options.PollEvery, s.Options.RetryBase, s.Options.JobPoll = 20*time.Millisecond, 10*time.Millisecond, 20*time.Millisecond
		s.Config.Delivery.WebhookSecret = WebhookSecret
		if limits != nil {
			WithLimits(*limits)(t, s)
			// The client's webhook is registered at the public URL the
			// simulator's deliveries are rerouted from.
			s.Config.Screening.PublicURL = TestPublicURL
		}
		set := &LeaseSyncSim{Sim: sim, DB: s.SQL, route: route}
		s.Ready = append(s.Ready, func(e *Env) { set.Svc = e.App.Services.LeaseSync })
		s.attach(leaseSyncKey{}, set)
	}
}

// LeaseSync is the test's simulator under WithLeaseSync.
func LeaseSync(t *testing.T, e *Env) *LeaseSyncSim {
	t.Helper()
	return handle[*LeaseSyncSim](t, e, leaseSyncKey{}, "WithLeaseSync")
}

// StartupSynced waits for the periodic sync that runs once at start,
// whenever River elects this instance leader: a test that creates its
// client after it is not synced in the middle of the test by it (a full
// pass that would leave the test's own nothing to remove).
func (s *LeaseSyncSim) StartupSynced(t *testing.T) {
	t.Helper()
	Until(t, "the periodic lease sync never ran at start", func() bool {
		var n int
		_ = s.DB.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'sync_all_leases' AND state = 'completed'`).Scan(&n)
		return n > 0
	})
}

// HooksTo points the simulator's webhook deliveries at e.
func (s *LeaseSyncSim) HooksTo(e *Env) { s.route.To(e.Srv.URL) }

// CountJobs counts River jobs of kind.
func (s *LeaseSyncSim) CountJobs(t *testing.T, kind string) int {
	t.Helper()
	var n int
	if err := s.DB.QueryRow(`SELECT count(*) FROM river_job WHERE kind = '` + kind + `'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// LeaseSyncQuery is every client's lease sync state (LeaseSyncState).
const LeaseSyncQuery = `{ clients { edges { node { leaseSync { phase full lastSuccessAt leasesSynced tenantsSynced leasesRemoved lastError } } } } }`

// LeaseSyncState is a client's leaseSync as LeaseSyncQuery answers it.
type LeaseSyncState struct {
	Phase         string
	Full          bool
	LastSuccessAt *time.Time
	LeasesSynced  int
	TenantsSynced int
	LeasesRemoved int
	LastError     string
}

// SyncLeases asks for a sync through the mutation and waits until that
// run has ended (its integration job final) and the client's leaseSync is
// idle. Not "any pass ending after the request": a periodic sync that
// began before the request (with the settings of then) can end after it.
func (e *Env) SyncLeases(token string) LeaseSyncState {
	e.T.Helper()
	var out struct {
		SyncLeasesNow struct {
			Queued bool
			Job    struct{ ID string }
		}
	}
	// A sync still being completed by River joins the request; ask again
	// until one is queued.
	for deadline := time.Now().Add(10 * time.Second); !out.SyncLeasesNow.Queued; time.Sleep(10 * time.Millisecond) {
		e.MustGQL(token, `mutation { syncLeasesNow { queued job { id } } }`, nil, &out)
		if time.Now().After(deadline) {
			e.T.Fatal("syncLeasesNow never queued a sync")
		}
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var st struct {
			Node    *struct{ Status string }
			Clients struct {
				Edges []struct {
					Node struct{ LeaseSync *LeaseSyncState }
				}
			}
		}
		e.MustGQL(token, `query($id: ID!) { node(id: $id) { ... on IntegrationJob { status } } `+LeaseSyncQuery[1:],
			map[string]any{"id": out.SyncLeasesNow.Job.ID}, &st)
		ended := st.Node != nil && (st.Node.Status == "SUCCEEDED" || st.Node.Status == "FAILED")
		if s := st.Clients.Edges[0].Node.LeaseSync; ended && s != nil && s.Phase == "IDLE" {
			return *s
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("the sync never finished: %+v", st)
		}
	}
}

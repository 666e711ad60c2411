package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/config/testknobs"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
	"github.com/leasegraph/leasegraph/viewer"
)

// TestManyInstances runs three server processes on one PostgreSQL schema
// under a bounded load of reads and keyed writes, and kills the River
// leader with SIGKILL while one of its deliveries to Propexo is in flight
// (issue 15, item 6). What a deployment of N instances must keep:
//   - every accepted write exists once: a write whose connection died is
//     retried with the same idempotency key on another instance, as a real
//     client would, and some answered writes are replayed on purpose;
//   - Propexo receives each prospect once (a delivery the dead instance was
//     running is rescued by the new leader and reconciled, not resent);
//   - a subscription on instance B still gets what a mutation on instance A
//     changed, after C died;
//   - the SmartMove refresher (a periodic job the leader inserts) never
//     runs twice at once, and is scheduled by one leader at a time.
func TestManyInstances(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three server processes")
	}
	t.Run("sqlite", func(t *testing.T) {
		t.Skip("an SQLite file serves one process: instances share PostgreSQL only")
	})
	t.Run("postgres", func(t *testing.T) {
		testknobs.SkipPostgres(t)
		runManyInstances(t, apptest.BuildServer(t, t.TempDir()), dbtest.PostgresURL(t))
	})
}

// Load shape: writers goroutines; C is killed once killAfter writes were
// accepted (and one of its deliveries is in flight), then afterKill more
// writes are sent; maxWrites bounds the wait for that moment.
const (
	writers   = 6
	killAfter = 15
	afterKill = 20
	maxWrites = 400
	// refreshEvery is SMARTMOVE_REFRESH_INTERVAL: short, so the refresher
	// runs many times during the test.
	refreshEvery = time.Second
)

func runManyInstances(t *testing.T, bin, dbURL string) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	acme := arrange(t, ctx, dbURL, func(c *ent.CompanyCreate) *ent.CompanyCreate {
		return c.SetPropexoIntegrationID("int-Acme").SetSmartmoveReference("ref-Acme")
	}, viewer.ScopeRead, viewer.ScopeWrite)
	raw, token := acme.Raw, acme.Token

	// Propexo's rate limit is per token and shared by the three instances;
	// its pace is not what this test measures.
	px := propexotest.New(propexotest.Options{AutoComplete: 50 * time.Millisecond, RateLimit: 100000})
	pxSrv := httptest.NewServer(px)
	t.Cleanup(pxSrv.Close)
	t.Cleanup(px.Close)
	sm := smartmovetest.New(smartmovetest.Options{})
	smSrv := httptest.NewServer(sm)
	t.Cleanup(smSrv.Close)
	t.Cleanup(sm.Close)
	env := []string{"DATABASE_URL=" + dbURL, "LOG_LEVEL=warn",
		"PROPEXO_TOKEN=test-token", "PROPEXO_BASE_URL=" + pxSrv.URL,
		"SMARTMOVE_API_KEY=" + smartmovetest.DefaultAPIKey, "SMARTMOVE_BASE_URL=" + smSrv.URL,
		"SMARTMOVE_REFRESH_INTERVAL=" + refreshEvery.String(),
		// A dead instance's jobs are rescued seconds after, not minutes.
		"LEASEGRAPH_JOB_TIMEOUT=1s", "LEASEGRAPH_JOB_RESCUE_AFTER=2s", "PROPEXO_RECONCILE_AFTER=1s"}

	// C starts alone, so it is elected River's leader: killing it makes the
	// others elect a new one.
	c := apptest.StartServer(t, ctx, bin, env...)
	var leader string
	apptest.Eventually(ctx, t, "C to be elected leader", func() bool {
		return raw.QueryRowContext(ctx, "SELECT leader_id FROM river_leader").Scan(&leader) == nil
	})
	a := apptest.StartServer(t, ctx, bin, env...)
	b := apptest.StartServer(t, ctx, bin, env...)
	insts := []*apptest.ServerProcess{a, b, c}
	hc := &http.Client{Timeout: 20 * time.Second} // a bound on a hung test, not an assertion

	// A screening ordered on A, watched from B.
	var created struct{ CreateEmbeddedScreeningApplication apptest.ScreeningApp }
	a.GQL(t, ctx, token, apptest.CreateEmbeddedMutation, map[string]any{"key": "screen-1", "input": apptest.EmbeddedInput(true, "lisa@example.com")}, &created)
	app := created.CreateEmbeddedScreeningApplication
	ws := dialWSContext(ctx, t, b.URL, map[string]any{"Authorization": "Bearer " + token})
	ws.Subscribe("1", app.ID)
	if st := ws.NextStatus(); st != "PENDING" {
		t.Fatalf("B's first update: %s", st)
	}

	l := &multiLoad{t: t, ctx: ctx, hc: hc, token: token, insts: insts, ids: map[string]string{}}
	l.limit.Store(maxWrites)
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() { defer wg.Done(); l.run(g) }()
	}
	// On an early Fatal, the writers stop before the test ends.
	defer func() { cancel(); wg.Wait() }()

	apptest.Eventually(ctx, t, fmt.Sprintf("%d writes accepted", killAfter), func() bool { return l.accepted.Load() >= killAfter })
	// The leader is still C, and C holds a delivery: one whose create
	// Propexo applied without answering (a hang after the write, cut by the
	// 1 s job timeout), or one whose end River has not recorded yet (it
	// records completions in batches). Killed now, its row stays running
	// until a survivor rescues it.
	var now string
	if err := raw.QueryRowContext(ctx, "SELECT leader_id FROM river_leader").Scan(&now); err != nil || now != leader {
		t.Fatalf("leader before the kill: %q %v, want C's %q", now, err, leader)
	}
	armed, runningOnC := 0, 0
	apptest.Eventually(ctx, t, "a delivery running on C", func() bool {
		st := px.Stats()
		if armed-(st.FaultsAfterWrite+st.FaultsBeforeWrite) <= 0 {
			// Whichever instance sends the next creates gets the hangs.
			px.FailNext(3, propexotest.Fault{Kind: propexotest.FaultHang, AfterWrite: true})
			armed += 3
		}
		if l.next.Load() >= maxWrites {
			t.Fatalf("%d writes and none of C's deliveries caught in flight", maxWrites)
		}
		// A normal attempt takes milliseconds; a row running this long
		// will still be running when C dies.
		var n int
		_ = raw.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE attempted_at < now() - interval '300 milliseconds'), count(*)
			FROM river_job WHERE kind = 'deliver_prospect' AND state = 'running'
			AND attempted_by[array_length(attempted_by, 1)] = $1`, leader).Scan(&n, &runningOnC)
		return n > 0
	})
	l.cDead.Store(true)
	c.Kill(t)
	sentAtKill := l.next.Load()
	l.limit.Store(sentAtKill + afterKill)
	killedAt := time.Now()
	var newLeader string
	apptest.Eventually(ctx, t, "a new leader", func() bool {
		return raw.QueryRowContext(ctx, "SELECT leader_id FROM river_leader").Scan(&newLeader) == nil && newLeader != leader
	})
	t.Logf("killed C with %d deliveries running (after %d writes); re-elected %s after the kill", runningOnC, sentAtKill, time.Since(killedAt).Round(100*time.Millisecond))

	// A mutation on A reaches B's subscriber with C gone.
	var cancelled struct{ CancelScreeningApplication apptest.ScreeningApp }
	a.GQL(t, ctx, token, `mutation($key: String!, $id: ID!) { cancelScreeningApplication(idempotencyKey: $key, id: $id) { id status } }`,
		map[string]any{"key": "cancel-1", "id": app.ID}, &cancelled)
	if cancelled.CancelScreeningApplication.Status != "CANCELLED" {
		t.Fatalf("cancel on A: %+v", cancelled)
	}
	ws.WaitStatus("CANCELLED", "PENDING", "IN_PROGRESS", "CANCELLED")

	wg.Wait()
	if t.Failed() {
		return
	}
	keys := l.keys()
	if len(keys) != int(l.accepted.Load()) || len(keys) < killAfter+afterKill {
		t.Fatalf("%d keys for %d writes accepted", len(keys), l.accepted.Load())
	}

	// Queues drain: every prospect delivered, read through a survivor.
	type prospect struct {
		ID, Email1, PropexoProspectID string
		IntegrationJobs               struct {
			Edges []struct{ Node struct{ Status string } }
		}
	}
	var got struct {
		Prospects struct {
			TotalCount int
			Edges      []struct{ Node prospect }
		}
	}
	apptest.Eventually(ctx, t, "every delivery to succeed", func() bool {
		a.GQL(t, ctx, token, `{ prospects(first: 500) { totalCount edges { node { id email1 propexoProspectID
			integrationJobs { edges { node { status } } } } } } }`, nil, &got)
		for _, e := range got.Prospects.Edges {
			if js := e.Node.IntegrationJobs.Edges; len(js) != 1 || js[0].Node.Status != "SUCCEEDED" {
				return false
			}
		}
		return true
	})
	// Each accepted write exists once, under the id its key answered.
	byEmail := map[string][]prospect{}
	for _, e := range got.Prospects.Edges {
		byEmail[e.Node.Email1] = append(byEmail[e.Node.Email1], e.Node)
	}
	if got.Prospects.TotalCount != len(keys) || len(got.Prospects.Edges) != len(keys) {
		t.Errorf("%d prospects stored for %d accepted writes", got.Prospects.TotalCount, len(keys))
	}
	for key, id := range keys {
		if ps := byEmail[key+"@example.com"]; len(ps) != 1 || ps[0].ID != id {
			t.Errorf("write %s (answered %s) stored as %+v", key, id, ps)
		}
	}
	// Propexo got each prospect once: one create per delivery.
	atPropexo := map[string]int{}
	for _, p := range px.Prospects() {
		atPropexo[p.Email1]++
	}
	for key := range keys {
		if n := atPropexo[key+"@example.com"]; n != 1 {
			t.Errorf("write %s reached Propexo %d times", key, n)
		}
	}
	if n := len(px.Prospects()); n != len(keys) {
		t.Errorf("Propexo holds %d prospects for %d writes", n, len(keys))
	}
	var rescued int
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = 'deliver_prospect'
		AND $1 = ANY(attempted_by) AND (errors::text LIKE '%Stuck job rescued%' OR errors::text LIKE '%stopped beating%')`, leader).Scan(&rescued); err != nil {
		t.Fatal(err)
	}
	if rescued == 0 {
		t.Errorf("the delivery C was running when killed was not rescued")
	}
	// Not asserted: on a starved machine a live attempt may outlast the
	// 2 s rescue setting; then reconciliation, not River, keeps it single.
	var rescuedLive int
	if err := raw.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE NOT ($1 = ANY(attempted_by))
		AND (errors::text LIKE '%Stuck job rescued%' OR errors::text LIKE '%stopped beating%')`, leader).Scan(&rescuedLive); err != nil {
		t.Fatal(err)
	}
	checkRefresher(t, ctx, raw, newLeader)
	st := px.Stats()
	t.Logf("%d writes accepted (%d retried after a failed connection or a conflict, %d replays answered the same id), %d reads; "+
		"Propexo: %d creates, %d faults after write, %d lead reads; %d deliveries running on C rescued (%d jobs of live instances)",
		len(keys), l.retried.Load(), l.replays.Load(), l.reads.Load(), st.CreateRequests, st.FaultsAfterWrite, st.LeadReads, rescued, rescuedLive)
}

// checkRefresher reads River's own record of refresh_stale_screenings: no
// two runs overlap, and no two were scheduled less than the interval
// apart (one leader schedules them exactly an interval apart; a second
// leader's schedule would interleave), and the new leader scheduled some.
func checkRefresher(t *testing.T, ctx context.Context, raw *sql.DB, newLeader string) {
	t.Helper()
	type run struct {
		scheduled            time.Time
		attempted, finalized sql.NullTime
		by                   string
	}
	var runs []run
	apptest.Eventually(ctx, t, "refreshes scheduled by the new leader", func() bool {
		rows, err := raw.QueryContext(ctx, `SELECT scheduled_at, attempted_at, finalized_at, coalesce(array_to_string(attempted_by, ','), '')
			FROM river_job WHERE kind = 'refresh_stale_screenings' ORDER BY scheduled_at`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		runs = runs[:0]
		for rows.Next() {
			var r run
			if err := rows.Scan(&r.scheduled, &r.attempted, &r.finalized, &r.by); err != nil {
				t.Fatal(err)
			}
			runs = append(runs, r)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		var elected time.Time
		if err := raw.QueryRowContext(ctx, "SELECT elected_at FROM river_leader WHERE leader_id = $1", newLeader).Scan(&elected); err != nil {
			t.Fatalf("the new leader %s lost its seat: %v", newLeader, err)
		}
		after := 0
		for _, r := range runs {
			if r.scheduled.After(elected) && r.finalized.Valid {
				after++
			}
		}
		return after >= 3
	})
	// Microsecond storage can shave the exact interval.
	const slack = time.Millisecond
	for i := 1; i < len(runs); i++ {
		if gap := runs[i].scheduled.Sub(runs[i-1].scheduled); gap < refreshEvery-slack {
			t.Errorf("refreshes scheduled %s apart (%s then %s): two leaders at once", gap, runs[i-1].scheduled, runs[i].scheduled)
		}
	}
	started := slices.DeleteFunc(slices.Clone(runs), func(r run) bool { return !r.attempted.Valid })
	slices.SortFunc(started, func(x, y run) int { return x.attempted.Time.Compare(y.attempted.Time) })
	for i := 1; i < len(started); i++ {
		prev := started[i-1]
		if !prev.finalized.Valid || started[i].attempted.Time.Before(prev.finalized.Time) {
			t.Errorf("refresh started %s by %s while the one started %s by %s ran until %v",
				started[i].attempted.Time, started[i].by, prev.attempted.Time, prev.by, prev.finalized)
		}
	}
	t.Logf("%d refreshes scheduled, %d run, none overlapping", len(runs), len(started))
}

// multiLoad is the test's clients: reads and keyed writes spread over the
// instances in turn.
type multiLoad struct {
	t     *testing.T
	ctx   context.Context
	hc    *http.Client
	token string
	insts []*apptest.ServerProcess // C last
	cDead atomic.Bool              // set just before C is killed

	next, limit, accepted, retried, replays, reads atomic.Int64

	mu  sync.Mutex
	ids map[string]string // idempotency key -> the prospect id answered
}

func (l *multiLoad) keys() map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.ids)
}

// post sends one GraphQL request; err is a failed connection (no answer).
func (l *multiLoad) post(p *apptest.ServerProcess, query string, vars map[string]any) (apptest.GQLResponse, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequestWithContext(l.ctx, http.MethodPost, p.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+l.token)
	res, err := l.hc.Do(req)
	if err != nil {
		return apptest.GQLResponse{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return apptest.GQLResponse{}, err
	}
	r := apptest.GQLResponse{Status: res.StatusCode}
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, fmt.Errorf("HTTP %d, not JSON: %s", res.StatusCode, raw)
	}
	return r, nil
}

// expected reports a failure the load may expect: a connection to C once it
// is being killed.
func (l *multiLoad) expected(p *apptest.ServerProcess, err error) bool {
	return err != nil && p == l.insts[2] && l.cDead.Load() && !strings.Contains(err.Error(), "not JSON")
}

func (l *multiLoad) run(g int) {
	for i := g; ; i++ {
		n := l.next.Add(1)
		if n > l.limit.Load() || l.ctx.Err() != nil {
			return
		}
		start := i % len(l.insts)
		for _, q := range []string{`{ leases(first: 20) { totalCount edges { node { id status } } } }`, `{ prospects(first: 20) { totalCount edges { node { id } } } }`} {
			p := l.insts[start]
			r, err := l.post(p, q, nil)
			switch {
			case l.expected(p, err):
			case l.ctx.Err() != nil:
				return
			case err != nil || r.Status != http.StatusOK || len(r.Errors) > 0:
				l.t.Errorf("read on %s: %v HTTP %d %+v", p.URL, err, r.Status, r.Errors)
				return
			default:
				l.reads.Add(1)
			}
		}
		key := fmt.Sprintf("mi%03d", n)
		id, ok := l.write(start, key)
		if !ok {
			return
		}
		l.mu.Lock()
		l.ids[key] = id
		l.mu.Unlock()
		l.accepted.Add(1)
		// Every fifth answered write is sent again elsewhere, as by a client
		// that lost the answer: the same prospect comes back.
		if n%5 == 0 {
			again, ok := l.write(start+1, key)
			if !ok {
				return
			}
			if again != id {
				l.t.Errorf("write %s answered %s, then %s on another instance", key, id, again)
			}
			l.replays.Add(1)
		}
	}
}

// statusPartialSuccess is the GraphQL-over-HTTP draft's 294: data (null
// for a rolled-back mutation) beside errors.
const statusPartialSuccess = 294

// write creates the prospect of key, moving to the next instance with the
// same key when a connection fails or the key is still held by a write
// that may still commit (CONFLICT); it answers the prospect id.
func (l *multiLoad) write(start int, key string) (string, bool) {
	vars := map[string]any{"key": key, "in": map[string]any{
		"firstName": "Ada", "lastName": "Lovelace", "email1": key + "@example.com", "phone1": "(512) 555-0100"}}
	var last string
	for attempt := 0; attempt < 50 && l.ctx.Err() == nil; attempt++ {
		p := l.insts[(start+attempt)%len(l.insts)]
		r, err := l.post(p, apptest.CreateProspect, vars)
		if l.expected(p, err) {
			l.retried.Add(1)
			continue
		}
		if l.ctx.Err() != nil {
			return "", false
		}
		// A mutation that failed was rolled back and answers data: null
		// beside its errors, GraphQL over HTTP's partial success (294).
		if err != nil || (r.Status != http.StatusOK && r.Status != statusPartialSuccess) {
			l.t.Errorf("write %s on %s: %v HTTP %d %+v", key, p.URL, err, r.Status, r.Errors)
			return "", false
		}
		if len(r.Errors) > 0 {
			if r.Errors[0].Code() == "CONFLICT" {
				// The key's first write is still open (its instance may
				// have died mid-transaction): ask again shortly.
				last = "CONFLICT"
				l.retried.Add(1)
				select {
				case <-l.ctx.Done():
				case <-time.After(50 * time.Millisecond):
				}
				continue
			}
			l.t.Errorf("write %s on %s: %+v", key, p.URL, r.Errors)
			return "", false
		}
		var out apptest.CreatedProspect
		if err := json.Unmarshal(r.Data, &out); err != nil || out.CreateProspect.ID == "" {
			l.t.Errorf("write %s: %s", key, r.Data)
			return "", false
		}
		return out.CreateProspect.ID, true
	}
	l.t.Errorf("write %s never accepted (last %s)", key, last)
	return "", false
}

// dialWSContext is apptest.DialWSContext without headers, which must be
// accepted: its reads last as long as ctx (DialWS's last 20 s, less than
// this test's kill and re-election take).
func dialWSContext(ctx context.Context, t *testing.T, srvURL string, payload any) *apptest.WSClient {
	t.Helper()
	c, m := apptest.DialWSContext(ctx, t, srvURL, nil, payload)
	if m.Type != "connection_ack" {
		t.Fatalf("websocket on %s: %s %s", srvURL, m.Type, m.Payload)
	}
	return c
}

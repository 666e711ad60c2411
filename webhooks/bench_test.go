package webhooks_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/config/testknobs"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/internal/dbtest"
	"github.com/leasegraph/leasegraph/viewer"
	"github.com/leasegraph/leasegraph/webhooks/secretbox"
)

// The webhook benchmarks run on PostgreSQL only, with the server's
// production webhook settings (15 s timeout, 64 deliveries at once, 8 per
// endpoint) and River's default 1 s poll. Run each once:
//
//	go test -run '^$' -bench 'BenchmarkWebhook' -benchtime=1x -timeout 20m ./webhooks/
//
// docs/testing.md has the figures.

// recordBatch is how many events one transaction records.
const recordBatch = 500

// benchEnv is the app on a fresh PostgreSQL schema with webhooks on; the
// benchmark is skipped without a reachable PostgreSQL.
func benchEnv(b *testing.B) *apptest.Env {
	b.Helper()
	testknobs.SkipPostgres(b)
	base := testknobs.PostgresURL()
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		b.Skip("the webhook benchmarks run on PostgreSQL only (TEST_DATABASE_URL is not a postgres:// URL)")
	}
	db, err := sql.Open("postgres", base)
	if err != nil {
		b.Skipf("PostgreSQL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	err = db.PingContext(ctx)
	cancel()
	db.Close()
	if err != nil {
		b.Skipf("PostgreSQL unreachable at TEST_DATABASE_URL: %v", err)
	}
	key, err := secretbox.NewKey()
	if err != nil {
		b.Fatal(err)
	}
	e := apptest.NewWith(b, dbtest.PostgresURL(b), func(s *apptest.Settings) {
		s.Config.Webhooks.Key, s.Config.Webhooks.AllowPrivate = key, true
	})
	w := e.Settings.Config.Webhooks
	if w.Timeout != 15*time.Second || w.Concurrency != 64 || w.EndpointConcurrency != 8 || e.Settings.Options.JobPoll != 0 {
		b.Fatalf("not the production settings: timeout %s, concurrency %d, per endpoint %d, job poll %s",
			w.Timeout, w.Concurrency, w.EndpointConcurrency, e.Settings.Options.JobPoll)
	}
	return e
}

// counter is a healthy receiver: 204 at once, counting the requests and
// the distinct webhook-ids.
type counter struct {
	*httptest.Server
	requests atomic.Int64
	// inFlight and most: requests being answered now, and the most at once.
	inFlight, most atomic.Int64
	mu             sync.Mutex
	ids            map[string]struct{}
	// lags are, for each event's first receipt, the time since the event
	// was recorded (the body's timestamp).
	lags []time.Duration
}

func newCounter(b *testing.B) *counter {
	c := &counter{ids: map[string]struct{}{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		n := c.inFlight.Add(1)
		defer c.inFlight.Add(-1)
		for m := c.most.Load(); n > m && !c.most.CompareAndSwap(m, n); m = c.most.Load() {
		}
		var body struct{ Timestamp time.Time }
		_ = json.NewDecoder(r.Body).Decode(&body)
		c.mu.Lock()
		if id := r.Header.Get("webhook-id"); !has(c.ids, id) {
			c.ids[id] = struct{}{}
			c.lags = append(c.lags, time.Since(body.Timestamp))
		}
		c.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(c.Close)
	return c
}

func has(m map[string]struct{}, k string) bool { _, ok := m[k]; return ok }

// quantile is the q-quantile of ds (sorted in place).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(int(q*float64(len(ds))), len(ds)-1)]
}

func (c *counter) distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ids)
}

// dead accepts connections and never reads or answers on them.
type dead struct {
	ln       net.Listener
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
}

func newDead(b *testing.B) *dead {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	d := &dead{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d.accepted.Add(1)
			d.mu.Lock()
			d.conns = append(d.conns, c)
			d.mu.Unlock()
		}
	}()
	b.Cleanup(func() {
		ln.Close()
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, c := range d.conns {
			c.Close()
		}
	})
	return d
}

func (d *dead) URL() string { return "http://" + d.ln.Addr().String() }

// endpoint creates an endpoint at url through GraphQL, as a client's admin.
func endpoint(e *apptest.Env, admin, url string) {
	var out struct{ CreateWebhookEndpoint created }
	e.MustGQL(admin, createEndpoint, map[string]any{"in": map[string]any{"url": url + "/hooks"}}, &out)
}

// raise records n events for the client, recordBatch per transaction,
// through the app's recorder as the system.
func raise(b *testing.B, e *apptest.Env, clientID, n int) {
	b.Helper()
	ctx := viewer.SystemContext(context.Background())
	for i := 0; i < n; i += recordBatch {
		err := ent.InTx(ctx, e.Client, func(ctx context.Context, _ *ent.Client) error {
			for j := i; j < min(i+recordBatch, n); j++ {
				_, err := e.App.Events.Record(ctx, events.Event{Type: events.LeaseUpdated, ClientID: clientID,
					ObjectType: "Lease", ObjectID: j + 1,
					Data: map[string]any{"status": "ACTIVE", "unit": "Unit " + strconv.Itoa(j), "rent_cents": 150000}})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWebhookFanout records 10,000 events for a client with two
// healthy endpoints (and, in one-dead, a third that never answers) and
// measures the time until both healthy receivers have every event: the
// recording included, as the deliveries start while it goes on.
func BenchmarkWebhookFanout(b *testing.B) {
	const n = 10000
	for _, withDead := range []bool{false, true} {
		name := "healthy"
		if withDead {
			name = "one-dead"
		}
		b.Run(name, func(b *testing.B) {
			var wall, rec time.Duration
			var stmts, dups, deadConns, snoozes, runs, most int64
			var lags []time.Duration
			for range b.N {
				b.StopTimer()
				e := benchEnv(b)
				clientID, admin := e.NewClient("bench", viewer.ScopeAdmin)
				healthy := []*counter{newCounter(b), newCounter(b)}
				for _, c := range healthy {
					endpoint(e, admin, c.URL)
				}
				var dd *dead
				if withDead {
					dd = newDead(b)
					endpoint(e, admin, dd.URL())
				}
				q0 := e.Queries.N.Load()
				b.StartTimer()
				t0 := time.Now()
				raise(b, e, clientID, n)
				rec += time.Since(t0)
				deadline := time.Now().Add(15 * time.Minute)
				for healthy[0].distinct() < n || healthy[1].distinct() < n {
					if time.Now().After(deadline) {
						b.Fatalf("after %s the healthy receivers have %d and %d of %d events", time.Since(t0),
							healthy[0].distinct(), healthy[1].distinct(), n)
					}
					time.Sleep(5 * time.Millisecond)
				}
				wall += time.Since(t0)
				b.StopTimer()
				stmts += e.Queries.N.Load() - q0
				for _, c := range healthy {
					dups += c.requests.Load() - int64(c.distinct())
				}
				if dd != nil {
					deadConns += dd.accepted.Load()
				}
				for _, c := range healthy {
					most = max(most, c.most.Load())
					c.mu.Lock()
					lags = append(lags, c.lags...)
					c.mu.Unlock()
				}
				// River counts a snooze in the job's metadata: runs that found
				// their endpoint's slots taken, or a delivery not yet due.
				var s, j int64
				if err := e.SQL.QueryRow(`SELECT coalesce(sum((metadata->>'snoozes')::int), 0), count(*) FROM river_job WHERE kind = 'deliver_webhook'`).Scan(&s, &j); err != nil {
					b.Fatal(err)
				}
				snoozes, runs = snoozes+s, runs+j
			}
			per := float64(b.N)
			b.ReportMetric(2*n*per/wall.Seconds(), "deliveries/s")
			b.ReportMetric(wall.Seconds()/per, "wall-s")
			b.ReportMetric(rec.Seconds()/per, "record-s")
			b.ReportMetric(float64(stmts)/per/(2*n), "app-stmts/healthy-delivery")
			b.ReportMetric(float64(dups)/per, "duplicates")
			b.ReportMetric(float64(snoozes)/float64(max(runs, 1)), "snoozes/job")
			b.ReportMetric(float64(most), "max-in-flight/endpoint")
			// The healthy endpoints' delay: event recorded to received.
			b.ReportMetric(float64(quantile(lags, 0.5).Milliseconds()), "lag-p50-ms")
			b.ReportMetric(float64(quantile(lags, 0.99).Milliseconds()), "lag-p99-ms")
			if withDead {
				b.ReportMetric(float64(deadConns)/per, "dead-conns")
			}
		})
	}
}

// BenchmarkWebhookBacklogMemory records 100,000 events to one endpoint
// whose receiver never answers, then lets the workers run for 20 s with the
// deliveries waiting, and reports the process's peak RSS (VmHWM, reset
// before the recording when the kernel allows) and the largest HeapInuse
// seen.
func BenchmarkWebhookBacklogMemory(b *testing.B) {
	const n, run = 100000, 20 * time.Second
	for range b.N {
		b.StopTimer()
		e := benchEnv(b)
		clientID, admin := e.NewClient("bench", viewer.ScopeAdmin)
		dd := newDead(b)
		endpoint(e, admin, dd.URL())
		runtime.GC()
		reset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
		hwm0, rss0 := procKB(b, "VmHWM"), procKB(b, "VmRSS")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap0 := ms.HeapInuse
		b.StartTimer()
		t0 := time.Now()
		raise(b, e, clientID, n)
		rec := time.Since(t0)
		hwmRec := procKB(b, "VmHWM")
		var maxHeap uint64
		for end := time.Now().Add(run); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
			runtime.ReadMemStats(&ms)
			maxHeap = max(maxHeap, ms.HeapInuse)
		}
		b.StopTimer()
		hwm := procKB(b, "VmHWM")
		var waiting int
		if err := e.SQL.QueryRow(`SELECT count(*) FROM webhook_deliveries WHERE status = 'PENDING'`).Scan(&waiting); err != nil {
			b.Fatal(err)
		}
		b.Logf("VmHWM reset before recording: %v; before %d KiB (RSS %d KiB, HeapInuse %d MiB); after recording %d KiB; after %s of workers %d KiB; recording took %s; %d deliveries pending; dead receiver accepted %d connections",
			reset, hwm0, rss0, heap0>>20, hwmRec, run, hwm, rec.Round(time.Millisecond), waiting, dd.accepted.Load())
		b.ReportMetric(float64(hwm)/1024, "peak-RSS-MiB")
		b.ReportMetric(float64(hwmRec)/1024, "peak-RSS-recording-MiB")
		b.ReportMetric(float64(rss0)/1024, "RSS-before-MiB")
		b.ReportMetric(float64(maxHeap)/(1<<20), "max-HeapInuse-MiB")
		b.ReportMetric(rec.Seconds(), "record-s")
		b.ReportMetric(float64(waiting), "pending")
	}
}

// procKB reads a "kB" line of /proc/self/status.
func procKB(b *testing.B, field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

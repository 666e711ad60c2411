// Command mixedload is the mixed-load benchmark (issue 26, item 1): the
// server built from ./server, run as a process of its own on PostgreSQL or
// SQLite, with every partner simulated in this process over real HTTP
// (Propexo, SmartMove) and a local webhook receiver, under
//
//   - leases reads at 8 connections: the peer harness's query and data size
//     (200,000 leases, 50 clients), data made here (data.go);
//   - prospect creates, one every 2 s, delivered to the Propexo simulator
//     (its documented limit, 150 requests a minute, shared with the sync);
//   - SmartMove postbacks, 5 a second;
//   - iframe registrations (the registration page's GET and form), 2 a second;
//   - outbound webhook deliveries of every event this raises, to a receiver;
//   - one first lease sync of 50,000 leases with their residents.
//
// All at once (the mix), then each part alone, each phase on a fresh copy
// of the data and a fresh server process. It prints a table per phase:
// throughput, p50 and p99, errors, the sync's duration and Propexo requests
// a minute, the delivery lag (the write's commit to its Propexo job
// done), the server's CPU and peak memory. `make bench-mixed`; see
// docs/testing.md.
package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

type settings struct {
	db, pgURL, work, bin string
	phases               []string
	duration, syncMax    time.Duration
	drain                time.Duration
	nleases, nclients    int
	syncLeases           int
	conns                int
	prospectEvery        time.Duration
	postbackEvery        time.Duration
	registerEvery        time.Duration
	propexoComplete      time.Duration
	serverEnv            []string
	cpuProfile, pprofBin string
}

// parts of the load; a phase runs some of them.
const (
	partReads     = "reads"
	partProspects = "prospects"
	partPostbacks = "postbacks"
	partRegister  = "registrations"
	partSync      = "sync"
)

var allParts = []string{partReads, partProspects, partPostbacks, partRegister, partSync}

func main() {
	var s settings
	var phases, env string
	flag.StringVar(&s.db, "db", "postgres", "database: postgres or sqlite")
	flag.StringVar(&s.pgURL, "pg", envOr("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"),
		"PostgreSQL URL to create the benchmark's databases from (lgmixed_*: the cached data, lgmixed_run)")
	flag.StringVar(&s.work, "work", filepath.Join(os.TempDir(), "leasegraph-mixedload"), "cache (the generated SQLite data), the server binary and its logs")
	flag.StringVar(&s.bin, "server", "", "a server binary to measure (default: go build ./server into -work)")
	flag.StringVar(&phases, "phases", "mix,"+strings.Join(allParts, ","), "phases in order: mix (every part at once) and the parts alone")
	flag.DurationVar(&s.duration, "duration", 60*time.Second, "each phase's load (a phase with the sync also lasts until the sync ends)")
	flag.DurationVar(&s.syncMax, "sync-timeout", 15*time.Minute, "the longest a phase waits for its sync")
	flag.DurationVar(&s.drain, "drain", 3*time.Minute, "after the load, the longest wait for deliveries to finish")
	flag.IntVar(&s.nleases, "leases", 200000, "leases to read from (the harness's size)")
	flag.IntVar(&s.nclients, "clients", 50, "clients the leases belong to")
	flag.IntVar(&s.syncLeases, "sync-leases", 50000, "leases the first sync brings (with 1 to 3 residents each)")
	flag.IntVar(&s.conns, "conns", 8, "connections reading leases")
	flag.DurationVar(&s.prospectEvery, "prospect-every", 2*time.Second, "one prospect create every")
	flag.DurationVar(&s.postbackEvery, "postback-every", 200*time.Millisecond, "one SmartMove postback every")
	flag.DurationVar(&s.registerEvery, "register-every", 500*time.Millisecond, "one iframe registration every")
	flag.DurationVar(&s.propexoComplete, "propexo-write-time", 3*time.Second, "how long Propexo's simulator takes to finish a write job")
	flag.StringVar(&env, "server-env", "", "extra settings for the server, space-separated KEY=VALUE (default: every setting at its default)")
	flag.StringVar(&s.cpuProfile, "cpu-profile", "", "write the server's CPU profile of the mix's first -duration here (and pprof's top to FILE.txt); "+
		"that phase's server is then a build with net/http/pprof added (go build -overlay, nothing written to the repository)")
	flag.Parse()
	s.phases = strings.Split(phases, ",")
	s.serverEnv = strings.Fields(env)
	for _, p := range s.phases {
		if p != "mix" && !contains(allParts, p) {
			fatalf("unknown phase %q (mix, %s)", p, strings.Join(allParts, ", "))
		}
	}
	if s.db != "postgres" && s.db != "sqlite" {
		fatalf("-db must be postgres or sqlite")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, s); err != nil {
		fatalf("%v", err)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func contains(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

func fatalf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "mixedload: "+f+"\n", a...)
	os.Exit(1)
}

func logf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(f, a...))
}

func run(ctx context.Context, s settings) error {
	if err := os.MkdirAll(s.work, 0o755); err != nil {
		return err
	}
	if s.bin == "" {
		logf("building ./server")
		bin, err := buildServer(s.work)
		if err != nil {
			return err
		}
		s.bin = bin
	}
	if s.cpuProfile != "" && contains(s.phases, "mix") {
		logf("building ./server with net/http/pprof (for -cpu-profile)")
		bin, err := buildProfiled(s.work)
		if err != nil {
			return err
		}
		s.pprofBin = bin
	}
	st := &store{kind: s.db, adminURL: s.pgURL, work: s.work, nleases: s.nleases, nclients: s.nclients, logf: logf}
	if err := st.ensureBase(ctx); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	rcv := &receiver{}
	rcv.reset()
	rcvSrv := httptest.NewServer(rcv)
	defer rcvSrv.Close()
	var results []*phaseResult
	for _, p := range s.phases {
		parts := allParts
		if p != "mix" {
			parts = []string{p}
		}
		res, err := runPhase(ctx, s, st, rcv, rcvSrv.URL, p, parts)
		if err != nil {
			return fmt.Errorf("phase %s: %w", p, err)
		}
		results = append(results, res)
		res.print(os.Stdout, s)
	}
	summary(os.Stdout, s, results)
	return nil
}

// phaseResult is what a phase measured.
type phaseResult struct {
	name                        string
	parts                       []string
	window                      time.Duration
	reads, prospects, postbacks stats
	registrations               stats
	delivered, pending, failed  int
	lagP50, lagP99, lagMax      time.Duration
	sync                        syncResult
	hooks                       int
	hookTypes                   map[string]int
	hookBad                     int
	hookP50, hookP99            time.Duration
	cores, peakMB, hwmMB        float64
	propexoReqs, propexo429     int
	propexoPerMin               float64
	appsBefore, appsDuring      int
	loadgenCores                float64
	serverLogPath               string
	load1Before, load1After     string
}

func runPhase(ctx context.Context, s settings, st *store, rcv *receiver, rcvURL, name string, parts []string) (*phaseResult, error) {
	has := func(p string) bool { return contains(parts, p) }
	res := &phaseResult{name: name, parts: parts}
	logf("phase %s (%s): fresh copy of the data", name, strings.Join(parts, " + "))
	dbURL, err := st.fresh(ctx, name)
	if err != nil {
		return nil, err
	}
	tk, err := arrange(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("arranging: %w", err)
	}

	// Propexo: writes finish after propexoComplete; the sync's records.
	px := propexotest.New(propexotest.Options{AutoComplete: s.propexoComplete})
	defer px.Close()
	if has(partSync) {
		fillSync(px, s.syncLeases)
	}
	pxSrv := httptest.NewServer(px)
	defer pxSrv.Close()
	timer := &postbackTimer{}
	sm := smartmovetest.New(smartmovetest.Options{PostbackClient: &http.Client{Transport: timer, Timeout: 10 * time.Second}})
	defer sm.Close()
	smSrv := httptest.NewServer(sm)
	defer smSrv.Close()

	port, err := freePort()
	if err != nil {
		return nil, err
	}
	key := base64.StdEncoding.EncodeToString([]byte("mixed-load benchmark webhook key"))
	env := append([]string{
		"DATABASE_URL=" + dbURL,
		"LEASEGRAPH_PUBLIC_URL=http://127.0.0.1:" + port,
		"PROPEXO_TOKEN=mixedload", "PROPEXO_BASE_URL=" + pxSrv.URL,
		"SMARTMOVE_API_KEY=" + smartmovetest.DefaultAPIKey, "SMARTMOVE_BASE_URL=" + smSrv.URL,
		// The receiver is on this machine: webhooks must be allowed to
		// private addresses, and need a key to seal endpoint secrets.
		"LEASEGRAPH_WEBHOOK_KEY=" + key, "LEASEGRAPH_WEBHOOK_ALLOW_PRIVATE=1",
	}, s.serverEnv...)
	res.serverLogPath = filepath.Join(s.work, "server-"+s.db+"-"+name+".log")
	bin, pprofAddr := s.bin, ""
	if name == "mix" && s.pprofBin != "" {
		pp, err := freePort()
		if err != nil {
			return nil, err
		}
		bin, pprofAddr = s.pprofBin, "127.0.0.1:"+pp
		env = append(env, "MIXEDLOAD_PPROF_ADDR="+pprofAddr)
	}
	srv, err := startServer(ctx, bin, port, res.serverLogPath, env)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	base := srv.url

	for _, t := range []string{tk.prospects, tk.regAdmin, tk.screening, tk.sync} {
		if err := createEndpoint(ctx, base, t, rcvURL); err != nil {
			return nil, fmt.Errorf("webhook endpoint: %w", err)
		}
	}
	apps := &applications{base: base, token: tk.screening}
	if has(partPostbacks) {
		// Enough orders for the phase, so that none is made during the
		// load; beside the sync, the phase lasts as long as the sync, whose
		// three lists take 250 records a request at what the deliveries
		// leave of Propexo's budget (about 50 requests a minute measured).
		expect := s.duration
		if has(partSync) {
			expect = max(expect, time.Duration(float64(s.syncLeases)*3/250/50*float64(time.Minute)))
		}
		n := int(math.Ceil(float64(expect)/float64(s.postbackEvery)/(4*applicantsPerApp))) + 1
		logf("phase %s: ordering %d screenings for the postbacks to move", name, n)
		if err := apps.prepare(ctx, n); err != nil {
			return nil, err
		}
		res.appsBefore = apps.made
	}
	// What setup sent is not the phase's.
	time.Sleep(2 * time.Second)
	rcv.reset()
	px0 := px.Stats()

	var rd, pros, pbs, regs recorder
	jobs := &idList{}
	timer.set(&pbs)
	loadCtx, cancelLoad := context.WithCancel(ctx)
	defer cancelLoad()
	done := make(chan struct{})
	running := 0
	launch := func(f func()) {
		running++
		go func() { f(); done <- struct{}{} }()
	}
	res.load1Before = load1()
	m := startMeter(srv.cmd.Process.Pid)
	self0 := cpuSeconds(os.Getpid())
	t0 := time.Now()
	logf("phase %s: load for %s%s", name, s.duration, map[bool]string{true: " and until the sync ends", false: ""}[has(partSync)])
	if has(partReads) {
		launch(func() { reads(loadCtx, base, tk.readers, s.conns, &rd) })
	}
	if has(partProspects) {
		launch(func() { prospects(loadCtx, base, tk.prospects, s.prospectEvery, &pros, jobs) })
	}
	if has(partPostbacks) {
		launch(func() { postbacks(loadCtx, sm, apps, s.postbackEvery, &pbs) })
	}
	if has(partRegister) {
		launch(func() { registrations(loadCtx, base, tk.registration, s.registerEvery, &regs) })
	}
	profiled := make(chan struct{})
	if pprofAddr != "" {
		go func() {
			defer close(profiled)
			if err := cpuProfile(ctx, pprofAddr, bin, s.cpuProfile, s.duration); err != nil {
				logf("phase %s: CPU profile: %v", name, err)
				return
			}
			logf("phase %s: CPU profile of the first %s in %s (top: %s.txt)", name, s.duration, s.cpuProfile, s.cpuProfile)
		}()
	} else {
		close(profiled)
	}
	syncDone := make(chan struct{})
	if has(partSync) {
		go func() {
			defer close(syncDone)
			res.sync = followSync(ctx, s, base, tk, px)
		}()
	} else {
		close(syncDone)
	}
	// The load runs its duration, and as long as the sync does.
	select {
	case <-time.After(s.duration):
	case <-ctx.Done():
	}
	if has(partSync) {
		select {
		case <-syncDone:
		case <-ctx.Done():
		}
	}
	cancelLoad()
	for range running {
		<-done
	}
	<-profiled
	res.window = time.Since(t0)
	m.stop()
	res.load1After = load1()
	res.loadgenCores = (cpuSeconds(os.Getpid()) - self0) / res.window.Seconds()
	res.cores, res.peakMB = m.cores, m.finalPeak
	res.hwmMB = rssMB(srv.cmd.Process.Pid, "VmHWM")
	px1 := px.Stats()
	res.propexoReqs, res.propexo429 = px1.Requests-px0.Requests, px1.RateLimited-px0.RateLimited
	res.propexoPerMin = float64(res.propexoReqs) / res.window.Minutes()
	res.reads, res.prospects, res.postbacks, res.registrations = rd.stats(res.window), pros.stats(res.window), pbs.stats(res.window), regs.stats(res.window)
	res.appsDuring = apps.during

	// Drain: the deliveries queued during the load finish (their lag is
	// the point), then the webhooks they raised arrive.
	ids := jobs.all()
	deadline := time.Now().Add(s.drain)
	if len(ids) > 0 {
		logf("phase %s: waiting for %d Propexo deliveries to end", name, len(ids))
	}
	for len(ids) > 0 {
		d, p, f, lag, err := deliveryLag(ctx, base, tk.prospects, ids)
		if err == nil {
			res.delivered, res.pending, res.failed = d, p, f
			res.lagP50, res.lagP99, res.lagMax = quantiles(lag)
		}
		if (err == nil && p == 0) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(2 * time.Second)
	}
	for last, quiet := rcv.total(), 0; quiet < 3 && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(time.Second)
		if n := rcv.total(); n == last {
			quiet++
		} else {
			last, quiet = n, 0
		}
	}
	rcv.mu.Lock()
	res.hookTypes, res.hookBad = rcv.byType, rcv.bad
	res.hookP50, res.hookP99, _ = quantiles(rcv.lag)
	res.hooks = len(rcv.lag)
	rcv.mu.Unlock()
	return res, ctx.Err()
}

// followSync queues the first sync and follows it to its end.
func followSync(ctx context.Context, s settings, base string, tk tokens, px *propexotest.Sim) syncResult {
	token := tk.sync
	r := syncResult{started: time.Now()}
	list0, st0 := px.ListRequests(), px.Stats()
	job, err := startSync(ctx, base, token, tk.platform, tk.syncClient)
	if err != nil {
		r.err = err
		return r
	}
	r.launched = true
	deadline := r.started.Add(s.syncMax)
	for ctx.Err() == nil {
		time.Sleep(time.Second)
		status, l, t, err := syncState(ctx, base, token, job)
		if err == nil {
			r.status, r.leases, r.tenants = status, l, t
		}
		if status == "SUCCEEDED" || status == "FAILED" {
			r.finished = true
			break
		}
		if time.Now().After(deadline) {
			break
		}
	}
	r.ended = time.Now()
	st1 := px.Stats()
	r.listRequests = px.ListRequests() - list0
	r.propexoRequests, r.rateLimited = st1.Requests-st0.Requests, st1.RateLimited-st0.RateLimited
	return r
}

// fillSync puts n leases under the sync client's integration, with 1 to 3
// residents each, in 200 properties, in the simulator.
func fillSync(px *propexotest.Sim, n int) {
	statuses := []struct{ raw, norm string }{{"Current", "ACTIVE"}, {"Current", "ACTIVE"}, {"Notice", "ACTIVE"},
		{"Future", "PENDING"}, {"Past", "INACTIVE"}, {"Approved", "PENDING"}}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		id := fmt.Sprintf("SL%06d", i+1)
		tag := fmt.Sprintf("SYNC-%03d", i%200+1)
		st := statuses[h(i, 31)%len(statuses)]
		start := base.AddDate(0, 0, h(i, 32)%900-450)
		l := propexotest.LeaseRecord{ID: id, IntegrationID: syncIntegration, PropertyID: "px-" + tag, XPropertyID: tag,
			UnitNumber: fmt.Sprintf("%d%02d", 1+h(i, 33)%9, 1+h(i, 34)%40), Status: st.raw, StatusRaw: st.raw, StatusNormalized: st.norm,
			StartDate: start.Format(time.DateOnly), EndDate: start.AddDate(1, 0, -1).Format(time.DateOnly),
			MoveInDate: start.Format(time.DateOnly)}
		for k := range 1 + h(i, 35)%3 {
			fn, ln := firstNames[h(i*3+k, 36)%40], lastNames[h(i*3+k, 37)%40]
			r := propexotest.ResidentRecord{ID: fmt.Sprintf("%s-R%d", id, k+1), IntegrationID: syncIntegration, PropertyID: l.PropertyID,
				FirstName: fn, LastName: ln, LeaseIDs: []string{id},
				Email: fmt.Sprintf("%s.%s.%s@example.com", strings.ToLower(fn), strings.ToLower(ln), strings.ToLower(id)),
				Phone: fmt.Sprintf("+1512%07d", h(i*3+k, 38)%10000000),
				Primary: propexotest.ResidentAddress{Address1: fmt.Sprintf("%d %s St", 1+h(i*3+k, 39)%9999, streets[h(i*3+k, 40)%20]),
					City: cities[h(i*3+k, 41)%20], State: states[h(i*3+k, 41)%20], Zip: fmt.Sprintf("%05d", 10000+h(i*3+k, 42)%89999), Country: "United States"}}
			l.ResidentIDs = append(l.ResidentIDs, r.ID)
			px.PutResident(r)
		}
		px.PutLease(l)
	}
}

// ---- report ---------------------------------------------------------------

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

func (r *phaseResult) print(w *os.File, s settings) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "\n== %s, phase %s (%s): %s of load ==\n", s.db, r.name, strings.Join(r.parts, " + "), r.window.Round(time.Second))
	fmt.Fprintln(tw, "part\tok\terrors\t429\tper s\tp50 ms\tp99 ms\tmax ms\t")
	row := func(name string, st stats) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.1f\t%s\t%s\t%s\t\n", name, st.ok, st.errs, st.limited, st.perSec, ms(st.p50), ms(st.p99), ms(st.max))
	}
	has := func(p string) bool { return contains(r.parts, p) }
	if has(partReads) {
		row("leases reads", r.reads)
	}
	if has(partProspects) {
		row("prospect creates", r.prospects)
	}
	if has(partPostbacks) {
		row("SmartMove postbacks", r.postbacks)
	}
	if has(partRegister) {
		row("iframe registrations", r.registrations)
	}
	if r.hooks > 0 || r.hookBad > 0 {
		fmt.Fprintf(tw, "webhook deliveries\t%d\t%d\t\t%.1f\t%s\t%s\t\t(event commit to receipt)\n", r.hooks, r.hookBad,
			float64(r.hooks)/r.window.Seconds(), ms(r.hookP50), ms(r.hookP99))
	}
	tw.Flush()
	if has(partProspects) {
		fmt.Fprintf(w, "Propexo deliveries: %d SUCCEEDED, %d still pending, %d other; lag (commit to job SUCCEEDED) p50 %.1f s, p99 %.1f s, max %.1f s\n",
			r.delivered, r.pending, r.failed, r.lagP50.Seconds(), r.lagP99.Seconds(), r.lagMax.Seconds())
	}
	if has(partSync) {
		sy := r.sync
		d := sy.ended.Sub(sy.started)
		state := "ended " + sy.status
		if !sy.finished {
			state = "NOT finished (" + sy.status + ")"
		}
		if sy.err != nil {
			state = "failed to start: " + sy.err.Error()
		}
		fmt.Fprintf(w, "lease sync: %s after %.0f s, %d leases and %d tenants; %d Propexo list requests (%.0f a minute)\n",
			state, d.Seconds(), sy.leases, sy.tenants, sy.listRequests, float64(sy.listRequests)/d.Minutes())
	}
	fmt.Fprintf(w, "Propexo: %d requests in the phase (%.0f a minute), %d answered 429\n", r.propexoReqs, r.propexoPerMin, r.propexo429)
	if has(partPostbacks) {
		fmt.Fprintf(w, "SmartMove: %d screenings ordered before the load, %d during it (the pool ran out)\n", r.appsBefore, r.appsDuring)
	}
	if len(r.hookTypes) > 0 {
		var parts []string
		for t, n := range r.hookTypes {
			parts = append(parts, fmt.Sprintf("%s %d", t, n))
		}
		fmt.Fprintf(w, "webhook events: %s\n", strings.Join(parts, ", "))
	}
	for _, st := range []struct {
		name string
		s    stats
	}{{"reads", r.reads}, {"prospects", r.prospects}, {"postbacks", r.postbacks}, {"registrations", r.registrations}} {
		for msg, n := range st.s.sample {
			fmt.Fprintf(w, "  %s error x%d: %s\n", st.name, n, msg)
		}
	}
	fmt.Fprintf(w, "server: %.2f cores (CPU-seconds per second of load), peak RSS %.0f MB (sampled; VmHWM %.0f MB since start); load generator and simulators %.2f cores; log %s\n",
		r.cores, r.peakMB, r.hwmMB, r.loadgenCores, r.serverLogPath)
	fmt.Fprintf(w, "machine: load average (1 min) %s before the load, %s at its end, on %d cores\n", r.load1Before, r.load1After, runtime.NumCPU())
}

// load1 is the machine's 1-minute load average: other work on the same
// cores shows here.
func load1() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// summary prints one line per phase, for the note.
func summary(w *os.File, s settings, rs []*phaseResult) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "\n== summary: %s, %d leases / %d clients, reads at %d connections, sync of %d leases ==\n", s.db, s.nleases, s.nclients, s.conns, s.syncLeases)
	fmt.Fprintln(tw, "phase\tload1\treads/s\treads p50/p99 ms\tread err\tread 429\tprospects p50/p99 ms\tpostbacks/s\tpostbacks p50/p99 ms\tregistrations/s\tregistrations p50/p99 ms\twrite err\tdelivery lag p50/p99 s\tsync s\tsync Propexo req/min\tPropexo 429\twebhooks\tserver cores\tpeak MB\t")
	dash := "-"
	for _, r := range rs {
		has := func(p string) bool { return contains(r.parts, p) }
		col := func(ok bool, v string) string {
			if !ok {
				return dash
			}
			return v
		}
		pp := func(st stats) string { return ms(st.p50) + " / " + ms(st.p99) }
		syncS, syncRate := dash, dash
		if has(partSync) {
			d := r.sync.ended.Sub(r.sync.started)
			syncS = fmt.Sprintf("%.0f", d.Seconds())
			if !r.sync.finished {
				syncS = fmt.Sprintf(">%.0f (%d leases)", d.Seconds(), r.sync.leases)
			}
			syncRate = fmt.Sprintf("%.0f", float64(r.sync.listRequests)/d.Minutes())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%d\t%d\t%.2f\t%.0f\t\n", r.name, r.load1Before+"/"+r.load1After,
			col(has(partReads), fmt.Sprintf("%.0f", r.reads.perSec)), col(has(partReads), pp(r.reads)), col(has(partReads), fmt.Sprint(r.reads.errs)), col(has(partReads), fmt.Sprint(r.reads.limited)),
			col(has(partProspects), pp(r.prospects)),
			col(has(partPostbacks), fmt.Sprintf("%.1f", r.postbacks.perSec)), col(has(partPostbacks), pp(r.postbacks)),
			col(has(partRegister), fmt.Sprintf("%.1f", r.registrations.perSec)), col(has(partRegister), pp(r.registrations)),
			r.prospects.errs+r.postbacks.errs+r.registrations.errs,
			col(has(partProspects), fmt.Sprintf("%.1f / %.1f", r.lagP50.Seconds(), r.lagP99.Seconds())),
			syncS, syncRate, r.propexo429, r.hooks, r.cores, r.peakMB)
	}
	tw.Flush()
}

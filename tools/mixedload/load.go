package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// ---- measurements ---------------------------------------------------------

// recorder collects one part's outcomes.
type recorder struct {
	mu      sync.Mutex
	lat     []time.Duration
	limited int // answers 429 RATE_LIMITED: the token's own limit, counted apart
	errs    int
	sample  map[string]int // error text -> count (the first few kinds)
}

func (r *recorder) add(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if errors.Is(err, errRateLimited) {
		r.limited++
		return
	}
	if err != nil {
		r.errs++
		if r.sample == nil {
			r.sample = map[string]int{}
		}
		msg := err.Error()
		if len(msg) > 160 {
			msg = msg[:160]
		}
		if _, ok := r.sample[msg]; ok || len(r.sample) < 5 {
			r.sample[msg]++
		}
		return
	}
	r.lat = append(r.lat, d)
}

// stats is a part's summary over a window.
type stats struct {
	ok, errs int
	limited  int
	perSec   float64
	p50, p99 time.Duration
	max      time.Duration
	sample   map[string]int
}

func (r *recorder) stats(window time.Duration) stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := stats{ok: len(r.lat), errs: r.errs, limited: r.limited, sample: r.sample}
	if window > 0 {
		s.perSec = float64(s.ok) / window.Seconds()
	}
	s.p50, s.p99, s.max = quantiles(r.lat)
	return s
}

func quantiles(d []time.Duration) (p50, p99, mx time.Duration) {
	if len(d) == 0 {
		return 0, 0, 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return at(0.50), at(0.99), d[len(d)-1]
}

// ---- GraphQL over HTTP ----------------------------------------------------

var httpClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute},
	// The registration page answers with pages, never redirects; neither
	// does the API.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type gqlAnswer struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// gql posts a GraphQL request; an HTTP status other than 200 or any error
// in the answer is an error. out receives data.
func gql(ctx context.Context, base, token, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	var a gqlAnswer
	if err := json.Unmarshal(b, &a); err != nil || res.StatusCode != http.StatusOK || len(a.Errors) > 0 {
		if len(a.Errors) > 0 {
			return fmt.Errorf("HTTP %d: %s (%v)", res.StatusCode, a.Errors[0].Message, a.Errors[0].Extensions["code"])
		}
		return fmt.Errorf("HTTP %d: %.200s", res.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(a.Data, out)
	}
	return nil
}

// every runs f at the rate (open loop: a slow answer does not delay the
// next start) until ctx ends, and waits for the calls started.
func every(ctx context.Context, interval time.Duration, f func(n int)) {
	var wg sync.WaitGroup
	t := time.NewTicker(interval)
	defer t.Stop()
	for n := 0; ; n++ {
		wg.Add(1)
		go func() { defer wg.Done(); f(n) }()
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-t.C:
		}
	}
}

// ---- leases reads ---------------------------------------------------------

// leasesQuery is the peer harness's read, verbatim: its
// graphql/leases_ours.graphql (the performance harness kept outside this
// repository with the team's shared files, docs/testing.md#performance-harness),
// copied here as leases_ours.graphql; graph/fastpath/testdata holds the same
// copy (TestQueryIsTheHarness). It is sent with from 2024-03-01 and to
// 2024-05-31, as the harness's run.sh does, for a client picked at random
// per request (its bearer token).
//
//go:embed leases_ours.graphql
var leasesQuery string

var leasesBody, _ = json.Marshal(map[string]any{"query": leasesQuery, "variables": map[string]any{"from": "2024-03-01", "to": "2024-05-31"}})

// reads runs conns connections, each sending the next read as soon as the
// last is answered (as wrk does), each with a seeded client sequence.
func reads(ctx context.Context, base string, tokens []string, conns int, rec *recorder) {
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(4242, uint64(w)))
			for ctx.Err() == nil {
				tok := tokens[rnd.IntN(len(tokens))]
				t0 := time.Now()
				err := readOnce(ctx, base, tok)
				if ctx.Err() != nil {
					return // cut by the end of the phase: not an answer
				}
				rec.add(time.Since(t0), err)
			}
		}()
	}
	wg.Wait()
}

var wantPage = []byte(`"hasNextPage":true`)

// errRateLimited is a 429 from the server's per-token limit
// (LEASEGRAPH_TOKEN_RATE, 20 a second by default): the answer a client
// over its rate gets, counted apart from errors. The reader does not wait
// for its Retry-After (the harness's wrk does not either).
var errRateLimited = errors.New("429 RATE_LIMITED")

func readOnce(ctx context.Context, base, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", bytes.NewReader(leasesBody))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode == http.StatusTooManyRequests && bytes.Contains(b, []byte(`"RATE_LIMITED"`)) {
		return errRateLimited
	}
	// Every client's first page is full (hasNextPage true) by the data's
	// construction; an answer without it is wrong, an errors entry too.
	if res.StatusCode != http.StatusOK || bytes.Contains(b, []byte(`"errors"`)) || !bytes.Contains(b, wantPage) {
		return fmt.Errorf("HTTP %d: %.120s", res.StatusCode, b)
	}
	return nil
}

// ---- prospect creates -----------------------------------------------------

const createProspect = `mutation($in: CreateProspectInput!) {
	createProspect(input: $in) { id integrationJobs { edges { node { id } } } } }`

// prospects creates one prospect every interval; each is delivered to
// Propexo by the server's queue. jobs receives the deliveries' ids.
func prospects(ctx context.Context, base, token string, interval time.Duration, rec *recorder, jobs *idList) {
	every(ctx, interval, func(n int) {
		var out struct {
			CreateProspect struct {
				IntegrationJobs struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
		}
		in := map[string]any{"firstName": firstNames[n%40], "lastName": lastNames[(n/40)%40] + " Mixed",
			"email1": fmt.Sprintf("prospect%d@example.com", n), "phone1": fmt.Sprintf("+1512%07d", 3000000+n),
			"notes": "mixed-load benchmark", "desiredNumBedrooms": []int{1 + n%3}}
		t0 := time.Now()
		err := gql(context.WithoutCancel(ctx), base, token, createProspect, map[string]any{"in": in}, &out)
		if err == nil && len(out.CreateProspect.IntegrationJobs.Edges) != 1 {
			err = errors.New("no delivery queued")
		}
		rec.add(time.Since(t0), err)
		if err == nil {
			jobs.add(out.CreateProspect.IntegrationJobs.Edges[0].Node.ID)
		}
	})
}

type idList struct {
	mu  sync.Mutex
	ids []string
}

func (l *idList) add(id string) { l.mu.Lock(); l.ids = append(l.ids, id); l.mu.Unlock() }
func (l *idList) all() []string { l.mu.Lock(); defer l.mu.Unlock(); return slices.Clone(l.ids) }

// deliveryLag reads the deliveries: how many ended SUCCEEDED and, for
// those, createdAt (the write's commit) to updatedAt (the job's last
// move, SUCCEEDED).
func deliveryLag(ctx context.Context, base, token string, ids []string) (done, pending, failed int, lag []time.Duration, err error) {
	for len(ids) > 0 {
		n := min(len(ids), 100)
		var out struct {
			Nodes []struct {
				Status               string
				CreatedAt, UpdatedAt time.Time
			}
		}
		err = gql(ctx, base, token, `query($ids: [ID!]!) { nodes(ids: $ids) { ... on IntegrationJob { status createdAt updatedAt } } }`,
			map[string]any{"ids": ids[:n]}, &out)
		if err != nil {
			return
		}
		for _, j := range out.Nodes {
			switch j.Status {
			case "SUCCEEDED":
				done++
				lag = append(lag, j.UpdatedAt.Sub(j.CreatedAt))
			case "QUEUED", "SENT":
				pending++
			default:
				failed++
			}
		}
		ids = ids[n:]
	}
	return
}

// ---- SmartMove postbacks --------------------------------------------------

// postbackTimer is the SmartMove simulator's postback transport: it times
// each postback, answered by the server.
type postbackTimer struct {
	mu  sync.Mutex
	rec *recorder
}

func (p *postbackTimer) set(r *recorder) { p.mu.Lock(); p.rec = r; p.mu.Unlock() }

func (p *postbackTimer) RoundTrip(req *http.Request) (*http.Response, error) {
	t0 := time.Now()
	res, err := http.DefaultTransport.RoundTrip(req)
	d := time.Since(t0)
	p.mu.Lock()
	rec := p.rec
	p.mu.Unlock()
	if rec != nil {
		switch {
		case err != nil:
			rec.add(d, err)
		case res.StatusCode/100 != 2:
			rec.add(d, fmt.Errorf("HTTP %d", res.StatusCode))
		default:
			rec.add(d, nil)
		}
	}
	return res, err
}

const createEmbedded = `mutation($key: String!, $input: CreateEmbeddedScreeningApplicationInput!) {
	createEmbeddedScreeningApplication(idempotencyKey: $key, input: $input) { smartmoveApplicationID } }`

// applicantsPerApp: each applicant walks four steps, each a postback.
const applicantsPerApp = 5

// newApplication orders an EMBEDDED screening (SmartMove knows its id at
// once), the landlord not paying, and answers SmartMove's id.
func newApplication(ctx context.Context, base, token string, n int) (int, error) {
	var apps []string
	for a := range applicantsPerApp {
		apps = append(apps, fmt.Sprintf("applicant%d.%d@example.com", n, a))
	}
	in := map[string]any{
		"applicants": apps, "landlordPays": false,
		"property": map[string]any{
			"landlordFirstName": "Homer", "landlordLastName": "Simpson", "landlordStreetAddressLineOne": "123 Fake Street",
			"landlordCity": "Springfield", "landlordState": "NY", "landlordZip": "12345", "landlordPhoneNumber": "5555555555",
			"landlordEmail": "homer@example.com", "street": "123 Property Street", "city": "Springfield", "state": "NY",
			"zip": "12345", "unitNumber": "4", "propertyName": "742 Evergreen Terrace", "classification": "CONVENTIONAL",
			"isFcraAgreementAccepted": true,
		},
	}
	var out struct {
		CreateEmbeddedScreeningApplication struct{ SmartmoveApplicationID *int }
	}
	if err := gql(ctx, base, token, createEmbedded, map[string]any{"key": fmt.Sprintf("mixed-%d", n), "input": in}, &out); err != nil {
		return 0, err
	}
	if out.CreateEmbeddedScreeningApplication.SmartmoveApplicationID == nil {
		return 0, errors.New("no SmartMove id")
	}
	return *out.CreateEmbeddedScreeningApplication.SmartmoveApplicationID, nil
}

// applications is the pool of orders whose applicants postbacks move.
type applications struct {
	base, token string
	ids         []int
	made        int // orders made, in setup or when the pool ran out
	during      int // of them, made while the load ran
}

func (a *applications) prepare(ctx context.Context, n int) error {
	for range n {
		id, err := newApplication(ctx, a.base, a.token, a.made)
		for tries := 0; err != nil && strings.Contains(err.Error(), "RATE_LIMITED") && tries < 10; tries++ {
			// The token's own limit (LEASEGRAPH_TOKEN_RATE): many orders in
			// a row reach it. The key makes the retry the same order.
			time.Sleep(time.Second)
			id, err = newApplication(ctx, a.base, a.token, a.made)
		}
		if err != nil {
			return fmt.Errorf("ordering a screening: %w", err)
		}
		a.made++
		a.ids = append(a.ids, id)
	}
	return nil
}

// postbacks makes SmartMove post one postback every interval: the
// simulator moves the next applicant one step (Advance) and posts it; its
// single worker sends them in order, timed by postbackTimer.
func postbacks(ctx context.Context, sim *smartmovetest.Server, apps *applications, interval time.Duration, rec *recorder) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			if len(apps.ids) == 0 {
				if err := apps.prepare(context.WithoutCancel(ctx), 1); err != nil {
					rec.add(0, err)
					break
				}
				apps.during++
			}
			moved, err := sim.Advance(apps.ids[0])
			if err != nil {
				rec.add(0, err)
			}
			if moved {
				break
			}
			apps.ids = apps.ids[1:]
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ---- iframe registrations -------------------------------------------------

var (
	regStateRe  = regexp.MustCompile(`name="state" value="([^"]*)"`)
	regStatusRe = regexp.MustCompile(`<div class="status">([^<]*)</div>`)
)

// registrations opens the registration page as a CRM's iframe does, one
// every interval: the GET (its first screen), then the form its script
// submits at once (which registers); one registration is both.
func registrations(ctx context.Context, base, token string, interval time.Duration, rec *recorder) {
	every(ctx, interval, func(n int) {
		t0 := time.Now()
		err := registerOnce(context.WithoutCancel(ctx), base, token, n)
		rec.add(time.Since(t0), err)
	})
}

func registerOnce(ctx context.Context, base, token string, n int) error {
	q := url.Values{"auth_token": {token}, "property_tag": {"OPEN"}, "crm_origin": {crmOrigin}, "require_cc": {"0"},
		"full_name": {firstNames[n%40] + " " + lastNames[(n/40)%40]}, "mobile_phone": {fmt.Sprintf("(737) %03d-%04d", 200+(n/10000)%800, n%10000)}}
	page := func(req *http.Request) (string, error) {
		res, err := httpClient.Do(req)
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return "", err
		}
		if res.StatusCode != http.StatusOK {
			return "", fmt.Errorf("HTTP %d", res.StatusCode)
		}
		return string(b), nil
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/prospects/registration?"+q.Encode(), nil)
	body, err := page(req)
	if err != nil {
		return fmt.Errorf("GET: %w", err)
	}
	m := regStateRe.FindStringSubmatch(body)
	if m == nil {
		return errors.New("GET: no first screen")
	}
	form := url.Values{"state": {html.UnescapeString(m[1])}, "action": {"start"}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/prospects/registration", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if body, err = page(req); err != nil {
		return fmt.Errorf("POST: %w", err)
	}
	if m := regStatusRe.FindStringSubmatch(body); m == nil || html.UnescapeString(m[1]) != "invited" {
		return fmt.Errorf("POST: not invited: %q", m)
	}
	return nil
}

// ---- the lease sync -------------------------------------------------------

type syncResult struct {
	started, ended     time.Time
	status             string
	leases, tenants    int
	listRequests       int // Propexo list GETs the sync sent
	rateLimited        int // 429s Propexo answered (the whole phase)
	propexoRequests    int // every request Propexo answered in the sync's time
	err                error
	finished, launched bool
}

// startSync gives the client its Propexo integration (as a platform
// admin does), queues its first sync (syncLeasesNow) and answers its run's
// id.
func startSync(ctx context.Context, base, token, platform string, clientID int) (string, error) {
	gid := strconv.Itoa(clientID)
	if err := gql(ctx, base, platform, `mutation($id: ID!, $in: ClientPartnerReferencesInput!) { updateClientPartnerReferences(id: $id, input: $in) { id } }`,
		map[string]any{"id": gid, "in": map[string]any{"propexoIntegrationId": syncIntegration}}, nil); err != nil {
		return "", fmt.Errorf("setting the integration: %w", err)
	}
	var out struct {
		SyncLeasesNow struct{ Job struct{ ID string } }
	}
	if err := gql(ctx, base, token, `mutation { syncLeasesNow { queued job { id } } }`, nil, &out); err != nil {
		return "", err
	}
	return out.SyncLeasesNow.Job.ID, nil
}

// syncState reads the run's status and the client's counts.
func syncState(ctx context.Context, base, token, job string) (status string, leases, tenants int, err error) {
	var out struct {
		Node    struct{ Status string }
		Clients struct {
			Edges []struct {
				Node struct {
					LeaseSync *struct{ LeasesSynced, TenantsSynced int }
				}
			}
		}
	}
	err = gql(ctx, base, token, `query($id: ID!) { node(id: $id) { ... on IntegrationJob { status } }
		clients(first: 1) { edges { node { leaseSync { leasesSynced tenantsSynced } } } } }`, map[string]any{"id": job}, &out)
	if err != nil {
		return
	}
	status = out.Node.Status
	if len(out.Clients.Edges) == 1 && out.Clients.Edges[0].Node.LeaseSync != nil {
		leases, tenants = out.Clients.Edges[0].Node.LeaseSync.LeasesSynced, out.Clients.Edges[0].Node.LeaseSync.TenantsSynced
	}
	return
}

// ---- the webhook receiver -------------------------------------------------

// receiver is the clients' webhook endpoint (reset it before use): it
// answers 204 at once and records, per event type, the lag from the event's commit (its
// timestamp) to the delivery.
type receiver struct {
	mu     sync.Mutex
	byType map[string]int
	lag    []time.Duration
	bad    int
}

func (rc *receiver) reset() {
	rc.mu.Lock()
	rc.byType, rc.lag, rc.bad = map[string]int{}, nil, 0
	rc.mu.Unlock()
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	var ev struct {
		Type      string    `json:"type"`
		Timestamp time.Time `json:"timestamp"`
	}
	err := json.NewDecoder(r.Body).Decode(&ev)
	w.WriteHeader(http.StatusNoContent)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil || ev.Type == "" || r.Header.Get("webhook-signature") == "" {
		rc.bad++
		return
	}
	rc.byType[ev.Type]++
	rc.lag = append(rc.lag, now.Sub(ev.Timestamp))
}

func (rc *receiver) total() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, c := range rc.byType {
		n += c
	}
	return n
}

// createEndpoint registers the receiver for the token's client (every
// event type).
func createEndpoint(ctx context.Context, base, token, target string) error {
	return gql(ctx, base, token, `mutation($in: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $in) { endpoint { id } } }`,
		map[string]any{"in": map[string]any{"url": target, "description": "mixed-load benchmark receiver"}}, nil)
}

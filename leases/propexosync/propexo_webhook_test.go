package propexosync_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/internal/apptest"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

// A lease sync registers the client's webhook at Propexo (its own URL and
// derived secret, active, DATA_NEW and DATA_UPDATE), and repairs it when it
// has changed there; then changes at Propexo reach the client's leases by
// signed deliveries: a lease's, a resident's (re-fetched through its
// lease), a lease transfer's.
func TestPropexoWebhookRegistersAndReceives(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSyncHooks(&config.RateLimits{AuthFailures: 100}), func(t *testing.T, e *apptest.Env) {
		set := apptest.LeaseSync(t, e)
		sim := set.Sim
		set.HooksTo(e)
		id, token := e.PropexoClient("acme")
		lease := propexotest.LeaseRecord{ID: "L1", IntegrationID: "int-acme", PropertyID: "prop-1", XPropertyID: "PMS-P1",
			Status: "Future", StatusRaw: "Future", StartDate: "2025-01-01", ResidentIDs: []string{"r1"}}
		resident := propexotest.ResidentRecord{ID: "r1", IntegrationID: "int-acme", PropertyID: "prop-1",
			FirstName: "ann", LastName: "Doe", Email: "ann@example.com", LeaseIDs: []string{"L1"}}
		sim.PutLease(lease)
		sim.PutResident(resident)
		e.SyncLeases(token)

		wantURL := apptest.TestPublicURL + "/webhooks/propexo/" + strconv.Itoa(id)
		wantSecret := propexosync.WebhookSecret([]byte(apptest.WebhookSecret), id)
		registered := func() (propexotest.RegisteredWebhook, bool) {
			hooks := sim.Webhooks()
			if len(hooks) != 1 {
				return propexotest.RegisteredWebhook{}, false
			}
			h := hooks[0]
			return h, h.URL == wantURL && h.Secret == wantSecret && h.Active && slices.Equal(h.Triggers, []string{"DATA_UPDATE", "DATA_NEW"})
		}
		apptest.Until(t, "the sync registered no webhook with the client's URL and secret", func() bool { _, ok := registered(); return ok })
		if wantSecret == apptest.WebhookSecret || len(wantSecret) < 10 {
			t.Fatalf("the registered secret is the master key or too short")
		}

		// Changed at Propexo (secret and activity), it is repaired in place
		// by the next check, not registered twice. A check is due once a
		// day: forgetting the last one stands for the day passing.
		h, _ := registered()
		put(t, sim, h.ID, `{"secret":"someone-elses-secret","active":false}`)
		apptest.Until(t, "the registration job never completed", func() bool {
			var n int
			_ = set.DB.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'ensure_propexo_webhook' AND state = 'completed'`).Scan(&n)
			return n == 1
		})
		if _, err := set.DB.Exec(`DELETE FROM river_job WHERE kind = 'ensure_propexo_webhook' AND state = 'completed'`); err != nil {
			t.Fatal(err)
		}
		e.SyncLeases(token)
		apptest.Until(t, "the changed webhook was not repaired", func() bool { _, ok := registered(); return ok })

		// The periodic sync (run on start) would bring changes too: from
		// here on, only deliveries do.
		apptest.Until(t, "the periodic sync never ran", func() bool {
			var done, busy int
			_ = set.DB.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'sync_all_leases' AND state = 'completed'`).Scan(&done)
			_ = set.DB.QueryRow(`SELECT count(*) FROM river_job WHERE kind IN ('sync_all_leases', 'sync_leases') AND state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&busy)
			return done > 0 && busy == 0
		})
		first := func() map[string]any {
			p := e.LeasesPage(token, "")
			if len(p.Data) != 1 {
				t.Fatalf("/leases: %d leases", len(p.Data))
			}
			return p.Data[0]
		}
		lease.Status, lease.StatusRaw = "Notice", "Notice"
		sim.PutLease(lease)
		apptest.Until(t, "a lease changed at Propexo was not re-fetched", func() bool { return first()["status"] == "Notice" })

		gets := sim.LeaseGets()
		resident.FirstName = "anne"
		sim.PutResident(resident)
		apptest.Until(t, "a resident changed at Propexo was not re-fetched", func() bool {
			ts, _ := first()["tenants"].([]any)
			return len(ts) == 1 && ts[0].(map[string]any)["first_name"] == "anne"
		})
		if sim.LeaseGets() != gets {
			t.Fatalf("a resident's event read leases one by one")
		}

		sim.PutLease(propexotest.LeaseRecord{ID: "L2", IntegrationID: "int-acme", PropertyID: "prop-1", XPropertyID: "PMS-P1",
			Status: "Future", StatusRaw: "Future", StartDate: "2025-09-01", ResidentIDs: []string{"r1"}})
		apptest.Until(t, "a new lease was not fetched", func() bool { return len(e.LeasesPage(token, "").Data) == 2 })
		sim.PutTransfer(propexotest.TransferRecord{ID: "T1", IntegrationID: "int-acme", PropertyID: "prop-1", ResidentID: "r1",
			LeaseIDPrevious: "L1", LeaseIDNext: "L2", EffectiveDate: "2025-08-31"})
		apptest.Until(t, "a lease transfer did not move the lease left out", func() bool {
			for _, l := range e.LeasesPage(token, "").Data {
				if l["move_out_date"] == "2025-08-31" {
					return true
				}
			}
			return false
		})
	})
}

// put sends PUT /v1/webhooks/{id} to the simulator as another party would.
func put(t *testing.T, sim *propexotest.Sim, id, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, "http://propexo.simulator/v1/webhooks/"+id, bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer other")
	req.Header.Set("Content-Type", "application/json")
	res, err := (&http.Client{Transport: sim.Transport()}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PUT webhook: HTTP %d", res.StatusCode)
	}
}

// Deliveries not signed by the client's own secret over the exact body are
// refused (401 JSON) and queue nothing: another client's secret, no
// header, a body altered after signing, a client id that is not one.
// Each spends the sender's failed-authentication budget, so forging is
// rate limited (429) like guessing a token; another address is not. One
// event delivered twice queues one job, even when the first has ended.
func TestPropexoWebhookForgery(t *testing.T) {
	apptest.EachDBSetup(t, apptest.WithLeaseSyncHooks(&config.RateLimits{AuthFailures: 5}), func(t *testing.T, e *apptest.Env) {
		set := apptest.LeaseSync(t, e)
		a, _ := e.PropexoClient("acme")
		b, _ := e.PropexoClient("beta")
		key := []byte(apptest.WebhookSecret)
		path := "/webhooks/propexo/" + strconv.Itoa(a)
		body, _ := json.Marshal(propexotest.Webhook{EventID: "evt-9", Trigger: "DATA_UPDATE", Model: "leases", IntegrationID: "int-acme", RecordID: "L1"})
		good := propexotest.Sign(propexosync.WebhookSecret(key, a), body)
		altered := bytes.Replace(body, []byte(`"L1"`), []byte(`"L2"`), 1)
		const attacker = "2001:db8:5:5::1"
		for _, c := range []struct {
			name, path, sig string
			body            []byte
		}{
			{"another client's secret", path, propexotest.Sign(propexosync.WebhookSecret(key, b), body), body},
			{"no signature", path, "", body},
			{"body altered", path, good, altered},
			{"the master key", path, propexotest.Sign(apptest.WebhookSecret, body), body},
			{"no such client id", "/webhooks/propexo/0" + strconv.Itoa(a), good, body},
		} {
			r := postHook(t, e, c.path, c.sig, attacker, c.body)
			if r.Status != http.StatusUnauthorized || r.ErrorCode() != "UNAUTHENTICATED" {
				t.Fatalf("%s: HTTP %d %s; want 401 UNAUTHENTICATED", c.name, r.Status, r.Body)
			}
		}
		if n := set.CountJobs(t, "refresh_propexo_record"); n != 0 {
			t.Fatalf("forged deliveries queued %d jobs", n)
		}
		// Five failures spent the budget: even a good signature from there
		// waits, while Propexo's own address is served.
		apptest.AssertLimited(t, "a delivery after repeated forgeries", postHook(t, e, path, good, attacker, body), 60)
		for i := range 2 {
			if r := postHook(t, e, path, good, "2001:db8:6:6::1", body); r.Status != http.StatusAccepted {
				t.Fatalf("delivery %d from another address: HTTP %d %s", i+1, r.Status, r.Body)
			}
			// The redelivery comes after the first job has ended
			// (cancelled: Propexo knows no lease L1), as Propexo's, 15
			// minutes apart, do.
			apptest.Until(t, "the delivery's job never ended", func() bool {
				var n int
				_ = set.DB.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'refresh_propexo_record' AND finalized_at IS NOT NULL`).Scan(&n)
				return n == 1
			})
		}
		if n := set.CountJobs(t, "refresh_propexo_record"); n != 1 {
			t.Fatalf("one event delivered twice queued %d jobs; want 1", n)
		}
		// The client's secret does not open another client's route.
		if r := postHook(t, e, "/webhooks/propexo/"+strconv.Itoa(b), good, "2001:db8:6:6::2", body); r.Status != http.StatusUnauthorized {
			t.Fatalf("client A's signature on client B's route: HTTP %d %s", r.Status, r.Body)
		}
	})
}

// postHook posts a delivery with signature sig (none when empty) from addr.
func postHook(t *testing.T, e *apptest.Env, path, sig, addr string, body []byte) apptest.Answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", addr)
	if sig != "" {
		req.Header.Set("propexo-signature", sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return apptest.Answer{Status: res.StatusCode, RetryAfter: res.Header.Get("Retry-After"), Header: res.Header, Body: b}
}

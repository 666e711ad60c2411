package main

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/metrics"
	"github.com/leasegraph/leasegraph/jobs"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/prospects"
	"github.com/leasegraph/leasegraph/screening"
)

// deliveryConfig is how prospects reach Propexo: the settings, and knobs
// that only tests and demo mode turn (never read from the environment).
type deliveryConfig struct {
	config.Delivery
	// PropexoHTTP overrides the HTTP client (demo mode's in-process simulator).
	PropexoHTTP *http.Client
	// PropexoWindow overrides Propexo's rate-limit window (a minute), which a
	// 429 makes the client wait out: tests run a simulator with a short one.
	PropexoWindow time.Duration
	// PollEvery is how often Propexo's write status is checked;
	// RetryBase the first retry's delay; JobPoll how often idle workers look.
	PollEvery, RetryBase, JobPoll time.Duration
	// InsertOnly enqueues without working jobs (tests of a stopped server).
	InsertOnly bool
	// Metrics counts the calls to Propexo (nil: not counted).
	Metrics *metrics.Metrics
}

// demoPropexo runs the Propexo simulator in-process, finishing each write
// after a few seconds, so demo prospects are delivered with no token; the
// job settings of d still apply.
func demoPropexo(d config.Delivery) deliveryConfig {
	sim := propexotest.New(propexotest.Options{AutoComplete: 3 * time.Second})
	d.PropexoToken, d.PropexoBaseURL = "demo", "http://propexo.simulator"
	return deliveryConfig{Delivery: d, PropexoHTTP: &http.Client{Transport: sim.Transport(), Timeout: 10 * time.Second}}
}

// startJobs starts this process's one River client (one, because River
// elects one leader per database to run periodic jobs) and returns the
// prospects service the API uses; stop drains the workers. It works Propexo
// deliveries when a Propexo token is configured (without one, deliveries are
// recorded as NOT_SENT) and, when scr is set, the SmartMove refreshes: the
// job each moving postback inserts, and the periodic refresh every
// refreshEvery, run by the leader only.
func startJobs(ctx context.Context, dc deliveryConfig, scr *screening.Service, refreshEvery time.Duration, client *ent.Client, db *sql.DB, dialect string, log *slog.Logger) (*prospects.Service, func(), error) {
	if dc.PropexoToken == "" && scr == nil {
		return &prospects.Service{DB: client}, func() {}, nil
	}
	workers := river.NewWorkers()
	if dc.PropexoToken != "" {
		hc := dc.PropexoHTTP
		if dc.Metrics != nil {
			hc = dc.Metrics.PartnerClient("propexo", hc, propexo.DefaultTimeout)
		}
		px, err := propexo.New(propexo.Config{Token: dc.PropexoToken, BaseURL: dc.PropexoBaseURL, HTTPClient: hc, RateWindow: dc.PropexoWindow})
		if err != nil {
			return nil, nil, err
		}
		river.AddWorker(workers, &jobs.DeliveryWorker{DB: client, Propexo: px, PollEvery: or(dc.PollEvery, 5*time.Second), ReconcileAfter: dc.ReconcileAfter})
	}
	var periodic []*river.PeriodicJob
	if scr != nil {
		periodic = append(periodic, jobs.AddScreening(workers, scr, or(refreshEvery, 15*time.Minute)))
	}
	if dc.InsertOnly {
		workers = nil
	}
	q, err := jobs.New(ctx, jobs.Config{
		DB: db, Dialect: dialect, Logger: log, Workers: workers, PeriodicJobs: periodic, Deliver: dc.PropexoToken != "",
		PollInterval: or(dc.JobPoll, time.Second), RetryBase: dc.RetryBase,
		JobTimeout: dc.JobTimeout, RescueAfter: dc.RescueAfter,
	})
	if err != nil {
		return nil, nil, err
	}
	ps := &prospects.Service{DB: client}
	if dc.PropexoToken != "" {
		ps.Queue = q
	}
	if scr != nil {
		scr.Queue = q
	}
	if dc.InsertOnly {
		return ps, func() {}, nil
	}
	if dc.Metrics != nil {
		watchJobs(q, db, dc.Metrics)
	}
	if err := q.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, nil, err
	}
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(sctx)
	}
	return ps, stop, nil
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// watchJobs counts the queue's job outcomes from River's events (the
// subscription ends when the client stops) and reports its depth.
func watchJobs(q *jobs.Queue, db *sql.DB, m *metrics.Metrics) {
	events, _ := q.River.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled, river.EventKindJobSnoozed)
	go func() {
		for ev := range events {
			if ev.Job != nil {
				m.JobDone(ev.Job.Kind, strings.TrimPrefix(string(ev.Kind), "job_"))
			}
		}
	}()
	m.WatchQueue(db)
}

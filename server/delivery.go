package main

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/demo"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/metrics"
	"github.com/leasegraph/leasegraph/internal/tracing"
	"github.com/leasegraph/leasegraph/jobs"
	"github.com/leasegraph/leasegraph/leases/propexosync"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
	"github.com/leasegraph/leasegraph/prospects"
	"github.com/leasegraph/leasegraph/registration"
	"github.com/leasegraph/leasegraph/screening"
	"github.com/leasegraph/leasegraph/twilio"
	"github.com/leasegraph/leasegraph/twilio/twiliotest"
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
	// SMS is Twilio's settings (unset: invitations are NOT_SENT); TwilioHTTP
	// overrides its HTTP client (demo mode's in-process simulator).
	// PublicURL is this server's, for Twilio's status callbacks.
	SMS        config.SMS
	TwilioHTTP *http.Client
	PublicURL  string
	// LeaseSync, when set, is given the Propexo client and the queue, and
	// its workers and periodic job are registered (with a Propexo token).
	LeaseSync *propexosync.Service
	// Metrics counts the calls to Propexo (nil: not counted).
	Metrics *metrics.Metrics
	// Tracing gives partner calls and jobs their spans (nil: none).
	Tracing *tracing.Tracing
}

// jobServices are the services whose writes enqueue jobs.
type jobServices struct {
	Prospects *prospects.Service
	// SMS sends registration invitations; nil when Twilio is not configured.
	SMS registration.SMSEnqueuer
}

// demoPropexo runs the Propexo simulator in-process, finishing each write
// after a few seconds, so demo prospects are delivered with no token; the
// job settings of d still apply.
func demoPropexo(d config.Delivery) deliveryConfig {
	sim := propexotest.New(propexotest.Options{AutoComplete: 3 * time.Second})
	// The demo client's leases: its first sync reads them at start-up.
	demo.FillPropexo(sim)
	d.PropexoToken, d.PropexoBaseURL = "demo", "http://propexo.simulator"
	return deliveryConfig{Delivery: d, PropexoHTTP: &http.Client{Transport: sim.Transport(), Timeout: 10 * time.Second}}
}

// startJobs starts this process's one River client (one, because River
// elects one leader per database to run periodic jobs) and returns the
// prospects service the API uses; stop lets running jobs finish until its
// context ends, then cancels them (River makes a cancelled attempt
// retryable, and DeliveryWorker resumes from the IntegrationJob's state).
// It works Propexo deliveries when a Propexo token is configured (without one, deliveries are
// recorded as NOT_SENT) and, when scr is set, the SmartMove refreshes: the
// job each moving postback inserts, and the periodic refresh every
// refreshEvery, run by the leader only.
func startJobs(ctx context.Context, dc deliveryConfig, scr *screening.Service, refreshEvery time.Duration, client *ent.Client, db *sql.DB, dialect string, log *slog.Logger) (jobServices, func(context.Context), error) {
	none := jobServices{Prospects: &prospects.Service{DB: client}}
	sendSMS := dc.SMS.Configured()
	if dc.PropexoToken == "" && scr == nil && !sendSMS {
		return none, func(context.Context) {}, nil
	}
	workers := river.NewWorkers()
	if dc.PropexoToken != "" {
		hc := dc.PropexoHTTP
		if dc.Metrics != nil {
			hc = dc.Metrics.PartnerClient("propexo", hc, propexo.DefaultTimeout)
		}
		hc = dc.Tracing.PartnerClient("propexo", hc, propexo.DefaultTimeout)
		px, err := propexo.New(propexo.Config{Token: dc.PropexoToken, BaseURL: dc.PropexoBaseURL, HTTPClient: hc, RateWindow: dc.PropexoWindow})
		if err != nil {
			return none, nil, err
		}
		river.AddWorker(workers, &jobs.DeliveryWorker{DB: client, Propexo: px, PollEvery: or(dc.PollEvery, 5*time.Second), ReconcileAfter: dc.ReconcileAfter})
		if dc.LeaseSync != nil {
			// The same client as deliveries: its pacer is the one budget
			// of the Propexo account.
			dc.LeaseSync.Propexo = px
			if dc.LeaseSync.FullEvery == 0 {
				dc.LeaseSync.FullEvery = dc.SyncFullEvery
			}
			if dc.LeaseSync.RunsKept == 0 {
				dc.LeaseSync.RunsKept = dc.SyncRunsKept
			}
		}
	}
	if sendSMS {
		tw, err := twilio.New(twilio.Config{AccountSID: dc.SMS.AccountSID, AuthToken: dc.SMS.AuthToken, From: dc.SMS.From,
			// Twilio's client's own default timeout when none is given.
			BaseURL: dc.SMS.BaseURL, HTTPClient: dc.Tracing.PartnerClient("twilio", dc.TwilioHTTP, 30*time.Second)})
		if err != nil {
			return none, nil, err
		}
		river.AddWorker(workers, &jobs.SMSWorker{DB: client, Twilio: tw, PublicURL: dc.PublicURL})
	}
	var periodic []*river.PeriodicJob
	syncing := dc.PropexoToken != "" && dc.LeaseSync != nil
	if syncing {
		periodic = append(periodic, jobs.AddLeaseSync(workers, dc.LeaseSync, or(dc.SyncInterval, 15*time.Minute), dc.RetryBase))
	}
	if scr != nil {
		periodic = append(periodic, jobs.AddScreening(workers, scr, or(refreshEvery, 15*time.Minute)))
	}
	if dc.InsertOnly {
		workers = nil
	}
	q, err := jobs.New(ctx, jobs.Config{
		DB: db, Dialect: dialect, Logger: log, Workers: workers, PeriodicJobs: periodic, Deliver: dc.PropexoToken != "", SendSMS: sendSMS, Sync: syncing,
		PollInterval: or(dc.JobPoll, time.Second), RetryBase: dc.RetryBase,
		JobTimeout: dc.JobTimeout, RescueAfter: dc.RescueAfter,
		Middleware: []rivertype.Middleware{dc.Tracing.Jobs()},
	})
	if err != nil {
		return none, nil, err
	}
	out := none
	if dc.PropexoToken != "" {
		out.Prospects.Queue = q
	}
	if sendSMS {
		out.SMS = q
	}
	if scr != nil {
		scr.Queue = q
	}
	if syncing {
		dc.LeaseSync.Queue = q
	}
	if dc.InsertOnly {
		return out, func(context.Context) {}, nil
	}
	if dc.Metrics != nil {
		watchJobs(q, db, dc.Metrics)
	}
	if err := q.Start(context.WithoutCancel(ctx)); err != nil {
		return none, nil, err
	}
	var once sync.Once
	stop := func(ctx context.Context) {
		once.Do(func() {
			if err := q.Stop(ctx); err == nil {
				return
			}
			log.Warn("background jobs still running at the shutdown timeout: cancelling them")
			cctx, cancel := context.WithTimeout(context.Background(), stopAndCancelWait)
			defer cancel()
			if err := q.River.StopAndCancel(cctx); err != nil {
				log.Warn("background jobs did not return after their cancellation", "error", err.Error())
			}
		})
	}
	return out, stop, nil
}

// demoTwilio runs the Twilio simulator in-process, so demo invitations are
// "sent" with no account: its status callbacks reach this server at
// publicURL, signed as Twilio signs them.
func demoTwilio(dc deliveryConfig, publicURL string) deliveryConfig {
	const sid, token, from = "ACdemo0000000000000000000000000000", "demo-auth-token", "+15005550006"
	sim := twiliotest.New(twiliotest.Options{AccountSID: sid, AuthToken: token, Numbers: []string{from}, Step: 2 * time.Second})
	dc.SMS = config.SMS{AccountSID: sid, AuthToken: token, From: from, BaseURL: "http://twilio.simulator"}
	dc.TwilioHTTP = &http.Client{Transport: sim.Transport(), Timeout: 10 * time.Second}
	dc.PublicURL = publicURL
	return dc
}

// stopAndCancelWait bounds the wait for cancelled jobs to return: a job
// that ignores its context must not keep the process from exiting.
const stopAndCancelWait = 5 * time.Second

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

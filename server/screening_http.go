package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/screening"
	"github.com/leasegraph/leasegraph/screening/notify"
	smpostback "github.com/leasegraph/leasegraph/screening/postback"
	"github.com/leasegraph/leasegraph/smartmove"
	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// Screening through SmartMove: configuration, the service, the postback
// route and demo mode's in-process simulator.

// screeningConfig is the settings, and a knob only tests turn (never read
// from the environment).
type screeningConfig struct {
	config.Screening
	// DemoStep is how often demo mode's simulated applicants move one step
	// (default 4 s).
	DemoStep time.Duration
}

// screeningSetup is the app's screening part.
type screeningSetup struct {
	service *screening.Service
	// pages serves the simulator's completion and report pages in demo mode.
	pages http.Handler
}

// screeningService returns the service, a default one (SmartMove not
// configured, in-process notices) when none was set up.
func (a *app) screeningService() *screening.Service {
	if a.screening.service == nil {
		a.screening.service = &screening.Service{DB: a.client, Log: a.log, Broker: &screening.Broker{}}
	}
	return a.screening.service
}

// screeningRoutes adds the postback route (and, in demo mode, the
// simulator's pages that the completion and report links open).
func (a *app) screeningRoutes(mux *http.ServeMux) {
	mux.Handle("POST "+screening.PostbackPath+"{key}", &smpostback.Handler{Screening: a.screeningService(), Guard: a.guard, Log: a.log})
	if a.screening.pages != nil {
		mux.Handle("/smartmove/api/", a.screening.pages)
	}
}

// startScreening sets up the screening service for serve: the SmartMove
// client (or, in demo mode without a key, the in-process simulator), the
// notices between instances on PostgreSQL. Its refreshes are River jobs
// (startJobs). The returned function stops what it started.
func (a *app) startScreening(ctx context.Context, cfg screeningConfig, port string, demo bool, dsn string, drv *entsql.Driver, log *slog.Logger) (func(), error) {
	var stops []func()
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = smartmove.SandboxURL
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://localhost:" + port
	}
	svc := &screening.Service{DB: a.client, Log: log, Broker: &screening.Broker{}, PublicURL: cfg.PublicURL}
	smCfg := smartmove.Config{BaseURL: cfg.BaseURL, APIKey: cfg.APIKey}
	if demo && cfg.APIKey == "" {
		// Applicants move one step every few seconds; the links point back
		// to this server, which serves the simulator's pages.
		step := cfg.DemoStep
		if step <= 0 {
			step = 4 * time.Second
		}
		sim := smartmovetest.New(smartmovetest.Options{AutoAdvance: step, LinkBaseURL: cfg.PublicURL})
		stops = append(stops, sim.Close)
		a.screening.pages = sim
		smCfg = smartmove.Config{BaseURL: smartmove.SandboxURL, APIKey: smartmovetest.DefaultAPIKey,
			HTTPClient: &http.Client{Transport: sim.Transport()}}
		log.Info("screening: demo mode runs an in-process SmartMove simulator")
	}
	if smCfg.APIKey != "" {
		if a.metrics != nil {
			smCfg.HTTPClient = a.metrics.PartnerClient("smartmove", smCfg.HTTPClient, smartmove.DefaultTimeout)
		}
		smCfg.HTTPClient = a.tracing.PartnerClient("smartmove", smCfg.HTTPClient, smartmove.DefaultTimeout)
		sm, err := smartmove.New(smCfg)
		if err != nil {
			return stop, err
		}
		svc.SmartMove = sm
	}
	if drv.Dialect() == "postgres" {
		stopPG, err := notify.Start(ctx, dsn, drv.DB(), svc.Broker, log)
		if err != nil {
			stop()
			return func() {}, fmt.Errorf("listening for screening notices: %w", err)
		}
		stops = append(stops, stopPG)
	}
	a.screening.service = svc
	return stop, nil
}

package app

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/leasegraph/leasegraph/config"
	"github.com/leasegraph/leasegraph/internal/database"
)

// Serve is the whole server: it opens the database (migrating it, or
// checking it is current), builds the application, starts it, listens on
// the configured port until ctx ends, then shuts down gracefully.
func Serve(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	debug.SetGCPercent(cfg.Runtime.GCPercent)
	debug.SetMemoryLimit(cfg.Runtime.MemoryLimit)
	client, drv, err := database.Open(ctx, cfg.DatabaseURL, cfg.DB, cfg.Migrate, log)
	if err != nil {
		return err
	}
	defer client.Close()
	a, err := New(ctx, cfg, client, drv, log, Options{})
	if err != nil {
		return err
	}
	defer func() {
		// After the requests ended: jobs stop (a shutdown has stopped them
		// already) and the last spans are flushed within the shutdown's
		// own bound.
		ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		a.Stop(ctx)
	}()
	if err := a.Start(ctx); err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              ":" + cfg.Port,
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	srv.RegisterOnShutdown(a.sockets.GoingAway)
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	a.log.Info("leasegraph listening", "url", "http://localhost:"+cfg.Port, "playground", "http://localhost:"+cfg.Port+"/", "database", databaseKind(cfg.DatabaseURL))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Draining()
	drain(cfg.ShutdownDrain, a.log)
	return a.shutdown(srv, cfg.ShutdownTimeout)
}

// drain keeps serving for d after the shutdown signal, /readyz answering
// 503, because net/http's Shutdown closes the listener at once: a load
// balancer still routing here would see refused connections, not a failed
// readiness check. A second SIGTERM or SIGINT ends the wait.
func drain(d time.Duration, log *slog.Logger) {
	if d <= 0 {
		return
	}
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	log.Info("shutting down: draining, /readyz answers 503", "drain", d.String())
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-again:
		log.Info("second signal: drain ended early")
	}
}

// shutdown stops the process gracefully within timeout: the listener
// closes (new connections are refused), websockets are closed with 1001,
// in-flight requests run to their end, then background jobs finish or are
// cancelled; Serve's deferred calls then close the database. Only a
// request still running at the timeout is cut.
func (a *App) shutdown(srv *http.Server, timeout time.Duration) error {
	a.log.Info("shutting down: waiting for in-flight requests and jobs", "timeout", timeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		a.log.Warn("requests still running at the shutdown timeout were cut", "error", err.Error())
		_ = srv.Close()
	}
	// Shutdown does not wait for hijacked connections: without this wait
	// the process could exit before a websocket's close frame is written.
	if err := a.sockets.Wait(ctx); err != nil {
		a.log.Warn("websockets still open at the shutdown timeout were cut")
	}
	a.StopJobs(ctx)
	a.log.Info("stopped")
	return nil
}

func databaseKind(url string) string {
	if url == "" {
		return "sqlite " + database.DefaultSQLite
	}
	if len(url) > 8 && url[:8] == "postgres" {
		return "postgresql"
	}
	return "sqlite"
}

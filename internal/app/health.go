package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/migrations"
	"github.com/leasegraph/leasegraph/viewer"
)

// healthzTimeout bounds /healthz: a load balancer must hear "unavailable"
// quickly, not wait on a database that stopped answering.
const healthzTimeout = 2 * time.Second

func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthzTimeout)
	defer cancel()
	if err := a.health.check(ctx, a.client); err != nil {
		a.log.ErrorContext(ctx, "health check failed", "error", err.Error())
		httpjson.Error(w, &apperr.Error{Code: apperr.CodeUnavailable, Message: "database unavailable"}, http.StatusServiceUnavailable)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
}

// healthCheck asks the database whether it answers. The query runs in a
// goroutine the caller stops waiting for at its deadline, because a driver
// blocked on a connection that drops packets ignores its context; and
// while one query is in flight, later checks wait on it instead of
// starting another, so a stalled database holds at most one connection
// for health checks however often the load balancer asks.
type healthCheck struct {
	mu     sync.Mutex
	flight *healthFlight
}

// healthFlight is one database check; err is set before done closes.
type healthFlight struct {
	done chan struct{}
	err  error
}

func (h *healthCheck) check(ctx context.Context, client *ent.Client) error {
	h.mu.Lock()
	f := h.flight
	if f == nil {
		f = &healthFlight{done: make(chan struct{})}
		h.flight = f
		go func() {
			// Not the request's context: later requests share this check.
			qctx, cancel := context.WithTimeout(context.Background(), healthzTimeout)
			defer cancel()
			// A driver stuck on a dead connection may not return for
			// minutes: past its timeout the check stops being shared, so
			// the next one asks afresh (on a new connection once the
			// database is back) instead of waiting on this one.
			leave := func() {
				h.mu.Lock()
				if h.flight == f {
					h.flight = nil
				}
				h.mu.Unlock()
			}
			stop := context.AfterFunc(qctx, leave)
			defer stop()
			_, f.err = client.Company.Query().Exist(viewer.SystemContext(qctx))
			leave()
			close(f.done)
		}()
	}
	h.mu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return fmt.Errorf("no answer within %s", healthzTimeout)
	}
}

// readyz tells a load balancer or an orchestrator whether this instance
// should get traffic: it is not shutting down (LEASEGRAPH_SHUTDOWN_DRAIN
// keeps it serving a while with this 503 so the balancer stops routing to
// it first), the database answers, its schema is the one this
// binary was built for (LEASEGRAPH_MIGRATE=off leaves that to another
// step, which may not have run yet), and the job workers run. /healthz
// stays "the process is alive", so a restart is not ordered for a
// database outage.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthzTimeout)
	defer cancel()
	checks := map[string]string{}
	var failed []string
	if a.draining.Load() {
		// Not a failure to log: the operator asked for it.
		checks["shutdown"] = "draining"
		failed = append(failed, "shutting down")
	}
	check := func(name string, err error) {
		if err == nil {
			checks[name] = "ok"
			return
		}
		// The detail is for the operator's log; the answer, which anyone
		// may read, names the check only.
		a.log.ErrorContext(ctx, "readiness check failed", "check", name, "error", err)
		checks[name] = "failed"
		failed = append(failed, name)
	}
	dbErr := a.health.check(ctx, a.client)
	check("database", dbErr)
	switch {
	case dbErr != nil:
		// Unknown while the database does not answer.
		checks["migrations"] = "unknown"
	case a.db != nil:
		check("migrations", migrations.Check(ctx, a.db, a.dialect))
	}
	check("workers", a.workersRunning())
	if len(failed) > 0 {
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]any{
			"status": "unavailable", "checks": checks,
			"error": map[string]string{"code": "UNAVAILABLE", "message": "not ready: " + strings.Join(failed, ", ")},
		})
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"status": "ok", "checks": checks})
}

// workersRunning asks the job queue whether its workers are running: every
// process works jobs (screening refreshes at least), so one whose workers
// never started or stopped should get no traffic.
func (a *App) workersRunning() error { return a.Queue.Running() }

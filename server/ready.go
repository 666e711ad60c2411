package main

import (
	"context"
	"net/http"
	"strings"

	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/migrations"
)

// readyz tells a load balancer or an orchestrator whether this instance
// should get traffic: it is not shutting down (LEASEGRAPH_SHUTDOWN_DRAIN
// keeps it serving a while with this 503 so the balancer stops routing to
// it first), the database answers, its schema is the one this
// binary was built for (LEASEGRAPH_MIGRATE=off leaves that to another
// step, which may not have run yet), and the job workers run. /healthz
// stays "the process is alive", so a restart is not ordered for a
// database outage.
func (a *app) readyz(w http.ResponseWriter, r *http.Request) {
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

// workersRunning asks the job queue, when this process has one (a Propexo
// token or screening configured), whether its workers are running.
func (a *app) workersRunning() error {
	type runner interface{ Running() error }
	for _, q := range []any{a.prospects.Queue, a.screeningService().Queue} {
		if q, ok := q.(runner); ok {
			if err := q.Running(); err != nil {
				return err
			}
		}
	}
	return nil
}

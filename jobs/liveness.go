package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/processheartbeat"
	"github.com/leasegraph/leasegraph/viewer"
)

// Process liveness. River marks a job running when a client fetches it and
// its own rescuer runs a job again only once it has been running for
// RescueAfter (5 minutes), since River cannot tell a dead process from a
// slow job. Here every working process keeps a heartbeat row
// (ProcessHeartbeat, beat_at written every BeatEvery, a third of Lapse)
// and names itself to River by that row's name (river.Config.ID), so a job's
// attempted_by names the process holding it. On every beat each process
// also rescues, idempotently: a running job whose holder has not beaten for
// Lapse, or whose holder has no row and which has been running for Lapse
// (a process of a release before heartbeats, or one stopped cleanly whose
// job somehow stayed running), is made available at once. A live process's
// job is never taken, however long it runs, while its heartbeat is fresh;
// nor does a process ever rescue its own jobs, nor rescue at all when its
// own beat failed (it cannot then trust what it reads). River's rescuer
// stays as the last resort.
//
// With the defaults (Lapse 15 s, a beat and a rescue pass every 5 s) a dead
// process's jobs run again 15 to 20 s after its last beat: three missed
// beats, so one slow write (a busy SQLite, a GC pause) does not make a live
// process look dead, and short enough that work resumes well within a
// minute of a crash. The lapse is judged on the processes' clocks, which
// must agree to well within it (NTP).

// DefaultLapse is LEASEGRAPH_HEARTBEAT_LAPSE's default.
const DefaultLapse = 15 * time.Second

// pruneAfter is how long a dead process's row is kept: by then every job it
// held has been rescued, by the heartbeat or by River's rescuer.
const pruneAfter = time.Hour

// liveness beats for one process and rescues the jobs of dead ones.
type liveness struct {
	db      *sql.DB
	ent     *ent.Client
	dialect string
	log     *slog.Logger
	now     func() time.Time
	// lapse is how old a beat makes its process dead; every is how often
	// the process beats and rescues.
	lapse, every time.Duration
	// name is this process's id: its row's name and its River client id.
	name, host string

	mu   sync.Mutex
	stop context.CancelFunc
	done chan struct{}
}

func newLiveness(cfg Config) *liveness {
	if cfg.Ent == nil {
		return nil
	}
	lapse := orDefault(cfg.Lapse, DefaultLapse)
	l := &liveness{db: cfg.DB, ent: cfg.Ent, dialect: cfg.Dialect, log: cfg.Logger, now: cfg.Now,
		lapse: lapse, every: orDefault(cfg.BeatEvery, lapse/3), name: cfg.ProcessName}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.now == nil {
		l.now = time.Now
	}
	host, _ := os.Hostname()
	l.host = fmt.Sprintf("%s pid %d", host, os.Getpid())
	if len(l.host) > 255 {
		l.host = l.host[:255]
	}
	if l.name == "" {
		l.name = processName(host)
	}
	return l
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// processName is unique per process: the host (River's client ids read the
// same way), the pid and random bits, for a restarted container may get
// the same host name and pid.
func processName(host string) string {
	host = unsafeName.ReplaceAllString(host, "_")
	if host == "" {
		host = "unknown_host"
	}
	if len(host) > 60 {
		host = host[:60]
	}
	return host + "_" + strconv.Itoa(os.Getpid()) + "_" + strconv.FormatInt(time.Now().UnixNano()%1e12, 36)
}

// beat records that this process is alive, creating its row when it is
// missing (the first beat, or a row pruned while the process was stalled).
func (l *liveness) beat(ctx context.Context) error {
	now := l.now().UTC()
	return l.ent.ProcessHeartbeat.Create().SetName(l.name).SetHost(l.host).SetStartedAt(now).SetBeatAt(now).
		OnConflictColumns(processheartbeat.FieldName).UpdateBeatAt().Exec(viewer.SystemContext(ctx))
}

// start beats once, before River fetches any job under this name, then
// beats and rescues every l.every until stopped.
func (l *liveness) start(ctx context.Context) error {
	if err := l.beat(ctx); err != nil {
		return fmt.Errorf("recording the process's heartbeat: %w", err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l.mu.Lock()
	l.stop, l.done = cancel, make(chan struct{})
	l.mu.Unlock()
	go func() {
		defer close(l.done)
		t := time.NewTicker(l.every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if _, err := l.tick(ctx); err != nil && ctx.Err() == nil {
				l.log.Warn("job liveness: " + err.Error())
			}
		}
	}()
	return nil
}

// halt stops beating; with forget, the row goes too (River has stopped:
// the process holds no job). Without, the row lapses like a dead
// process's, so jobs a stop could not end are rescued.
func (l *liveness) halt(ctx context.Context, forget bool) {
	l.mu.Lock()
	stop, done := l.stop, l.done
	l.stop = nil
	l.mu.Unlock()
	if stop == nil {
		return
	}
	stop()
	<-done
	if forget {
		if _, err := l.ent.ProcessHeartbeat.Delete().Where(processheartbeat.Name(l.name)).Exec(viewer.SystemContext(ctx)); err != nil {
			l.log.Warn("job liveness: removing the process's heartbeat: " + err.Error())
		}
	}
}

// tick beats, then rescues the jobs of lapsed processes and prunes the rows
// of long-dead ones. A process whose own beat failed rescues nothing.
func (l *liveness) tick(ctx context.Context) ([]Rescued, error) {
	if err := l.beat(ctx); err != nil {
		return nil, fmt.Errorf("beating: %w", err)
	}
	return l.rescue(ctx)
}

// Rescued is one job the liveness rescue made runnable again.
type Rescued struct {
	ID     int64
	Kind   string
	State  string // available; cancelled or discarded as River's rescuer would
	Holder string // the process that held it
}

// rescue makes the running jobs of dead processes runnable at once.
func (l *liveness) rescue(ctx context.Context) ([]Rescued, error) {
	rows, err := l.ent.ProcessHeartbeat.Query().All(viewer.SystemContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("reading heartbeats: %w", err)
	}
	now := l.now().UTC()
	cutoff := now.Add(-l.lapse)
	known, lapsed := []string{}, []string{}
	var prune []int
	for _, r := range rows {
		known = append(known, r.Name)
		if r.Name != l.name && r.BeatAt.Before(cutoff) {
			lapsed = append(lapsed, r.Name)
			if r.BeatAt.Before(now.Add(-pruneAfter)) {
				prune = append(prune, r.ID)
			}
		}
	}
	rescued, err := l.rescueJobs(ctx, known, lapsed, cutoff)
	if err != nil {
		return nil, fmt.Errorf("rescuing the jobs of dead processes: %w", err)
	}
	for _, r := range rescued {
		l.log.Warn("job rescued: the process holding it stopped beating", "job_id", r.ID, "kind", r.Kind, "state", r.State, "process", r.Holder)
	}
	if len(prune) > 0 && len(rescued) == 0 {
		// Only once their jobs are rescued: a missing row is then no loss.
		if _, err := l.ent.ProcessHeartbeat.Delete().Where(processheartbeat.IDIn(prune...)).Exec(viewer.SystemContext(ctx)); err != nil {
			return rescued, fmt.Errorf("pruning heartbeats: %w", err)
		}
	}
	return rescued, nil
}

// rescueJobs is one UPDATE of River's job table: a running job whose holder
// (the last of attempted_by) is lapsed, or unknown and attempted before
// cutoff, and is not this process, becomes available now, as River's
// rescuer would leave it (an error appended, river:rescue_count counted;
// cancelled when a cancel was asked, discarded with no attempt left), but
// at once rather than after the retry policy's backoff: the attempt did
// not fail, its process died. The state test in the same statement makes
// it safe in every process at once: a job is rescued once, and a job that
// ended meanwhile is left alone.
func (l *liveness) rescueJobs(ctx context.Context, known, lapsed []string, cutoff time.Time) ([]Rescued, error) {
	knownJSON, _ := json.Marshal(known)
	lapsedJSON, _ := json.Marshal(lapsed)
	now := time.Now().UTC() // River's clock, not the liveness one: the job must be due now
	at, _ := json.Marshal(now)
	msg := "rescued: the process holding the job stopped beating (heartbeat older than " + l.lapse.String() + ")"
	var q string
	var args []any
	if l.dialect == dialect.SQLite {
		q = rescueSQLite
		args = []any{sqliteTime(now), strings.Trim(string(at), `"`), msg, l.name, string(lapsedJSON), sqliteTime(cutoff), string(knownJSON)}
	} else {
		q = rescuePostgres
		args = []any{now, strings.Trim(string(at), `"`), msg, l.name, string(lapsedJSON), cutoff, string(knownJSON)}
	}
	rows, err := l.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Rescued
	for rows.Next() {
		var r Rescued
		if err := rows.Scan(&r.ID, &r.Kind, &r.State, &r.Holder); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// sqliteTime is River's SQLite time format (riversqlite's timeString): its
// times are text, compared as text.
func sqliteTime(t time.Time) string {
	return t.UTC().Round(time.Millisecond).Format("2006-01-02 15:04:05.999")
}

// The two statements say the same; $1/?1 now, $2/?2 now as JSON, $3/?3 the
// error, $4/?4 this process, $5/?5 the lapsed processes (a JSON array),
// $6/?6 the cutoff, $7/?7 every process with a row (a JSON array).
const (
	rescuePostgres = `
UPDATE river_job SET
  state = (CASE WHEN metadata ? 'cancel_attempted_at' THEN 'cancelled'
                WHEN attempt >= max_attempts THEN 'discarded'
                ELSE 'available' END)::river_job_state,
  finalized_at = CASE WHEN metadata ? 'cancel_attempted_at' OR attempt >= max_attempts THEN $1::timestamptz END,
  scheduled_at = CASE WHEN metadata ? 'cancel_attempted_at' OR attempt >= max_attempts THEN scheduled_at ELSE $1::timestamptz END,
  errors = array_append(errors, jsonb_build_object('at', $2::text, 'attempt', greatest(attempt, 0), 'error', $3::text, 'trace', '')),
  metadata = metadata || jsonb_build_object('river:rescue_count',
    coalesce(CASE WHEN jsonb_typeof(metadata -> 'river:rescue_count') = 'number' THEN (metadata ->> 'river:rescue_count')::int END, 0) + 1)
WHERE state = 'running'
  AND coalesce(attempted_by[array_length(attempted_by, 1)], '') <> $4::text
  AND (attempted_by[array_length(attempted_by, 1)] IN (SELECT jsonb_array_elements_text($5::jsonb))
       OR (attempted_at < $6::timestamptz
           AND coalesce(attempted_by[array_length(attempted_by, 1)], '') NOT IN (SELECT jsonb_array_elements_text($7::jsonb))))
RETURNING id, kind, state::text, coalesce(attempted_by[array_length(attempted_by, 1)], '')`

	rescueSQLite = `
UPDATE river_job SET
  state = CASE WHEN json_extract(metadata, '$.cancel_attempted_at') IS NOT NULL THEN 'cancelled'
               WHEN attempt >= max_attempts THEN 'discarded'
               ELSE 'available' END,
  finalized_at = CASE WHEN json_extract(metadata, '$.cancel_attempted_at') IS NOT NULL OR attempt >= max_attempts THEN ?1 END,
  scheduled_at = CASE WHEN json_extract(metadata, '$.cancel_attempted_at') IS NOT NULL OR attempt >= max_attempts THEN scheduled_at ELSE ?1 END,
  errors = json_insert(coalesce(errors, json('[]')), '$[#]', json_object('at', ?2, 'attempt', max(attempt, 0), 'error', ?3, 'trace', '')),
  metadata = json_set(metadata, '$."river:rescue_count"',
    coalesce(CASE json_type(metadata, '$."river:rescue_count"') WHEN 'integer' THEN json_extract(metadata, '$."river:rescue_count"') END, 0) + 1)
WHERE state = 'running'
  AND coalesce(json_extract(attempted_by, '$[#-1]'), '') <> ?4
  AND (json_extract(attempted_by, '$[#-1]') IN (SELECT value FROM json_each(?5))
       OR (attempted_at < ?6
           AND coalesce(json_extract(attempted_by, '$[#-1]'), '') NOT IN (SELECT value FROM json_each(?7))))
RETURNING id, kind, state, coalesce(json_extract(attempted_by, '$[#-1]'), '')`
)

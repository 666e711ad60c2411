package metrics

import (
	"context"
	"database/sql"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// JobDone counts one outcome of a background job: kind is the job's
// kind (our own job types, a bounded set), outcome River's event word
// (completed, failed, cancelled, snoozed).
func (m *Metrics) JobDone(kind, outcome string) {
	m.jobs.WithLabelValues(kind, outcome).Inc()
}

// WatchQueue reports the job table's rows by state at each scrape (one
// grouped count, so a scrape costs one short query). Called when the
// process runs a queue; later calls do nothing.
func (m *Metrics) WatchQueue(db *sql.DB) {
	m.queueOnce.Do(func() { m.reg.MustRegister(queueDepth{db: db}) })
}

var queueDepthDesc = prometheus.NewDesc("leasegraph_jobs", "Background jobs in River's table, by state (available, running, retryable, scheduled, completed, ...).",
	[]string{"state"}, nil)

type queueDepth struct{ db *sql.DB }

func (queueDepth) Describe(ch chan<- *prometheus.Desc) { ch <- queueDepthDesc }

// Collect reports nothing when the database does not answer within a
// second: a scrape must not hang on it (/readyz says why).
func (q queueDepth) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	rows, err := q.db.QueryContext(ctx, "SELECT state, COUNT(*) FROM river_job GROUP BY state")
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n float64
		if rows.Scan(&state, &n) == nil {
			ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, n, state)
		}
	}
}

package ent

// Hand-written: ent has no API for the query planner's statistics.

import (
	"context"

	"entgo.io/ent/dialect"
)

// RefreshStats brings the query planner's statistics up to date where the
// database does not keep them itself. PostgreSQL's autovacuum does;
// SQLite keeps none until ANALYZE runs, and without them it chose a poor
// index for the moving-window query (20 requests a second on 200k leases,
// 106 after ANALYZE). analysis_limit samples each index instead of reading
// it whole, so this takes milliseconds on any size. The server calls it at
// start-up; the lease importer after each import it commits.
func (c *Client) RefreshStats(ctx context.Context) error {
	if c.driver.Dialect() != dialect.SQLite {
		return nil
	}
	for _, stmt := range []string{"PRAGMA analysis_limit = 1000", "ANALYZE"} {
		if err := c.driver.Exec(ctx, stmt, []any{}, nil); err != nil {
			return err
		}
	}
	return nil
}

package migrations

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
)

// revisionTable records the applied migrations; a name of our own, so it
// never collides with a table of Atlas's CLI or of another tool.
const revisionTable = "schema_revisions"

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// revisions is Atlas's RevisionReadWriter over revisionTable, in plain SQL
// that both dialects accept.
type revisions struct {
	db      querier
	dialect string
}

var _ atlasmigrate.RevisionReadWriter = (*revisions)(nil)

const columns = "version, description, type, applied, total, executed_at, execution_time, error, error_stmt, hash, partial_hashes, operator_version"

func (r *revisions) create(ctx context.Context) error {
	_, err := r.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+revisionTable+` (
	version VARCHAR(255) NOT NULL PRIMARY KEY,
	description VARCHAR(255) NOT NULL,
	type INTEGER NOT NULL,
	applied INTEGER NOT NULL,
	total INTEGER NOT NULL,
	executed_at VARCHAR(64) NOT NULL,
	execution_time BIGINT NOT NULL,
	error TEXT NOT NULL,
	error_stmt TEXT NOT NULL,
	hash VARCHAR(255) NOT NULL,
	partial_hashes TEXT NOT NULL,
	operator_version VARCHAR(255) NOT NULL)`)
	return err
}

func (r *revisions) exists(ctx context.Context) (bool, error) {
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '" + revisionTable + "'"
	if r.dialect == Postgres {
		q = "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '" + revisionTable + "'"
	}
	rows, err := r.db.QueryContext(ctx, q)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var n int
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return false, err
		}
	}
	return n > 0, rows.Err()
}

// arg is the n-th (1-based) placeholder.
func (r *revisions) arg(n int) string {
	if r.dialect == Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

func (r *revisions) Ident() *atlasmigrate.TableIdent {
	return &atlasmigrate.TableIdent{Name: revisionTable}
}

func (r *revisions) ReadRevisions(ctx context.Context) ([]*atlasmigrate.Revision, error) {
	return r.read(ctx, "ORDER BY version")
}

func (r *revisions) ReadRevision(ctx context.Context, version string) (*atlasmigrate.Revision, error) {
	revs, err := r.read(ctx, "WHERE version = "+r.arg(1), version)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return nil, atlasmigrate.ErrRevisionNotExist
	}
	return revs[0], nil
}

func (r *revisions) read(ctx context.Context, where string, args ...any) ([]*atlasmigrate.Revision, error) {
	rows, err := r.db.QueryContext(ctx, "SELECT "+columns+" FROM "+revisionTable+" "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", revisionTable, err)
	}
	defer rows.Close()
	var out []*atlasmigrate.Revision
	for rows.Next() {
		var (
			rev      atlasmigrate.Revision
			at       string
			took     int64
			partials string
		)
		if err := rows.Scan(&rev.Version, &rev.Description, &rev.Type, &rev.Applied, &rev.Total, &at, &took,
			&rev.Error, &rev.ErrorStmt, &rev.Hash, &partials, &rev.OperatorVersion); err != nil {
			return nil, err
		}
		rev.ExecutedAt, _ = time.Parse(time.RFC3339Nano, at)
		rev.ExecutionTime = time.Duration(took)
		if partials != "" {
			if err := json.Unmarshal([]byte(partials), &rev.PartialHashes); err != nil {
				return nil, fmt.Errorf("%s %s: partial hashes: %w", revisionTable, rev.Version, err)
			}
		}
		out = append(out, &rev)
	}
	return out, rows.Err()
}

func (r *revisions) WriteRevision(ctx context.Context, rev *atlasmigrate.Revision) error {
	partials := ""
	if len(rev.PartialHashes) > 0 {
		b, err := json.Marshal(rev.PartialHashes)
		if err != nil {
			return err
		}
		partials = string(b)
	}
	cols := strings.Split(columns, ", ")
	args := make([]string, len(cols))
	var sets []string
	for i, c := range cols {
		args[i] = r.arg(i + 1)
		if c != "version" {
			sets = append(sets, c+" = excluded."+c)
		}
	}
	_, err := r.db.ExecContext(ctx, "INSERT INTO "+revisionTable+" ("+columns+") VALUES ("+strings.Join(args, ", ")+
		") ON CONFLICT (version) DO UPDATE SET "+strings.Join(sets, ", "),
		rev.Version, rev.Description, rev.Type, rev.Applied, rev.Total, rev.ExecutedAt.UTC().Format(time.RFC3339Nano),
		int64(rev.ExecutionTime), rev.Error, rev.ErrorStmt, rev.Hash, partials, rev.OperatorVersion)
	return err
}

func (r *revisions) DeleteRevision(ctx context.Context, version string) error {
	_, err := r.db.ExecContext(ctx, "DELETE FROM "+revisionTable+" WHERE version = "+r.arg(1), version)
	return err
}

package importer

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/leaseimportrow"
	"github.com/leasegraph/leasegraph/ent/predicate"
	"github.com/leasegraph/leasegraph/ent/property"
	"github.com/leasegraph/leasegraph/viewer"
)

// staleAfter is when a staged row is taken for a crashed import's: no
// import runs that long (its request's idle deadline ends it long before).
const staleAfter = 24 * time.Hour

// The final step's statements, in the order they run. $1 is the import's
// id and {now} the step's time (a typed placeholder: PostgreSQL cannot
// infer a bare parameter's type in a SELECT list). Every statement reads
// the rows of one import by (import_id, kind, action), the staging table's
// index, and finds new rows' ids by their unique keys: a new lease's
// property by (client_id, tag), a new lease's tenants' lease by
// (client_id, source_id).
const (
	// A planned-against row that changed, or went, since it was read:
	// applying the plan would undo a change the import never saw.
	conflictsSQL = `
SELECT s.kind, s.target_id FROM lease_import_rows s LEFT JOIN leases l ON l.id = s.target_id
WHERE s.import_id = $1 AND s.kind = 'LEASE' AND s.action = 'UPDATE' AND (l.id IS NULL OR l.updated_at <> s.seen_updated_at)
UNION ALL
SELECT s.kind, s.target_id FROM lease_import_rows s LEFT JOIN tenants t ON t.id = s.target_id
WHERE s.import_id = $1 AND s.kind = 'TENANT' AND s.action IN ('UPDATE', 'DELETE') AND (t.id IS NULL OR t.updated_at <> s.seen_updated_at)
UNION ALL
SELECT s.kind, l.id FROM lease_import_rows s JOIN leases l ON l.client_id = s.client_id AND l.source_id = s.source_id
WHERE s.import_id = $1 AND s.kind = 'LEASE' AND s.action = 'CREATE'
LIMIT 1`

	// A property created meanwhile with a tag the import creates (through
	// the property API) is adopted, as it would have been had it existed.
	insertPropertiesSQL = `
INSERT INTO properties (created_at, updated_at, client_id, tag, name, showing_mode)
SELECT {now}, {now}, s.client_id, s.property_tag, s.name, '` + string(property.DefaultShowingMode) + `'
FROM lease_import_rows s
WHERE s.import_id = $1 AND s.kind = 'PROPERTY' AND s.action = 'CREATE'
  AND NOT EXISTS (SELECT 1 FROM properties p WHERE p.client_id = s.client_id AND p.tag = s.property_tag)`

	insertLeasesSQL = `
INSERT INTO leases (created_at, updated_at, client_id, source_id, property_id, unit_address, status, status_key,
  lease_start_date, lease_end_date, move_in_date, move_out_date, use_type, previous_address, forwarding_address, extra, source, transferred)
SELECT {now}, {now}, s.client_id, s.source_id, p.id, s.unit_address, s.status, s.status_key,
  s.lease_start_date, s.lease_end_date, s.move_in_date, s.move_out_date, s.use_type, s.previous_address, s.forwarding_address, s.extra, 'IMPORT', false
FROM lease_import_rows s JOIN properties p ON p.client_id = s.client_id AND p.tag = s.property_tag
WHERE s.import_id = $1 AND s.kind = 'LEASE' AND s.action = 'CREATE'
ORDER BY s.id`

	updateLeasesSQL = `
UPDATE leases SET updated_at = {now}, property_id = p.id, unit_address = s.unit_address, status = s.status, status_key = s.status_key,
  lease_start_date = s.lease_start_date, lease_end_date = s.lease_end_date, move_in_date = s.move_in_date, move_out_date = s.move_out_date,
  use_type = s.use_type, previous_address = s.previous_address, forwarding_address = s.forwarding_address, extra = s.extra
FROM lease_import_rows s JOIN properties p ON p.client_id = s.client_id AND p.tag = s.property_tag
WHERE s.import_id = $1 AND s.kind = 'LEASE' AND s.action = 'UPDATE' AND leases.id = s.target_id`

	deleteTenantsSQL = `
DELETE FROM tenants WHERE id IN (
  SELECT s.target_id FROM lease_import_rows s WHERE s.import_id = $1 AND s.kind = 'TENANT' AND s.action = 'DELETE')`

	updateTenantsSQL = `
UPDATE tenants SET updated_at = {now}, source_id = s.source_id, first_name = s.first_name, last_name = s.last_name, email = s.email,
  cell_phone = s.cell_phone, home_phone = s.home_phone, gender = s.gender,
  previous_address = s.previous_address, forwarding_address = s.forwarding_address, extra = s.extra
FROM lease_import_rows s
WHERE s.import_id = $1 AND s.kind = 'TENANT' AND s.action = 'UPDATE' AND tenants.id = s.target_id`

	// In feed order (ORDER BY s.id), so a lease's tenants keep the feed's
	// order by id, as the lists show them.
	insertTenantsSQL = `
INSERT INTO tenants (created_at, updated_at, client_id, lease_id, source_id, first_name, last_name, email,
  cell_phone, home_phone, gender, previous_address, forwarding_address, extra)
SELECT {now}, {now}, s.client_id, COALESCE(s.lease_id, l.id), s.source_id, s.first_name, s.last_name, s.email,
  s.cell_phone, s.home_phone, s.gender, s.previous_address, s.forwarding_address, s.extra
FROM lease_import_rows s LEFT JOIN leases l ON s.lease_id IS NULL AND l.client_id = s.client_id AND l.source_id = s.lease_source_id
WHERE s.import_id = $1 AND s.kind = 'TENANT' AND s.action = 'CREATE'
ORDER BY s.id`
)

// applyStaged applies an import's staged rows in one transaction (the
// caller's, when ctx has one): every statement's rows are counted against
// the plan, so a row gone missing fails the import rather than leaving
// part of it; the import's event is recorded in it.
func (s *Service) applyStaged(ctx context.Context, w *writer, started time.Time) error {
	return ent.InTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) error {
		tx, err := ent.SQLTx(db)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		bind := func(q string) string {
			if db.Dialect() == dialect.Postgres {
				return strings.ReplaceAll(q, "{now}", "$2::timestamptz")
			}
			return strings.ReplaceAll(strings.ReplaceAll(q, "{now}", "?2"), "$1", "?1")
		}
		var kind string
		var target int
		switch err := tx.QueryRowContext(ctx, bind(conflictsSQL), w.importID).Scan(&kind, &target); {
		case err == nil:
			return &apperr.Error{Code: apperr.CodeConflict, Message: fmt.Sprintf(
				"a %s the import planned against (id %d) changed while it ran; nothing was imported: import the feed again",
				strings.ToLower(kind), target)}
		case err != sql.ErrNoRows:
			return err
		}
		exec := func(q string, args ...any) (int, error) {
			res, err := tx.ExecContext(ctx, bind(q), args...)
			if err != nil {
				return 0, err
			}
			n, err := res.RowsAffected()
			return int(n), err
		}
		n, err := exec(insertPropertiesSQL, w.importID, now)
		if err != nil {
			return err
		}
		w.rep.PropertiesCreated = n
		for _, st := range []struct {
			sql  string
			plan staged
		}{
			{insertLeasesSQL, staged{leaseimportrow.KindLEASE, leaseimportrow.ActionCREATE}},
			{updateLeasesSQL, staged{leaseimportrow.KindLEASE, leaseimportrow.ActionUPDATE}},
			{deleteTenantsSQL, staged{leaseimportrow.KindTENANT, leaseimportrow.ActionDELETE}},
			{updateTenantsSQL, staged{leaseimportrow.KindTENANT, leaseimportrow.ActionUPDATE}},
			{insertTenantsSQL, staged{leaseimportrow.KindTENANT, leaseimportrow.ActionCREATE}},
		} {
			if w.staged[st.plan] == 0 {
				continue
			}
			args := []any{w.importID}
			if strings.Contains(st.sql, "{now}") {
				args = append(args, now)
			}
			n, err := exec(st.sql, args...)
			if err != nil {
				return err
			}
			if n != w.staged[st.plan] {
				return &apperr.Error{Code: apperr.CodeConflict, Message: fmt.Sprintf(
					"the import planned %d %s %ss and found %d when applying them (a row changed while it ran); nothing was imported: import the feed again",
					w.staged[st.plan], strings.ToLower(string(st.plan.action)), strings.ToLower(string(st.plan.kind)), n)}
			}
		}
		return s.recordImport(ctx, w.clientID, w.rep, started)
	})
}

// dropStaged deletes an import's staged rows; after a failure too, even
// once the request is gone.
func (s *Service) dropStaged(ctx context.Context, importID string) {
	s.dropRows(ctx, leaseimportrow.ImportID(importID))
}

// dropStale deletes the staged rows of imports that never finished (a
// crash, a killed process): whichever client's, since they are invisible
// and nobody else would ever delete them.
func (s *Service) dropStale(ctx context.Context) {
	s.dropRows(viewer.SystemContext(ctx), leaseimportrow.CreatedAtLT(time.Now().UTC().Add(-staleAfter)))
}

// dropRows deletes the staged rows that match, dropChunk per short
// transaction, so that no other write waits long for it (a whole import's
// rows in one statement took 1.3 s on SQLite).
func (s *Service) dropRows(ctx context.Context, match predicate.LeaseImportRow) {
	ctx = context.WithoutCancel(ctx)
	for {
		var n int
		err := ent.InTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) error {
			ids, err := db.LeaseImportRow.Query().Where(match).Limit(dropChunk).IDs(ctx)
			if err != nil || len(ids) == 0 {
				return err
			}
			n, err = db.LeaseImportRow.Delete().Where(leaseimportrow.IDIn(ids...)).Exec(ctx)
			return err
		})
		// Rows left behind are invisible, and dropStale takes them a day on.
		if err != nil || n == 0 {
			return
		}
	}
}

const dropChunk = 5000

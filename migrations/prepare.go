package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// prepare readies existing data for a migration file that would fail on
// it: by version, a step that runs under the migration lock, just before
// its file, and only when that file is pending.
var prepare = map[string]func(ctx context.Context, db *sql.DB, dialect string) error{
	// string_limits_unique_partner_refs adds unique indexes on the partner
	// references.
	"20261130121423": prepareUniquePartnerReferences,
}

// partnerReferenceColumns are the companies columns that became unique.
var partnerReferenceColumns = []string{"smartmove_reference", "propexo_integration_id"}

// prepareUniquePartnerReferences readies a database created before partner
// references were unique for the unique indexes the migration adds. Blank
// references (the old way of clearing one) become NULL, which any number of
// clients may share. Two clients with the same reference are not resolved
// here: one of them may be acting as the other, and only an operator can
// tell which, so the start fails naming both, and how to clear one.
func prepareUniquePartnerReferences(ctx context.Context, db *sql.DB, dialect string) error {
	exists := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'companies'`
	if dialect == Postgres {
		exists = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'companies'`
	}
	var n int
	if err := db.QueryRowContext(ctx, exists).Scan(&n); err != nil || n == 0 {
		return err
	}
	var clashes []string
	for _, col := range partnerReferenceColumns {
		if _, err := db.ExecContext(ctx, `UPDATE companies SET `+col+` = NULL WHERE TRIM(`+col+`) = ''`); err != nil {
			return fmt.Errorf("clearing blank %s: %w", col, err)
		}
		rows, err := db.QueryContext(ctx, `SELECT `+col+`, id FROM companies WHERE `+col+` IN
			(SELECT `+col+` FROM companies WHERE `+col+` IS NOT NULL GROUP BY `+col+` HAVING COUNT(*) > 1) ORDER BY `+col+`, id`)
		if err != nil {
			return fmt.Errorf("looking for shared %s: %w", col, err)
		}
		var last string
		for rows.Next() {
			var ref string
			var id int
			if err := rows.Scan(&ref, &id); err != nil {
				rows.Close()
				return err
			}
			if ref != last {
				clashes = append(clashes, fmt.Sprintf("%s %q: clients", col, ref))
				last = ref
			}
			clashes[len(clashes)-1] += fmt.Sprintf(" %d", id)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
	}
	if len(clashes) > 0 {
		return fmt.Errorf("partner references are unique across clients, and these clients share one: %s. "+
			"Keep it on the client it belongs to and clear it on the others (UPDATE companies SET <column> = NULL WHERE id = <client>), then start again",
			strings.Join(clashes, "; "))
	}
	return nil
}

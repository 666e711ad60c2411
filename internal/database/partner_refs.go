package database

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// partnerReferenceColumns are the companies columns that became unique.
var partnerReferenceColumns = []string{"smartmove_reference", "propexo_integration_id"}

// prepareUniquePartnerReferences readies a database created before partner
// references were unique for the unique indexes the migration adds. Blank
// references (the old way of clearing one) become NULL, which any number of
// clients may share. Two clients with the same reference are not resolved
// here: one of them may be acting as the other, and only an operator can
// tell which, so the start fails naming both, and how to clear one.
func prepareUniquePartnerReferences(ctx context.Context, drv dialect.Driver) error {
	exists := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'companies'`
	if drv.Dialect() == dialect.Postgres {
		exists = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'companies'`
	}
	if n, err := queryInt(ctx, drv, exists); err != nil || n == 0 {
		return err
	}
	var clashes []string
	for _, col := range partnerReferenceColumns {
		if err := drv.Exec(ctx, `UPDATE companies SET `+col+` = NULL WHERE TRIM(`+col+`) = ''`, []any{}, nil); err != nil {
			return fmt.Errorf("clearing blank %s: %w", col, err)
		}
		var rows entsql.Rows
		if err := drv.Query(ctx, `SELECT `+col+`, id FROM companies WHERE `+col+` IN
			(SELECT `+col+` FROM companies WHERE `+col+` IS NOT NULL GROUP BY `+col+` HAVING COUNT(*) > 1) ORDER BY `+col+`, id`, []any{}, &rows); err != nil {
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
		err := rows.Err()
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

func queryInt(ctx context.Context, drv dialect.Driver, query string) (int, error) {
	var rows entsql.Rows
	if err := drv.Query(ctx, query, []any{}, &rows); err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

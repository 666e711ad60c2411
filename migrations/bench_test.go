package migrations

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/leasegraph/leasegraph/ent/migrate"
)

// What opening the database costs at start-up (SQLite): versioned migrations
// against the auto-migration they replaced, on an empty database and on one
// that is already current.
func BenchmarkOpen(b *testing.B) {
	ctx := context.Background()
	open := func(b *testing.B, i int) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), strconv.Itoa(i)+".db")+"?_pragma=foreign_keys(1)")
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		return db
	}
	versioned := func(db *sql.DB) error { _, err := Apply(ctx, db, SQLite); return err }
	auto := func(db *sql.DB) error {
		return migrate.NewSchema(entsql.OpenDB(SQLite, db)).Create(ctx, migrate.WithDropIndex(true))
	}
	for _, m := range []struct {
		name string
		fn   func(*sql.DB) error
	}{{"versioned", versioned}, {"automigrate", auto}} {
		b.Run(m.name+"/empty", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				db := open(b, i)
				if err := m.fn(db); err != nil {
					b.Fatal(err)
				}
				db.Close()
			}
		})
		b.Run(m.name+"/current", func(b *testing.B) {
			db := open(b, -1)
			defer db.Close()
			if err := m.fn(db); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := m.fn(db); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

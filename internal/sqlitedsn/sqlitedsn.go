// Package sqlitedsn builds the embedded SQLite database's connection string,
// for the server and the test harness alike.
package sqlitedsn

import "strings"

// Pragmas enforce foreign keys, wait for locks instead of failing, and let
// readers run beside the writer (modernc's syntax). Transactions begin
// IMMEDIATE, taking the write lock at once: a deferred one that reads and
// then writes fails at once with SQLITE_BUSY, whatever the busy timeout,
// when another process (the CLI beside a server) wrote in between, and a
// lease import is a run of such transactions, one per batch.
const Pragmas = "_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_txlock=immediate"

// ReadPragmas are a read-only connection's: it may not write
// (query_only), and it reads the WAL the writer's connection set up
// (journal_mode is the file's, so it is not set again here).
const ReadPragmas = "_pragma=foreign_keys(1)&_pragma=busy_timeout(5000)&_pragma=query_only(1)"

// DSN is the SQLite URI for a path (which may carry parameters after a '?')
// with Pragmas. A '#' or '%' in the file name is escaped: left as is, '#'
// would end the URI there (a test's temporary directory is named after the
// test, "sqlite#01" included) and SQLite would open another file.
func DSN(path string) string { return dsn(path, Pragmas) }

// ReadDSN is DSN for a read-only connection (ReadPragmas).
func ReadDSN(path string) string { return dsn(path, ReadPragmas) }

func dsn(path, pragmas string) string {
	file, params, _ := strings.Cut(path, "?")
	file = strings.NewReplacer("%", "%25", "#", "%23").Replace(file)
	if params != "" {
		params += "&"
	}
	return "file:" + file + "?" + params + pragmas
}

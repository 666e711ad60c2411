// Package repodocs holds the tests that keep the repository's documents and
// its code true to each other: no file cites a document kept outside the
// repository, every docs/ section a comment or page cites exists, and every
// package imports only what DESIGN.md's layout table allows. It has no code
// of its own; the rules live in the documents, the tests only read them.
package repodocs

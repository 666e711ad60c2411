// Package importer reads a client's lease feed (JSON or CSV, in the
// lease-service spec's shape or any other named by a mapping) and upserts its
// leases, tenants and properties for that client.
//
// An import is all-or-nothing: Parse validates every record first, and Apply
// writes in one transaction, so a feed with one bad row writes nothing and
// its report lists every bad row. Re-importing the same feed changes nothing:
// leases are matched by the source's lease id, tenants by their id, email or
// name, and rows are only updated when a value differs.
package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/types"
)

// Format is the encoding of a feed.
type Format string

// The feed formats.
const (
	JSON Format = "json"
	CSV  Format = "csv"
)

// ParseFormat reads a format name, case-insensitively.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case JSON, CSV:
		return f, nil
	}
	return "", fmt.Errorf("unknown feed format %q: use json or csv", s)
}

// DetectFormat guesses a feed's format from its file name, else from its
// first non-blank byte: a JSON feed starts with [ or {.
func DetectFormat(name string, data []byte) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return JSON
	case ".csv", ".txt":
		return CSV
	}
	if s := strings.TrimSpace(string(data[:min(len(data), 512)])); strings.HasPrefix(s, "[") || strings.HasPrefix(s, "{") {
		return JSON
	}
	return CSV
}

// Lease is one lease of a feed, validated and normalized: dates at midnight
// UTC, phones in E.164, gender as stored.
type Lease struct {
	SourceID       string
	PropertyTag    string
	PropertyName   string
	UnitAddress    *types.Address
	Status         string
	LeaseStartDate time.Time
	LeaseEndDate   *time.Time
	MoveInDate     *time.Time
	MoveOutDate    *time.Time
	// MoveDate is a single move date whose direction the feed does not say;
	// Apply files it by the client's status sets.
	MoveDate          *time.Time
	UseType           string
	PreviousAddress   *types.Address
	ForwardingAddress *types.Address
	// Extra holds the source's unmapped fields, as sent.
	Extra   map[string]any
	Tenants []Tenant
	// At is where the lease starts in the feed.
	At Position
}

// Tenant is one person on a Lease.
type Tenant struct {
	SourceID          string
	FirstName         string
	LastName          string
	Email             string
	CellPhone         string
	HomePhone         string
	Gender            string // "MALE", "FEMALE" or ""
	PreviousAddress   *types.Address
	ForwardingAddress *types.Address
	Extra             map[string]any
	At                Position
}

// Position is where a record sits in a feed: its line in a CSV file
// (1-based, the header being line 1) or its index in a JSON array (0-based).
type Position struct {
	Line  int
	Index int
}

// RowError is one problem with a feed.
type RowError struct {
	// Line is the CSV line (1-based, the header is line 1); 0 for JSON.
	Line int `json:"line,omitempty"`
	// Index is the JSON record's 0-based index; absent for CSV.
	Index *int `json:"index,omitempty"`
	// LeaseID is the source's lease id, when known.
	LeaseID string `json:"leaseId,omitempty"`
	// Field is our field name, e.g. "tenants.first_name".
	Field string `json:"field,omitempty"`
	// Column is the feed's own name for it (a JSON path for nested fields).
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

func (e RowError) String() string {
	var b strings.Builder
	switch {
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	case e.Index != nil:
		fmt.Fprintf(&b, "record %d: ", *e.Index)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		if e.Column != "" && e.Column != e.Field {
			fmt.Fprintf(&b, " (%s)", e.Column)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Report is the outcome of an import, shaped for JSON.
type Report struct {
	DryRun bool `json:"dryRun"`
	// Applied is true when the feed was valid and its changes committed.
	Applied           bool       `json:"applied"`
	Leases            int        `json:"leases"`
	LeasesCreated     int        `json:"leasesCreated"`
	LeasesUpdated     int        `json:"leasesUpdated"`
	LeasesUnchanged   int        `json:"leasesUnchanged"`
	TenantsCreated    int        `json:"tenantsCreated"`
	TenantsUpdated    int        `json:"tenantsUpdated"`
	TenantsDeleted    int        `json:"tenantsDeleted"`
	PropertiesCreated int        `json:"propertiesCreated"`
	Errors            []RowError `json:"errors"`
}

// Feed is a feed as received: its bytes, their format and the mapping from
// the source's field names to ours (nil: the spec's names and synonyms).
type Feed struct {
	Format  Format
	Data    []byte
	Mapping Mapping
}

// Import parses the feed and, when every record is valid, applies it for
// the client. Invalid feeds are not an error: the report lists every bad
// row and nothing is written. The error is for what the feed cannot fix:
// an unknown client, a missing scope, a database failure.
func Import(ctx context.Context, db *ent.Client, clientID int, feed Feed, dryRun bool) (*Report, error) {
	leases, errs := Parse(feed.Format, feed.Data, feed.Mapping)
	if len(errs) > 0 {
		return &Report{DryRun: dryRun, Leases: len(leases), Errors: errs}, nil
	}
	return Apply(ctx, db, clientID, leases, dryRun)
}

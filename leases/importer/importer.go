// Package importer reads a client's lease feed (JSON or CSV, in the
// lease-service spec's shape or any other named by a mapping) and upserts its
// leases, tenants and properties for that client.
//
// An import is all-or-nothing: every record is validated first, then the
// leases are written in one transaction, so a feed with one bad row writes
// nothing and its report lists the bad rows (the first maxReportErrors).
// A feed is streamed, never held whole: it is read once for its lease ids,
// once to check it and once to write it in batches. Re-importing the same feed changes nothing:
// leases are matched by the source's lease id, tenants by their id, email or
// name, and rows are only updated when a value differs.
package importer

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/internal/progress"
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
	Applied           bool `json:"applied"`
	Leases            int  `json:"leases"`
	LeasesCreated     int  `json:"leasesCreated"`
	LeasesUpdated     int  `json:"leasesUpdated"`
	LeasesUnchanged   int  `json:"leasesUnchanged"`
	TenantsCreated    int  `json:"tenantsCreated"`
	TenantsUpdated    int  `json:"tenantsUpdated"`
	TenantsDeleted    int  `json:"tenantsDeleted"`
	PropertiesCreated int  `json:"propertiesCreated"`
	// Errors are the first maxReportErrors problems; ErrorCount counts all.
	Errors     []RowError `json:"errors"`
	ErrorCount int        `json:"errorCount"`
}

// Feed is a feed as received: its bytes (or a way to open them, read
// several times), their format and the mapping from the source's field
// names to ours (nil: the spec's names and synonyms).
type Feed struct {
	Format Format
	Data   []byte
	// Open, when set, opens the feed (a file) in place of Data.
	Open    func() (io.ReadCloser, error)
	Mapping Mapping
}

func (f Feed) opener() opener {
	if f.Open != nil {
		return f.Open
	}
	return bytesOpener(f.Data)
}

// Import checks the feed and, when every record is valid, applies it for
// the client. Invalid feeds are not an error: the report lists the bad rows
// and nothing is written. The error is for what the feed cannot fix: an
// unknown client, a missing scope, a database failure.
func (s *Service) Import(ctx context.Context, clientID int, feed Feed, dryRun bool) (*Report, error) {
	bad := func(leases int, errs ...RowError) *Report {
		return &Report{DryRun: dryRun, Leases: leases, Errors: errs, ErrorCount: len(errs)}
	}
	if err := feed.Mapping.Validate(); err != nil {
		return bad(0, RowError{Message: err.Error()}), nil
	}
	w := &walker{r: newResolver(feed.Mapping)}
	open := feed.opener()
	idx, err := index(open, feed.Format, w)
	if err != nil {
		return bad(0, RowError{Message: err.Error()}), nil
	}
	if idx.records == 0 {
		return bad(0, RowError{Message: "the feed holds no leases"}), nil
	}
	progress.Report(ctx)
	n, errs, err := scan(open, feed.Format, w, idx, nil)
	if err != nil {
		return nil, err
	}
	progress.Report(ctx)
	if errs.total > 0 {
		rep := bad(n, errs.list...)
		rep.ErrorCount = errs.total
		return rep, nil
	}
	return s.applyStream(ctx, clientID, n, dryRun, func(fn func(*Lease) error) error {
		written, errs, err := scan(open, feed.Format, w, idx, fn)
		switch {
		case err != nil:
		case errs.total > 0:
			err = fmt.Errorf("the feed changed while it was imported: %s", errs.list[0])
		case written != n:
			// Leases whose last row was never reached again were not written.
			err = fmt.Errorf("the feed changed while it was imported: %d leases checked, %d written", n, written)
		}
		return err
	})
}

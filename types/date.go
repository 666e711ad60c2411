// Package types holds the value types shared by the data model, the GraphQL
// schema and the services: calendar dates and postal addresses.
package types

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
)

// DateLayout is the only wire format of a Date: the lease-service spec's
// preferred YYYY-MM-DD.
const DateLayout = "2006-01-02"

// ParseDate parses a YYYY-MM-DD date into midnight UTC, the form every date
// is stored in, so that comparisons in SQL never depend on a time zone.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	return t, nil
}

// FormatDate renders the calendar date of t. The stored value is midnight;
// the date is read in t's own location so a driver that hands back another
// zone never shifts it by a day.
func FormatDate(t time.Time) string { return t.Format(DateLayout) }

// MarshalDate is gqlgen's marshaler for the Date scalar.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(FormatDate(t)))
	})
}

// UnmarshalDate is gqlgen's unmarshaler for the Date scalar.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("a Date must be a string in the form YYYY-MM-DD")
	}
	return ParseDate(s)
}

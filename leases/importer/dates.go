package importer

import (
	"fmt"
	"strings"
	"time"
)

// dateLayouts are the forms ParseDate accepts, tried in order. Slashed and
// dashed numeric dates are read month first (the US reading): feeds come
// from US property-management systems, and 01/02/2025 must mean one thing.
// A day-first date whose day is above 12 is rejected rather than guessed,
// so a day-first feed shows up as errors instead of silently swapped dates.
var dateLayouts = []string{
	"2006-01-02",
	// ISO order without zero padding (2025-3-5): unambiguous, and some
	// systems write it.
	"2006-1-2",
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006/1/2",
	"20060102",
	"1/2/2006",
	"1/2/2006 15:04",
	"1/2/2006 15:04:05",
	"1/2/2006 3:04 PM",
	"1/2/2006 3:04:05 PM",
	"1/2/06",
	"1-2-2006",
	"1-2-06",
	"2-Jan-2006",
	"2-Jan-06",
	"2 Jan 2006",
	"2 January 2006",
	"Jan 2, 2006",
	"Jan 2 2006",
	"January 2, 2006",
	"January 2 2006",
	"Mon, Jan 2, 2006",
	"Monday, January 2, 2006",
	time.RFC1123Z,
	time.RFC1123,
}

// ParseDate reads a calendar date written in any of the common forms (see
// dateLayouts) and returns it at midnight UTC. A date with a time keeps the
// calendar date as written, whatever its zone: a lease that starts on the
// 31st starts on the 31st everywhere.
func ParseDate(s string) (time.Time, error) {
	s = strings.Join(strings.Fields(s), " ")
	for _, layout := range dateLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if t.Year() < 1900 || t.Year() > 2200 {
			return time.Time{}, fmt.Errorf("%q is out of range (years 1900 to 2200)", s)
		}
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date we can read (use YYYY-MM-DD; month-first US dates are accepted)", s)
}

package importer

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	jan31 := time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)
	for _, in := range []string{
		"2025-01-31", " 2025-01-31 ", "2025/1/31", "20250131",
		"2025-01-31T10:00:00Z", "2025-01-31T23:30:00-05:00", "2025-01-31T10:00:00.123Z",
		"2025-01-31T10:00:00", "2025-01-31T10:00", "2025-01-31 10:00", "2025-01-31 10:00:00",
		"1/31/2025", "01/31/2025", "1/31/25", "1/31/2025 10:00", "1/31/2025 3:04 PM", "1-31-2025",
		"31-Jan-2025", "31-jan-25", "31 Jan 2025", "31 January 2025",
		"Jan 31, 2025", "January 31, 2025", "Jan 31 2025", "Fri, Jan 31, 2025",
		"Fri, 31 Jan 2025 10:00:00 GMT",
	} {
		got, err := ParseDate(in)
		if err != nil || !got.Equal(jan31) || got.Location() != time.UTC {
			t.Errorf("ParseDate(%q) = %v, %v; want 2025-01-31 UTC", in, got, err)
		}
	}
	// Ambiguous slashed dates read month first (US).
	if got, _ := ParseDate("02/03/2025"); got.Month() != time.February || got.Day() != 3 {
		t.Errorf("02/03/2025 = %v, want February 3 (month first)", got)
	}
	if got, err := ParseDate("2025-3-5"); err != nil || !got.Equal(time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("ParseDate(2025-3-5) = %v, %v; want 2025-03-05", got, err)
	}
	for _, bad := range []string{"", "31/01/2025", "2025-3-32", "2025-13-5", "2025-3-", "25-3-5", "2025-02-30", "tomorrow", "13/1/2025", "0001-01-01", "1/2"} {
		if got, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", bad, got)
		}
	}
}

package leases

import (
	"strings"
	"testing"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
)

func TestWindowValidate(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	march := func(d, h int, loc *time.Location) time.Time { return time.Date(2025, 3, d, h, 0, 0, 0, loc) }
	cases := []struct {
		name  string
		w     Window
		field string // "" when valid
	}{
		{"one day", Window{Kinds: []Kind{MoveIn}, From: march(1, 0, time.UTC), To: march(1, 0, time.UTC)}, ""},
		{"same day, later hour first", Window{Kinds: []Kind{MoveIn}, From: march(1, 18, time.UTC), To: march(1, 6, time.UTC)}, ""},
		{"same calendar day in another zone", Window{Kinds: []Kind{MoveOut}, From: march(1, 22, ny), To: march(1, 0, time.UTC)}, ""},
		{"from after to", Window{Kinds: []Kind{Transfer}, From: march(2, 0, time.UTC), To: march(1, 0, time.UTC)}, "moving.from"},
		{"no kinds", Window{From: march(1, 0, time.UTC), To: march(2, 0, time.UTC)}, "moving.kinds"},
		{"unknown kind", Window{Kinds: []Kind{MoveIn, "move_in"}, From: march(1, 0, time.UTC), To: march(2, 0, time.UTC)}, "moving.kinds"},
	}
	for _, c := range cases {
		err := c.w.Validate("moving.kinds", "moving.from")
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		ae, ok := apperr.As(err)
		if !ok || ae.Code != apperr.CodeBadInput || strings.Join(ae.Field, ".") != c.field {
			t.Errorf("%s: %v, want BAD_USER_INPUT at %s", c.name, err, c.field)
		}
	}
}

func TestWindowDays(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	// 2025-03-31 20:00 in New York is already April in UTC; the window is
	// still the calendar dates the caller wrote.
	w := Window{From: time.Date(2025, 3, 1, 20, 0, 0, 0, ny), To: time.Date(2025, 3, 31, 20, 0, 0, 0, ny)}
	from, end := w.days()
	if want := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC); !from.Equal(want) || from.Location() != time.UTC {
		t.Errorf("from = %v, want %v", from, want)
	}
	if want := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC); !end.Equal(want) || end.Location() != time.UTC {
		t.Errorf("end = %v, want %v", end, want)
	}
}

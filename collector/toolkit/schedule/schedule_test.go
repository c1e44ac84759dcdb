package schedule

import (
	"errors"
	"testing"
	"time"
)

// A Saturday, as in the worked examples of the tools' research.
var saturday = time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)

func TestInterval(t *testing.T) {
	for _, c := range []struct {
		expr string
		d    Dialect
		now  time.Time
		want time.Duration
	}{
		// Weekdays only: Friday to Monday is the longest gap.
		{"0 2 * * 1-5", Standard, saturday, 72 * time.Hour},
		{"0 0 1 * *", Standard, saturday, 31 * 24 * time.Hour},
		// Month-end, as a 31st: August 31 to October 31.
		{"0 0 31 * *", Standard, saturday, 61 * 24 * time.Hour},
		// The last days of every month, read on the 22nd: the window (15
		// days, three periods of a day) ends before the next 28th, so
		// only the daily gaps of August's end are seen. The rule as
		// written; a window of a month at least would see the 28 days.
		{"0 0 28-31 * *", Standard, saturday, 24 * time.Hour},
		{"@daily", Standard, saturday, 24 * time.Hour},
		{"@midnight", Standard, saturday, 24 * time.Hour},
		{"@hourly", StandardUTC, saturday, time.Hour},
		{"@weekly", Standard, saturday, 7 * 24 * time.Hour},
		{"@monthly", Standard, saturday, 31 * 24 * time.Hour},
		{"@every 6h", Standard, saturday, 6 * time.Hour},
		{"@every 90m", StandardUTC, saturday, 90 * time.Minute},
		// Every minute: the list stops at 10,000 fire times.
		{"* * * * *", Standard, saturday, time.Minute},
		{"CRON_TZ=America/New_York 0 3 * * *", Standard, saturday, 24 * time.Hour},
		{"TZ=Europe/Berlin 0 3 * * 1-5", Standard, saturday, 72 * time.Hour},
		// Spring forward in New York skips 02:30 on 2027-03-14 (robfig v3,
		// as released Velero runs it).
		{"CRON_TZ=America/New_York 30 2 * * *", Standard, time.Date(2027, 3, 10, 0, 0, 0, 0, time.UTC), 47 * time.Hour},
		// CloudNativePG: seconds first.
		{"0 0 0 * * *", SecondsFirst, saturday, 24 * time.Hour},
		{"0 0 2 * * 1-5", SecondsFirst, saturday, 72 * time.Hour},
		{"0 */1 * * * *", SecondsFirst, saturday, time.Minute},
		// Five fields in CloudNativePG's parser leave out the day of week:
		// second 0, minute 0, hour 0 of every day.
		{"0 0 0 * *", SecondsFirst, saturday, 24 * time.Hour},
		{"@weekly", SecondsFirst, saturday, 7 * 24 * time.Hour},
		// A crontab line pasted into CloudNativePG: minute 2 of every
		// hour, January to May; read in March.
		{"0 2 * * 1-5", SecondsFirst, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), time.Hour},
	} {
		got, err := Interval(c.expr, c.d, c.now)
		if err != nil || got != c.want {
			t.Errorf("Interval(%q, %d) = %v, %v; want %v", c.expr, c.d, got, err, c.want)
		}
	}
}

func TestIntervalIsUTCWhateverTheCallersZone(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	a, err := Interval("0 2 * * 1-5", Standard, saturday.In(tokyo))
	if err != nil || a != 72*time.Hour {
		t.Fatalf("got %v, %v", a, err)
	}
	// The weekday boundary is UTC's: a schedule at 23:00 UTC on weekdays
	// is Friday 23:00 to Monday 23:00, whatever zone now is given in.
	s, err := Parse("0 23 * * 1-5", Standard)
	if err != nil {
		t.Fatal(err)
	}
	if next := s.Next(saturday.In(tokyo).UTC()); next.Weekday() != time.Monday || next.Hour() != 23 {
		t.Fatalf("next fire %v, want Monday 23:00 UTC", next)
	}
}

func TestNoInterval(t *testing.T) {
	for _, c := range []struct {
		expr string
		d    Dialect
		now  time.Time
		rare bool
	}{
		{"", Standard, saturday, false},
		{"not a schedule", Standard, saturday, false},
		{"0 2 * * 7", Standard, saturday, false}, // robfig knows no day 7
		{"0 0 0 * * *", Standard, saturday, false},
		{"0 0 * *", SecondsFirst, saturday, false},
		{"@reboot", Standard, saturday, false},
		// robfig v3 panics on a zone with no fields.
		{"TZ=UTC", Standard, saturday, false},
		{"CRON_TZ=UTC", Standard, saturday, false},
		{"CRON_TZ=Nowhere/Else 0 0 * * *", Standard, saturday, false},
		// Only Velero's parser takes a zone.
		{"CRON_TZ=Europe/Berlin 0 0 0 * * *", SecondsFirst, saturday, false},
		{"TZ=UTC 0 0 * * *", StandardUTC, saturday, false},
		// February 29: 2028, then 2032.
		{"0 0 29 2 *", Standard, saturday, true},
		// Never: February 30.
		{"0 0 30 2 *", Standard, saturday, true},
		// Hourly from January to May, read in August: the next fire time
		// is beyond the window.
		{"0 2 * * 1-5", SecondsFirst, saturday, true},
	} {
		got, err := Interval(c.expr, c.d, c.now)
		if err == nil {
			t.Errorf("Interval(%q) = %v, want an error", c.expr, got)
			continue
		}
		if rare := errors.Is(err, ErrRare); rare != c.rare {
			t.Errorf("Interval(%q): %v; rare %v, want %v", c.expr, err, rare, c.rare)
		}
	}
}

func FuzzInterval(f *testing.F) {
	for _, s := range []string{"0 2 * * 1-5", "@every 1s", "TZ=UTC", "CRON_TZ=America/New_York 30 2 * * *", "0 0 0 * * *", "*/0 * * * *", "0-59/1000 * * * *"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, expr string, d uint8) {
		got, err := Interval(expr, Dialect(d%3), saturday)
		if err == nil && (got <= 0 || got > maxWindow) {
			t.Fatalf("Interval(%q) = %v", expr, got)
		}
	})
}

package schedule

import (
	"errors"
	"testing"
	"time"
)

func TestRepeatingInterval(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		// The forms of the Azure Backup vault documents and examples.
		{"R/2019-11-20T08:00:00-08:00/P1W", 7 * day},
		{"R/2023-10-15T14:30:00Z/P1W", 7 * day},
		{"R/2024-01-01T02:00:00+00:00/P1D", day},
		{"R/2024-01-01T02:00:00+00:00/PT4H", 4 * time.Hour},
		{"R/2024-01-01T02:00:00.000Z/PT12H", 12 * time.Hour},
		{"R5/2024-01-01T02:00:00Z/PT30M", 30 * time.Minute},
		{" R/2024-01-01T02:00:00Z/P1DT12H ", 36 * time.Hour},
		// A month and a year at their longest.
		{"R/2024-01-31T02:00:00Z/P1M", 31 * day},
		{"R/2024-01-01T02:00:00Z/P1Y", 366 * day},
		{"R/2024-01-01T02:00:00Z/PT1.5H", 90 * time.Minute},
		{"R/2024-01-01T02:00:00Z/PT0,5H", 30 * time.Minute},
		{"R/2024-01-01T02:00:00Z/P2W", 14 * day},
	} {
		got, err := RepeatingInterval(c.in)
		if err != nil || got != c.want {
			t.Errorf("RepeatingInterval(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestRepeatingIntervalRefuses(t *testing.T) {
	for _, in := range []string{
		"", "P1D", "R", "R/", "R/2024-01-01T02:00:00Z/", "R/2024-01-01T02:00:00Z/P", "R/2024-01-01T02:00:00Z/PT",
		"R/2024-01-01T02:00:00Z/P0D", "R/2024-01-01T02:00:00Z/PT0S", "R/2024-01-01T02:00:00Z/1D", "R/2024-01-01T02:00:00Z/P1H",
		"R/2024-01-01T02:00:00Z/PT1D", "R/2024-01-01T02:00:00Z/P1D1W", "R/2024-01-01T02:00:00Z/P1.5D2H",
		"R/2024-01-01T02:00:00Z/P-1D", "R/2024-01-01T02:00:00Z/P1DT", "R/2024-01-01T02:00:00Z/PTT1H",
		"R/2024-01-01T02:00:00Z/P1D1D", "R/P1D/2024-01-01T02:00:00Z", "R/2024-01-01T02:00:00Z/P99999999999999D",
		"R/2024-01-01T02:00:00Z/P1.2.3D", "X/2024-01-01T02:00:00Z/P1D",
	} {
		if got, err := RepeatingInterval(in); err == nil {
			t.Errorf("RepeatingInterval(%q) = %v, want an error", in, got)
		}
	}
	// Longer than the 400 days a schedule is examined over.
	if _, err := RepeatingInterval("R/2024-01-01T02:00:00Z/P2Y"); !errors.Is(err, ErrRare) {
		t.Errorf("P2Y: %v, want ErrRare", err)
	}
}

func FuzzRepeatingInterval(f *testing.F) {
	for _, s := range []string{"R/2019-11-20T08:00:00-08:00/P1W", "R/x/PT4H", "R/x/P1Y2M3W4DT5H6M7.5S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := RepeatingInterval(s)
		if err == nil && (d <= 0 || d > maxWindow) {
			t.Fatalf("%q: %v outside (0, 400 days]", s, d)
		}
	})
}

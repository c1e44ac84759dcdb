package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ISO 8601 repeating intervals ("R/2024-01-01T02:00:00+00:00/P1D") are
// how Azure Backup vaults (Microsoft.DataProtection) write a backup
// policy's schedule: a start and a period. The interval of such a
// schedule is its period; a month counts as 31 days and a year as 366
// (the longest each can be), so that, as for cron schedules, a freshness
// alert never fires between two on-time runs.

const (
	day = 24 * time.Hour
	// The longest each designator can be.
	isoYear  = 366 * day
	isoMonth = 31 * day
	isoWeek  = 7 * day
)

// RepeatingInterval is the period of the ISO 8601 repeating interval s:
// the duration after its last "/" ("R/2023-10-15T14:30:00Z/P1W" → 7 days,
// "R/…/PT4H" → 4 hours). A period that does not parse, is zero, or is
// longer than 400 days (fewer than two runs in the window a cron schedule
// is examined over: ErrRare) yields an error.
func RepeatingInterval(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	i := strings.LastIndexByte(s, '/')
	if !strings.HasPrefix(s, "R") || i < 0 {
		return 0, errors.New("not an ISO 8601 repeating interval (R/start/duration)")
	}
	return Duration(s[i+1:])
}

// Duration parses an ISO 8601 duration (PnYnMnWnDTnHnMnS; the last
// component may have a fraction, "PT1.5H"), a month and a year at their
// longest (31 and 366 days). It fails for anything else, for a zero
// duration, and for one longer than 400 days (ErrRare).
func Duration(s string) (time.Duration, error) {
	rest, ok := strings.CutPrefix(s, "P")
	if !ok || rest == "" || strings.HasSuffix(rest, "T") {
		return 0, fmt.Errorf("%q is not an ISO 8601 duration", short(s))
	}
	units := map[byte]time.Duration{'Y': isoYear, 'M': isoMonth, 'W': isoWeek, 'D': day}
	order := "YMWD"
	var total float64
	inTime, fraction := false, false
	for rest != "" {
		if rest[0] == 'T' && !inTime {
			inTime, order = true, "HMS"
			units = map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}
			rest = rest[1:]
			continue
		}
		n := 0
		for n < len(rest) && (rest[n] >= '0' && rest[n] <= '9' || rest[n] == '.' || rest[n] == ',') {
			n++
		}
		if n == 0 || n == len(rest) || fraction || n > 12 {
			return 0, fmt.Errorf("%q is not an ISO 8601 duration", short(s))
		}
		num := strings.Replace(rest[:n], ",", ".", 1)
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%q is not an ISO 8601 duration", short(s))
		}
		fraction = strings.Contains(num, ".")
		unit := rest[n]
		k := strings.IndexByte(order, unit)
		if k < 0 {
			return 0, fmt.Errorf("%q is not an ISO 8601 duration", short(s))
		}
		// Each designator at most once, in order.
		order = order[k+1:]
		total += v * float64(units[unit])
		rest = rest[n+1:]
	}
	switch {
	case total <= 0:
		return 0, fmt.Errorf("%q is a zero duration", short(s))
	case total > float64(maxWindow):
		return 0, ErrRare
	}
	return time.Duration(total), nil
}

// short keeps an upstream value in an error short.
func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

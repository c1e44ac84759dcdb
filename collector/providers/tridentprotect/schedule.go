package tridentprotect

import (
	"strconv"
	"strings"
	"time"

	json "github.com/segmentio/encoding/json"
)

// granularities are the intervals of a Schedule's granularity.
var granularities = map[string]time.Duration{
	"hourly":  time.Hour,
	"daily":   24 * time.Hour,
	"weekly":  7 * 24 * time.Hour,
	"monthly": 31 * 24 * time.Hour,
}

// backupInterval is the shortest interval of the enabled schedules that
// keep backups (backupRetention above 0), and whether there is one; 0
// when none says (the target's expected_interval, default 24h, then
// applies).
func backupInterval(schedules []*schedule) (time.Duration, bool) {
	var shortest time.Duration
	found := false
	for _, s := range schedules {
		if s.Spec.Enabled != nil && !*s.Spec.Enabled {
			continue
		}
		if retention(s.Spec.BackupRetention) <= 0 {
			continue
		}
		found = true
		d := granularities[strings.ToLower(s.Spec.Granularity)]
		if strings.EqualFold(s.Spec.Granularity, "custom") {
			d = rruleInterval(s.Spec.RecurrenceRule)
		}
		if d > 0 && (shortest == 0 || d < shortest) {
			shortest = d
		}
	}
	return shortest, found
}

// retention reads backupRetention, a string ("7") or a number.
func retention(raw json.RawMessage) int {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		n, _ := strconv.Atoi(strings.TrimSpace(s))
		return n
	}
	var n int
	_ = json.Unmarshal(raw, &n)
	return n
}

// rruleFreqs are RFC 5545's FREQ values.
var rruleFreqs = map[string]time.Duration{
	"SECONDLY": time.Second,
	"MINUTELY": time.Minute,
	"HOURLY":   time.Hour,
	"DAILY":    24 * time.Hour,
	"WEEKLY":   7 * 24 * time.Hour,
	"MONTHLY":  31 * 24 * time.Hour,
	"YEARLY":   366 * 24 * time.Hour,
}

// rruleInterval is FREQ × INTERVAL of a recurrence rule ("DTSTART:...\n
// RRULE:FREQ=MINUTELY;INTERVAL=5", or the RRULE alone); 0 when unreadable.
func rruleInterval(rule string) time.Duration {
	for _, line := range strings.Split(rule, "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(strings.ToUpper(line), "RRULE:"); ok {
			line = rest
		} else if !strings.HasPrefix(strings.ToUpper(line), "FREQ=") {
			continue
		}
		freq, interval := time.Duration(0), 1
		for _, part := range strings.Split(strings.ToUpper(line), ";") {
			k, v, _ := strings.Cut(part, "=")
			switch k {
			case "FREQ":
				freq = rruleFreqs[v]
			case "INTERVAL":
				if n, err := strconv.Atoi(v); err == nil && n > 0 {
					interval = n
				}
			}
		}
		return freq * time.Duration(interval)
	}
	return 0
}

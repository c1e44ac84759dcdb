// Package schedule derives how often a good backup is due from a backup
// tool's cron schedule: the longest gap between consecutive fire times,
// so that a freshness alert never fires between two on-time runs (a
// weekday-only schedule is due every 72h, a month-start one every 31d).
//
// The schedules are parsed by github.com/robfig/cron/v3, the parser the
// tools themselves use (released Velero and Kubernetes CronJobs: v3's
// ParseStandard; CloudNativePG: v1's Parse, whose six-field,
// seconds-first form v3 builds from the same options). A parser of our
// own would disagree with theirs on the edge cases that matter here.
//
// Azure Backup vaults write their schedules as ISO 8601 repeating
// intervals instead: RepeatingInterval reads those.
package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Dialect is the cron syntax of one tool.
type Dialect uint8

const (
	// Standard is five fields (minute hour day-of-month month
	// day-of-week) or a descriptor (@daily, @every 6h), with an optional
	// CRON_TZ= or TZ= prefix naming the zone: Velero's schedules.
	Standard Dialect = iota
	// StandardUTC is Standard without a zone prefix (the tool rejects
	// one): Longhorn's recurring jobs, run by Kubernetes CronJobs.
	StandardUTC
	// SecondsFirst is six fields with seconds first (the day-of-week may
	// be left out) or a descriptor, without a zone prefix:
	// CloudNativePG's ScheduledBackups.
	SecondsFirst
)

var (
	standard     = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	secondsFirst = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.DowOptional | cron.Descriptor)
)

// The bounds of the fire times examined: a window of at least 15 days (a
// weekly pattern is always seen whole, whatever the day) and three
// periods, at most 400 days and 10,000 fire times.
const (
	minWindow = 15 * 24 * time.Hour
	maxWindow = 400 * 24 * time.Hour
	maxFires  = 10000
)

// ErrRare is returned for a schedule that fires fewer than twice in the
// window examined: it yields no interval.
var ErrRare = errors.New("fires fewer than twice in the window examined")

// Interval is the longest gap between consecutive fire times of expr
// from now to now + max(15 days, 3 × (t2 − t1)), where t1 and t2 are its
// first two fire times after now (at most 400 days, at most 10,000 fire
// times). Fire times are computed in UTC, or in the zone of a CRON_TZ=
// or TZ= prefix where the dialect accepts one. A schedule that does not
// parse or fires fewer than twice in that window yields an error.
//
// The window starts at now: the wait until t1 is no gap, and a schedule
// whose next fire time lies beyond the window (CloudNativePG's "0 2 * * 1-5",
// minute 2 of every hour from January to May, read in August) yields no
// interval until its season comes.
func Interval(expr string, d Dialect, now time.Time) (time.Duration, error) {
	s, err := Parse(expr, d)
	if err != nil {
		return 0, err
	}
	now = now.UTC()
	t1 := s.Next(now)
	if t1.IsZero() {
		return 0, ErrRare
	}
	t2 := s.Next(t1)
	if t2.IsZero() || t2.Sub(now) > maxWindow {
		return 0, ErrRare
	}
	window := max(minWindow, 3*t2.Sub(t1))
	end := now.Add(min(window, maxWindow))
	var longest time.Duration
	prev, fires := time.Time{}, 0
	for t := t1; !t.IsZero() && !t.After(end) && fires < maxFires; t = s.Next(t) {
		if !prev.IsZero() {
			longest = max(longest, t.Sub(prev))
		}
		prev = t
		fires++
	}
	if fires < 2 {
		return 0, ErrRare
	}
	return longest, nil
}

// Parse parses expr in the dialect. A zone prefix is refused where the
// tool refuses it, and the parser's panics on malformed input (v3 panics
// on "TZ=UTC" with no fields) are an error.
func Parse(expr string, d Dialect) (s cron.Schedule, err error) {
	expr = strings.TrimSpace(expr)
	if d != Standard && (strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=")) {
		return nil, errors.New("a time zone prefix is not accepted here")
	}
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, errors.New("malformed schedule")
		}
	}()
	p := standard
	if d == SecondsFirst {
		p = secondsFirst
	}
	s, err = p.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("cron: %w", err)
	}
	return s, nil
}

package schedule

import (
	"sync"
	"time"
)

// Memo remembers the intervals it derived, for a while: a schedule that
// fires every minute takes some 20 ms to derive (10,000 fire times),
// and an estate repeats a few schedules over hundreds of resources, poll
// after poll. An interval changes only as the calendar moves (a month of
// 30 days after one of 31, a seasonal schedule's next season), so one
// derived within the memo's lifetime is as good as a fresh one.
type Memo struct {
	ttl time.Duration

	mu sync.Mutex
	m  map[memoKey]memoEntry
}

type memoKey struct {
	expr string
	d    Dialect
}

type memoEntry struct {
	interval time.Duration
	err      error
	at       time.Time
}

// memoSize bounds a Memo: past it, the memo starts afresh (schedules that
// are edited again and again cannot grow it without end).
const memoSize = 4096

// memoMaxExpr is the longest expression a Memo keeps: a cron schedule is
// a few dozen characters; a longer one (untrusted input) is derived each
// time, never held.
const memoMaxExpr = 256

// NewMemo returns a Memo that keeps an interval for ttl.
func NewMemo(ttl time.Duration) *Memo {
	return &Memo{ttl: ttl, m: map[memoKey]memoEntry{}}
}

// Interval is Interval(expr, d, now), derived again only when the one
// remembered is older than the memo's ttl (or was derived at a later now
// than the one asked for).
func (m *Memo) Interval(expr string, d Dialect, now time.Time) (time.Duration, error) {
	if len(expr) > memoMaxExpr {
		return Interval(expr, d, now)
	}
	k := memoKey{expr, d}
	m.mu.Lock()
	e, ok := m.m[k]
	m.mu.Unlock()
	if ok && !now.Before(e.at) && now.Sub(e.at) < m.ttl {
		return e.interval, e.err
	}
	interval, err := Interval(expr, d, now)
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.m) >= memoSize {
		m.m = map[memoKey]memoEntry{}
	}
	m.m[k] = memoEntry{interval, err, now}
	return interval, err
}

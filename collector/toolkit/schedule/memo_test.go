package schedule

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestMemo: a memo answers as Interval, derives a schedule again only
// once its entry is older than the ttl (or was derived at a later now),
// and keeps the errors too.
func TestMemo(t *testing.T) {
	m := NewMemo(time.Hour)
	if d, err := m.Interval("0 0 2 * * 1-5", SecondsFirst, saturday); err != nil || d != 72*time.Hour {
		t.Fatalf("weekdays: %v %v", d, err)
	}
	// The same expression in another dialect is another schedule.
	if _, err := m.Interval("0 0 2 * * 1-5", Standard, saturday); err == nil {
		t.Error("six fields parsed as a standard schedule")
	}
	// Poisoned, to tell a remembered answer from a derived one.
	k := memoKey{"0 0 2 * * 1-5", SecondsFirst}
	m.m[k] = memoEntry{interval: time.Minute, at: saturday}
	if d, _ := m.Interval("0 0 2 * * 1-5", SecondsFirst, saturday.Add(59*time.Minute)); d != time.Minute {
		t.Errorf("within the ttl: %v, want the remembered 1m", d)
	}
	if d, _ := m.Interval("0 0 2 * * 1-5", SecondsFirst, saturday.Add(-time.Second)); d != 72*time.Hour {
		t.Errorf("for an earlier now: %v, want it derived again", d)
	}
	m.m[k] = memoEntry{interval: time.Minute, at: saturday}
	if d, _ := m.Interval("0 0 2 * * 1-5", SecondsFirst, saturday.Add(time.Hour)); d != 72*time.Hour {
		t.Errorf("after the ttl: %v, want it derived again", d)
	}
	if _, err := m.Interval("not a schedule", SecondsFirst, saturday); err == nil {
		t.Error("no error for a schedule that does not parse")
	}
	if _, err := m.Interval("not a schedule", SecondsFirst, saturday); err == nil {
		t.Error("the remembered error was lost")
	}
	for i := range memoSize + 10 {
		_, _ = m.Interval(fmt.Sprintf("@every %dh", i+1), Standard, saturday)
	}
	if len(m.m) > memoSize {
		t.Errorf("%d entries, over the bound %d", len(m.m), memoSize)
	}
	m = NewMemo(time.Hour)
	long := "0 0 0 * * *" + strings.Repeat(" ", memoMaxExpr)
	if d, err := m.Interval(long, SecondsFirst, saturday); err != nil || d != 24*time.Hour || len(m.m) != 0 {
		t.Errorf("a long expression: %v %v, %d kept", d, err, len(m.m))
	}
}

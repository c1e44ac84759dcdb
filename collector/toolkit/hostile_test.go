package toolkit

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Issue 18: the helpers every poll runs its calls through, against what a
// hostile upstream can make a provider do.

// TestBackupListedTwiceCountsOnce (finding 5): a backup listed twice was
// counted twice in backup_backups.
func TestBackupListedTwiceCountsOnce(t *testing.T) {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	b := Backup{ID: "b1", Name: "b1", State: StateSucceeded, Start: at, End: at}
	r := Summarize("r", "r", []Backup{b, {ID: "b2", State: StateFailed, Start: at.Add(-time.Hour)}, b}, true)
	if r.Counts[StateSucceeded] != 1 || r.Counts[StateFailed] != 1 {
		t.Errorf("counts %v, want one succeeded and one failed", r.Counts)
	}
	// Backups without an ID are not merged.
	r = Summarize("r", "r", []Backup{{State: StateSucceeded, Start: at}, {State: StateSucceeded, Start: at}}, true)
	if r.Counts[StateSucceeded] != 2 {
		t.Errorf("counts %v, want two succeeded", r.Counts)
	}
}

// TestPanicInAWorkerIsThatResourcesError (finding 2): a panic in a
// goroutine a provider starts (MapResources, Group) used to kill the
// process; now it is that resource's (or call's) error, logged with its
// stack and counted.
func TestPanicInAWorkerIsThatResourcesError(t *testing.T) {
	defer goleak.VerifyNone(t)
	var (
		count  atomic.Int32
		mu     sync.Mutex
		stacks []string
	)
	ctx := WithPoll(context.Background(), Poll{Recovered: func(v any, stack []byte) {
		count.Add(1)
		mu.Lock()
		stacks = append(stacks, string(stack))
		mu.Unlock()
	}})

	items := []string{"ok", "boom", "fine"}
	rs := MapResources(ctx, 2, items, func(s string) (string, string) { return s, s }, func(_ context.Context, s string) (Resource, error) {
		if s == "boom" {
			var none []int
			_ = none[len(s)] // an index out of range: a runtime panic
		}
		return Resource{ID: s, Protected: true}, nil
	})
	if rs[0].Err != nil || rs[2].Err != nil {
		t.Errorf("the other resources failed: %v, %v", rs[0].Err, rs[2].Err)
	}
	var pe *PanicError
	if !errors.As(rs[1].Err, &pe) || rs[1].ID != "boom" {
		t.Errorf("the panicking resource: %+v", rs[1])
	}

	_, err := MapConcurrent(ctx, 2, items, func(_ context.Context, s string) (int, error) {
		if s == "boom" {
			panic("in MapConcurrent")
		}
		return 1, nil
	})
	if !errors.As(err, &pe) {
		t.Errorf("MapConcurrent: %v", err)
	}
	g := NewGroup(ctx, 0)
	g.Go(func(context.Context) error { panic("in a Group") })
	if err := g.Wait(); !errors.As(err, &pe) {
		t.Errorf("Group: %v", err)
	}
	if n := count.Load(); n != 3 {
		t.Errorf("%d panics counted, want 3", n)
	}
	if len(stacks) != 3 || !strings.Contains(stacks[0], "hostile_test.go") {
		t.Errorf("the stacks told of: %v", stacks)
	}
}

// TestPagerBounds (findings 3 and 4): a list whose pages never end stops
// at max_pages_per_list, a poll's lists at max_items_per_poll together,
// and a continuation handed out twice at once.
func TestPagerBounds(t *testing.T) {
	ctx := WithPoll(context.Background(), Poll{Limits: Limits{MaxPagesPerList: 5, MaxItemsPerPoll: 100}})
	p := NewPager(ctx, "list things")
	var err error
	n := 0
	for err == nil && n < 1000 {
		n++
		err = p.Page(1, "token-"+string(rune('a'+n)))
	}
	if n != 5 || err == nil || !strings.Contains(err.Error(), "list things: still more after 5 pages (max_pages_per_list)") {
		t.Errorf("stopped after %d pages: %v", n, err)
	}

	q := NewPager(ctx, "other list")
	if err := q.Page(96, "x"); err == nil || !strings.Contains(err.Error(), "more than 100 items in one poll (max_items_per_poll)") {
		t.Errorf("items of the poll together: %v", err)
	}

	r := NewPager(WithPoll(context.Background(), Poll{Limits: Limits{MaxPagesPerList: 100, MaxItemsPerPoll: 100}}), "repeating list")
	if err := r.Page(1, "same"); err != nil {
		t.Fatal(err)
	}
	if err := r.Page(1, "same"); err == nil || !strings.Contains(err.Error(), "page 2 hands out a continuation it handed out before") {
		t.Errorf("repeat: %v", err)
	}
	// The last page of a list ends it, whatever the bounds.
	last := NewPager(WithPoll(context.Background(), Poll{Limits: Limits{MaxPagesPerList: 1, MaxItemsPerPoll: 100}}), "short list")
	if err := last.Page(3, ""); err != nil {
		t.Errorf("a one-page list: %v", err)
	}
}

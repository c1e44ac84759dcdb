package toolkit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestStreamKeepsFanOutsRules: the same items give the same drops and
// records as FanOut (the shard's own, each ID once, a failed or panicking
// read that item's error), in the order they were added.
func TestStreamKeepsFanOutsRules(t *testing.T) {
	defer goleak.VerifyNone(t)
	var rec recorder
	ctx := WithPoll(context.Background(), Poll{Dropped: rec.add})
	env := testEnv(t, func(id string) bool { return id != "other" })
	identity := func(s string) (string, string) { return s, "name-" + s }
	s := NewStream(ctx, env, identity, func(_ context.Context, s string) (int, error) {
		switch s {
		case "bad":
			return 0, errors.New("unreadable")
		case "panics":
			panic("a bug")
		}
		return len(s), nil
	})
	for _, it := range []string{"a", "other", "bbb", "a", "bad", "panics"} {
		s.Add(it)
	}
	reads := s.Wait()
	rs := Resources(ctx, reads, identity, func(s string, n int) (Resource, error) {
		if s == "bbb" && n != 3 {
			return Resource{}, fmt.Errorf("value %d", n)
		}
		return Resource{ID: s, Name: "name-" + s, Protected: true}, nil
	})
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"a", "bbb", "bad", "panics"}) {
		t.Fatalf("resources %v", ids)
	}
	if rs[0].Err != nil || rs[1].Err != nil || !rs[1].Protected {
		t.Errorf("good reads: %+v", rs[:2])
	}
	if rs[2].Err == nil || rs[2].Name != "name-bad" {
		t.Errorf("failed read: %+v", rs[2])
	}
	var panicked *PanicError
	if !errors.As(rs[3].Err, &panicked) || rs[3].Name != "name-panics" {
		t.Errorf("panicking read: %+v", rs[3])
	}
	want := []Dropped{{ID: "other", Name: "name-other", Reason: DropNotOwned}, {ID: "a", Name: "name-a", Reason: DropDuplicate}}
	if !slices.Equal(rec.drops, want) {
		t.Errorf("drops %+v, want %+v", rec.drops, want)
	}

	// A build that fails or panics fails its record alone.
	rs = Resources(ctx, reads[:2], identity, func(s string, _ int) (Resource, error) {
		if s == "a" {
			panic("a bug in build")
		}
		return Resource{}, errors.New("cannot build")
	})
	if !errors.As(rs[0].Err, &panicked) || rs[0].ID != "a" || rs[1].Err == nil || rs[1].ID != "bbb" {
		t.Errorf("failed builds: %+v", rs)
	}
}

// TestStreamReadsWhileTheListingRuns: an item's read starts when it is
// added, before the next is (the listing still runs), never more than
// max_concurrency at once, also with items added from several
// goroutines.
func TestStreamReadsWhileTheListingRuns(t *testing.T) {
	defer goleak.VerifyNone(t)
	env := testEnv(t, nil) // max_concurrency 2
	identity := func(i int) (string, string) { return fmt.Sprint(i), "" }

	started := make(chan int, 1)
	s := NewStream(context.Background(), env, identity, func(_ context.Context, i int) (int, error) {
		started <- i
		return i * i, nil
	})
	for i := range 3 {
		s.Add(i)
		select {
		case got := <-started:
			if got != i {
				t.Errorf("read %d started, want %d", got, i)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the read of item %d did not start before the next item was added", i)
		}
	}
	if reads := s.Wait(); len(reads) != 3 || reads[2].Value != 4 {
		t.Errorf("reads %+v", reads)
	}

	var running, most atomic.Int32
	s2 := NewStream(context.Background(), env, identity, func(_ context.Context, i int) (int, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		return i, nil
	})
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for i := range 10 {
				s2.Add(p*100 + i)
				s2.Add(p*100 + i) // listed twice: read once
			}
		})
	}
	wg.Wait()
	reads := s2.Wait()
	if len(reads) != 40 {
		t.Errorf("%d reads, want 40 (each item once)", len(reads))
	}
	if m := most.Load(); m > 2 || m < 1 {
		t.Errorf("%d reads at once, want at most max_concurrency 2", m)
	}
}

// TestStreamEndsWithItsContext: reads see the stream's context, so that
// a listing that fails can cancel the reads it started.
func TestStreamEndsWithItsContext(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := NewStream(ctx, testEnv(t, nil), func(i int) (string, string) { return fmt.Sprint(i), "" },
		func(ctx context.Context, _ int) (int, error) {
			<-ctx.Done()
			return 0, ctx.Err()
		})
	s.Add(1)
	s.Add(2)
	cancel()
	for _, r := range s.Wait() {
		if !errors.Is(r.Err, context.Canceled) {
			t.Errorf("read %d: %v", r.Item, r.Err)
		}
	}
}

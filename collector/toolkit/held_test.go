package toolkit

import (
	"context"
	"testing"
	"time"
)

// TestHeldIsWallClock: requests held side by side count once, a gap
// between holds does not count, and a hold in progress counts up to now;
// each poll has its own clock.
func TestHeldIsWallClock(t *testing.T) {
	ctx := WithPoll(context.Background(), Poll{})
	other := WithPoll(context.Background(), Poll{})
	if Held(ctx) != 0 {
		t.Fatal("held before any hold")
	}
	a := Hold(ctx)
	b := Hold(ctx)
	time.Sleep(50 * time.Millisecond)
	a()
	a() // a second release changes nothing
	time.Sleep(50 * time.Millisecond)
	b()
	first := Held(ctx)
	if first < 100*time.Millisecond || first > time.Second {
		t.Fatalf("two overlapping holds over 100ms: held %v", first)
	}
	time.Sleep(50 * time.Millisecond) // nothing held: not counted
	if Held(ctx) != first {
		t.Errorf("held grew to %v with nothing held", Held(ctx))
	}
	c := Hold(ctx)
	time.Sleep(30 * time.Millisecond)
	if now := Held(ctx); now < first+30*time.Millisecond {
		t.Errorf("a hold in progress: held %v, want at least %v", now, first+30*time.Millisecond)
	}
	c()
	if Held(other) != 0 {
		t.Errorf("another poll held %v", Held(other))
	}
}

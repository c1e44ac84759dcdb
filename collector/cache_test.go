package collector

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// blockingPoll polls until released or cancelled, counting polls and
// reporting cancellation on cancelled.
func blockingPoll(release <-chan struct{}, polls *atomic.Int32, cancelled chan<- error) func(context.Context) ([]Resource, error) {
	return func(ctx context.Context) ([]Resource, error) {
		polls.Add(1)
		select {
		case <-release:
			return []Resource{{ID: "r"}}, nil
		case <-ctx.Done():
			cancelled <- ctx.Err()
			return nil, ctx.Err()
		}
	}
}

func TestCachePollCancelledWhenEveryScrapeHasGone(t *testing.T) {
	c := newCache(time.Minute)
	var polls atomic.Int32
	cancelled := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	done := make(chan *pollResult)
	go func() {
		r, _ := c.get(ctx, "t", blockingPoll(nil, &polls, cancelled))
		done <- r
	}()
	for polls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if r := <-done; !errors.Is(r.err, context.Canceled) {
		t.Errorf("scrape got %v", r.err)
	}
	select {
	case err := <-cancelled:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("poll ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the poll outlived the only scrape waiting for it")
	}
}

func TestCachePollSurvivesOneOfTwoScrapes(t *testing.T) {
	c := newCache(time.Minute)
	var polls atomic.Int32
	release := make(chan struct{})
	cancelled := make(chan error, 1)
	poll := blockingPoll(release, &polls, cancelled)

	leaver, leave := context.WithCancel(context.Background())
	first := make(chan *pollResult)
	go func() { r, _ := c.get(leaver, "t", poll); first <- r }()
	for polls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan *pollResult)
	go func() { r, _ := c.get(context.Background(), "t", poll); second <- r }()
	// Wait until the second scrape has joined the flight.
	for {
		c.mu.Lock()
		n := c.flights["t"].waiters
		c.mu.Unlock()
		if n == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	leave()
	if r := <-first; !errors.Is(r.err, context.Canceled) {
		t.Errorf("leaving scrape got %v", r.err)
	}
	close(release)
	r := <-second
	if r.err != nil || len(r.resources) != 1 {
		t.Errorf("remaining scrape got %+v", r)
	}
	if n := polls.Load(); n != 1 {
		t.Errorf("%d polls, want 1 shared", n)
	}
	if _, hit := c.get(context.Background(), "t", poll); !hit {
		t.Error("the shared poll's answer was not cached")
	}
	select {
	case err := <-cancelled:
		t.Errorf("shared poll cancelled: %v", err)
	default:
	}
}

func TestCacheDoesNotKeepFailures(t *testing.T) {
	c := newCache(time.Minute)
	fail := true
	poll := func(context.Context) ([]Resource, error) {
		if fail {
			return nil, errors.New("upstream down")
		}
		return []Resource{{ID: "r"}}, nil
	}
	if r, _ := c.get(context.Background(), "t", poll); r.err == nil {
		t.Fatal("no error")
	}
	fail = false
	if r, hit := c.get(context.Background(), "t", poll); r.err != nil || hit {
		t.Errorf("after a failure: err %v, hit %v; want a fresh poll", r.err, hit)
	}
	if !c.lastSuccessOf("t").After(time.Time{}) {
		t.Error("last success not recorded")
	}
}

func TestCacheProviderPanicIsTheTargetsError(t *testing.T) {
	c := newCache(0)
	r, _ := c.get(context.Background(), "t", func(context.Context) ([]Resource, error) {
		panic("boom")
	})
	if r.err == nil || !strings.Contains(r.err.Error(), "provider panicked: boom") {
		t.Errorf("err = %v", r.err)
	}
}

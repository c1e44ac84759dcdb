package collector

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// pollFunc is a Provider made of a function, for the poll mechanics
// (the providers' own tests read real APIs).
type pollFunc func(context.Context) ([]toolkit.Resource, error)

func (f pollFunc) Collect(ctx context.Context) ([]toolkit.Resource, error) { return f(ctx) }

func newState(ttl, staleness time.Duration, poll pollFunc) *targetState {
	t := &Target{Name: "t", Type: "test", Provider: poll}
	return newTargetState(t, "", pollSettings{ttl: ttl, timeout: time.Minute, staleness: staleness}, newRenderer(nil, false), zap.NewNop())
}

// blockingPoll polls until released or cancelled, counting polls and
// reporting cancellation on cancelled.
func blockingPoll(release <-chan struct{}, polls *atomic.Int32, cancelled chan<- error) pollFunc {
	return func(ctx context.Context) ([]toolkit.Resource, error) {
		polls.Add(1)
		select {
		case <-release:
			return []toolkit.Resource{{ID: "r"}}, nil
		case <-ctx.Done():
			cancelled <- ctx.Err()
			return nil, ctx.Err()
		}
	}
}

func TestSyncPollCancelledWhenEveryScrapeHasGone(t *testing.T) {
	defer goleak.VerifyNone(t)
	var polls atomic.Int32
	cancelled := make(chan error, 1)
	s := newState(0, 0, blockingPoll(nil, &polls, cancelled))
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	done := make(chan *pollResult)
	go func() {
		r, _ := s.answer(ctx)
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

func TestSyncPollSurvivesOneOfTwoScrapes(t *testing.T) {
	defer goleak.VerifyNone(t)
	var polls atomic.Int32
	release := make(chan struct{})
	cancelled := make(chan error, 1)
	s := newState(0, 0, blockingPoll(release, &polls, cancelled))

	leaver, leave := context.WithCancel(context.Background())
	first := make(chan *pollResult)
	go func() { r, _ := s.answer(leaver); first <- r }()
	for polls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	second := make(chan *pollResult)
	go func() { r, _ := s.answer(context.Background()); second <- r }()
	// Wait until the second scrape has joined the flight.
	for {
		s.mu.Lock()
		n := s.flight.waiters
		s.mu.Unlock()
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
	select {
	case err := <-cancelled:
		t.Errorf("shared poll cancelled: %v", err)
	default:
	}
}

func TestSyncPollAfterFailure(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	s := newState(0, 0, func(context.Context) ([]toolkit.Resource, error) {
		if fail.Load() {
			return nil, errors.New("upstream down")
		}
		return []toolkit.Resource{{ID: "r"}}, nil
	})
	if r, _ := s.answer(context.Background()); r.err == nil {
		t.Fatal("no error")
	}
	fail.Store(false)
	if r, hit := s.answer(context.Background()); r.err != nil || hit {
		t.Errorf("after a failure: err %v, hit %v; want a fresh poll", r.err, hit)
	}
	if s.lastSuccess().IsZero() {
		t.Error("last success not recorded")
	}
}

func TestProviderPanicIsTheTargetsError(t *testing.T) {
	s := newState(0, 0, func(context.Context) ([]toolkit.Resource, error) { panic("boom") })
	r, _ := s.answer(context.Background())
	if r.err == nil || !strings.Contains(r.err.Error(), "provider panicked: boom") {
		t.Errorf("err = %v", r.err)
	}
}

// TestBackgroundScrapeNeverWaitsOnceWarm: once the first poll is in, a
// scrape is answered at once from it, even while a refresh hangs.
func TestBackgroundScrapeNeverWaitsOnceWarm(t *testing.T) {
	defer goleak.VerifyNone(t)
	var polls atomic.Int32
	hang := make(chan struct{})
	s := newState(50*time.Millisecond, 0, func(ctx context.Context) ([]toolkit.Resource, error) {
		if polls.Add(1) == 1 {
			return []toolkit.Resource{{ID: "r"}}, nil
		}
		select {
		case <-hang:
		case <-ctx.Done():
		}
		return nil, ctx.Err()
	})
	s.start(make(chan struct{}, 1))
	defer s.stop()
	// The first poll returns at once: the first scrape waits for it or,
	// when the poll was quicker, finds its answer (2 in 20 runs).
	if r, _ := s.answer(context.Background()); r.err != nil || len(r.resources) != 1 {
		t.Fatalf("first scrape: err %v, %d resources; want the first poll's answer", r.err, len(r.resources))
	}
	for polls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	// The refresh hangs: scrapes are answered from the first poll.
	for range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		r, hit := s.answer(ctx)
		cancel()
		if r.err != nil || !hit || len(r.resources) != 1 {
			t.Fatalf("warm scrape: err %v hit %v resources %d", r.err, hit, len(r.resources))
		}
	}
	close(hang)
}

// TestBackgroundPollOutlivesShortScrape: a first poll longer than the
// scrape's deadline goes on, and a later scrape is answered with it.
func TestBackgroundPollOutlivesShortScrape(t *testing.T) {
	defer goleak.VerifyNone(t)
	var polls atomic.Int32
	s := newState(time.Hour, 0, func(ctx context.Context) ([]toolkit.Resource, error) {
		polls.Add(1)
		select {
		case <-time.After(300 * time.Millisecond):
			return []toolkit.Resource{{ID: "r"}}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	s.start(make(chan struct{}, 1))
	defer s.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	r, _ := s.answer(ctx)
	cancel()
	if r.err == nil || !strings.Contains(r.err.Error(), "first poll is still running") {
		t.Fatalf("short scrape: err %v", r.err)
	}
	r, _ = s.answer(context.Background())
	if r.err != nil || len(r.resources) != 1 || polls.Load() != 1 {
		t.Errorf("later scrape: err %v, %d resources, %d polls; want the one poll's answer", r.err, len(r.resources), polls.Load())
	}
}

// TestStaleSeriesServedThenDropped: after a failed poll the last good
// poll is served for max_staleness, then not at all.
func TestStaleSeriesServedThenDropped(t *testing.T) {
	var fail atomic.Bool
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	s := newState(0, 10*time.Minute, func(context.Context) ([]toolkit.Resource, error) {
		if fail.Load() {
			return nil, errors.New("upstream down")
		}
		return []toolkit.Resource{{ID: "r"}}, nil
	})
	s.now = func() time.Time { return now }
	r, _ := s.answer(context.Background())
	if s.served(r) != r {
		t.Fatal("a good poll is not served")
	}
	good := r
	fail.Store(true)
	now = now.Add(9 * time.Minute)
	r, _ = s.answer(context.Background())
	if r.err == nil || s.served(r) != good {
		t.Errorf("within max_staleness: err %v, served %p, want the good poll %p", r.err, s.served(r), good)
	}
	now = now.Add(2 * time.Minute)
	r, _ = s.answer(context.Background())
	if s.served(r) != nil {
		t.Error("the good poll is still served after max_staleness")
	}

	s.settings.staleness = 0
	now = good.at
	if s.served(r) != nil {
		t.Error("max_staleness 0 serves a stale poll")
	}
}

// TestStopEndsBackgroundPolls: stop cancels a poll in progress and ends
// the loop.
func TestStopEndsBackgroundPolls(t *testing.T) {
	defer goleak.VerifyNone(t)
	var polls atomic.Int32
	cancelled := make(chan error, 1)
	s := newState(time.Hour, 0, blockingPoll(nil, &polls, cancelled))
	s.start(make(chan struct{}, 1))
	for polls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	s.stop()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("poll ended with %v", err)
	}
	if s.last != nil {
		t.Errorf("a poll cancelled by stop was recorded: %+v", s.last)
	}
}

// TestStatus: the landing page's view of a target follows its polls
// without making one: nothing before the first poll, then the served
// resources, then the error with the last good resources while stale.
func TestStatus(t *testing.T) {
	fail := atomic.Bool{}
	var polls atomic.Int32
	s := newState(0, time.Hour, func(context.Context) ([]toolkit.Resource, error) {
		polls.Add(1)
		if fail.Load() {
			return nil, errors.New("HTTP 401")
		}
		return []toolkit.Resource{{ID: "a", Protected: true}, {ID: "b"}}, nil
	})
	e := &Exporter{byName: map[string]*targetState{}}
	e.add(s)
	if st := e.Status(); len(st) != 1 || st[0].Polled || st[0].Name != "t" || st[0].Type != "test" {
		t.Fatalf("before a poll: %+v", st)
	}
	if polls.Load() != 0 {
		t.Fatal("Status polled")
	}
	s.answer(context.Background())
	if st := e.Status()[0]; !st.Polled || st.Err != nil || st.Resources != 2 || st.Stale || st.LastSuccess.IsZero() {
		t.Errorf("after a good poll: %+v", st)
	}
	fail.Store(true)
	s.answer(context.Background())
	if st := e.Status()[0]; st.Err == nil || st.Resources != 2 || !st.Stale {
		t.Errorf("after a failed poll: %+v", st)
	}
	if polls.Load() != 2 {
		t.Errorf("%d polls, want the 2 scrapes' only", polls.Load())
	}
}

package collector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// pollResult is one collection of a target.
type pollResult struct {
	resources []Resource
	err       error
	duration  time.Duration
	// at is when the poll finished.
	at time.Time

	// prepare builds final and metrics once, for every scrape the poll
	// answers.
	prepare sync.Once
	// final are the resources as exposed: deduplicated, with the
	// target's expected interval.
	final   []Resource
	metrics []prometheus.Metric
}

// cache shares upstream polls between scrapes: answers younger than ttl
// are reused, and concurrent scrapes of a target that is not cached share
// one poll in flight, so N Prometheus replicas scraping at once cost one
// upstream poll.
type cache struct {
	ttl time.Duration
	now func() time.Time

	mu          sync.Mutex
	fresh       map[string]*pollResult // last successful poll per key
	lastSuccess map[string]time.Time
	flights     map[string]*flight // polls in flight per key
}

// flight is one poll in flight and the scrapes waiting for it.
type flight struct {
	done    chan struct{} // closed when res is set
	res     *pollResult
	waiters int
	cancel  context.CancelFunc
}

func newCache(ttl time.Duration) *cache {
	return &cache{
		ttl:         ttl,
		now:         time.Now,
		fresh:       map[string]*pollResult{},
		lastSuccess: map[string]time.Time{},
		flights:     map[string]*flight{},
	}
}

// get returns the cached answer for key, or joins the poll in flight for
// key, or starts one. A poll runs under the deadline of the scrape that
// started it but is not cancelled by that scrape alone: it is cancelled
// when every scrape waiting for it has gone, so it neither fails the
// scrapes that share it nor outlives them all.
func (c *cache) get(ctx context.Context, key string, poll func(context.Context) ([]Resource, error)) (res *pollResult, hit bool) {
	c.mu.Lock()
	if r, ok := c.fresh[key]; ok && c.ttl > 0 && c.now().Sub(r.at) < c.ttl {
		c.mu.Unlock()
		return r, true
	}
	f := c.flights[key]
	if f == nil {
		f = c.start(ctx, key, poll)
	}
	f.waiters++
	c.mu.Unlock()

	select {
	case <-f.done:
		c.mu.Lock()
		f.waiters--
		c.mu.Unlock()
		return f.res, false
	case <-ctx.Done():
		c.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			f.cancel()
			if c.flights[key] == f {
				delete(c.flights, key)
			}
		}
		c.mu.Unlock()
		return &pollResult{err: waitError(ctx), at: c.now()}, false
	}
}

// waitError says why a scrape stopped waiting for its target.
func waitError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within the scrape's deadline: %w", ctx.Err())
	}
	return fmt.Errorf("the scrape was cancelled before the target answered: %w", ctx.Err())
}

// start begins a poll of key; c.mu is held.
func (c *cache) start(ctx context.Context, key string, poll func(context.Context) ([]Resource, error)) *flight {
	base := context.WithoutCancel(ctx)
	var (
		pctx   context.Context
		cancel context.CancelFunc
	)
	if deadline, ok := ctx.Deadline(); ok {
		pctx, cancel = context.WithDeadline(base, deadline)
	} else {
		pctx, cancel = context.WithCancel(base)
	}
	f := &flight{done: make(chan struct{}), cancel: cancel}
	c.flights[key] = f
	go func() {
		defer cancel()
		start := c.now()
		resources, err := safePoll(pctx, poll)
		r := &pollResult{resources: resources, err: err, duration: c.now().Sub(start), at: c.now()}
		c.mu.Lock()
		if c.flights[key] == f {
			delete(c.flights, key)
		}
		if err == nil {
			c.fresh[key] = r
			c.lastSuccess[key] = r.at
		}
		c.mu.Unlock()
		f.res = r
		close(f.done)
	}()
	return f
}

// lastSuccessOf returns when key was last polled successfully (zero when
// never).
func (c *cache) lastSuccessOf(key string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastSuccess[key]
}

// safePoll turns a panic of a provider into that target's error, so that
// one provider's bug cannot take the process and every other target down.
func safePoll(ctx context.Context, poll func(context.Context) ([]Resource, error)) (rs []Resource, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("provider panicked: %v (a bug: please report it)", v)
		}
	}()
	return poll(ctx)
}

package collector

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
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
// one poll in flight (singleflight), so N Prometheus replicas scraping at
// once cost one upstream poll.
type cache struct {
	ttl   time.Duration
	now   func() time.Time
	group singleflight.Group

	mu          sync.Mutex
	fresh       map[string]*pollResult // last successful poll per key
	lastSuccess map[string]time.Time
}

func newCache(ttl time.Duration) *cache {
	return &cache{
		ttl:         ttl,
		now:         time.Now,
		fresh:       map[string]*pollResult{},
		lastSuccess: map[string]time.Time{},
	}
}

// get returns the cached answer for key, or polls. The shared poll runs
// under the deadline of the scrape that started it, detached from that
// scrape's cancellation so that a client going away does not fail the
// scrapes waiting on the same poll; each caller stops waiting when its own
// context ends.
func (c *cache) get(ctx context.Context, key string, poll func(context.Context) ([]Resource, error)) (res *pollResult, hit bool) {
	if c.ttl > 0 {
		c.mu.Lock()
		r, ok := c.fresh[key]
		c.mu.Unlock()
		if ok && c.now().Sub(r.at) < c.ttl {
			return r, true
		}
	}
	deadline, hasDeadline := ctx.Deadline()
	ch := c.group.DoChan(key, func() (any, error) {
		pctx, cancel := context.WithoutCancel(ctx), context.CancelFunc(func() {})
		if hasDeadline {
			pctx, cancel = context.WithDeadline(pctx, deadline)
		}
		defer cancel()
		start := c.now()
		resources, err := poll(pctx)
		r := &pollResult{resources: resources, err: err, duration: c.now().Sub(start), at: c.now()}
		if err == nil {
			c.mu.Lock()
			c.fresh[key] = r
			c.lastSuccess[key] = r.at
			c.mu.Unlock()
		}
		return r, nil
	})
	select {
	case out := <-ch:
		return out.Val.(*pollResult), false
	case <-ctx.Done():
		return &pollResult{err: ctx.Err(), duration: 0, at: c.now()}, false
	}
}

// lastSuccessOf returns when key was last polled successfully (zero when
// never).
func (c *cache) lastSuccessOf(key string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastSuccess[key]
}

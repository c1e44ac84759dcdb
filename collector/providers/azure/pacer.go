package azure

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// ARM throttles reads with a token bucket per subscription and service
// principal (per region of ARM): 250 reads, refilled at 25 a second
// (Microsoft Learn, "Understand how Azure Resource Manager throttles
// requests", since the 2024 migration), and every answer says how many
// are left (x-ms-ratelimit-remaining-subscription-reads). A poll of a
// large estate makes thousands of reads of one subscription, at whatever
// speed max_concurrency allows: without pacing it empties the bucket
// within seconds and then collects 429s, each retried after Retry-After.
//
// The pacer keeps an estimate of each subscription's bucket, shared by
// every target of the credential (the bucket is the principal's): the
// tokens the last answer reported, less the requests sent since, plus the
// refill. While the estimate stays above a reserve (a fifth of the
// bucket) requests go at once; below it, they go one every 1/refill
// seconds, so the bucket stays where it is instead of being emptied, and
// a request for which the estimate holds no token waits until the refill
// has brought it. Every answer re-anchors the estimate (another client of
// the same principal shows as fewer tokens than expected). A 429 holds
// the subscription's requests until its Retry-After (and re-anchors the
// estimate when it says how many are left) and halves the assumed refill (an older or
// smaller limit, such as the hourly budget sovereign clouds may still
// apply); a bucket seen at least half full again restores it.

// Published numbers of ARM's subscription read bucket: the size the pacer
// assumes until an answer shows a larger one, and the refill rate.
const (
	armBucketSize   = 250
	armBucketRefill = 25.0
	// minRefill bounds how far 429s lower the assumed refill.
	minRefill = 1.0
	// maxPacedSubscriptions bounds the buckets kept: beyond it, those
	// surely full again are forgotten (an estate reads thousands of
	// subscriptions in Resource Graph mode's job reads at most).
	maxPacedSubscriptions = 4096
)

// pacer holds the read buckets of one credential's subscriptions.
type pacer struct {
	now func() time.Time
	// sleep waits d or until ctx ends (a test's clock may replace it).
	sleep func(ctx context.Context, d time.Duration) error

	mu      sync.Mutex
	buckets map[string]*bucket // by lower-case subscription ID
}

// bucket is the estimate of one subscription's read bucket.
type bucket struct {
	// known is set once an answer reported the tokens left; until then
	// nothing is paced.
	known bool
	// tokens at time at: the last answer's count less the requests sent
	// or reserved since, plus the refill; below 0 while requests wait.
	tokens float64
	at     time.Time
	// size is the largest count seen plus one, at least armBucketSize.
	size float64
	// refill is the assumed refill per second.
	refill float64
	// sent counts the requests sent and not yet answered; waiting those
	// that hold a reservation and wait.
	sent, waiting int
	// blocked: a 429 asked to wait until then.
	blocked time.Time
	// next is when the next request may go while the bucket is below the
	// reserve.
	next time.Time
}

func newPacer() *pacer {
	return &pacer{now: time.Now, sleep: sleepCtx, buckets: map[string]*bucket{}}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// reserve is the level below which requests are paced.
func (b *bucket) reserve() float64 { return b.size / 5 }

// advance adds the refill since b.at.
func (b *bucket) advance(now time.Time) {
	if dt := now.Sub(b.at).Seconds(); dt > 0 {
		b.tokens = min(b.size, b.tokens+dt*b.refill)
		b.at = now
	}
}

// full reports whether b is surely full again at now and holds nothing.
func (b *bucket) full(now time.Time) bool {
	return b.sent == 0 && b.waiting == 0 && !now.Before(b.blocked) &&
		(!b.known || b.tokens+now.Sub(b.at).Seconds()*b.refill >= b.size)
}

// delay reserves a token of sub for a request under ctx and returns how
// long it must wait first (0: go). A wait that would not fit ctx's
// deadline is not reserved: the request goes at once and the server
// decides (the retry layer gives up on a 429 whose Retry-After does not
// fit either, with the error saying so).
func (p *pacer) delay(ctx context.Context, sub string) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	b := p.buckets[sub]
	if b == nil {
		if len(p.buckets) >= maxPacedSubscriptions {
			p.forget(now)
		}
		b = &bucket{size: armBucketSize, refill: armBucketRefill, at: now}
		p.buckets[sub] = b
	}
	var wait time.Duration
	if now.Before(b.blocked) {
		wait = b.blocked.Sub(now)
	}
	next := b.next
	if b.known {
		b.advance(now)
		left := b.tokens - 1
		if left < 0 {
			// No token left for this request: wait for the refill to
			// bring it (those waiting before it hold theirs).
			wait = max(wait, seconds(-left/b.refill))
		}
		if left < b.reserve() {
			// Below the reserve: one request every 1/refill, so that the
			// bucket stays where it is.
			next = maxTime(now.Add(wait), b.next)
			wait = next.Sub(now)
			next = next.Add(seconds(1 / b.refill))
		}
	}
	if wait > 0 && !fits(ctx, now, wait) {
		return p.sendNow(b)
	}
	if b.known {
		b.tokens--
		b.next = next
	}
	if wait > 0 {
		b.waiting++
	} else {
		b.sent++
	}
	return wait
}

// sendNow lets a request go at once although its wait does not fit its
// deadline: it reserves nothing, and the server decides.
func (p *pacer) sendNow(b *bucket) time.Duration {
	b.sent++
	return 0
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// fits reports whether waiting wait from now leaves ctx time to send.
func fits(ctx context.Context, now time.Time, wait time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || now.Add(wait).Before(deadline)
}

// waited moves a request of sub that has waited to the ones sent.
func (p *pacer) waited(sub string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b := p.buckets[sub]; b != nil {
		b.waiting--
		b.sent++
	}
}

// cancelled gives back the reservation of a request of sub that stopped
// waiting (its context ended).
func (p *pacer) cancelled(sub string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b := p.buckets[sub]; b != nil {
		b.waiting--
		if b.known {
			b.tokens++
		}
	}
}

// observe learns from the answer to a request of sub: the tokens left
// (remaining < 0: not said), a 429 and its Retry-After.
func (p *pacer) observe(sub string, remaining float64, throttled bool, retryAfter time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.buckets[sub]
	if b == nil {
		return
	}
	now := p.now()
	b.sent = max(b.sent-1, 0)
	if throttled {
		b.blocked = maxTime(b.blocked, now.Add(retryAfter))
		b.refill = max(b.refill/2, minRefill)
	}
	if remaining < 0 {
		return
	}
	b.known = true
	b.size = max(b.size, remaining+1)
	if remaining >= b.size/2 {
		b.refill = armBucketRefill
	}
	// The requests still out may or may not be counted in remaining:
	// assume they are not, and those waiting hold their reservations.
	b.tokens = remaining - float64(b.sent) - float64(b.waiting)
	b.at = now
}

// forget drops the buckets that are surely full again; p.mu is held.
func (p *pacer) forget(now time.Time) {
	for k, b := range p.buckets {
		if b.full(now) {
			delete(p.buckets, k)
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// sharedPacer is the pacer of an Azure credential, shared by its targets:
// ARM's read buckets are the principal's.
var sharedPacer = toolkit.NewSharedKey[*pacer]("azure-arm-pacer")

// clientPacer is a client's view of its credential's pacer: it paces the
// reads of subscriptions (GET and HEAD under /subscriptions/), and counts
// the waits of the client's configured subscriptions (the only label
// values: a path read from a nextLink is upstream data).
type clientPacer struct {
	p             *pacer
	metrics       *upstream.Metrics
	subscriptions map[string]string
}

// Wait implements upstream.Pacer.
func (c *clientPacer) Wait(req *http.Request) error {
	sub := pacedSubscription(req)
	if sub == "" {
		return nil
	}
	ctx := req.Context()
	wait := c.p.delay(ctx, sub)
	if wait <= 0 {
		return nil
	}
	release := toolkit.Hold(ctx)
	err := c.p.sleep(ctx, wait)
	release()
	if err != nil {
		c.p.cancelled(sub)
		return err
	}
	c.p.waited(sub)
	if label, ok := c.subscriptions[sub]; ok {
		c.metrics.ARMPaced(label, wait)
	}
	return nil
}

// Observe implements upstream.Pacer.
func (c *clientPacer) Observe(req *http.Request, resp *http.Response, err error) {
	sub := pacedSubscription(req)
	if sub == "" {
		return
	}
	remaining, throttled, retryAfter := -1.0, false, time.Duration(0)
	if resp != nil {
		if n, err := strconv.ParseFloat(resp.Header.Get("x-ms-ratelimit-remaining-subscription-reads"), 64); err == nil && n >= 0 && !math.IsInf(n, 0) {
			remaining = n
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			throttled = true
			retryAfter, _ = upstream.RetryAfter(resp.Header)
			retryAfter = min(retryAfter, time.Minute)
		}
	}
	c.p.observe(sub, remaining, throttled, retryAfter)
}

// pacedSubscription is the lower-case subscription ID of a read, or "".
func pacedSubscription(req *http.Request) string {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return ""
	}
	return strings.ToLower(subscriptionOf(req.URL.Path))
}

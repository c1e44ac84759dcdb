package azure

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// fakeClock is a pacer's clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func testPacer() (*pacer, *fakeClock) {
	c := &fakeClock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	p := newPacer()
	p.now = c.now
	return p, c
}

// send is one request of sub through the pacer that goes at once, and its
// answer saying remaining.
func send(t *testing.T, p *pacer, sub string, remaining float64) {
	t.Helper()
	if wait := p.delay(context.Background(), sub); wait != 0 {
		t.Fatalf("request waits %v, want none", wait)
	}
	p.observe(sub, remaining, false, 0)
}

// TestPacerLearnsBeforePacing: nothing is held back before an answer has
// said how many reads are left, nor while plenty are.
func TestPacerLearnsBeforePacing(t *testing.T) {
	p, _ := testPacer()
	for range 300 {
		if wait := p.delay(context.Background(), "sub"); wait != 0 {
			t.Fatalf("paced before any answer: %v", wait)
		}
	}
	p, _ = testPacer()
	send(t, p, "sub", 249)
	for i := range 190 {
		if wait := p.delay(context.Background(), "sub"); wait != 0 {
			t.Fatalf("request %d paced with %v reads left", i, 249-i)
		}
		p.observe("sub", float64(248-i), false, 0)
	}
}

// TestPacerSpacesRequestsAtTheRefillRate: below the reserve (a fifth of
// the bucket, 50 of ARM's 250), the requests are spaced 1/25 s apart, so
// the bucket stays where it is instead of being emptied.
func TestPacerSpacesRequestsAtTheRefillRate(t *testing.T) {
	p, clock := testPacer()
	send(t, p, "sub", 60)
	var waits []time.Duration
	for range 20 {
		waits = append(waits, p.delay(context.Background(), "sub"))
	}
	for i, w := range waits {
		want := time.Duration(0)
		if i >= 10 { // 60 → 51 go at once; then one every 40ms
			want = time.Duration(i-10) * 40 * time.Millisecond
		}
		if d := w - want; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("request %d waits %v, want %v", i, w, want)
		}
	}
	// A second later 25 reads are back: the bucket estimate is 40 + 25,
	// above the reserve, and nothing waits.
	for range 10 {
		p.waited("sub")
	}
	clock.advance(time.Second)
	if w := p.delay(context.Background(), "sub"); w != 0 {
		t.Errorf("after the refill: waits %v", w)
	}
}

// TestPacerReanchorsOnEveryAnswer: an answer with fewer reads left than
// estimated (another client of the principal) paces at once; one with
// more releases the pacing.
func TestPacerReanchorsOnEveryAnswer(t *testing.T) {
	p, _ := testPacer()
	send(t, p, "sub", 200)
	send(t, p, "sub", 0) // someone else used 199 reads
	// No token left: each request waits for its own, 1/25 s apart.
	for i := 1; i <= 3; i++ {
		if w, want := p.delay(context.Background(), "sub"), time.Duration(i)*40*time.Millisecond; w != want {
			t.Errorf("request %d with none left: waits %v, want %v", i, w, want)
		}
		p.waited("sub")
	}
	p.observe("sub", 240, false, 0)
	if w := p.delay(context.Background(), "sub"); w != 0 {
		t.Errorf("with 240 left: waits %v", w)
	}
}

// TestPacerHoldsASubscriptionAfterA429: a 429 holds every read of the
// subscription until its Retry-After, halves the assumed refill, and a
// bucket seen half full again restores it; other subscriptions go on.
func TestPacerHoldsASubscriptionAfterA429(t *testing.T) {
	p, clock := testPacer()
	if w := p.delay(context.Background(), "sub"); w != 0 {
		t.Fatal(w)
	}
	p.observe("sub", -1, true, 3*time.Second)
	if w := p.delay(context.Background(), "sub"); w < 3*time.Second {
		t.Errorf("after a 429 with Retry-After 3s: waits %v", w)
	}
	if w := p.delay(context.Background(), "other"); w != 0 {
		t.Errorf("another subscription waits %v", w)
	}
	if r := p.buckets["sub"].refill; r != armBucketRefill/2 {
		t.Errorf("refill after a 429: %v", r)
	}
	p.waited("sub")
	clock.advance(10 * time.Second)
	p.observe("sub", 200, false, 0)
	if r := p.buckets["sub"].refill; r != armBucketRefill {
		t.Errorf("refill with 200 left: %v", r)
	}
	// 429s never bring the refill under minRefill.
	for range 20 {
		p.delay(context.Background(), "sub")
		p.observe("sub", 0, true, time.Second)
	}
	if r := p.buckets["sub"].refill; r != minRefill {
		t.Errorf("refill after many 429s: %v", r)
	}
}

// TestPacerNeverWaitsPastTheDeadline: a wait that would not fit the
// request's deadline is not waited (the request goes and the server
// decides), and reserves nothing.
func TestPacerNeverWaitsPastTheDeadline(t *testing.T) {
	p, clock := testPacer()
	send(t, p, "sub", 200)
	p.delay(context.Background(), "sub")
	p.observe("sub", 0, true, 2*time.Second) // held for 2s
	ctx, cancel := context.WithDeadline(context.Background(), clock.now().Add(500*time.Millisecond))
	defer cancel()
	if w := p.delay(ctx, "sub"); w != 0 {
		t.Errorf("waits %v past a deadline 500ms away", w)
	}
	if b := p.buckets["sub"]; b.waiting != 0 || b.sent != 1 {
		t.Errorf("waiting %d sent %d, want 0 and 1", b.waiting, b.sent)
	}
	ctx, cancel = context.WithDeadline(context.Background(), clock.now().Add(time.Hour))
	defer cancel()
	if w := p.delay(ctx, "sub"); w < 2*time.Second {
		t.Errorf("waits %v with an hour to spare and 2s to wait", w)
	}
}

// TestPacerCancelledWaitGivesItsTokenBack: a request whose context ends
// while it waits gives its reservation back.
func TestPacerCancelledWaitGivesItsTokenBack(t *testing.T) {
	p, _ := testPacer()
	send(t, p, "sub", 0)
	before := p.buckets["sub"].tokens
	if w := p.delay(context.Background(), "sub"); w == 0 {
		t.Fatal("no wait with no reads left")
	}
	p.cancelled("sub")
	if b := p.buckets["sub"]; b.tokens != before || b.waiting != 0 {
		t.Errorf("after a cancelled wait: %v tokens (want %v), %d waiting", b.tokens, before, b.waiting)
	}
}

// TestPacerForgetsFullBuckets: beyond maxPacedSubscriptions, buckets
// surely full again are forgotten; those in use are kept.
func TestPacerForgetsFullBuckets(t *testing.T) {
	p, clock := testPacer()
	send(t, p, "busy", 10)
	p.delay(context.Background(), "busy") // waits: in use
	for i := range maxPacedSubscriptions {
		send(t, p, fmt.Sprintf("sub-%d", i), 100)
	}
	clock.advance(time.Minute) // 1,500 reads refilled: every bucket is full
	send(t, p, "new", 249)
	if len(p.buckets) > 3 {
		t.Errorf("%d buckets kept, want busy, new and at most one more", len(p.buckets))
	}
	if p.buckets["busy"] == nil {
		t.Error("a bucket with a request waiting was forgotten")
	}
}

// TestClientPacerCountsItsSubscriptions: only reads of a subscription are
// paced (not POSTs, not paths outside /subscriptions/); a wait is held on
// the poll's clock and counted under the subscription's configured
// spelling, and a subscription the target does not name (a path from a
// nextLink) is paced but never a label.
func TestClientPacerCountsItsSubscriptions(t *testing.T) {
	p, clock := testPacer()
	p.sleep = func(_ context.Context, d time.Duration) error { clock.advance(d); return nil }
	reg := prometheus.NewRegistry()
	c := &clientPacer{p: p, metrics: upstream.NewMetrics(reg), subscriptions: map[string]string{"sub-a": "SUB-A"}}
	ctx := toolkit.WithPoll(context.Background(), toolkit.Poll{})
	read := func(method, path string) *http.Request {
		req, err := http.NewRequestWithContext(ctx, method, "https://management.example"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	empty := &http.Response{StatusCode: 200, Header: http.Header{"X-Ms-Ratelimit-Remaining-Subscription-Reads": {"0"}}}
	for _, sub := range []string{"SUB-A", "sub-b"} {
		r := read(http.MethodGet, "/subscriptions/"+sub+"/resourceGroups/rg")
		if err := c.Wait(r); err != nil {
			t.Fatal(err)
		}
		c.Observe(r, empty, nil)
		r = read(http.MethodGet, "/subscriptions/"+sub+"/resourceGroups/rg")
		if err := c.Wait(r); err != nil {
			t.Fatal(err)
		}
		c.Observe(r, empty, nil)
	}
	for _, r := range []*http.Request{read(http.MethodPost, "/subscriptions/sub-a/x"), read(http.MethodGet, "/providers/Microsoft.ResourceGraph/resources")} {
		before := clock.now()
		if err := c.Wait(r); err != nil || clock.now() != before {
			t.Errorf("%s %s was paced", r.Method, r.URL.Path)
		}
	}
	if toolkit.Held(ctx) <= 0 {
		t.Error("the poll was not told of the waits")
	}
	// Each second read found none left: it waited 1/25 s for its token.
	want := `
# HELP backup_exporter_azure_paced_requests_total ARM requests held back so that the subscription's read quota (x-ms-ratelimit-remaining-subscription-reads) is not used up.
# TYPE backup_exporter_azure_paced_requests_total counter
backup_exporter_azure_paced_requests_total{subscription_id="SUB-A"} 1
# HELP backup_exporter_azure_paced_seconds_total Time ARM requests were held back so that the subscription's read quota is not used up, summed over the requests.
# TYPE backup_exporter_azure_paced_seconds_total counter
backup_exporter_azure_paced_seconds_total{subscription_id="SUB-A"} 0.04
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "backup_exporter_azure_paced_requests_total", "backup_exporter_azure_paced_seconds_total"); err != nil {
		t.Error(err)
	}
}

// TestPacerAfterAnUnexplained429: a 429 that does not say how many reads
// are left (an older hourly budget of 12,000, or a fault) holds the
// subscription for its Retry-After and no longer: the estimate is not
// taken for empty.
func TestPacerAfterAnUnexplained429(t *testing.T) {
	p, clock := testPacer()
	send(t, p, "sub", 11999)
	p.delay(context.Background(), "sub")
	p.observe("sub", -1, true, time.Second)
	if w := p.delay(context.Background(), "sub"); w != time.Second {
		t.Errorf("after a 429 with Retry-After 1s: waits %v", w)
	}
	p.waited("sub")
	clock.advance(time.Second)
	if w := p.delay(context.Background(), "sub"); w != 0 {
		t.Errorf("after the Retry-After: waits %v", w)
	}
}

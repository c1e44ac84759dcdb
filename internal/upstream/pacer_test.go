package upstream

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"
)

// recordingPacer records what the pacer layer tells it, and may refuse.
type recordingPacer struct {
	mu       sync.Mutex
	events   []string
	slotsOut int // request slots in use when Wait was called
	pool     *Pool
	refuse   error
}

func (p *recordingPacer) Wait(req *http.Request) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, "wait")
	p.slotsOut = max(p.slotsOut, len(p.pool.slots))
	return p.refuse
}

func (p *recordingPacer) Observe(_ *http.Request, resp *http.Response, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.events = append(p.events, "error")
		return
	}
	p.events = append(p.events, http.StatusText(resp.StatusCode))
}

// TestPacerLayerPacesEveryAttempt: the pacer is asked before every
// attempt, retries included, holding no request slot, and is told of
// every answer; a pacer that refuses (its context ended) stops the
// request unsent; an Unpaced pool ignores the pacer.
func TestPacerLayerPacesEveryAttempt(t *testing.T) {
	srv, calls := sequence(t, "0", http.StatusTooManyRequests, http.StatusOK)
	pool, err := NewPool(Options{MaxConcurrency: 2, UserAgent: "backup_exporter/test",
		Retry: RetryPolicy{MaxAttempts: 4, BaseBackoff: time.Millisecond, MaxBackoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	p := &recordingPacer{pool: pool}
	c := &Client{provider: "azure", http: pool.PacedHTTPClient("azure", nil, p)}
	if _, err := c.Do(context.Background(), Request{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if got := p.events; len(got) != 4 || got[0] != "wait" || got[1] != "Too Many Requests" || got[2] != "wait" || got[3] != "OK" {
		t.Errorf("pacer saw %v, want wait, 429, wait, 200", got)
	}
	if p.slotsOut != 0 {
		t.Errorf("Wait was called holding %d request slots", p.slotsOut)
	}

	p.refuse, p.events = context.DeadlineExceeded, nil
	before := calls.Load()
	if _, err := c.Do(context.Background(), Request{URL: srv.URL}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("refused by the pacer: err %v", err)
	}
	if calls.Load() != before || len(p.events) != 1 {
		t.Errorf("a refused request was sent (%d requests) or observed (%v)", calls.Load()-before, p.events)
	}

	unpaced, err := NewPool(Options{UserAgent: "backup_exporter/test", Unpaced: true})
	if err != nil {
		t.Fatal(err)
	}
	p = &recordingPacer{pool: unpaced, refuse: errors.New("never asked")}
	c = &Client{provider: "azure", http: unpaced.PacedHTTPClient("azure", nil, p)}
	if _, err := c.Do(context.Background(), Request{URL: srv.URL}); err != nil || len(p.events) != 0 {
		t.Errorf("unpaced pool: err %v, pacer saw %v", err, p.events)
	}
}

// TestRetryAfterHeader: RetryAfter reads seconds and HTTP dates, and says
// when there is none.
func TestRetryAfterHeader(t *testing.T) {
	for v, want := range map[string]time.Duration{"3": 3 * time.Second, "0.5": 500 * time.Millisecond, "0": 0,
		time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat): 0} {
		if got, ok := RetryAfter(http.Header{"Retry-After": {v}}); !ok || got != want {
			t.Errorf("Retry-After %q: %v %v, want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "soon", "-3"} {
		if got, ok := RetryAfter(http.Header{"Retry-After": {v}}); ok {
			t.Errorf("Retry-After %q: %v, want none", v, got)
		}
	}
}

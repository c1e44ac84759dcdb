package collector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// fakeTags is a tag look-up whose answers and failures a test sets.
type fakeTags struct {
	mu    sync.Mutex
	tags  map[string]map[string]string // by folded ID
	fail  error
	calls [][]string
}

func (f *fakeTags) lookup(_ context.Context, ids []string) (map[string]map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, ids)
	if f.fail != nil {
		return nil, f.fail
	}
	out := map[string]map[string]string{}
	for _, id := range ids {
		if t, ok := f.tags[strings.ToLower(id)]; ok {
			out[id] = t
		}
	}
	return out, nil
}

func (f *fakeTags) set(fail error, tags map[string]map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail, f.calls = fail, nil
	if tags != nil {
		f.tags = tags
	}
}

func (f *fakeTags) batches() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n []int
	for _, c := range f.calls {
		n = append(n, len(c))
	}
	return n
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// taggedState is a target of n resources r-001... whose tags are looked up
// (by "/subscriptions/x/VM-001", ..., in upper case: the look-up folds),
// with refresh 1h and max_staleness 15m, on a fake clock.
func taggedState(n int, f *fakeTags, clock *fakeClock, logger *zap.Logger) *targetState {
	poll := pollFunc(func(context.Context) ([]toolkit.Resource, error) {
		rs := make([]toolkit.Resource, n)
		for i := range rs {
			rs[i] = toolkit.Resource{ID: fmt.Sprintf("r-%03d", i+1), Protected: true, Healthy: true,
				Tags: toolkit.Tags{Kind: toolkit.CloudTags, Lookup: fmt.Sprintf("/subscriptions/x/VM-%03d", i+1)}}
		}
		return rs, nil
	})
	s := newState(0, 15*time.Minute, poll)
	s.logger = logger
	s.now = clock.now
	s.tags = newTagCache(&toolkit.TagLookup{API: "fake", Fold: strings.ToLower, Lookup: f.lookup}, time.Hour, 15*time.Minute)
	return s
}

// collect polls s once, as a scrape with cache_ttl 0 does, and returns
// the served resources' tags by resource ID.
func collect(t *testing.T, s *targetState) (map[string]map[string]string, *pollResult) {
	t.Helper()
	r := s.syncPoll(context.Background())
	if r.err != nil {
		t.Fatalf("target down: %v", r.err)
	}
	out := map[string]map[string]string{}
	for _, res := range r.resources {
		out[res.ID] = res.Tags.Values
	}
	return out, r
}

func TestTagLookupsInBatchesOf100(t *testing.T) {
	f := &fakeTags{tags: map[string]map[string]string{"/subscriptions/x/vm-007": {"team": "payments"}}}
	clock := &fakeClock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	s := taggedState(250, f, clock, zap.NewNop())
	got, r := collect(t, s)
	if b := f.batches(); fmt.Sprint(b) != "[100 100 50]" {
		t.Errorf("look-ups of %v IDs, want [100 100 50]", b)
	}
	if got["r-007"]["team"] != "payments" {
		t.Errorf("r-007 tags %v, want team payments (looked up without case)", got["r-007"])
	}
	if v := got["r-008"]; v == nil || len(v) != 0 {
		t.Errorf("an untagged resource's tags = %#v, want empty", v)
	}
	if r.tags.failed != 0 || r.tags.err != nil {
		t.Errorf("outcome %+v", r.tags)
	}
	// Fresh: the next poll within the hour looks nothing up.
	clock.advance(59 * time.Minute)
	collect(t, s)
	if b := f.batches(); len(b) != 3 {
		t.Errorf("a poll within resource_labels_refresh looked up again: %v", b)
	}
	// Due: the next after the hour looks all up again.
	clock.advance(2 * time.Minute)
	f.set(nil, nil)
	collect(t, s)
	if b := f.batches(); fmt.Sprint(b) != "[100 100 50]" {
		t.Errorf("after resource_labels_refresh: look-ups of %v IDs, want [100 100 50]", b)
	}
}

func TestFailedTagLookupKeepsTheLastTagsForMaxStaleness(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	f := &fakeTags{tags: map[string]map[string]string{"/subscriptions/x/vm-001": {"team": "payments"}}}
	clock := &fakeClock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	s := taggedState(2, f, clock, zap.New(core))
	collect(t, s)

	f.set(errors.New("HTTP 503 Service Unavailable"), nil)
	clock.advance(61 * time.Minute)
	for range 3 {
		got, r := collect(t, s)
		if got["r-001"]["team"] != "payments" {
			t.Errorf("the last tags were not kept after a failed look-up: %v", got["r-001"])
		}
		if r.tags.failed != 2 || r.tags.err == nil || !strings.Contains(r.tags.err.Error(), "503") {
			t.Errorf("outcome %+v, want 2 failed with the 503", r.tags)
		}
		clock.advance(4 * time.Minute)
	}
	if n := logs.FilterMessageSnippet("tag look-up failed").Len(); n != 1 {
		t.Errorf("%d warnings for a failure that went on, want 1", n)
	}
	if n := logs.FilterLevelExact(zapcore.WarnLevel).FilterField(zap.String("target", "t")).Len(); n != 1 {
		t.Errorf("the warning does not name the target")
	}
	// Due at 60m, failing since: kept until 60m + max_staleness (15m).
	clock.advance(3 * time.Minute) // 76m
	got, _ := collect(t, s)
	if got["r-001"] != nil {
		t.Errorf("tags kept past max_staleness: %v", got["r-001"])
	}
	// Recovery: tags again, logged once.
	f.set(nil, nil)
	got, r := collect(t, s)
	if got["r-001"]["team"] != "payments" || r.tags.failed != 0 {
		t.Errorf("after recovery: %v, %+v", got["r-001"], r.tags)
	}
	if n := logs.FilterMessageSnippet("tag look-ups succeed again").Len(); n != 1 {
		t.Errorf("%d recovery lines, want 1", n)
	}
}

func TestTagCacheForgetsResourcesNoLongerListed(t *testing.T) {
	f := &fakeTags{}
	clock := &fakeClock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	n := 20
	poll := func(context.Context) ([]toolkit.Resource, error) {
		rs := make([]toolkit.Resource, n)
		for i := range rs {
			rs[i] = toolkit.Resource{ID: fmt.Sprint(i), Tags: toolkit.Tags{Lookup: fmt.Sprint("id-", i)}}
		}
		return rs, nil
	}
	s := newState(0, 0, poll)
	s.now = clock.now
	s.tags = newTagCache(&toolkit.TagLookup{API: "fake", Lookup: f.lookup}, 0, 0)
	collect(t, s)
	n = 5
	collect(t, s)
	s.tags.mu.Lock()
	defer s.tags.mu.Unlock()
	if len(s.tags.entries) != 5 {
		t.Errorf("%d entries for 5 resources: the cache is not bounded by the resources", len(s.tags.entries))
	}
	if s.tags.refresh != DefaultResourceLabelsRefresh {
		t.Errorf("refresh %v for resource_labels_refresh 0, want the default %v", s.tags.refresh, DefaultResourceLabelsRefresh)
	}
}

func TestTagLookupsOnlyForTheShardsResources(t *testing.T) {
	f := &fakeTags{}
	clock := &fakeClock{t: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	s := taggedState(90, f, clock, zap.NewNop())
	s.target.shard = Shard{Index: 1, Total: 3}
	collect(t, s)
	var asked int
	for _, b := range f.batches() {
		asked += b
	}
	owned := 0
	for i := 1; i <= 90; i++ {
		if s.target.shard.Owns("t", fmt.Sprintf("r-%03d", i)) {
			owned++
		}
	}
	if asked != owned || owned == 0 || owned == 90 {
		t.Errorf("looked up %d IDs, the shard owns %d of 90", asked, owned)
	}
}

func TestTagLookupPanicIsTheLookupsError(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	s := taggedState(3, &fakeTags{}, clock, zap.NewNop())
	s.tags.lookup.Lookup = func(context.Context, []string) (map[string]map[string]string, error) { panic("boom") }
	_, r := collect(t, s)
	if r.tags.failed != 3 || r.tags.err == nil {
		t.Errorf("outcome %+v, want the panic as the look-up's error", r.tags)
	}
}

func TestBoundTags(t *testing.T) {
	many := map[string]string{}
	for i := range 1000 {
		many[fmt.Sprintf("k%04d", i)] = "v"
	}
	b := boundTags(many)
	if len(b) != toolkit.MaxTagsPerResource || b["k0000"] != "v" || b[fmt.Sprintf("k%04d", toolkit.MaxTagsPerResource)] != "" {
		t.Errorf("bound kept %d tags", len(b))
	}
	if b := boundTags(nil); b == nil || len(b) != 0 {
		t.Errorf("untagged: %#v", b)
	}
}

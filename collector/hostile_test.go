package collector

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// Issue 18: upstream answers are untrusted input. These tests feed the
// orchestrator what a hostile or broken upstream can make a provider
// return, and check that the exposition stays valid and truthful.

// exposition renders resources as the server serves them and parses it.
func exposition(t *testing.T, rs func() []Resource) (string, map[string]*dto.MetricFamily) {
	t.Helper()
	e := testExporter(t, testKind(rs), "cache_ttl: 0", "t")
	var out bytes.Buffer
	if err := e.WriteExposition(context.Background(), e.Targets(), nil, &out, false, nil); err != nil {
		t.Fatal(err)
	}
	mfs := parseExposition(t, bytes.NewReader(out.Bytes()))
	if dup := duplicateSeries(mfs); dup != "" {
		t.Errorf("duplicate series %s", dup)
	}
	return out.String(), mfs
}

// duplicateSeries returns a series that appears twice (same name, same
// labels), or "".
func duplicateSeries(mfs map[string]*dto.MetricFamily) string {
	for name, mf := range mfs {
		seen := map[string]bool{}
		for _, m := range mf.Metric {
			var key strings.Builder
			for _, l := range m.Label {
				key.WriteString(l.GetName() + "=" + l.GetValue() + "\x00")
			}
			if seen[key.String()] {
				return name + "{" + key.String() + "}"
			}
			seen[key.String()] = true
		}
	}
	return ""
}

func resourceIDs(mfs map[string]*dto.MetricFamily) []string {
	var ids []string
	for _, m := range mfs["backup_protected"].GetMetric() {
		for _, l := range m.Label {
			if l.GetName() == "resource_id" {
				ids = append(ids, l.GetValue())
			}
		}
	}
	return ids
}

// TestLongIDsThatDifferPastTheCutStayTwoResources (finding 5): two IDs
// that differ only after the 1,024-rune cut were one label set (one
// resource hid the other, and the scrape had duplicate series).
func TestLongIDsThatDifferPastTheCutStayTwoResources(t *testing.T) {
	long := strings.Repeat("/subscriptions/x/resourceGroups/rg", 40) // 1,400 bytes
	_, mfs := exposition(t, func() []Resource {
		return []Resource{
			{ID: long + "/a", Name: "a", Protected: true, Healthy: true},
			{ID: long + "/b", Name: "b", Protected: true, Healthy: true},
			{ID: "short", Name: "short", Protected: true, Healthy: true},
		}
	})
	ids := resourceIDs(mfs)
	if len(ids) != 3 {
		t.Fatalf("%d resources exposed, want 3: %q", len(ids), ids)
	}
	for _, id := range ids {
		if n := len([]rune(id)); n > idLabelLimit {
			t.Errorf("resource_id of %d runes, over %d", n, idLabelLimit)
		}
	}
	if ids[0] == ids[1] || !strings.Contains(ids[0], "…#") || !strings.Contains(ids[1], "…#") {
		t.Errorf("cut IDs not told apart by their hash: %q, %q", ids[0][len(ids[0])-20:], ids[1][len(ids[1])-20:])
	}
	if ids[2] != "short" {
		t.Errorf("a short ID changed: %q", ids[2])
	}
}

// TestInvalidUTF8IDsStayApart: two IDs whose invalid bytes differ would
// both become U+FFFD; their hashes keep them apart.
func TestInvalidUTF8IDsStayApart(t *testing.T) {
	_, mfs := exposition(t, func() []Resource {
		return []Resource{
			{ID: "vol-\xff", Name: "a", Protected: true, Healthy: true},
			{ID: "vol-\xfe", Name: "b", Protected: true, Healthy: true},
		}
	})
	if ids := resourceIDs(mfs); len(ids) != 2 || ids[0] == ids[1] {
		t.Errorf("resource IDs %q, want two different ones", ids)
	}
}

// TestSameExposedIDIsOneResource: records with the same ID (a provider
// that lists one twice) give one resource, and the drop is logged.
func TestSameExposedIDIsOneResource(t *testing.T) {
	_, mfs := exposition(t, func() []Resource {
		return []Resource{
			{ID: "r", Name: "first", Protected: true, Healthy: true},
			{ID: "r", Name: "second", Protected: true, Healthy: false},
		}
	})
	if n := len(mfs["backup_protected"].GetMetric()); n != 1 {
		t.Errorf("%d backup_protected series, want 1", n)
	}
}

// TestBackupListedTwiceCountsOnce (finding 5): a backup listed twice was
// counted twice in backup_backups.
func TestBackupListedTwiceCountsOnce(t *testing.T) {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	b := Backup{ID: "b1", Name: "b1", State: StateSucceeded, Start: at, End: at}
	r := Summarize("r", "r", []Backup{b, {ID: "b2", State: StateFailed, Start: at.Add(-time.Hour)}, b}, true)
	if r.Counts[StateSucceeded] != 1 || r.Counts[StateFailed] != 1 {
		t.Errorf("counts %v, want one succeeded and one failed", r.Counts)
	}
	// Backups without an ID are not merged.
	r = Summarize("r", "r", []Backup{{State: StateSucceeded, Start: at}, {State: StateSucceeded, Start: at}}, true)
	if r.Counts[StateSucceeded] != 2 {
		t.Errorf("counts %v, want two succeeded", r.Counts)
	}
}

// TestValuesOutsideTheirDomainGiveNoSample (finding 6): progress 250 % or
// -40 % or NaN, sizes of -5 or +Inf were exposed as they came.
func TestValuesOutsideTheirDomainGiveNoSample(t *testing.T) {
	nonNegative := NewFamily("backup_test_size_bytes", "A provider's own byte count.", 1).NonNegative()
	cases := []struct {
		name        string
		progress    float64
		transferred float64
		size        float64
		extra       float64
	}{
		{"above one", 2.5, -1, math.Inf(1), -5},
		{"negative", -0.4, math.NaN(), -5, math.NaN()},
		{"NaN", math.NaN(), math.Inf(-1), math.NaN(), math.Inf(1)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.DebugLevel)
			rs := []Resource{{ID: "r", Name: "r", Protected: true, Healthy: true,
				Latest: &Backup{Name: "b", State: StateRunning, Progress: Float(c.progress), Transferred: Float(c.transferred), Size: Float(c.size)},
				Extra:  append(nonNegative.Value(Float(c.extra)), famTestCounter.Value(Float(7))...)}}
			res := &pollResult{resources: rs}
			res.prepareFor(&Target{Name: "t", Type: "test"}, zap.New(core))
			for _, f := range []*Family{famProgress, famTransferred, famSize, nonNegative} {
				if text := renderedText(res, f); text != "" {
					t.Errorf("%s has a sample: %s", f.Name, text)
				}
			}
			if !strings.Contains(renderedText(res, famTestCounter), " 7\n") {
				t.Error("a value within its domain was dropped")
			}
			if n := logs.FilterMessage("dropped a value outside its domain: no sample").Len(); n != 4 {
				t.Errorf("%d debug lines naming the fields, want 4", n)
			}
		})
	}
	// Zero and one are ratios; zero is a byte count.
	res := &pollResult{resources: []Resource{{ID: "r", Protected: true, Latest: &Backup{Progress: Float(1), Size: Float(0)}}}}
	res.prepareFor(&Target{Name: "t", Type: "test"}, zap.NewNop())
	if renderedText(res, famProgress) == "" || renderedText(res, famSize) == "" {
		t.Error("progress 1 or size 0 dropped")
	}
}

func renderedText(r *pollResult, f *Family) string {
	b := r.rendered[f]
	if b == nil {
		return ""
	}
	var out bytes.Buffer
	_ = b.writeTo(&out)
	return out.String()
}

// TestPanicInAWorkerIsThatResourcesError (finding 2): a panic in a
// goroutine a provider starts (MapResources, Group) used to kill the
// process; now it is that resource's (or call's) error, logged with its
// stack and counted.
func TestPanicInAWorkerIsThatResourcesError(t *testing.T) {
	defer goleak.VerifyNone(t)
	var count atomic.Int32
	core, logs := observer.New(zapcore.DebugLevel)
	ctx := withScope(context.Background(), Limits{}, panicLogger(zap.New(core), func() { count.Add(1) }))

	items := []string{"ok", "boom", "fine"}
	rs := MapResources(ctx, 2, items, func(s string) (string, string) { return s, s }, func(_ context.Context, s string) (Resource, error) {
		if s == "boom" {
			var none []int
			_ = none[len(s)] // an index out of range: a runtime panic
		}
		return Resource{ID: s, Protected: true}, nil
	})
	if rs[0].Err != nil || rs[2].Err != nil {
		t.Errorf("the other resources failed: %v, %v", rs[0].Err, rs[2].Err)
	}
	var pe *PanicError
	if !errors.As(rs[1].Err, &pe) || rs[1].ID != "boom" {
		t.Errorf("the panicking resource: %+v", rs[1])
	}

	_, err := MapConcurrent(ctx, 2, items, func(_ context.Context, s string) (int, error) {
		if s == "boom" {
			panic("in MapConcurrent")
		}
		return 1, nil
	})
	if !errors.As(err, &pe) {
		t.Errorf("MapConcurrent: %v", err)
	}
	g := NewGroup(ctx, 0)
	g.Go(func(context.Context) error { panic("in a Group") })
	if err := g.Wait(); !errors.As(err, &pe) {
		t.Errorf("Group: %v", err)
	}
	if n := count.Load(); n != 3 {
		t.Errorf("%d panics counted, want 3", n)
	}
	if entries := logs.FilterMessage("recovered a panic in a poll").All(); len(entries) != 3 ||
		!strings.Contains(entries[0].ContextMap()["stack"].(string), "hostile_test.go") {
		t.Errorf("no debug line with the stack: %v", entries)
	}
}

// TestPagerBounds (findings 3 and 4): a list whose pages never end stops
// at max_pages_per_list, a poll's lists at max_items_per_poll together,
// and a continuation handed out twice at once.
func TestPagerBounds(t *testing.T) {
	ctx := withScope(context.Background(), Limits{MaxPagesPerList: 5, MaxItemsPerPoll: 100}, nil)
	p := NewPager(ctx, "list things")
	var err error
	n := 0
	for err == nil && n < 1000 {
		n++
		err = p.Page(1, "token-"+string(rune('a'+n)))
	}
	if n != 5 || err == nil || !strings.Contains(err.Error(), "list things: still more after 5 pages (max_pages_per_list)") {
		t.Errorf("stopped after %d pages: %v", n, err)
	}

	q := NewPager(ctx, "other list")
	if err := q.Page(96, "x"); err == nil || !strings.Contains(err.Error(), "more than 100 items in one poll (max_items_per_poll)") {
		t.Errorf("items of the poll together: %v", err)
	}

	r := NewPager(withScope(context.Background(), Limits{MaxPagesPerList: 100, MaxItemsPerPoll: 100}, nil), "repeating list")
	if err := r.Page(1, "same"); err != nil {
		t.Fatal(err)
	}
	if err := r.Page(1, "same"); err == nil || !strings.Contains(err.Error(), "page 2 hands out a continuation it handed out before") {
		t.Errorf("repeat: %v", err)
	}
	// The last page of a list ends it, whatever the bounds.
	last := NewPager(withScope(context.Background(), Limits{MaxPagesPerList: 1, MaxItemsPerPoll: 100}, nil), "short list")
	if err := last.Page(3, ""); err != nil {
		t.Errorf("a one-page list: %v", err)
	}
}

// TestShortScrapeDoesNotShortenASharedPoll (finding 11): with cache_ttl
// 0, a scrape with a long deadline that joined a poll started by a 0.6 s
// scrape inherited its deadline and saw the target down.
func TestShortScrapeDoesNotShortenASharedPoll(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := newState(0, 0, func(ctx context.Context) ([]Resource, error) {
		select {
		case <-time.After(time.Second):
			return []Resource{{ID: "r", Protected: true}}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	short, cancelShort := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancelShort()
	long, cancelLong := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelLong()
	shortDone := make(chan error, 1)
	go func() {
		r, _ := s.answer(short)
		shortDone <- r.err
	}()
	time.Sleep(50 * time.Millisecond)
	r, _ := s.answer(long)
	if r.err != nil {
		t.Errorf("the 10 s scrape failed: %v", r.err)
	}
	if err := <-shortDone; err == nil {
		t.Error("the 0.6 s scrape got an answer from a 1 s poll")
	}
	// A scrape with a shorter deadline joins a longer poll.
	var polls atomic.Int32
	s = newState(0, 0, func(ctx context.Context) ([]Resource, error) {
		polls.Add(1)
		time.Sleep(200 * time.Millisecond)
		return []Resource{{ID: "r"}}, nil
	})
	longDone := make(chan error, 1)
	go func() {
		r, _ := s.answer(long)
		longDone <- r.err
	}()
	time.Sleep(50 * time.Millisecond)
	shorter, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if r, _ := s.answer(shorter); r.err != nil {
		t.Error(r.err)
	}
	if err := <-longDone; err != nil {
		t.Error(err)
	}
	if n := polls.Load(); n != 1 {
		t.Errorf("%d polls, want 1 shared", n)
	}
}

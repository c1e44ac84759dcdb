package collector

import (
	"bytes"
	"context"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Issue 18: upstream answers are untrusted input. These tests feed the
// orchestrator what a hostile or broken upstream can make a provider
// return, and check that the exposition stays valid and truthful.

// exposition renders resources as the server serves them and parses it.
func exposition(t *testing.T, rs func() []toolkit.Resource) (string, map[string]*dto.MetricFamily) {
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
	_, mfs := exposition(t, func() []toolkit.Resource {
		return []toolkit.Resource{
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
	_, mfs := exposition(t, func() []toolkit.Resource {
		return []toolkit.Resource{
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
	_, mfs := exposition(t, func() []toolkit.Resource {
		return []toolkit.Resource{
			{ID: "r", Name: "first", Protected: true, Healthy: true},
			{ID: "r", Name: "second", Protected: true, Healthy: false},
		}
	})
	if n := len(mfs["backup_protected"].GetMetric()); n != 1 {
		t.Errorf("%d backup_protected series, want 1", n)
	}
}

// TestValuesOutsideTheirDomainGiveNoSample (finding 6): progress 250 % or
// -40 % or NaN, sizes of -5 or +Inf were exposed as they came.
func TestValuesOutsideTheirDomainGiveNoSample(t *testing.T) {
	nonNegative := toolkit.NewFamily("backup_test_size_bytes", "A provider's own byte count.", 1).NonNegative()
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
			rs := []toolkit.Resource{{ID: "r", Name: "r", Protected: true, Healthy: true,
				Latest: &toolkit.Backup{Name: "b", State: toolkit.StateRunning, Progress: toolkit.Float(c.progress), Transferred: toolkit.Float(c.transferred), Size: toolkit.Float(c.size)},
				Extra:  append(nonNegative.Value(toolkit.Float(c.extra)), famTestCounter.Value(toolkit.Float(7))...)}}
			res := &pollResult{resources: rs}
			res.prepareFor(&Target{Name: "t", Type: "test"}, newRenderer(toolkit.Registry{{Families: []*toolkit.Family{nonNegative, famTestCounter}}}, false), zap.New(core))
			for _, f := range []*toolkit.Family{family("backup_progress_ratio"), family("backup_transferred_bytes"), family("backup_size_bytes"), nonNegative} {
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
	res := &pollResult{resources: []toolkit.Resource{{ID: "r", Protected: true, Latest: &toolkit.Backup{Progress: toolkit.Float(1), Size: toolkit.Float(0)}}}}
	res.prepareFor(&Target{Name: "t", Type: "test"}, newRenderer(nil, false), zap.NewNop())
	if renderedText(res, family("backup_progress_ratio")) == "" || renderedText(res, family("backup_size_bytes")) == "" {
		t.Error("progress 1 or size 0 dropped")
	}
}

// family is the shared family called name.
func family(name string) *toolkit.Family {
	for _, f := range toolkit.Families() {
		if f.Name == name {
			return f
		}
	}
	panic("no family " + name)
}

func renderedText(r *pollResult, f *toolkit.Family) string {
	b := r.rendered[f]
	if b == nil {
		return ""
	}
	var out bytes.Buffer
	_ = b.writeTo(&out)
	return out.String()
}

// TestShortScrapeDoesNotShortenASharedPoll (finding 11): with cache_ttl
// 0, a scrape with a long deadline that joined a poll started by a 0.6 s
// scrape inherited its deadline and saw the target down.
func TestShortScrapeDoesNotShortenASharedPoll(t *testing.T) {
	defer goleak.VerifyNone(t)
	s := newState(0, 0, func(ctx context.Context) ([]toolkit.Resource, error) {
		select {
		case <-time.After(time.Second):
			return []toolkit.Resource{{ID: "r", Protected: true}}, nil
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
	s = newState(0, 0, func(ctx context.Context) ([]toolkit.Resource, error) {
		polls.Add(1)
		time.Sleep(200 * time.Millisecond)
		return []toolkit.Resource{{ID: "r"}}, nil
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

// TestPanicIsLoggedWithItsStackAndCounted: a panic in a worker of a poll
// marks its resource down, is logged at debug with its stack, and counted
// in backup_exporter_panics_total{provider,target}.
func TestPanicIsLoggedWithItsStackAndCounted(t *testing.T) {
	defer goleak.VerifyNone(t)
	core, logs := observer.New(zapcore.DebugLevel)
	reg := prometheus.NewRegistry()
	kind := testKind(nil)
	kind.New = func(*config.Target, *toolkit.Env) (toolkit.Provider, error) {
		return pollFunc(func(ctx context.Context) ([]toolkit.Resource, error) {
			return toolkit.MapResources(ctx, 2, []string{"ok", "boom"}, func(s string) (string, string) { return s, s },
				func(_ context.Context, s string) (toolkit.Resource, error) {
					if s == "boom" {
						panic("in a worker")
					}
					return toolkit.Resource{ID: s, Protected: true}, nil
				}), nil
		}), nil
	}
	cfg, err := config.Parse([]byte("global: {cache_ttl: 0}\ncredentials: [{name: c, astra: {api_token: x}}]\ntargets: [{name: t, type: test, credential: c}]\n"), "test.yml", toolkit.Registry{kind}.Config())
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg, Options{Registry: toolkit.Registry{kind}, Logger: zap.New(core), CacheMetrics: NewCacheMetrics(reg)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil || res.ResourceErrors != 1 {
		t.Errorf("target err %v, %d resource errors; want up with one resource down", res.Err, res.ResourceErrors)
	}
	if entries := logs.FilterMessage("recovered a panic in a poll").All(); len(entries) != 1 ||
		!strings.Contains(entries[0].ContextMap()["stack"].(string), "hostile_test.go") {
		t.Errorf("no debug line with the stack: %v", entries)
	}
	want := `
# HELP backup_exporter_panics_total Panics recovered in polls of a target (a bug: the target or resource is reported down, the stack is in the debug log).
# TYPE backup_exporter_panics_total counter
backup_exporter_panics_total{provider="test",target="t"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "backup_exporter_panics_total"); err != nil {
		t.Error(err)
	}
}

// TestDroppedItemsAreCountedAndListed: what a provider leaves out (Drop,
// FanOut) and what the orchestrator leaves out (a repeated record) is
// counted in backup_exporter_target_resources_dropped{reason} and, with
// RecordDropped, listed in the result.
func TestDroppedItemsAreCountedAndListed(t *testing.T) {
	kind := testKind(nil)
	kind.New = func(_ *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
		return pollFunc(func(ctx context.Context) ([]toolkit.Resource, error) {
			toolkit.Drop(ctx, "child-1", "part", toolkit.DropChild)
			toolkit.Drop(ctx, "vm-9", "vm-9", toolkit.DropFiltered)
			rs := toolkit.Keep(ctx, env, []toolkit.Resource{{ID: "a", Protected: true}, {ID: "a", Protected: true}})
			return append(rs, toolkit.Resource{ID: "b", Protected: true}, toolkit.Resource{ID: "b", Name: "again", Protected: true}), nil
		}), nil
	}
	cfg, err := config.Parse([]byte("global: {cache_ttl: 0}\ncredentials: [{name: c, astra: {api_token: x}}]\ntargets: [{name: t, type: test, credential: c}]\n"), "test.yml", toolkit.Registry{kind}.Config())
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg, Options{Registry: toolkit.Registry{kind}, RecordDropped: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	var out bytes.Buffer
	if err := e.WriteExposition(context.Background(), e.Targets(), nil, &out, false, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`backup_exporter_target_resources_dropped{provider="test",reason="not_owned",target="t"} 0`,
		`backup_exporter_target_resources_dropped{provider="test",reason="duplicate",target="t"} 2`,
		`backup_exporter_target_resources_dropped{provider="test",reason="child",target="t"} 1`,
		`backup_exporter_target_resources_dropped{provider="test",reason="filtered",target="t"} 1`,
	} {
		if !strings.Contains(out.String(), want+"\n") {
			t.Errorf("no %s in\n%s", want, out.String())
		}
	}
	res := e.Collect(context.Background(), e.Targets())[0]
	if len(res.DroppedItems) != 4 || len(res.Resources) != 2 {
		t.Errorf("dropped %+v, resources %d", res.DroppedItems, len(res.Resources))
	}
}

// TestResourceInfoHostileTags: whatever tags an upstream returns, every
// resource has one valid series, its values bounded like every label
// value from upstream.
func TestResourceInfoHostileTags(t *testing.T) {
	hostile := map[string]string{
		"owner":                   strings.Repeat("é", 1000),
		"bad\xffvalue":            "\xff\xfe",
		"quote\"key":              "line\nbreak \" and \\",
		"a.b":                     "1",
		"a-b":                     "2",
		"a_b_conflict1":           "3",
		strings.Repeat("k", 5000): "long key",
	}
	for i := range 300 {
		hostile["many-"+string(rune('a'+i%26))+strings.Repeat("x", i)] = "v"
	}
	rs := []toolkit.Resource{
		{ID: "r1", Name: "r1", Protected: true, Healthy: true, Tags: toolkit.Tags{Kind: toolkit.CloudTags, Values: hostile}},
		{ID: "r2", Name: "r2", Tags: kube(hostile)},
		{ID: "r3", Name: "r3", Protected: true, Healthy: true, Tags: toolkit.Tags{Kind: toolkit.VaultTags, Values: hostile}},
	}
	e := testExporter(t, testKind(func() []toolkit.Resource { return rs }), "cache_ttl: 0", `name: t, resource_labels: ["*"], static_labels: {env: prod}`)
	var out bytes.Buffer
	if err := e.WriteExposition(context.Background(), e.Targets(), nil, &out, false, nil); err != nil {
		t.Fatal(err)
	}
	mfs := parseExposition(t, bytes.NewReader(out.Bytes()))
	if dup := duplicateSeries(mfs); dup != "" {
		t.Errorf("duplicate series %s", dup)
	}
	series := mfs["backup_resource_info"].GetMetric()
	if len(series) != 3 {
		t.Fatalf("%d series, want one per resource", len(series))
	}
	for _, m := range series {
		if n := len(m.GetLabel()); n > 4+1+100 {
			t.Errorf("%d labels: more than the identity, static and 100 tag labels", n)
		}
		for _, l := range m.GetLabel() {
			if !utf8.ValidString(l.GetValue()) || utf8.RuneCountInString(l.GetValue()) > labelLimit {
				t.Errorf("label %s value not valid or not bounded (%d runes)", l.GetName(), utf8.RuneCountInString(l.GetValue()))
			}
			if len(l.GetName()) > 1100 {
				t.Errorf("label name of %d bytes", len(l.GetName()))
			}
		}
	}
}

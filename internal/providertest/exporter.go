package providertest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

var update = flag.Bool("update", false, "rewrite the golden files instead of comparing with them")

// Parse parses yml with the kinds of reg.
func Parse(t testing.TB, yml string, reg toolkit.Registry) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yml), "test.yml", reg.Config())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// NewExporter builds an Exporter from yml through config.Parse, as main
// does, with the provider kinds of reg.
func NewExporter(t testing.TB, yml string, reg toolkit.Registry, opts collector.Options) *collector.Exporter {
	t.Helper()
	opts.Registry = reg
	e, err := collector.New(Parse(t, yml, reg), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	return e
}

// BackupMetricNames are the per-resource families of reg's providers, which
// golden files compare (the exporter's own metrics carry durations that
// vary from run to run).
func BackupMetricNames(reg toolkit.Registry) []string {
	var names []string
	for _, m := range collector.Catalog(reg) {
		if strings.HasPrefix(m.Name, "backup_") && !strings.HasPrefix(m.Name, "backup_exporter_") {
			names = append(names, m.Name)
		}
	}
	return names
}

// Golden collects every target of e once and compares its backup metrics
// with testdata/golden, or rewrites the file with -update (review the diff
// by hand). It also lints the exposition.
func Golden(t *testing.T, e *collector.Exporter, reg toolkit.Registry, golden string) {
	t.Helper()
	GoldenOf(t, e, golden, BackupMetricNames(reg)...)
}

// GoldenOf is Golden for the families names only (testdata/golden).
func GoldenOf(t *testing.T, e *collector.Exporter, golden string, names ...string) {
	t.Helper()
	path := filepath.Join("testdata", golden)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(ScrapeText(t, e, names...)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := Gatherer(e)
	if err := testutil.GatherAndCompare(g, f, names...); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(g); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	// A golden is of targets that could be read: a down target would
	// compare its (empty) series and pass.
	for target, up := range TargetUp(t, e) {
		if up != 1 {
			t.Errorf("target %s is down: its golden says nothing", target)
		}
	}
	for _, r := range e.Collect(context.Background(), e.Targets()) {
		for _, res := range r.Resources {
			if res.Err != nil {
				t.Errorf("target %s: resource %s could not be read: %v", r.Target.Name, res.ID, res.Err)
			}
		}
	}
}

// Gatherer gathers e as /metrics serves it: every target's exposition
// as Exporter.WriteExposition writes it (without the process-wide
// metrics), parsed back. A series that appears twice, or a line that does
// not parse, is an error, as a pedantic registry's.
func Gatherer(e *collector.Exporter) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		var buf bytes.Buffer
		if err := e.WriteExposition(context.Background(), e.Targets(), nil, &buf, false, nil); err != nil {
			return nil, err
		}
		return ParseExposition(buf.Bytes())
	})
}

// ParseExposition parses text exposition into families sorted by name,
// failing on a series that appears twice.
func ParseExposition(text []byte) ([]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.LegacyValidation)
	byName, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return nil, err
	}
	out := make([]*dto.MetricFamily, 0, len(byName))
	for _, mf := range byName {
		seen := map[string]bool{}
		for _, m := range mf.Metric {
			key := m.String()
			if m.Counter != nil || m.Gauge != nil {
				key = fmt.Sprint(m.Label)
			}
			if seen[key] {
				return nil, fmt.Errorf("%s has the series %v twice", mf.GetName(), m.Label)
			}
			seen[key] = true
		}
		// In the order a registry gathers them: fewer labels first (the
		// series of backup_resource_info differ in their labels), then by
		// label values (the labels of a series are sorted by name).
		sort.SliceStable(mf.Metric, func(i, j int) bool {
			a, b := mf.Metric[i].Label, mf.Metric[j].Label
			if len(a) != len(b) {
				return len(a) < len(b)
			}
			for k := range a {
				if a[k].GetValue() != b[k].GetValue() {
					return a[k].GetValue() < b[k].GetValue()
				}
			}
			return false
		})
		out = append(out, mf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out, nil
}

// Gather collects every target of e once, as a scrape does.
func Gather(t testing.TB, e *collector.Exporter) []*dto.MetricFamily {
	t.Helper()
	mfs, err := Gatherer(e).Gather()
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// ScrapeText collects e once and returns the exposition of names.
func ScrapeText(t testing.TB, e *collector.Exporter, names ...string) string {
	t.Helper()
	mfs := Gather(t, e)
	var buf bytes.Buffer
	for _, mf := range mfs {
		for _, n := range names {
			if mf.GetName() == n {
				if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return buf.String()
}

// TargetUp returns backup_exporter_target_up of each target after one
// collection.
func TargetUp(t testing.TB, e *collector.Exporter) map[string]float64 {
	t.Helper()
	mfs := Gather(t, e)
	up := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "backup_exporter_target_up" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "target" {
					up[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return up
}

// Value returns the value of the series of family name in reg whose labels
// include labels, and whether there is one.
func Value(t testing.TB, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue series
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue(), true
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// LogText renders observed log entries as text, for checks of what was,
// and what must never be, logged.
func LogText(logs *observer.ObservedLogs) string {
	var b strings.Builder
	for _, entry := range logs.All() {
		fmt.Fprintln(&b, entry.Message, entry.ContextMap())
	}
	return b.String()
}

// AssertThrottledOnceThenServed collects e's only target, whose upstream
// answers one 429 with Retry-After: 1 and then succeeds: the target is up,
// the answer came after the Retry-After, and exactly one throttled retry
// of provider was counted in reg.
func AssertThrottledOnceThenServed(t *testing.T, e *collector.Exporter, reg *prometheus.Registry, provider string) {
	t.Helper()
	start := time.Now()
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatalf("not retried: %v", res.Err)
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("answered after %v: Retry-After 1 not respected", elapsed)
	}
	want := `
# HELP backup_exporter_api_retries_total Upstream requests retried, by reason (throttled, server_error, network).
# TYPE backup_exporter_api_retries_total counter
backup_exporter_api_retries_total{provider="` + provider + `",reason="throttled"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "backup_exporter_api_retries_total"); err != nil {
		t.Error(err)
	}
}

// GatherOnce collects every target of e once, as a scrape does.
func GatherOnce(b testing.TB, e *collector.Exporter) {
	b.Helper()
	mfs := Gather(b, e)
	if len(mfs) == 0 {
		b.Fatal("no metrics")
	}
}

// ResourceValue collects every target of e once and returns the value of
// metric in the series whose labels include labels (resource_name, say).
func ResourceValue(t testing.TB, e *collector.Exporter, metric string, labels map[string]string) (float64, bool) {
	t.Helper()
	return Value(t, Gatherer(e), metric, labels)
}

package providertest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/config"
)

var update = flag.Bool("update", false, "rewrite the golden files instead of comparing with them")

// Parse parses yml with the kinds of reg.
func Parse(t testing.TB, yml string, reg collector.Registry) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yml), "test.yml", reg.Config())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// NewExporter builds an Exporter from yml through config.Parse, as main
// does, with the provider kinds of reg.
func NewExporter(t testing.TB, yml string, reg collector.Registry, opts collector.Options) *collector.Exporter {
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
func BackupMetricNames(reg collector.Registry) []string {
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
func Golden(t *testing.T, e *collector.Exporter, reg collector.Registry, golden string) {
	t.Helper()
	path := filepath.Join("testdata", golden)
	names := BackupMetricNames(reg)
	if *update {
		if err := os.WriteFile(path, []byte(ScrapeText(t, e, names...)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := e.Collector(context.Background(), e.Targets())
	if err := testutil.CollectAndCompare(c, f, names...); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
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

// Gather collects every target of e once, as a scrape does, through a
// pedantic registry.
func Gather(t testing.TB, e *collector.Exporter) []*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e.Collector(context.Background(), e.Targets()))
	mfs, err := reg.Gather()
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
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e.Collector(context.Background(), e.Targets()))
	return Value(t, reg, metric, labels)
}

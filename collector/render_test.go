package collector

import (
	"bytes"
	"compress/gzip"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

var update = flag.Bool("update", false, "rewrite the golden files instead of comparing with them")

// testCredential is an astra: block with a token, as the test files have.
var testCredential = config.CredentialType{Name: "astra", NewSpec: func() config.CredentialSpec { return &testCredentialSpec{} }}

type testCredentialSpec struct {
	APIToken string `yaml:"api_token"`
}

func (*testCredentialSpec) Validate(*config.Validator) error { return nil }

// testSpec is a provider spec without keys.
type testSpec struct{}

func (*testSpec) Validate(*config.Validator) error { return nil }

var famTestCounter = toolkit.NewFamily("backup_test_bytes_total", "A provider's own counter.", prometheus.CounterValue)

// testKind serves resources from a function, so that the exposition of
// every kind of series can be compared between the two output paths.
func testKind(resources func() []toolkit.Resource) toolkit.Type {
	return toolkit.Type{
		TargetType: config.TargetType{Name: "test", Credential: testCredential, NewSpec: func() config.TargetSpec { return &testSpec{} }},
		Families:   []*toolkit.Family{famTestCounter},
		New: func(*config.Target, *toolkit.Env) (toolkit.Provider, error) {
			return pollFunc(func(context.Context) ([]toolkit.Resource, error) { return resources(), nil }), nil
		},
	}
}

// testExporter builds an exporter of targets of kind: each a name, or
// the keys of its flow mapping ("name: a, static_labels: {x: y}").
func testExporter(t *testing.T, kind toolkit.Type, global string, targets ...string) *Exporter {
	t.Helper()
	yml := "global: {" + global + "}\ncredentials: [{name: c, astra: {api_token: x}}]\ntargets:\n"
	for _, target := range targets {
		if !strings.Contains(target, ":") {
			target = "name: " + target
		}
		yml += "  - {" + target + ", type: test, credential: c}\n"
	}
	reg := toolkit.Registry{kind}
	cfg, err := config.Parse([]byte(yml), "test.yml", reg.Config())
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg, Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	return e
}

func richResources() []toolkit.Resource {
	now := time.Date(2026, 11, 30, 1, 2, 3, 456000000, time.UTC)
	return []toolkit.Resource{
		{ID: "b", Name: `quote " backslash \ newline` + "\n", Protected: true, Healthy: false, LastSuccess: now, LastFailure: now,
			Counts: map[toolkit.State]int{toolkit.StateSucceeded: 3, toolkit.StateRunning: 1},
			Latest: &toolkit.Backup{Name: "daily", RawStatus: "Running", State: toolkit.StateRunning, Start: now, Progress: toolkit.Float(0.25),
				Transferred: toolkit.Float(1e12), Size: toolkit.Float(0), Error: &toolkit.ErrorInfo{Code: "E1", Message: "ünïcode and \"quotes\""}},
			Extra: famTestCounter.Value(toolkit.Float(123456789012))},
		{ID: "a", Name: "unprotected"},
		{ID: "c", Name: "never", Protected: true, Healthy: true, NoSuccessListed: true, Counts: map[toolkit.State]int{}},
	}
}

func parseExposition(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("exposition does not parse: %v", err)
	}
	delete(mfs, "backup_exporter_target_duration_seconds") // differs between scrapes
	for _, mf := range mfs {
		sort.Slice(mf.Metric, func(i, j int) bool { return mf.Metric[i].String() < mf.Metric[j].String() })
	}
	return mfs
}

// TestRenderedExpositionGolden: what the server writes for every kind of
// series (rendered once per poll, plain and gzip) is testdata/rich.prom,
// byte for byte but for this scrape's durations. The golden was written
// by the client_golang path this exposition replaced (const metrics
// gathered and encoded by expfmt), which the two paths were tested equal
// to; rewrite it with -update only for a change of the exposition.
func TestRenderedExpositionGolden(t *testing.T) {
	e := testExporter(t, testKind(richResources), "cache_ttl: 1h", "one", "two")
	var plain bytes.Buffer
	if err := e.WriteExposition(context.Background(), e.Targets(), nil, &plain, false, nil); err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	if err := e.WriteExposition(context.Background(), e.Targets(), nil, &zipped, true, nil); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&zipped)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	// This scrape's and poll's durations and times differ on every run.
	withoutDurations := func(b []byte) string {
		var keep []string
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(l, "backup_exporter_target_duration_seconds{") &&
				!strings.HasPrefix(l, "backup_exporter_target_poll_duration_seconds{") &&
				!strings.HasPrefix(l, "backup_exporter_target_last_success_timestamp_seconds{") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	golden := filepath.Join("testdata", "rich.prom")
	if *update {
		if err := os.WriteFile(golden, []byte(withoutDurations(plain.Bytes())), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := withoutDurations(plain.Bytes()); got != string(want) {
		t.Errorf("the exposition differs from %s:\n%s", golden, got)
	}
	if withoutDurations(unzipped) != withoutDurations(plain.Bytes()) {
		t.Error("gzip and plain outputs differ")
	}
	// Each family once (the text format's rule), its lines together.
	if n := strings.Count(plain.String(), "# TYPE backup_state "); n != 1 {
		t.Errorf("backup_state has %d TYPE lines", n)
	}
	parseExposition(t, bytes.NewReader(plain.Bytes()))
}

// TestRenderedValidForPrometheus: the output lints clean, escapes labels
// and keeps model-valid names.
func TestRenderedValidForPrometheus(t *testing.T) {
	e := testExporter(t, testKind(richResources), "cache_ttl: 0", "one")
	var out bytes.Buffer
	if err := e.WriteExposition(context.Background(), e.Targets(), nil, &out, false, nil); err != nil {
		t.Fatal(err)
	}
	mfs := parseExposition(t, bytes.NewReader(out.Bytes()))
	for name := range mfs {
		if !model.LegacyValidation.IsValidMetricName(name) {
			t.Errorf("invalid name %q", name)
		}
	}
	if !strings.Contains(out.String(), `resource_name="quote \" backslash \\ newline\n"`) {
		t.Errorf("label value not escaped:\n%s", out.String())
	}
}

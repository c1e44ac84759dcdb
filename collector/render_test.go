package collector

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/backup-exporter/backup_exporter/config"
)

// testSpec is a provider spec without keys.
type testSpec struct{}

func (*testSpec) Validate(*config.Validator) error { return nil }

var famTestCounter = NewFamily("backup_test_bytes_total", "A provider's own counter.", prometheus.CounterValue)

// testKind serves resources from a function, so that the exposition of
// every kind of series can be compared between the two output paths.
func testKind(resources func() []Resource) Kind {
	return Kind{
		Kind:     config.Kind{Type: "test", Credential: config.CredentialAstra, NewSpec: func() config.TargetSpec { return &testSpec{} }},
		Families: []*Family{famTestCounter},
		New: func(*config.Target, *Env) (Provider, error) {
			return pollFunc(func(context.Context) ([]Resource, error) { return resources(), nil }), nil
		},
	}
}

func testExporter(t *testing.T, kind Kind, global string, targets ...string) *Exporter {
	t.Helper()
	yml := "global: {" + global + "}\ncredentials: [{name: c, astra: {api_token: x}}]\ntargets:\n"
	for _, name := range targets {
		yml += "  - {name: " + name + ", type: test, credential: c}\n"
	}
	reg := Registry{kind}
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

func richResources() []Resource {
	now := time.Date(2026, 11, 30, 1, 2, 3, 456000000, time.UTC)
	return []Resource{
		{ID: "b", Name: `quote " backslash \ newline` + "\n", Protected: true, Healthy: false, LastSuccess: now, LastFailure: now,
			Counts: map[State]int{StateSucceeded: 3, StateRunning: 1},
			Latest: &Backup{Name: "daily", RawStatus: "Running", State: StateRunning, Start: now, Progress: Float(0.25),
				Transferred: Float(1e12), Size: Float(0), Error: &ErrorInfo{Code: "E1", Message: "ünïcode and \"quotes\""}},
			Extra: famTestCounter.Value(Float(123456789012))},
		{ID: "a", Name: "unprotected"},
		{ID: "c", Name: "never", Protected: true, Healthy: true, NoSuccessListed: true, Counts: map[State]int{}},
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

// TestRenderedExpositionMatchesCollector: what the server writes (rendered
// once per poll, plain and gzip) is what the client_golang path gathers.
func TestRenderedExpositionMatchesCollector(t *testing.T) {
	e := testExporter(t, testKind(richResources), "cache_ttl: 1h", "one", "two")
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e.Collector(context.Background(), e.Targets()))
	gathered, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	for _, mf := range gathered {
		if _, err := expfmt.MetricFamilyToText(&want, mf); err != nil {
			t.Fatal(err)
		}
	}
	wantFamilies := parseExposition(t, &want)

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
	for name, out := range map[string][]byte{"plain": plain.Bytes(), "gzip": unzipped} {
		got := parseExposition(t, bytes.NewReader(out))
		if len(got) != len(wantFamilies) {
			t.Errorf("%s: %d families, want %d", name, len(got), len(wantFamilies))
		}
		for fam, w := range wantFamilies {
			if g := got[fam]; g == nil || g.String() != w.String() {
				t.Errorf("%s: family %s\n got: %v\nwant: %v", name, fam, g, w)
			}
		}
		// Each family once (the text format's rule), its lines together.
		if n := strings.Count(string(out), "# TYPE backup_state "); n != 1 {
			t.Errorf("%s: backup_state has %d TYPE lines", name, n)
		}
	}
	// Byte for byte the same, but for this scrape's durations.
	withoutDurations := func(b []byte) string {
		var keep []string
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(l, "backup_exporter_target_duration_seconds{") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if withoutDurations(plain.Bytes()) != withoutDurations(unzipped) {
		t.Error("gzip and plain outputs differ")
	}
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

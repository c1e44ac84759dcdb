package docs

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers"
)

// TestMetricsReferenceUpToDate: docs/metrics.md is what the registered
// families, the providers' state tables and the template give now.
func TestMetricsReferenceUpToDate(t *testing.T) {
	want, err := MetricsReference(providers.All())
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/metrics.md differs from a fresh generation: run `go generate ./docs` and commit the result")
	}
}

// TestMetricsReferenceListsEveryFamily: every family the exporter
// registers has its row, and every provider its state table, whatever the
// template does.
func TestMetricsReferenceListsEveryFamily(t *testing.T) {
	b, err := MetricsReference(providers.All())
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, m := range collector.Catalog(providers.All()) {
		if !strings.Contains(doc, "| `"+m.Name+"` | "+m.Type+" | ") || !strings.Contains(doc, m.Help) {
			t.Errorf("%s (%s): no row with its type and HELP", m.Name, m.Type)
		}
	}
	for _, k := range providers.All() {
		for raw, s := range k.States[0].Table {
			shown := regexp.QuoteMeta(raw)
			if raw == "" {
				shown = `""`
			}
			if !regexp.MustCompile("\\| `" + k.Name + "` \\| [^\n]*" + string(s) + " ← [^\n;]*`" + shown + "`").MatchString(doc) {
				t.Errorf("%s: no row mapping %q to %s", k.Name, raw, s)
			}
		}
	}
}

// sample is a series line of an exposition: its family and provider.
var sample = regexp.MustCompile(`^([a-z_]+)\{.*provider="([a-z_]+)"`)

// TestFilledByMatchesGoldens: the reference claims a family for every
// provider the providers' golden expositions show it for, and it knows
// every per-resource family of the catalog.
func TestFilledByMatchesGoldens(t *testing.T) {
	reg := providers.All()
	types := reg.Types()
	own := map[string]bool{}
	for _, k := range reg {
		for _, f := range k.Families {
			own[f.Name] = true
		}
	}
	resource := map[string]bool{}
	for _, m := range collector.Catalog(reg) {
		if strings.HasPrefix(m.Name, "backup_exporter_") {
			continue
		}
		resource[m.Name] = true
		if filledBy[m.Name] == nil && !own[m.Name] {
			t.Errorf("%s: filledBy does not say which providers fill it", m.Name)
		}
	}
	for name, ps := range filledBy {
		if !resource[name] {
			t.Errorf("filledBy lists %s, which the exporter does not register", name)
		}
		for _, p := range ps {
			if p != everyProvider && !slices.Contains(types, p) {
				t.Errorf("filledBy[%s] names %q, not a registered provider", name, p)
			}
		}
	}
	goldens, _ := filepath.Glob("../collector/providers/*/testdata/*.prom")
	if len(goldens) < len(types) {
		t.Fatalf("only %d golden expositions found", len(goldens))
	}
	for _, g := range goldens {
		f, err := os.Open(g)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			m := sample.FindStringSubmatch(sc.Text())
			if m == nil || !resource[m[1]] || own[m[1]] {
				continue
			}
			if ps := filledBy[m[1]]; !slices.Contains(ps, everyProvider) && !slices.Contains(ps, m[2]) {
				t.Errorf("%s: %s has a %s sample, but docs/metrics.md says %v fill it", g, m[2], m[1], ps)
			}
		}
		f.Close()
	}
}

package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers"
)

const rulesFile = "../deploy/prometheus/rules.yml"

// ---------------------------------------------------------------------------
// The metrics the exporter exposes.

// allowedMetrics is every metric name a dashboard or rule may use:
// collector.Catalog() of the real providers (read off the descriptors the
// exporter registers), the _bucket/_sum/_count series of its histograms,
// the recording rules of rules.yml, and Prometheus's own `up`.
func allowedMetrics(t *testing.T) map[string]string {
	t.Helper()
	allowed := map[string]string{"up": "Prometheus scrape health"}
	for _, m := range collector.Catalog(providers.All()) {
		allowed[m.Name] = "collector.Catalog()"
		if m.Type == "histogram" {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				allowed[m.Name+suffix] = "series of histogram " + m.Name
			}
		}
	}
	for _, r := range loadRules(t).all() {
		if r.Record != "" {
			allowed[r.Record] = "recording rule"
		}
	}
	return allowed
}

// TestCatalogHasTheRegisteredMetrics checks the catalog against metrics
// the contract names, so that a catalog that lost its self-metrics (or a
// provider's families) fails here rather than letting every query pass.
func TestCatalogHasTheRegisteredMetrics(t *testing.T) {
	allowed := allowedMetrics(t)
	for _, name := range []string{
		"backup_healthy", "backup_mirror_state", "backup_relationship_status", "backup_transfer_bytes_total",
		"backup_exporter_target_up", "backup_exporter_api_requests_total", "backup_exporter_api_request_duration_seconds_bucket",
		"backup_exporter_api_retries_total", "backup_exporter_azure_ratelimit_remaining_reads",
		"backup_exporter_cache_hits_total", "backup_exporter_config_last_reload_successful", "backup_exporter_build_info",
	} {
		if _, ok := allowed[name]; !ok {
			t.Errorf("%s is not in collector.Catalog()", name)
		}
	}
}

// TestUnknownMetricIsRejected makes sure the query check can fail.
func TestUnknownMetricIsRejected(t *testing.T) {
	allowed := allowedMetrics(t)
	got, err := unknownMetrics(`sum(backup_healthy) / sum(backup_exporter_made_up_total)`, allowed)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"backup_exporter_made_up_total"}) {
		t.Errorf("unknown metrics = %v, want the made-up one", got)
	}
}

// ---------------------------------------------------------------------------
// PromQL.

var (
	// Grafana's interval variables, replaced by a valid duration or number.
	grafanaIntervals = regexp.MustCompile(`\$\{?(__rate_interval|__interval_ms|__interval|__range_ms|__range_s|__range)\}?`)
	// Any other variable: $name, ${name}, ${name:format}, [[name]].
	grafanaVariable = regexp.MustCompile(`\$\{[A-Za-z0-9_]+(?::[A-Za-z0-9_]+)?\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[A-Za-z0-9_]+\]\]`)
)

// substitute replaces Grafana's variables with placeholders that PromQL
// accepts where those variables may stand.
func substitute(expr string) string {
	expr = grafanaIntervals.ReplaceAllStringFunc(expr, func(v string) string {
		switch strings.Trim(v, "${}") {
		case "__interval_ms", "__range_ms":
			return "300000"
		case "__range_s":
			return "300"
		default:
			return "5m"
		}
	})
	return grafanaVariable.ReplaceAllString(expr, "placeholder")
}

// metricNames parses expr and returns the metric names of its selectors.
func metricNames(expr string) ([]string, error) {
	parsed, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	var inspectErr error
	parser.Inspect(parsed, func(node parser.Node, _ []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		if name == "" {
			for _, m := range vs.LabelMatchers {
				if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
					name = m.Value
				}
			}
		}
		if name == "" {
			inspectErr = fmt.Errorf("selector %s names no metric", vs)
			return inspectErr
		}
		names = append(names, name)
		return nil
	})
	return names, inspectErr
}

// checkExpr parses expr (after Grafana substitution) and checks its metrics.
func checkExpr(t *testing.T, where, expr string, allowed map[string]string) {
	t.Helper()
	names, err := metricNames(substitute(expr))
	if err != nil {
		t.Errorf("%s: %q does not parse: %v", where, expr, err)
		return
	}
	if len(names) == 0 && !strings.Contains(expr, "vector(") && !strings.Contains(expr, "time()") {
		t.Errorf("%s: %q names no metric", where, expr)
	}
	unknown, _ := unknownMetrics(expr, allowed)
	for _, n := range unknown {
		t.Errorf("%s: %q uses %s, which the exporter does not expose (not in collector.Catalog() or rules.yml)", where, expr, n)
	}
}

// unknownMetrics returns the metrics expr names that allowed lacks.
func unknownMetrics(expr string, allowed map[string]string) ([]string, error) {
	names, err := metricNames(substitute(expr))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if _, ok := allowed[n]; !ok {
			out = append(out, n)
		}
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// rules.yml.

type rule struct {
	Record      string            `yaml:"record"`
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

func (f ruleFile) all() []rule {
	var out []rule
	for _, g := range f.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

func loadRules(t *testing.T) ruleFile {
	t.Helper()
	data, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	return f
}

func TestRulesUseExposedMetrics(t *testing.T) {
	allowed := allowedMetrics(t)
	f := loadRules(t)
	var groups []string
	for _, g := range f.Groups {
		groups = append(groups, g.Name)
		for _, r := range g.Rules {
			name := r.Record + r.Alert
			if name == "" || strings.TrimSpace(r.Expr) == "" {
				t.Errorf("group %s: rule without name or expression", g.Name)
				continue
			}
			checkExpr(t, g.Name+"/"+name, r.Expr, allowed)
		}
	}
	for _, want := range []string{"backup_exporter.rules", "backup_exporter.alerts"} {
		if !slices.Contains(groups, want) {
			t.Errorf("rules.yml has no group %s (has %v)", want, groups)
		}
	}
}

func TestAlertsAreDocumented(t *testing.T) {
	runbook, err := os.ReadFile("../deploy/prometheus/runbook.md")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"BackupUnhealthy", "BackupFailed", "BackupStale", "BackupStuck", "BackupUnprotected",
		"BackupMirrorBroken", "BackupExporterTargetDown", "BackupExporterDown", "BackupExporterThrottled"}
	seen := map[string]bool{}
	for _, r := range loadRules(t).all() {
		if r.Alert == "" {
			continue
		}
		seen[r.Alert] = true
		if s := r.Labels["severity"]; s != "critical" && s != "warning" {
			t.Errorf("%s: severity %q, want critical or warning", r.Alert, s)
		}
		if r.For == "" {
			t.Errorf("%s: no for: duration", r.Alert)
		}
		for _, a := range []string{"summary", "description"} {
			if r.Annotations[a] == "" {
				t.Errorf("%s: no %s annotation", r.Alert, a)
			}
		}
		url := "https://github.com/backup-exporter/backup_exporter/blob/main/deploy/prometheus/runbook.md#" + strings.ToLower(r.Alert)
		if r.Annotations["runbook_url"] != url {
			t.Errorf("%s: runbook_url %q, want %q", r.Alert, r.Annotations["runbook_url"], url)
		}
		if !regexp.MustCompile(`(?m)^## ` + r.Alert + `\s*$`).Match(runbook) {
			t.Errorf("runbook.md has no section \"## %s\"", r.Alert)
		}
	}
	for _, a := range want {
		if !seen[a] {
			t.Errorf("rules.yml has no alert %s", a)
		}
	}
}

// ---------------------------------------------------------------------------
// Dashboards.

type panel struct {
	ID          int             `json:"id"`
	Type        string          `json:"type"`
	Title       string          `json:"title"`
	Datasource  json.RawMessage `json:"datasource"`
	FieldConfig *struct {
		Defaults map[string]any `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// Panels that show no numbers, so need no unit.
var unitless = map[string]bool{"row": true, "text": true, "news": true, "dashlist": true, "alertlist": true}

var labelValues = regexp.MustCompile(`^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$`)

func dashboardFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no dashboard found")
	}
	return files
}

func TestDashboards(t *testing.T) {
	allowed := allowedMetrics(t)
	uids := map[string]string{}
	for _, file := range dashboardFiles(t) {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var d dashboard
			if err := json.Unmarshal(data, &d); err != nil {
				t.Fatalf("invalid JSON: %v", err)
			}
			if d.Title == "" || d.UID == "" {
				t.Errorf("title %q, uid %q: both are needed", d.Title, d.UID)
			}
			if other, ok := uids[d.UID]; ok {
				t.Errorf("uid %q also used by %s", d.UID, other)
			}
			uids[d.UID] = file
			if d.SchemaVersion < 39 {
				t.Errorf("schemaVersion %d, want >= 39", d.SchemaVersion)
			}
			checkVariables(t, d, allowed)

			exprs := 0
			var walk func(ps []panel)
			walk = func(ps []panel) {
				for _, p := range ps {
					walk(p.Panels)
					where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
					if unitless[p.Type] {
						continue
					}
					if p.FieldConfig == nil || p.FieldConfig.Defaults["unit"] == nil || p.FieldConfig.Defaults["unit"] == "" {
						t.Errorf("%s: no fieldConfig.defaults.unit", where)
					}
					var ds struct{ Type, UID string }
					if err := json.Unmarshal(p.Datasource, &ds); err != nil || ds.Type != "prometheus" || ds.UID != "${datasource}" {
						t.Errorf("%s: datasource %s, want the $datasource variable", where, p.Datasource)
					}
					if len(p.Targets) == 0 {
						t.Errorf("%s: no query", where)
					}
					for _, tg := range p.Targets {
						exprs++
						checkExpr(t, where+" query "+tg.RefID, tg.Expr, allowed)
					}
				}
			}
			walk(d.Panels)
			if exprs == 0 {
				t.Error("no PromQL expression")
			}
		})
	}
}

func checkVariables(t *testing.T, d dashboard, allowed map[string]string) {
	t.Helper()
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		var query string
		if err := json.Unmarshal(v.Query, &query); err != nil {
			var q struct{ Query string }
			if err := json.Unmarshal(v.Query, &q); err != nil {
				t.Errorf("variable %s: unreadable query %s", v.Name, v.Query)
				continue
			}
			query = q.Query
		}
		switch v.Type {
		case "datasource":
			if v.Name == "datasource" && query != "prometheus" {
				t.Errorf("variable datasource: query %q, want prometheus", query)
			}
		case "query":
			m := labelValues.FindStringSubmatch(query)
			if m == nil {
				checkExpr(t, "variable "+v.Name, query, allowed)
				continue
			}
			checkExpr(t, "variable "+v.Name, m[1], allowed)
		}
		if v.Name == "datasource" && v.Type != "datasource" {
			t.Errorf("variable datasource has type %q, want datasource", v.Type)
		}
	}
	for _, want := range []string{"datasource", "provider", "target", "resource_name"} {
		if !vars[want] {
			t.Errorf("no templating variable %q", want)
		}
	}
}

func TestSubstitute(t *testing.T) {
	for in, want := range map[string]string{
		`rate(x{a=~"$provider"}[$__rate_interval])`:      `rate(x{a=~"placeholder"}[5m])`,
		`rate(x{a=~"${target}"}[${__interval}])`:         `rate(x{a=~"placeholder"}[5m])`,
		`x{a=~"${target:regex}",b="[[v]]"} / $__range_s`: `x{a=~"placeholder",b="placeholder"} / 300`,
		`increase(x[$__range])`:                          `increase(x[5m])`,
	} {
		if got := substitute(in); got != want {
			t.Errorf("substitute(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckExprRejectsUnknownMetrics(t *testing.T) {
	allowed := map[string]string{"backup_healthy": ""}
	for expr, ok := range map[string]bool{
		`backup_healthy == 0`:         true,
		`backup_helthy == 0`:          false,
		`{__name__="backup_healthy"}`: true,
		`{__name__=~"backup_.*"}`:     false,
		`sum(rate(backup_healthy[5m]`: false,
		`sum by (x) (backup_healthy)`: true,
	} {
		names, err := metricNames(expr)
		good := err == nil
		for _, n := range names {
			if _, known := allowed[n]; !known {
				good = false
			}
		}
		if good != ok {
			t.Errorf("%q: accepted %v, want %v (names %v, err %v)", expr, good, ok, names, err)
		}
	}
}

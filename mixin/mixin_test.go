package mixin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-jsonnet"
	"github.com/prometheus/prometheus/promql/parser"
)

// The tests run in the mixin directory; the repository root is its parent.
const (
	root    = ".."
	runbook = "../deploy/prometheus/runbook.md"
)

// TestGeneratedFilesUpToDate fails when a file generated from the mixin
// (rules.yml, the dashboards) differs from the committed one. The
// PrometheusRule and the chart's rules.yml are deploy/deploy_test.go's.
func TestGeneratedFilesUpToDate(t *testing.T) {
	files, err := Files(".")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("%s: %v: run `go generate ./mixin/...`", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the mixin's output (%s): edit the mixin, not the file, and run `go generate ./mixin/...`", name, firstDifference(got, want))
		}
	}
	committed, err := filepath.Glob(filepath.Join(root, DashboardsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range committed {
		if _, ok := files[DashboardsDir+"/"+filepath.Base(f)]; !ok {
			t.Errorf("%s is not a dashboard of the mixin: add it to grafanaDashboards or remove it (`go generate ./mixin/...` removes it)", f)
		}
	}
}

// firstDifference describes the first line where got and want differ.
func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d is %q, the mixin gives %q", i+1, gl, wl)
		}
	}
	return "same lines"
}

// eval evaluates a Jsonnet expression in which mixin is the mixin (plus
// overlay) and decodes its JSON.
func eval(t *testing.T, overlay, expr string) any {
	t.Helper()
	if overlay == "" {
		overlay = "{}"
	}
	vm := jsonnet.MakeVM()
	vm.Importer(&jsonnet.FileImporter{JPaths: []string{"."}})
	js, err := vm.EvaluateAnonymousSnippet("test.jsonnet", fmt.Sprintf("local mixin = (import 'mixin.libsonnet') + (%s);\n%s", overlay, expr))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

type rule struct {
	Record      string            `json:"record"`
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type group struct {
	Name  string `json:"name"`
	Rules []rule `json:"rules"`
}

// groups returns the groups of mixin.prometheusRules or prometheusAlerts.
func groups(t *testing.T, overlay, field string) []group {
	t.Helper()
	b, err := json.Marshal(eval(t, overlay, "mixin."+field+".groups"))
	if err != nil {
		t.Fatal(err)
	}
	var gs []group
	if err := json.Unmarshal(b, &gs); err != nil {
		t.Fatal(err)
	}
	if len(gs) == 0 {
		t.Fatalf("%s has no group", field)
	}
	return gs
}

// runbookAnchors returns the GitHub anchors of the headings of runbook.md.
func runbookAnchors(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(runbook)
	if err != nil {
		t.Fatal(err)
	}
	drop := regexp.MustCompile(`[^a-z0-9 _-]`)
	anchors := map[string]bool{}
	for line := range strings.Lines(string(data)) {
		if h, ok := strings.CutPrefix(line, "#"); ok {
			h = strings.TrimSpace(strings.TrimLeft(h, "#"))
			anchors[strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(h), ""), " ", "-")] = true
		}
	}
	return anchors
}

// TestAlertsLint is mixtool lint's check of the alerts, and more: every
// alert has a for:, a severity label, summary, description and runbook_url
// annotations, its runbook_url points at a section of runbook.md, and its
// expression parses; prometheusAlerts holds only alerts, prometheusRules
// only recording rules.
func TestAlertsLint(t *testing.T) {
	anchors := runbookAnchors(t)
	names := map[string]bool{}
	for _, g := range groups(t, "", "prometheusAlerts") {
		if g.Name == "" {
			t.Error("prometheusAlerts: a group has no name")
		}
		for _, r := range g.Rules {
			if r.Alert == "" || r.Record != "" {
				t.Errorf("group %s: %q/%q is not an alert", g.Name, r.Alert, r.Record)
				continue
			}
			if names[r.Alert] {
				t.Errorf("%s: two alerts of that name", r.Alert)
			}
			names[r.Alert] = true
			if !regexp.MustCompile(`^[A-Z][A-Za-z0-9]+$`).MatchString(r.Alert) {
				t.Errorf("%s: alert names are CamelCase", r.Alert)
			}
			if r.For == "" {
				t.Errorf("%s: no for:", r.Alert)
			}
			if s := r.Labels["severity"]; !slices.Contains([]string{"critical", "warning", "info"}, s) {
				t.Errorf("%s: severity label %q, want critical, warning or info", r.Alert, s)
			}
			for _, a := range []string{"summary", "description", "runbook_url"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s: no %s annotation", r.Alert, a)
				}
			}
			url := r.Annotations["runbook_url"]
			const base = "https://github.com/backup-exporter/backup_exporter/blob/main/deploy/prometheus/runbook.md#"
			if anchor, ok := strings.CutPrefix(url, base); !ok || !anchors[anchor] {
				t.Errorf("%s: runbook_url %q is not %s<anchor of a section of runbook.md>", r.Alert, url, base)
			} else if anchor != strings.ToLower(r.Alert) {
				t.Errorf("%s: runbook_url points at #%s, not at the alert's own section", r.Alert, anchor)
			}
			checkRuleExpr(t, r.Alert, r.Expr)
		}
	}
	if len(names) == 0 {
		t.Error("prometheusAlerts has no alert")
	}
}

func TestRecordingRulesLint(t *testing.T) {
	n := 0
	for _, g := range groups(t, "", "prometheusRules") {
		if g.Name == "" {
			t.Error("prometheusRules: a group has no name")
		}
		for _, r := range g.Rules {
			if r.Record == "" || r.Alert != "" {
				t.Errorf("group %s: %q/%q is not a recording rule", g.Name, r.Record, r.Alert)
				continue
			}
			n++
			if !regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`).MatchString(r.Record) || !strings.Contains(r.Record, ":") {
				t.Errorf("%s: not a level:metric:operations name", r.Record)
			}
			checkRuleExpr(t, r.Record, r.Expr)
		}
	}
	if n == 0 {
		t.Error("prometheusRules has no recording rule")
	}
}

func checkRuleExpr(t *testing.T, name, expr string) {
	t.Helper()
	if strings.TrimSpace(expr) == "" {
		t.Errorf("%s: no expr", name)
		return
	}
	if _, err := parser.NewParser(parser.Options{}).ParseExpr(expr); err != nil {
		t.Errorf("%s: expr does not parse: %v\n%s", name, err, expr)
	}
}

// grafanaVariable is a Grafana variable in a query: $__rate_interval and
// the like become a duration, any other ($provider) a label value.
var (
	grafanaInterval = regexp.MustCompile(`\$\{?__(rate_interval|interval|range)\}?`)
	grafanaVariable = regexp.MustCompile(`\$\{?[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?\}?`)
)

type panel struct {
	ID         *int            `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource json.RawMessage `json:"datasource"`
	Targets    []struct {
		Expr       string          `json:"expr"`
		RefID      string          `json:"refId"`
		Datasource json.RawMessage `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// usesDatasourceVariable reports whether raw is {"type": "prometheus",
// "uid": "${datasource}"}, as every panel and query of the dashboards.
func usesDatasourceVariable(raw json.RawMessage) bool {
	var ds struct{ Type, UID string }
	return json.Unmarshal(raw, &ds) == nil && ds.Type == "prometheus" && ds.UID == "${datasource}"
}

// TestDashboardsLint checks every dashboard: a uid (unique) and a title,
// the datasource variable, unique panel ids, and panels whose queries all
// have a PromQL expression that parses and use the $datasource variable.
func TestDashboardsLint(t *testing.T) {
	for _, overlay := range []string{"", ownersOverlay} {
		lintDashboards(t, overlay)
	}
}

// lintDashboards is TestDashboardsLint of the mixin with overlay.
func lintDashboards(t *testing.T, overlay string) {
	t.Helper()
	out, err := Evaluate(".", overlay)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Dashboards) == 0 {
		t.Fatal("grafanaDashboards is empty")
	}
	uids := map[string]string{}
	for name, raw := range out.Dashboards {
		b, err := json.Marshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboard
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d.UID == "" || d.Title == "" {
			t.Errorf("%s: uid %q, title %q: both are needed", name, d.UID, d.Title)
		}
		if other, ok := uids[d.UID]; ok {
			t.Errorf("%s: uid %q also used by %s", name, d.UID, other)
		}
		uids[d.UID] = name
		hasDatasource := false
		for _, v := range d.Templating.List {
			if v.Name == "datasource" && v.Type == "datasource" && v.Query == "prometheus" {
				hasDatasource = true
			}
		}
		if !hasDatasource {
			t.Errorf("%s: no datasource variable of type datasource, query prometheus", name)
		}

		ids := map[int]string{}
		queries := 0
		var walk func([]panel)
		walk = func(ps []panel) {
			for _, p := range ps {
				walk(p.Panels)
				where := fmt.Sprintf("%s: panel %q", name, p.Title)
				if p.ID == nil {
					t.Errorf("%s: no id", where)
				} else if other, ok := ids[*p.ID]; ok {
					t.Errorf("%s: id %d also used by panel %q", where, *p.ID, other)
				} else {
					ids[*p.ID] = p.Title
				}
				if p.Title == "" {
					t.Errorf("%s: panel %v has no title", name, p.ID)
				}
				if p.Type == "row" || p.Type == "text" {
					continue
				}
				if !usesDatasourceVariable(p.Datasource) {
					t.Errorf("%s: datasource %s, want the $datasource variable", where, p.Datasource)
				}
				if len(p.Targets) == 0 {
					t.Errorf("%s: no query", where)
				}
				for _, tg := range p.Targets {
					queries++
					if strings.TrimSpace(tg.Expr) == "" {
						t.Errorf("%s: query %s has no expr", where, tg.RefID)
						continue
					}
					if !usesDatasourceVariable(tg.Datasource) {
						t.Errorf("%s: query %s: datasource %s, want the $datasource variable", where, tg.RefID, tg.Datasource)
					}
					expr := grafanaVariable.ReplaceAllString(grafanaInterval.ReplaceAllString(tg.Expr, "5m"), "placeholder")
					if _, err := parser.NewParser(parser.Options{}).ParseExpr(expr); err != nil {
						t.Errorf("%s: query %s does not parse: %v\n%s", where, tg.RefID, err, tg.Expr)
					}
				}
			}
		}
		walk(d.Panels)
		if queries == 0 {
			t.Errorf("%s: no query", name)
		}
	}
}

// strs returns every string and number of v, as text.
func strs(v any) []string {
	switch v := v.(type) {
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, strs(e)...)
		}
		return out
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, strs(e)...)
		}
		return out
	case string:
		return []string{v}
	case float64:
		return []string{fmt.Sprint(v)}
	}
	return nil
}

// TestConfigOverrides checks that the thresholds come from _config: with
// every tunable overridden, no default value is left in the rules, the
// alerts or the dashboards, and the new ones are where they belong.
func TestConfigOverrides(t *testing.T) {
	const overlay = `{ _config+:: {
		exporterSelector: 'job="backups"',
		staleFactor: 2,
		stuckWindow: '8h',
		stuckRunningLookback: '2h',
		throttledRetryWindow: '10m',
		azureReadsLeftThreshold: 50,
		runbookBaseURL: 'https://runbooks.example.com/backup',
		alertFor+: { BackupStale: '2h', BackupExporterTargetDown: '45m' },
		alertSeverity+: { BackupFailed: 'critical' },
	} }`
	out, err := Evaluate(".", overlay)
	if err != nil {
		t.Fatal(err)
	}
	all := strs(map[string]any{"groups": stripComments(out.Groups), "dashboards": out.Dashboards})
	for _, gone := range []string{"1.5", "6h", "6 hours", "[1h]", "[15m]", "remaining_reads < 100", "below 100", "backup_exporter.*", "github.com/backup-exporter", "30 minutes"} {
		for _, s := range all {
			if strings.Contains(s, gone) || (gone == "1.5" && s == "1.5") {
				t.Errorf("%q still in %q", gone, s)
			}
		}
	}
	if _, err := out.Files(); err != nil {
		t.Errorf("rendering the overridden mixin: %v", err)
	}

	alerts := map[string]rule{}
	for _, g := range groups(t, overlay, "prometheusAlerts") {
		for _, r := range g.Rules {
			alerts[r.Alert] = r
			checkRuleExpr(t, r.Alert, r.Expr)
			if !strings.HasPrefix(r.Annotations["runbook_url"], "https://runbooks.example.com/backup#") {
				t.Errorf("%s: runbook_url %q", r.Alert, r.Annotations["runbook_url"])
			}
		}
	}
	for name, wants := range map[string][]string{
		"BackupStale":              {"2 * backup_expected_interval_seconds", "more than 2 times"},
		"BackupStuck":              {"[8h]", "[2h] offset 8h", "more than 8 hours"},
		"BackupExporterDown":       {`up{job="backups"} == 0`, `absent(up{job="backups"})`, `(job="backups")`},
		"BackupExporterThrottled":  {"[10m]", "remaining_reads < 50"},
		"BackupExporterTargetDown": {"for 45 minutes"},
	} {
		r := alerts[name]
		text := r.Expr + r.Annotations["description"]
		for _, want := range wants {
			if !strings.Contains(text, want) {
				t.Errorf("%s: %q not in its expr or description:\n%s", name, want, text)
			}
		}
	}
	if alerts["BackupStale"].For != "2h" || alerts["BackupFailed"].Labels["severity"] != "critical" {
		t.Errorf("alertFor/alertSeverity not applied: BackupStale for %q, BackupFailed severity %q", alerts["BackupStale"].For, alerts["BackupFailed"].Labels["severity"])
	}
	for _, g := range groups(t, overlay, "prometheusRules") {
		for _, r := range g.Rules {
			if (r.Record == "backup:stale:bool" || r.Record == "backup:resources:count") && !strings.Contains(r.Expr, "> bool (2 * backup_expected_interval_seconds)") {
				t.Errorf("%s does not use staleFactor:\n%s", r.Record, r.Expr)
			}
		}
	}
	dashboards := strings.Join(strs(out.Dashboards), "\n")
	for _, want := range []string{`up{job="backups"}`, "(job backups)", "older than 2 x", "over 2 is stale", "below 50", "after 45 minutes down"} {
		if !strings.Contains(dashboards, want) {
			t.Errorf("dashboards: %q missing", want)
		}
	}
}

func TestHelpers(t *testing.T) {
	got := eval(t, "", `local u = import 'lib/utils.libsonnet'; [
		u.humanDuration('6h'), u.humanDuration('1h'), u.humanDuration('30m'), u.humanDuration('1d'), u.humanDuration('1h30m'), u.humanDuration('h'),
		u.describeSelector('job=~"backup_exporter.*"'), u.describeSelector('job="x"'), u.describeSelector('job="x",namespace="y"'),
	]`)
	want := []any{"6 hours", "1 hour", "30 minutes", "1 day", "1h30m", "h", "jobs matching backup_exporter.*", "job x", `up{job="x",namespace="y"}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestRenderRules checks the YAML of awkward values: what YAML would read
// as another type or not at all is quoted, and RenderRules's own check
// (the YAML decodes to the groups) passes.
func TestRenderRules(t *testing.T) {
	groups := []any{map[string]any{
		"name":     "g",
		"interval": "1m",
		"rules": []any{map[string]any{
			commentKey: "first\n\nsecond",
			"alert":    "A",
			"expr":     "  indented\nsecond\n",
			"for":      "5m",
			"labels":   map[string]any{"severity": "true", "team": "a: b", "n": "1", "empty": ""},
			"annotations": map[string]any{
				"summary": `say "hi" \ {{ $value }}`, "description": "two\nlines", "extra": "x",
			},
		}, map[string]any{"record": "r:x", "expr": "x # not a comment"}},
	}}
	b, err := RenderRules("head", groups)
	if err != nil {
		t.Fatal(err)
	}
	const want = `# head
groups:
  - name: g
    interval: 1m
    rules:
      # first
      #
      # second
      - alert: A
        expr: |2
            indented
          second
        for: 5m
        labels:
          empty: ""
          "n": "1"
          severity: "true"
          team: "a: b"
        annotations:
          summary: "say \"hi\" \\ {{ $value }}"
          description: |-
            two
            lines
          extra: "x"
      - record: r:x
        expr: "x # not a comment"
`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
}

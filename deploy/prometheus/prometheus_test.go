package prometheus_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/backup-exporter/backup_exporter/internal/tooltest"
)

// promtool returns the path of promtool. Without it the test is skipped,
// except in CI (CI=true), where a missing tool is a failure, never a
// silent skip; make test's last line names the skips. Install it with
// `apt-get install -y prometheus`.
func promtool(t *testing.T) string {
	t.Helper()
	return tooltest.Require(t, tooltest.Promtool)[0]
}

func run(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %v: %v\n%s", args, err, out)
	}
	t.Logf("promtool %v:\n%s", args, out)
}

func TestPromtoolCheckRules(t *testing.T) {
	run(t, "check", "rules", "rules.yml")
}

func TestPromtoolTestRules(t *testing.T) {
	run(t, "test", "rules", "rules_test.yml")
}

func TestPromtoolCheckConfig(t *testing.T) {
	// --syntax-only: the example's rule file is checked, its scrape
	// targets are not resolved.
	run(t, "check", "config", "--syntax-only", "prometheus.yml")
}

// TestEveryAlertHasFiringAndQuietCases checks that rules_test.yml has, for
// every alert of rules.yml, at least one case where it fires and one where
// it does not.
func TestEveryAlertHasFiringAndQuietCases(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	var tests struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	read(t, "rules.yml", &rules)
	read(t, "rules_test.yml", &tests)
	if !slices.Contains(tests.RuleFiles, "rules.yml") {
		t.Errorf("rules_test.yml does not load rules.yml: rule_files %v", tests.RuleFiles)
	}
	firing, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			if !firing[r.Alert] {
				t.Errorf("%s: no test case where it fires", r.Alert)
			}
			if !quiet[r.Alert] {
				t.Errorf("%s: no test case where it does not fire", r.Alert)
			}
		}
	}
	if n == 0 {
		t.Error("rules.yml has no alert")
	}
}

// TestExampleConfigUsesRelativeRules checks that prometheus.yml loads
// rules.yml by a relative path, so that it works from any checkout.
func TestExampleConfigUsesRelativeRules(t *testing.T) {
	var cfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName     string `yaml:"job_name"`
			MetricsPath string `yaml:"metrics_path"`
		} `yaml:"scrape_configs"`
	}
	read(t, "prometheus.yml", &cfg)
	if !slices.Contains(cfg.RuleFiles, "rules.yml") {
		t.Errorf("rule_files %v, want rules.yml (relative)", cfg.RuleFiles)
	}
	for _, f := range cfg.RuleFiles {
		if filepath.IsAbs(f) {
			t.Errorf("rule file %s is absolute", f)
		}
	}
	paths := map[string]string{}
	for _, s := range cfg.ScrapeConfigs {
		paths[s.MetricsPath] = s.JobName
	}
	for _, p := range []string{"/metrics", "/probe"} {
		if paths[p] == "" {
			t.Errorf("no scrape job for %s", p)
		}
	}
}

func read(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// TestScrapeIntervalsWithinLookback: the example scrapes every job at
// most every 2m, as the README advises: with no sample for 5m (the
// lookback) a series goes stale, so one failed scrape of a longer interval
// blanks the backup series and makes the alerts flap.
func TestScrapeIntervalsWithinLookback(t *testing.T) {
	var cfg struct {
		Global struct {
			ScrapeInterval model.Duration `yaml:"scrape_interval"`
		} `yaml:"global"`
		ScrapeConfigs []struct {
			JobName        string         `yaml:"job_name"`
			ScrapeInterval model.Duration `yaml:"scrape_interval"`
		} `yaml:"scrape_configs"`
	}
	read(t, "prometheus.yml", &cfg)
	if len(cfg.ScrapeConfigs) == 0 {
		t.Fatal("no scrape_configs")
	}
	for _, s := range cfg.ScrapeConfigs {
		interval := s.ScrapeInterval
		if interval == 0 {
			interval = cfg.Global.ScrapeInterval
		}
		if interval == 0 || time.Duration(interval) > 2*time.Minute {
			t.Errorf("job %s: scrape_interval %v, want at most 2m", s.JobName, interval)
		}
	}
}

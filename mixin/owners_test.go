package mixin

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/internal/tooltest"
)

// ownersOverlay sets the owner labels Alertmanager routes on.
const ownersOverlay = `{ _config+:: { ownerLabels: ['tag_team', 'label_team'] } }`

// perResourceAlerts are the alerts about one resource: those that carry
// its owner labels.
var perResourceAlerts = map[string]bool{
	"BackupFailed": true, "BackupUnhealthy": true, "BackupStale": true, "BackupStuck": true,
	"BackupUnprotected": true, "BackupMirrorBroken": true, "BackupRetentionShort": true,
}

// TestOwnerLabelsJoin: with ownerLabels, every alert about a resource
// joins backup_resource_info for them (and falls back to itself); the
// exporter's own alerts do not; without, no alert names the info metric.
func TestOwnerLabelsJoin(t *testing.T) {
	n := 0
	for _, g := range groups(t, ownersOverlay, "prometheusAlerts") {
		for _, r := range g.Rules {
			checkRuleExpr(t, r.Alert, r.Expr)
			joined := strings.Contains(r.Expr, "group_left (tag_team, label_team)") &&
				strings.Contains(r.Expr, "topk by (provider, target, resource_id) (1, backup_resource_info)") &&
				strings.Contains(r.Expr, "or on (provider, target, resource_id)")
			if joined != perResourceAlerts[r.Alert] {
				t.Errorf("%s: joined with the owner labels %v, want %v:\n%s", r.Alert, joined, perResourceAlerts[r.Alert], r.Expr)
			}
			if joined {
				n++
			}
		}
	}
	if n != len(perResourceAlerts) {
		t.Errorf("%d alerts joined, want %d", n, len(perResourceAlerts))
	}
	for _, g := range groups(t, "", "prometheusAlerts") {
		for _, r := range g.Rules {
			if strings.Contains(r.Expr, "backup_resource_info") {
				t.Errorf("%s names backup_resource_info with the default ownerLabels []", r.Alert)
			}
		}
	}
}

// TestOwnerLabelsPromtool runs testdata/owners_test.yml against the rules
// rendered with ownerLabels: the owner present, absent (no info series,
// or one without the label), two exporters serving one resource.
func TestOwnerLabelsPromtool(t *testing.T) {
	promtool := tooltest.Require(t, tooltest.Promtool)[0]
	out, err := Evaluate(".", ownersOverlay)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := RenderRules(out.Header, out.Groups)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tests, err := os.ReadFile(filepath.Join("testdata", "owners_test.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"rules.yml": rules, "owners_test.yml": tests} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"check", "rules", "rules.yml"}, {"test", "rules", "owners_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, b)
		}
	}
}

// TestOwnerLabelsDashboard: with ownerLabels, the Backups overview has a
// variable and a column per owner label, and every query of its
// Resources table leaves out the resources of other owners.
func TestOwnerLabelsDashboard(t *testing.T) {
	out, err := Evaluate(".", ownersOverlay)
	if err != nil {
		t.Fatal(err)
	}
	b, err := RenderDashboard(out.Dashboards["backups-overview.json"])
	if err != nil {
		t.Fatal(err)
	}
	d := string(b)
	for _, want := range []string{
		`"definition": "label_values(backup_resource_info{provider=~\"$provider\",target=~\"$target\"}, tag_team)"`,
		`"name": "label_team"`,
		`max by (provider, target, resource_id, resource_name, tag_team, label_team) (backup_resource_info{`,
		`"Owner (tag_team)"`,
	} {
		if !strings.Contains(d, want) {
			t.Errorf("the dashboard lacks %s", want)
		}
	}
	filter := `unless on (provider, target, resource_id) backup_resource_info{tag_team!~\"$tag_team\"} unless on (provider, target, resource_id) backup_resource_info{label_team!~\"$label_team\"})`
	if n := strings.Count(d, filter); n != 8 {
		t.Errorf("%d Resources queries filter by owner, want 8 (A to H)", n)
	}
	plain, err := Evaluate(".", "")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := RenderDashboard(plain.Dashboards["backups-overview.json"]); strings.Contains(string(b), "backup_resource_info") {
		t.Error("the default dashboard (ownerLabels []) names backup_resource_info")
	}
}

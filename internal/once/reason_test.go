package once

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// TestReasonSaysWhyUnhealthy: a resource unhealthy for a reason its state
// and error do not show (a disk of a CBR server backup in error, an ANF
// volume Azure calls unhealthy) has that reason in REASON, not a bare
// "unhealthy".
func TestReasonSaysWhyUnhealthy(t *testing.T) {
	cbr := toolkit.Summarize("srv-1", "ecs-app-02", []toolkit.Backup{{
		Name: "autobk_1c3e", State: toolkit.StateSucceeded, Start: now.Add(-3 * 3600e9), End: now.Add(-2 * 3600e9),
		Degraded: true, Reason: "part of the backup in error: ecs-app-02-data",
	}}, true)
	anf := toolkit.Resource{ID: "/vols/v", Name: "vol", Protected: true, State: toolkit.StateRunning, LastSuccess: now.Add(-3600e9),
		Reason: "Azure reports the volume's backup unhealthy: snapshot policy deleted"}
	bare := toolkit.Resource{ID: "x", Name: "bare", Protected: true, State: toolkit.StateSucceeded, LastSuccess: now.Add(-3600e9)}
	var out bytes.Buffer
	code := Report([]collector.Result{{Target: &collector.Target{Name: "t", Type: "test"}, Resources: []toolkit.Resource{cbr, anf, bare}}}, &out, Options{Format: FormatJSON, Now: now})
	if code != ExitNeedsAttention {
		t.Errorf("exit code %d", code)
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ecs-app-02": "part of the backup in error: ecs-app-02-data",
		"vol":        "Azure reports the volume's backup unhealthy: snapshot policy deleted",
		"bare":       "unhealthy",
	}
	for _, r := range rep.Targets[0].Resources {
		if r.Reason != want[r.Name] {
			t.Errorf("%s: reason %q, want %q", r.Name, r.Reason, want[r.Name])
		}
	}
}

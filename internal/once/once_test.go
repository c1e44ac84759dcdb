package once

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                               "0s",
		30 * time.Second:                "30s",
		45*time.Minute + 10*time.Second: "45m10s",
		3*time.Hour + 5*time.Minute:     "3h5m",
		26 * time.Hour:                  "1d2h",
		386*time.Hour + 19*time.Minute:  "16d2h",
		48 * time.Hour:                  "2d",
		time.Hour + 30*time.Second:      "1h",
		-90 * time.Minute:               "in 1h30m",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// results has one row of each kind the report tells apart.
func results() []collector.Result {
	mirror := collector.NewFamily("backup_mirror_state", "Mirror state.", prometheus.GaugeValue, "state")
	day := 24 * time.Hour
	ok := collector.Resource{ID: "/vols/ok", Name: "vol-ok", Protected: true, Healthy: true, State: collector.StateSucceeded, LastSuccess: now.Add(-26 * time.Hour), ExpectedInterval: 7 * day}
	return []collector.Result{
		{Target: &collector.Target{Name: "anf", Type: "azure_netapp_files"}, Resources: []collector.Resource{
			ok,
			{ID: "/vols/broken", Name: "vol-broken", Protected: true, Healthy: true, State: collector.StateSucceeded, LastSuccess: now.Add(-2 * time.Hour), ExpectedInterval: day,
				Extra: mirror.StateSet([]string{"Uninitialized", "Mirrored", "Broken"}, "Broken")},
			{ID: "/vols/none", Name: "vol-none"},
			{ID: "/vols/err", Name: "vol-err", Err: errors.New("get latest backup status: HTTP 500")},
		}},
		{Target: &collector.Target{Name: "astra", Type: "astra"}, Resources: []collector.Resource{
			{ID: "app-1", Name: "shop", Protected: true, Latest: &collector.Backup{Name: "b1", State: collector.StateFailed, Error: &collector.ErrorInfo{Code: "failed", Message: "Volume snapshot timed out"}},
				LastSuccess: now.Add(-50 * time.Hour), ExpectedInterval: day},
			{ID: "app-2", Name: "ledger", Protected: true, Latest: &collector.Backup{Name: "b2", State: collector.StateSucceeded, Error: &collector.ErrorInfo{Code: "hook_failed", Message: "pre-snapshot hook exited 1"}},
				LastSuccess: now.Add(-3 * time.Hour), ExpectedInterval: day},
			{ID: "app-3", Name: "new-app", Protected: true, Healthy: true, Latest: &collector.Backup{State: collector.StateRunning}, NoSuccessListed: true, ExpectedInterval: day},
		}},
		{Target: &collector.Target{Name: "cbr", Type: "huawei_cbr"}, Err: errors.New("list CBR backups: HTTP 401 Unauthorized:\n token expired")},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update to rewrite, then review):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestReportGoldens(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"table.golden", Options{Now: now}},
		{"terminal.golden", Options{Now: now, Color: true}},
		{"json.golden", Options{Now: now, Format: FormatJSON}},
	} {
		var b bytes.Buffer
		if code := Report(results(), &b, tc.opts); code != ExitTargetFailed {
			t.Errorf("%s: exit %d with a target down, want %d", tc.name, code, ExitTargetFailed)
		}
		golden(t, tc.name, b.Bytes())
	}
}

func TestExitCodes(t *testing.T) {
	all := results()
	healthyOnly := []collector.Result{{Target: all[0].Target, Resources: all[0].Resources[:1]}}
	attention := all[:2]
	for _, tc := range []struct {
		name    string
		results []collector.Result
		want    int
	}{
		{"every resource fine", healthyOnly, ExitOK},
		{"a resource needs attention", attention, ExitNeedsAttention},
		{"a target down", all, ExitTargetFailed},
	} {
		if got := Report(tc.results, &bytes.Buffer{}, Options{Now: now, Format: FormatJSON}); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

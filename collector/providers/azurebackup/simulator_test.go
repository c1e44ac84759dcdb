package azurebackup

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// series is one resource's value of a metric, by resource name.
func series(t *testing.T, e *collector.Exporter, metric, name string) (float64, bool) {
	t.Helper()
	return providertest.ResourceValue(t, e, metric, map[string]string{"resource_name": name})
}

// TestAzureSimulatorBackupDiscovery reads two generated vaults through
// azidentity and the ARM pipeline, every list paged by 7 (3 pages and
// more): every item is found, with the states the generator documents.
func TestAzureSimulatorBackupDiscovery(t *testing.T) {
	sim, ca := providertest.StartAzureBackup(t, 2, 20, 7)
	e := providertest.NewExporter(t, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0", "name: ab, type: azure_backup"), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	// 40 protected items and a NotProtected VM per vault.
	if n := len(res.Resources); n != 42 {
		t.Errorf("%d resources, want 42", n)
	}
	for _, r := range res.Resources {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Name, r.Err)
		}
	}
	for _, c := range []struct {
		metric, name string
		want         float64
	}{
		{"backup_protected", "new-vm-01", 0},
		{"backup_protected", "vm-0001", 1},
		{"backup_healthy", "vm-0001", 1},
		{"backup_healthy", "vm-0007", 0},                           // failing: the two newest jobs failed
		{"backup_last_success_timestamp_seconds", "share-0033", 0}, // IRPending: never backed up
	} {
		got, ok := series(t, e, c.metric, c.name)
		if !ok || got != c.want {
			t.Errorf("%s{resource_name=%q} = %v (found %v), want %v", c.metric, c.name, got, ok, c.want)
		}
	}
	if p, ok := series(t, e, "backup_progress_ratio", "vm-0004"); !ok || p <= 0 || p >= 1 {
		t.Errorf("progress of the in-progress vm-0004 = %v (found %v)", p, ok)
	}
	if ts, ok := series(t, e, "backup_last_success_timestamp_seconds", "vm-0001"); !ok || time.Since(time.Unix(int64(ts), 0)) > 50*time.Hour {
		t.Errorf("last success of vm-0001 = %v (found %v), want within two days", ts, ok)
	}
}

func TestAzureSimulatorBackupThrottled(t *testing.T) {
	sim, ca := providertest.StartAzureBackup(t, 1, 3, 0)
	if err := sim.AddFault(simulator.Fault{API: simulator.AzureAPI, Path: "backupProtectedItems$", Status: 429, RetryAfter: "1", Times: 1}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	e := providertest.NewExporter(t, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0", "name: ab, type: azure_backup, vault: rsv-01"), kinds,
		collector.Options{APIMetrics: upstream.NewMetrics(reg)})
	providertest.AssertThrottledOnceThenServed(t, e, reg, Name)
}

func TestAzureSimulatorBackupWrongSecret(t *testing.T) {
	sim, ca := providertest.StartAzureBackup(t, 1, 3, 0)
	const wrong = "not-the-secret-9f8e"
	e := providertest.NewExporter(t, providertest.AzureConfig(sim.URL(), ca, wrong, "cache_ttl: 0", "name: ab, type: azure_backup"), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil {
		t.Fatal("up with a wrong client secret")
	}
	if msg := res.Err.Error(); strings.Contains(msg, wrong) || !strings.Contains(msg, "Microsoft Entra refused a token") {
		t.Errorf("error: %s", msg)
	}
}

package azuredataprotection

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// live is the provider on the real clock, for the simulator's estates
// (generated up to now).
var live = toolkit.Registry{Type}

func value(t *testing.T, e *collector.Exporter, metric, name string) (float64, bool) {
	t.Helper()
	return providertest.ResourceValue(t, e, metric, map[string]string{"resource_name": name})
}

// TestAzureSimulatorDataProtectionDiscovery reads two generated Backup
// vaults of the simulator through azidentity and the ARM pipeline, every
// list paged by 7: every resource is found, with the states the generator
// documents; disk-00001, protected in both vaults, is one resource.
func TestAzureSimulatorDataProtectionDiscovery(t *testing.T) {
	sim, ca := providertest.StartDataProtection(t, 2, 20, 7)
	e := providertest.NewExporter(t, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0", "name: dp, type: azure_dataprotection"), live, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	// 40 instances and a second one of disk-00001.
	if n := len(res.Resources); n != 40 || res.ResourceErrors != 0 {
		t.Errorf("%d resources, %d errors; want 40, 0", n, res.ResourceErrors)
	}
	now := float64(time.Now().Unix())
	for _, c := range []struct {
		metric, name string
		want         func(v float64) bool
	}{
		{"backup_protected", "disk-00021", func(v float64) bool { return v == 0 }},
		{"backup_protected", "disk-00001", func(v float64) bool { return v == 1 }},
		{"backup_healthy", "disk-00001", func(v float64) bool { return v == 1 }},
		// The shorter of its two instances' policies (P1D, PT4H).
		{"backup_expected_interval_seconds", "disk-00001", func(v float64) bool { return v == 4*3600 }},
		{"backup_expected_interval_seconds", "pg-00007", func(v float64) bool { return v == 7*24*3600 }},
		{"backup_healthy", "disk-00003", func(v float64) bool { return v == 0 }},
		{"backup_last_failure_timestamp_seconds", "disk-00003", func(v float64) bool { return now-v < 2*86400 }},
		{"backup_transferred_bytes", "disk-00004", func(v float64) bool { return v > 0 }},
		{"backup_state", "disk-00014", func(v float64) bool { return v == 1 }}, // running (Started), see below
		// Stale: its last success is the newest recovery point, 4 days old.
		{"backup_last_success_timestamp_seconds", "disk-00011", func(v float64) bool { return now-v > 3*86400 && now-v < 5*86400 }},
		{"backup_healthy", "pg-00037", func(v float64) bool { return v == 0 }}, // ProtectionStopped
		{"backup_last_success_timestamp_seconds", "pg-00017", func(v float64) bool { return now-v < 8*86400 }},
	} {
		labels := map[string]string{"resource_name": c.name}
		if c.metric == "backup_state" {
			labels["state"] = "running"
		}
		got, ok := providertest.ResourceValue(t, e, c.metric, labels)
		if !ok || !c.want(got) {
			t.Errorf("%s{resource_name=%q} = %v (found %v)", c.metric, c.name, got, ok)
		}
	}
	if _, ok := value(t, e, "backup_last_success_timestamp_seconds", "sablob00008"); ok {
		t.Error("the continuous blob policy's resource has a last success")
	}
}

func TestAzureSimulatorDataProtectionThrottled(t *testing.T) {
	sim, ca := providertest.StartDataProtection(t, 1, 3, 0)
	if err := sim.AddFault(simulator.Fault{API: simulator.AzureAPI, Path: "backupInstances$", Status: 429, RetryAfter: "1", Times: 1}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	e := providertest.NewExporter(t, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0", "name: dp, type: azure_dataprotection, vault: bv-01"), live,
		collector.Options{APIMetrics: upstream.NewMetrics(reg)})
	providertest.AssertThrottledOnceThenServed(t, e, reg, Name)
}

func TestAzureSimulatorDataProtectionWrongSecret(t *testing.T) {
	sim, ca := providertest.StartDataProtection(t, 1, 3, 0)
	const wrong = "not-the-secret-7c1d"
	e := providertest.NewExporter(t, providertest.AzureConfig(sim.URL(), ca, wrong, "cache_ttl: 0", "name: dp, type: azure_dataprotection"), live, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil {
		t.Fatal("up with a wrong client secret")
	}
	if msg := res.Err.Error(); strings.Contains(msg, wrong) || !strings.Contains(msg, "Microsoft Entra refused a token") {
		t.Errorf("error: %s", msg)
	}
}

// TestAzureSimulatorDataProtectionDemo reads the demo's Backup vaults
// (examples/simulator/demo.yml, its times moved to now): the failed, stale,
// unprotected and running cases the demo shows, and web-disk-01 of both
// vaults as one resource.
func TestAzureSimulatorDataProtectionDemo(t *testing.T) {
	sc, err := simulator.LoadScenario("../../../examples/simulator/demo.yml")
	if err != nil {
		t.Fatal(err)
	}
	written, err := time.Parse(time.RFC3339, sc.Now)
	if err != nil {
		t.Fatal(err)
	}
	sc.Rebase(time.Since(written))
	sim, ca := providertest.Start(t, &simulator.Scenario{Azure: sc.Azure})
	yml := strings.NewReplacer(providertest.AzureTenant, simulator.DefaultAzureTenantID, providertest.AzureClient, simulator.DefaultAzureClientID).
		Replace(providertest.AzureConfig(sim.URL(), ca, simulator.DefaultAzureClientSecret, "cache_ttl: 0", "name: dp, type: azure_dataprotection"))
	e := providertest.NewExporter(t, yml, live, collector.Options{})
	for _, c := range []struct {
		metric, name string
		labels       map[string]string
		want         float64
	}{
		{"backup_healthy", "web-disk-01", nil, 1},
		{"backup_healthy", "db-disk-01", nil, 0},
		{"backup_state", "db-disk-01", map[string]string{"state": "failed"}, 1},
		{"backup_state", "orders-pg", map[string]string{"state": "running"}, 1},
		{"backup_transferred_bytes", "orders-pg", nil, 5368709120},
		{"backup_protected", "new-disk-01", nil, 0},
		{"backup_healthy", "legacy-disk", nil, 0},
		{"backup_expected_interval_seconds", "web-disk-01", nil, 4 * 3600},
		{"backup_expected_interval_seconds", "shop-aks", nil, 86400},
	} {
		labels := map[string]string{"resource_name": c.name}
		for k, v := range c.labels {
			labels[k] = v
		}
		if got, ok := providertest.ResourceValue(t, e, c.metric, labels); !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.metric, labels, got, ok, c.want)
		}
	}
	// shop-aks's last success is 3 days old: stale for a daily policy.
	if ls, ok := value(t, e, "backup_last_success_timestamp_seconds", "shop-aks"); !ok || time.Since(time.Unix(int64(ls), 0)) < 60*time.Hour {
		t.Errorf("shop-aks last success %v (%v)", ls, ok)
	}
	if _, ok := value(t, e, "backup_last_success_timestamp_seconds", "demomedia01"); ok {
		t.Error("the continuous blobs have a last success")
	}
}

package azuredataprotection

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// appRG is the generated instances' resources' group.
const appRG = "rg-app"

// modeSeries are the samples of target.
func modeSeries(t *testing.T, e *collector.Exporter, target string, drop ...string) []string {
	t.Helper()
	return providertest.TargetSeries(t, e, live, target, drop...)
}

// TestTwoModesSameExposition: two generated Backup vaults of 20 instances
// (every protection state, policy interval and job status the generator
// makes, a resource protected twice) read through source arm and source
// resource_graph give the same series: the policies' intervals from the
// query's policy rows, the jobs of the window, the running jobs' bytes by
// ARM (progress_from_arm), recovery points by ARM where no job succeeded.
// With coverage_resource_types, the disks in scope that no instance
// protects are resources too (protected 0), the protected ones are not.
func TestTwoModesSameExposition(t *testing.T) {
	az := simulator.GenerateDataProtection(providertest.AzureSubscription, 2, 20, 7, time.Now())
	az.PageSize = 7
	az.ResourceGraph = &simulator.AzureResourceGraph{PageSize: 9, Quota: -1}
	az.Tenants = []simulator.AzureTenant{{ID: providertest.AzureTenant, Clients: []simulator.AzureClient{{ClientID: providertest.AzureClient, ClientSecret: providertest.AzureSecret}}}}
	sim, ca := providertest.Start(t, &simulator.Scenario{Azure: az})
	// Disks of the application group: one an instance protects, two none.
	for _, d := range []string{"disk-00001", "disk-orphan-1", "disk-orphan-2"} {
		sim.UpdateAzureResource(providertest.AzureSubscription, appRG, "Microsoft.Compute/disks", d, func(*simulator.AzureResource) bool { return true })
	}
	yml := providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0")
	for _, tg := range []string{
		fmt.Sprintf("name: arm, type: azure_dataprotection, subscription_id: %s", providertest.AzureSubscription),
		fmt.Sprintf("name: rg, type: azure_dataprotection, source: resource_graph, subscriptions: [%s]", providertest.AzureSubscription),
		fmt.Sprintf("name: cov, type: azure_dataprotection, source: resource_graph, subscriptions: [%s], coverage_resource_types: [Microsoft.Compute/disks]", providertest.AzureSubscription),
		// read_recovery_points is accepted and ignored in this mode.
		fmt.Sprintf("name: pts, type: azure_dataprotection, source: resource_graph, subscriptions: [%s], read_recovery_points: true", providertest.AzureSubscription),
	} {
		yml += "  - {credential: az, " + tg + "}\n"
	}
	reg := prometheus.NewRegistry()
	e := providertest.NewExporter(t, yml, live, collector.Options{APIMetrics: upstream.NewMetrics(reg)})
	for name, up := range providertest.TargetUp(t, e) {
		if up != 1 {
			t.Fatalf("target %s down", name)
		}
	}
	arm := modeSeries(t, e, "arm")
	if len(arm) < 200 {
		t.Fatalf("%d series of arm: the estate is too small to compare", len(arm))
	}
	providertest.SameSeries(t, "arm", arm, "resource_graph", modeSeries(t, e, "rg"))
	providertest.SameSeries(t, "resource_graph", modeSeries(t, e, "rg"), "resource_graph with read_recovery_points", modeSeries(t, e, "pts"))

	var orphans []string
	for _, l := range modeSeries(t, e, "cov", "backup_info", "backup_resource_info") {
		if !slices.Contains(arm, l) {
			orphans = append(orphans, l)
		}
	}
	want := []string{
		`backup_protected{provider="azure_dataprotection",resource_id="/subscriptions/` + providertest.AzureSubscription + `/resourceGroups/` + appRG + `/providers/Microsoft.Compute/disks/disk-orphan-1",resource_name="disk-orphan-1",target="T"} 0`,
		`backup_protected{provider="azure_dataprotection",resource_id="/subscriptions/` + providertest.AzureSubscription + `/resourceGroups/` + appRG + `/providers/Microsoft.Compute/disks/disk-orphan-2",resource_name="disk-orphan-2",target="T"} 0`,
	}
	var got []string
	for _, l := range orphans {
		if strings.HasPrefix(l, "backup_protected{") {
			got = append(got, l)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("coverage series:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// No policy, instance list or job list was read by ARM for the
	// resource_graph targets: the arm target's reads are all there are.
	if n := sim.Stats().APIs[simulator.AzureResourceGraphAPI]; n < 2*(41/9+1)+1 {
		t.Errorf("%d Resource Graph requests", n)
	}
}

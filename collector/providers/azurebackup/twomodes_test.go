package azurebackup

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// graphConfig is providertest.AzureConfig's credential with targets given
// whole (Resource Graph mode's take no subscription_id).
func graphConfig(sim *simulator.Server, ca string, targets ...string) string {
	yml := providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0")
	for _, t := range targets {
		yml += "  - {credential: az, " + t + "}\n"
	}
	return yml
}

// modeSeries are the samples of target.
func modeSeries(t *testing.T, e *collector.Exporter, target string, drop ...string) []string {
	t.Helper()
	return providertest.TargetSeries(t, e, kinds, target, drop...)
}

func diffSeries(t *testing.T, what string, arm, graph []string) {
	t.Helper()
	providertest.SameSeries(t, "arm ("+what+")", arm, "resource_graph ("+what+")", graph)
}

// TestTwoModesSameExposition: the same estate (two vaults of 20 items,
// 7 days of jobs, items in every state the generator makes) read
// through source arm and through source resource_graph gives the same
// series, sample for sample; with progress_from_arm false the same but
// for the running jobs' progress and bytes, which only the single-job
// GET of ARM says (the spec's "Missing compared with the per-vault REST
// calls"). Resource Graph pages are 7 rows, so the query is paged.
func TestTwoModesSameExposition(t *testing.T) {
	az := simulator.GenerateAzureBackup(providertest.AzureSubscription, 2, 20, 7, time.Now())
	az.PageSize = 7
	az.ResourceGraph = &simulator.AzureResourceGraph{PageSize: 7, Quota: -1}
	az.Tenants = []simulator.AzureTenant{{ID: providertest.AzureTenant, Clients: []simulator.AzureClient{{ClientID: providertest.AzureClient, ClientSecret: providertest.AzureSecret}}}}
	sim, ca := providertest.Start(t, &simulator.Scenario{Azure: az})
	rg := simulator.DefaultAzureResourceGroup
	reg := prometheus.NewRegistry()
	e := providertest.NewExporter(t, graphConfig(sim, ca,
		fmt.Sprintf("name: arm, type: azure_backup, subscription_id: %s, resource_group: %s", providertest.AzureSubscription, rg),
		fmt.Sprintf("name: rg, type: azure_backup, source: resource_graph, subscriptions: [%s], resource_group: %s", providertest.AzureSubscription, rg),
		fmt.Sprintf("name: rgnp, type: azure_backup, source: resource_graph, subscriptions: [%s], progress_from_arm: false", providertest.AzureSubscription),
	), kinds, collector.Options{APIMetrics: upstream.NewMetrics(reg)})
	for name, up := range providertest.TargetUp(t, e) {
		if up != 1 {
			t.Fatalf("target %s down", name)
		}
	}
	arm := modeSeries(t, e, "arm")
	if len(arm) < 200 {
		t.Fatalf("%d series of arm: the estate is too small to compare", len(arm))
	}
	diffSeries(t, "progress_from_arm true", arm, modeSeries(t, e, "rg"))
	lacks := []string{"backup_progress_ratio", "backup_last_bytes"}
	noProgress := modeSeries(t, e, "rgnp", lacks...)
	diffSeries(t, "progress_from_arm false", modeSeries(t, e, "arm", lacks...), noProgress)
	if len(arm) == len(modeSeries(t, e, "arm", lacks...)) {
		t.Error("no progress series dropped: the estate has no running job to compare")
	}
	if n := len(modeSeries(t, e, "rgnp")) - len(modeSeries(t, e, "rgnp", lacks...)); n != 0 {
		t.Errorf("%d progress or bytes series with progress_from_arm false", n)
	}
	// Every page of the query is a Resource Graph request; the arm
	// target's lists are ARM's.
	if n, _ := providertest.Value(t, reg, "backup_exporter_api_requests_total", map[string]string{"provider": "azure_resourcegraph", "code": "200"}); n < 2*3 {
		t.Errorf("%v Resource Graph requests for two targets of paged rows", n)
	}
}

// graphEstate serves two generated vaults of 20 items, Resource Graph
// paged by pageSize with quota queries per window.
func graphEstate(t *testing.T, pageSize, quota int, window time.Duration) (*simulator.Server, string) {
	az := simulator.GenerateAzureBackup(providertest.AzureSubscription, 2, 20, 7, time.Now())
	az.ResourceGraph = &simulator.AzureResourceGraph{PageSize: pageSize, Quota: quota, QuotaWindow: simulator.Duration(window)}
	az.Tenants = []simulator.AzureTenant{{ID: providertest.AzureTenant, Clients: []simulator.AzureClient{{ClientID: providertest.AzureClient, ClientSecret: providertest.AzureSecret}}}}
	return providertest.Start(t, &simulator.Scenario{Azure: az})
}

// TestGraphSubscriptionGroups: 301 subscriptions are two queries (300 and
// 1), each its own paging; the rows of both are the target's.
func TestGraphSubscriptionGroups(t *testing.T) {
	sim, ca := graphEstate(t, 1000, -1, 0)
	subs := []string{providertest.AzureSubscription}
	for i := range 300 {
		subs = append(subs, fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
	}
	e := providertest.NewExporter(t, graphConfig(sim, ca,
		"name: rg, type: azure_backup, source: resource_graph, progress_from_arm: false, subscriptions: ["+strings.Join(subs, ", ")+"]"), kinds, collector.Options{})
	res := e.Collect(t.Context(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if n := len(res.Resources); n != 42 {
		t.Errorf("%d resources, want 42", n)
	}
	if n := sim.Stats().APIs[simulator.AzureResourceGraphAPI]; n != 2 {
		t.Errorf("%d Resource Graph requests for 301 subscriptions, want 2", n)
	}
}

// TestGraphQuotaWaits: a quota of 2 queries a second and pages of 10 rows
// (9 pages): the query waits for each reset instead of being refused, so
// no 429 is answered; the waits count as throttled retries and the gauge
// says what is left.
func TestGraphQuotaWaits(t *testing.T) {
	sim, ca := graphEstate(t, 10, 2, time.Second)
	reg := prometheus.NewRegistry()
	e := providertest.NewExporter(t, graphConfig(sim, ca,
		"name: rg, type: azure_backup, source: resource_graph, progress_from_arm: false, subscriptions: ["+providertest.AzureSubscription+"]"),
		kinds, collector.Options{APIMetrics: upstream.NewMetrics(reg)})
	start := time.Now()
	res := e.Collect(t.Context(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	took := time.Since(start)
	st := sim.Stats()
	pages := st.APIs[simulator.AzureResourceGraphAPI]
	if pages < 5 {
		t.Fatalf("%d pages: the quota is never spent", pages)
	}
	if n := st.Codes[simulator.AzureResourceGraphAPI+" 429"]; n != 0 {
		t.Errorf("%d answers 429: the quota was not waited for", n)
	}
	if min := time.Duration(pages/2-1) * time.Second; took < min-200*time.Millisecond {
		t.Errorf("%d pages in %v, faster than a quota of 2 a second allows", pages, took)
	}
	if n, _ := providertest.Value(t, reg, "backup_exporter_api_retries_total", map[string]string{"provider": "azure_resourcegraph", "reason": "throttled"}); n < 1 {
		t.Errorf("%v throttled waits counted", n)
	}
	if _, ok := providertest.Value(t, reg, "backup_exporter_azure_resourcegraph_quota_remaining", map[string]string{"credential": "az"}); !ok {
		t.Error("no quota gauge")
	}
}

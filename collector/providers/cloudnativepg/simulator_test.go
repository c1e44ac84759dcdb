package cloudnativepg

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// collectSim reads the simulator's cluster with a cloudnative_pg target
// (extra keys appended to it).
func collectSim(t *testing.T, sim *simulator.Server, token, extra string) collector.Result {
	t.Helper()
	kc := providertest.KubeconfigFile(t, sim, token)
	e := providertest.NewExporter(t, providertest.CloudNativePGConfig(kc, "cache_ttl: 0", "name: cnpg"+extra), kinds, collector.Options{})
	return e.Collect(context.Background(), e.Targets())[0]
}

// TestCloudNativePGSimulatorCluster reads a generated estate through a
// kubeconfig: every Cluster is a resource; the derived intervals are the
// generated schedules'; the plugin Clusters' windows come from their
// ObjectStore (under serverName where set); the cases of the generator's
// mix come out as the contract says.
func TestCloudNativePGSimulatorCluster(t *testing.T) {
	sim, _ := providertest.StartCloudNativePG(t, 3, 40, 6)
	res := collectSim(t, sim, simulator.KubernetesDemoToken, ", resource_labels: [team]")
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if n := len(res.Resources); n != 120 {
		t.Errorf("%d clusters, want 120", n)
	}
	byID := map[string]toolkit.Resource{}
	intervals := map[time.Duration]int{}
	for _, r := range res.Resources {
		byID[r.ID] = r
		intervals[r.ExpectedInterval]++
	}
	// g%5 cycles daily, Sundays, every 6h, weekdays (72h), hourly.
	for _, d := range []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 6 * time.Hour, 72 * time.Hour, time.Hour} {
		if intervals[d] == 0 {
			t.Errorf("no cluster with a %v interval: %v", d, intervals)
		}
	}
	for _, tc := range []struct {
		id    string
		check func(r toolkit.Resource) bool
		what  string
	}{
		// g=6 (g%7 == 6): nothing configured.
		{"pg-001/pg-06", func(r toolkit.Resource) bool { return !r.Protected }, "unprotected"},
		// g=1: plugin under serverName pg-01-v2: its window gives the last
		// success and the oldest point.
		{"pg-001/pg-01", func(r toolkit.Resource) bool {
			return r.Protected && !r.LastSuccess.IsZero() && !r.OldestSuccess.IsZero() && len(r.Notes) == 0
		}, "plugin window read"},
		// g=10 (g%11 == 10): a ScheduledBackup, no Backup yet.
		{"pg-001/pg-10", func(r toolkit.Resource) bool { return r.Protected && r.Latest == nil && r.NoSuccessListed }, "protected, never backed up"},
		// g=12 (g%13 == 12): suspended: unhealthy, the default interval.
		{"pg-001/pg-12", func(r toolkit.Resource) bool { return !r.Healthy && r.ExpectedInterval == 24*time.Hour }, "suspended"},
		// g=16 (g%17 == 16): WAL archiving fails.
		{"pg-001/pg-16", func(r toolkit.Resource) bool { return !r.Healthy && r.CurrentError() != nil }, "WAL archiving failing"},
		// g=3 (g%10 == 3): the newest Backup runs.
		{"pg-001/pg-03", func(r toolkit.Resource) bool { return r.CurrentState() == toolkit.StateRunning }, "running"},
	} {
		if r, ok := byID[tc.id]; !ok || !tc.check(r) {
			t.Errorf("%s: %s expected, got %+v", tc.id, tc.what, r)
		}
	}
	pg16 := byID["pg-001/pg-16"]
	if e := pg16.CurrentError(); e == nil || (e.Code != "continuous_archiving" && !strings.HasPrefix(e.Code, "f")) {
		t.Errorf("pg-16 error %+v", e)
	}
	if tags := byID["pg-001/pg-01"].Tags; tags.Values["team"] != "payments" {
		t.Errorf("pg-01 labels %+v", tags)
	}
	if tags := byID["pg-001/pg-05"].Tags; len(tags.Values) != 1 || tags.Values["app.kubernetes.io/name"] != "pg-05" {
		t.Errorf("pg-05 (no owner) labels %+v", tags)
	}
}

// TestCloudNativePGSimulatorPaging: lists longer than a page, a continue
// token expiring in the middle of one (restarted, every Cluster read),
// and the plugin not installed (auto: up; true: down).
func TestCloudNativePGSimulatorPaging(t *testing.T) {
	sim, _ := providertest.StartCloudNativePG(t, 2, 300, 3)
	sim.ExpireNextContinue(1)
	res := collectSim(t, sim, simulator.KubernetesDemoToken, "")
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if n := len(res.Resources); n != 600 {
		t.Errorf("%d clusters after a restarted list, want 600", n)
	}

	if err := sim.UpdateCloudNativePG(func(d *simulator.CNPGData) { d.ObjectStores, d.PluginNotInstalled = nil, true }); err != nil {
		t.Fatal(err)
	}
	res = collectSim(t, sim, simulator.KubernetesDemoToken, "")
	if res.Err != nil || len(res.Resources) != 600 {
		t.Fatalf("plugin not installed, auto: %v, %d clusters", res.Err, len(res.Resources))
	}
	notes := 0
	for _, r := range res.Resources {
		if strings.Contains(strings.Join(r.Notes, ""), "not installed") {
			notes++
		}
	}
	if notes == 0 {
		t.Error("no plugin Cluster says the plugin is not installed")
	}
	if res := collectSim(t, sim, simulator.KubernetesDemoToken, ", barman_cloud_plugin: true"); res.Err == nil || !strings.Contains(res.Err.Error(), "not installed") {
		t.Errorf("plugin not installed, true: %v", res.Err)
	}
}

// TestCloudNativePGSimulatorRBAC: a service account with exactly the
// rules of config.md reads the target; one bound only in the configured
// namespaces reads them; without objectstores the list is a 403, the
// target's error (never read as "not installed").
func TestCloudNativePGSimulatorRBAC(t *testing.T) {
	sc := simulator.GenerateCloudNativePG(3, 4, 2, time.Now())
	sc.ServiceAccounts = append(sc.ServiceAccounts,
		simulator.KubernetesServiceAccount{Namespace: "monitoring", Name: "exact", Token: "exact-rules",
			Resources: []string{"clusters", "backups", "scheduledbackups", "objectstores"}, Verbs: []string{"get", "list"},
			APIGroups: []string{simulator.CNPGGroup, simulator.BarmanCloudGroup}},
		simulator.KubernetesServiceAccount{Namespace: "monitoring", Name: "roles", Token: "namespaced-roles",
			Resources: []string{"clusters", "backups", "scheduledbackups", "objectstores"}, Namespaces: []string{"pg-001", "pg-003"}},
		simulator.KubernetesServiceAccount{Namespace: "monitoring", Name: "no-stores", Token: "no-objectstores",
			Resources: []string{"clusters", "backups", "scheduledbackups"}})
	sim, _ := providertest.Start(t, &simulator.Scenario{Kubernetes: sc})
	if res := collectSim(t, sim, "exact-rules", ""); res.Err != nil || len(res.Resources) != 12 {
		t.Errorf("the rules of config.md: %v, %d clusters", res.Err, len(res.Resources))
	}
	if res := collectSim(t, sim, "namespaced-roles", ", namespaces: [pg-001, pg-003]"); res.Err != nil || len(res.Resources) != 8 {
		t.Errorf("Roles in the configured namespaces: %v, %d clusters", res.Err, len(res.Resources))
	}
	if res := collectSim(t, sim, "namespaced-roles", ""); res.Err == nil || !strings.Contains(res.Err.Error(), "403") {
		t.Errorf("Roles only, all namespaces: %v", res.Err)
	}
	if res := collectSim(t, sim, "no-objectstores", ""); res.Err == nil || !strings.Contains(res.Err.Error(), "objectstores") || !strings.Contains(res.Err.Error(), "forbidden") {
		t.Errorf("without objectstores: %v", res.Err)
	}
	if res := collectSim(t, sim, "no-objectstores", ", barman_cloud_plugin: false"); res.Err != nil || len(res.Resources) != 12 {
		t.Errorf("without objectstores, barman_cloud_plugin false: %v, %d", res.Err, len(res.Resources))
	}
}

// TestCloudNativePGDemoScenario: make demo's scenario
// (examples/simulator/demo.yml, rebased to now as the simulator command
// does) shows each case of the provider: a healthy plugin Cluster with a
// backup running, a failed base backup, WAL archiving failing, a stale
// Cluster and one nobody protects.
func TestCloudNativePGDemoScenario(t *testing.T) {
	sc, err := simulator.LoadScenario("../../../examples/simulator/demo.yml")
	if err != nil {
		t.Fatal(err)
	}
	written, err := time.Parse(time.RFC3339, sc.Now)
	if err != nil {
		t.Fatal(err)
	}
	sc.Rebase(time.Since(written))
	sim, _ := providertest.Start(t, sc)
	res := collectSim(t, sim, simulator.KubernetesDemoToken, "")
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	got := map[string]toolkit.Resource{}
	for _, r := range res.Resources {
		got[r.ID] = r
	}
	if len(got) != 5 {
		t.Errorf("%d clusters, want 5", len(got))
	}
	code := func(r toolkit.Resource) string {
		if e := r.CurrentError(); e != nil {
			return e.Code
		}
		return ""
	}
	for id, want := range map[string]struct {
		protected, healthy bool
		state              toolkit.State
		code               string
		staleAfter         time.Duration // last success older than this
	}{
		"databases/pg-orders":    {true, true, toolkit.StateRunning, "", 0},
		"databases/pg-billing":   {true, false, toolkit.StateFailed, "failed", 0},
		"databases/pg-analytics": {true, false, toolkit.StateSucceeded, "continuous_archiving", 0},
		"databases/pg-reports":   {true, true, toolkit.StateSucceeded, "", 9 * 24 * time.Hour},
		"databases/pg-scratch":   {false, true, "", "", 0},
	} {
		r := got[id]
		if r.Protected != want.protected || (want.protected && (r.Healthy != want.healthy || r.CurrentState() != want.state || code(r) != want.code)) {
			t.Errorf("%s: protected %v healthy %v state %s error %q; want %+v", id, r.Protected, r.Healthy, r.CurrentState(), code(r), want)
		}
		if want.staleAfter > 0 && time.Since(r.LastSuccess) < want.staleAfter {
			t.Errorf("%s: last success %v, want older than %v", id, r.LastSuccess, want.staleAfter)
		}
	}
}

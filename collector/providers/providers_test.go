package providers_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// simTarget is one provider's single-resource target on the simulator, and
// the path (a regexp of the simulator's faults) of its per-resource call.
type simTarget struct {
	provider string
	start    func(t *testing.T) (sim *simulator.Server, yml string)
	api      string
	path     string
	// incomplete is a well-formed answer of that call whose items lack
	// the fields the API document requires.
	incomplete string
}

// graphBackup is the column of azure_backup's Resource Graph mode
// (source: resource_graph), whose one query is graphPath.
const (
	graphBackup         = "azure_backup resource_graph"
	graphDataProtection = "azure_dataprotection resource_graph"
	graphPath           = "/providers/Microsoft.ResourceGraph/resources$"
)

// upstream is the provider label of st's requests.
func (st simTarget) upstream() string {
	if strings.HasSuffix(st.provider, " resource_graph") {
		return simulator.AzureResourceGraphAPI
	}
	return st.provider
}

func simTargets() []simTarget {
	return []simTarget{
		{"astra", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAstra(t, 1)
			return sim, providertest.AstraConfig(sim, ca, "cache_ttl: 0, scrape_timeout: 10s", 1)
		}, simulator.AstraAPI, "/appBackups$", `{"items":[{"type":"application/astra-appBackup"}],"metadata":{}}`},
		{"azure_netapp_files", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAzure(t, 1, 1, 0, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0, scrape_timeout: 10s",
				"name: anf, type: azure_netapp_files, account: "+simulator.DefaultAzureNetAppAccount+", pool: pool-01, volume: vol-001")
		}, simulator.AzureAPI, "latestBackupStatus", `{}`},
		{"azure_postgresql_ltr", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAzure(t, 0, 0, 1, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0, scrape_timeout: 10s",
				"name: pg, type: azure_postgresql_ltr, server: pg-server-01")
		}, simulator.AzureAPI, "ltrBackupOperations", `{"value":[{"properties":{}}]}`},
		{"huawei_cbr", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartHuawei(t, 1)
			return sim, fmt.Sprintf(`
global: {cache_ttl: 0, scrape_timeout: 10s}
credentials:
  - {name: huawei, huawei: {access_key: %s, secret_key: %q}, tls_config: {ca_file: %q}}
targets:
  - {name: cbr, type: huawei_cbr, credential: huawei, endpoint: %q, project_id: %s}
`, simulator.HuaweiDemoAccessKey, simulator.HuaweiDemoSecretKey, ca, sim.URL(), simulator.HuaweiDemoProject)
		}, simulator.HuaweiAPI, "/backups$", `{"backups":[{}],"count":1}`},
		{"azure_backup", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAzureBackup(t, 1, 1, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0, scrape_timeout: 10s",
				"name: ab, type: azure_backup, vault: rsv-01")
		}, simulator.AzureAPI, "backupProtectedItems$", `{"value":[{"properties":{}}]}`},
		{graphBackup, func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAzureBackup(t, 1, 1, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0, scrape_timeout: 10s") +
				"  - {name: abg, type: azure_backup, credential: az, source: resource_graph, subscriptions: [" + providertest.AzureSubscription + "], vault: rsv-01}\n"
		}, simulator.AzureResourceGraphAPI, graphPath, `{"totalRecords":1,"count":1,"resultTruncated":"false","data":[{"properties":{}}]}`},
		{graphDataProtection, func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartDataProtection(t, 1, 1, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0, scrape_timeout: 10s") +
				"  - {name: dpg, type: azure_dataprotection, credential: az, source: resource_graph, subscriptions: [" + providertest.AzureSubscription + "], vault: bv-01}\n"
		}, simulator.AzureResourceGraphAPI, graphPath, `{"totalRecords":1,"count":1,"resultTruncated":"false","data":[{"properties":{}}]}`},
		{"azure_dataprotection", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartDataProtection(t, 1, 1, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0, scrape_timeout: 10s",
				"name: dp, type: azure_dataprotection, vault: bv-01")
		}, simulator.AzureAPI, "backupInstances$", `{"value":[{"properties":{}}]}`},
		{"aws_backup", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAWS(t, 1, 3, 0)
			return sim, providertest.AWSSimConfig(sim, ca, "cache_ttl: 0, scrape_timeout: 10s", false, "name: aws")
		}, simulator.AWSBackupAPI, "/resources$", `{"Results":[{}]}`},
		{"trident_protect", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartTridentProtect(t, 1, 1, 2)
			return sim, fmt.Sprintf(`
global: {cache_ttl: 0, scrape_timeout: 10s}
credentials:
  - name: k8s
    kubernetes: {server: %q, bearer_token: %s}
    tls_config: {ca_file: %q}
targets:
  - {name: tp, type: trident_protect, credential: k8s}
`, sim.URL(), simulator.KubernetesDemoToken, ca)
		}, simulator.KubernetesAPI, "/backups$", `{"apiVersion":"protect.trident.netapp.io/v1","kind":"BackupList","metadata":{},"items":[{}]}`},
		{"velero", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartVelero(t, 5, 10)
			return sim, providertest.VeleroConfig(sim, ca, "cache_ttl: 0, scrape_timeout: 10s", "name: velero")
		}, simulator.KubernetesAPI, "/backups$", `{"apiVersion":"velero.io/v1","kind":"BackupList","metadata":{},"items":[{}]}`},
		{"cloudnative_pg", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartCloudNativePG(t, 1, 1, 2)
			return sim, fmt.Sprintf(`
global: {cache_ttl: 0, scrape_timeout: 10s}
credentials:
  - name: k8s
    kubernetes: {server: %q, bearer_token: %s}
    tls_config: {ca_file: %q}
targets:
  - {name: cnpg, type: cloudnative_pg, credential: k8s}
`, sim.URL(), simulator.KubernetesDemoToken, ca)
		}, simulator.KubernetesAPI, "cnpg.io/v1/backups$", `{"apiVersion":"postgresql.cnpg.io/v1","kind":"BackupList","metadata":{},"items":[{"metadata":{"name":"b","namespace":"pg-001"},"spec":{}}]}`},
		{"longhorn", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartLonghorn(t, 1, 2)
			return sim, fmt.Sprintf(`
global: {cache_ttl: 0, scrape_timeout: 10s}
credentials:
  - name: k8s
    kubernetes: {server: %q, bearer_token: %s}
    tls_config: {ca_file: %q}
targets:
  - {name: lh, type: longhorn, credential: k8s}
`, sim.URL(), simulator.KubernetesDemoToken, ca)
		}, simulator.KubernetesAPI, "/backups$", `{"apiVersion":"longhorn.io/v1beta2","kind":"BackupList","metadata":{},"items":[{}]}`},
	}
}

// TestTransientServerErrorsAreRiddenOut: two 500s, then the answer: every
// provider is up in the first collection, after two server_error retries.
func TestTransientServerErrorsAreRiddenOut(t *testing.T) {
	for _, st := range simTargets() {
		t.Run(st.provider, func(t *testing.T) {
			sim, yml := st.start(t)
			if err := sim.AddFault(simulator.Fault{API: st.api, Path: st.path, Status: 500, Times: 2}); err != nil {
				t.Fatal(err)
			}
			reg := prometheus.NewRegistry()
			e := providertest.NewExporter(t, yml, providers.All(), collector.Options{APIMetrics: upstream.NewMetrics(reg)})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res := e.Collect(ctx, e.Targets())[0]
			if res.Err != nil {
				t.Fatalf("down after two 500s: %v", res.Err)
			}
			if got, _ := providertest.Value(t, reg, "backup_exporter_api_retries_total", map[string]string{"provider": st.upstream(), "reason": "server_error"}); got != 2 {
				t.Errorf("server_error retries = %v, want 2", got)
			}
		})
	}
}

// TestPersistentServerErrorIsRetriedThreeTimes: a 500 that never ends is
// sent 4 times (3 retries), well within the deadline, and the target is
// down with the 500.
func TestPersistentServerErrorIsRetriedThreeTimes(t *testing.T) {
	for _, st := range simTargets() {
		t.Run(st.provider, func(t *testing.T) {
			sim, yml := st.start(t)
			if err := sim.AddFault(simulator.Fault{API: st.api, Path: st.path, Status: 500}); err != nil {
				t.Fatal(err)
			}
			reg := prometheus.NewRegistry()
			e := providertest.NewExporter(t, yml, providers.All(), collector.Options{APIMetrics: upstream.NewMetrics(reg)})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res := e.Collect(ctx, e.Targets())[0]
			if res.Err == nil || !strings.Contains(res.Err.Error(), "500") {
				t.Fatalf("err = %v, want the 500", res.Err)
			}
			if ctx.Err() != nil {
				t.Error("the retries used up the whole deadline")
			}
			if got, _ := providertest.Value(t, reg, "backup_exporter_api_retries_total", map[string]string{"provider": st.upstream(), "reason": "server_error"}); got != 3 {
				t.Errorf("server_error retries = %v, want 3", got)
			}
			re := regexp.MustCompile(st.path)
			sent := 0
			for path, n := range sim.Stats().Requests {
				if re.MatchString(path) {
					sent += n
				}
			}
			if sent != 4 {
				t.Errorf("requests to %s = %d, want 4 (3 retries)", st.path, sent)
			}
		})
	}
}

// TestShardsPartitionTheEstate: the shards of an estate hold every
// resource exactly once, for every provider; discovery lists run on every
// shard, per-resource calls only on the owner.
func TestShardsPartitionTheEstate(t *testing.T) {
	const shards = 3
	estates := []struct {
		provider string
		start    func(t *testing.T) (*simulator.Server, string)
		// perResource matches the path of a call made per resource.
		perResource string
	}{
		{"astra", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAstra(t, 40)
			return sim, providertest.AstraConfig(sim, ca, "cache_ttl: 0")
		}, "/appBackups$"},
		{"azure_netapp_files", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAzure(t, 2, 15, 0, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0",
				"name: anf, type: azure_netapp_files, account: "+simulator.DefaultAzureNetAppAccount)
		}, "latestBackupStatus"},
		{"azure_postgresql_ltr", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAzure(t, 0, 0, 30, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0",
				"name: pg, type: azure_postgresql_ltr")
		}, "ltrBackupOperations$"},
		{"huawei_cbr", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartHuawei(t, 30)
			return sim, fmt.Sprintf(`
global: {cache_ttl: 0}
credentials:
  - {name: huawei, huawei: {access_key: %s, secret_key: %q}, tls_config: {ca_file: %q}}
targets:
  - {name: cbr, type: huawei_cbr, credential: huawei, endpoint: %q, project_id: %s}
`, simulator.HuaweiDemoAccessKey, simulator.HuaweiDemoSecretKey, ca, sim.URL(), simulator.HuaweiDemoProject)
		}, ""},
		{"azure_backup", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAzureBackup(t, 2, 20, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0", "name: ab, type: azure_backup")
		}, "/backupJobs/[^/]+$"},
		{"azure_dataprotection", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartDataProtection(t, 2, 20, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0", "name: dp, type: azure_dataprotection")
		}, "/backupJobs/[^/]+$"},
		{"aws_backup", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAWS(t, 60, 3, 0)
			return sim, providertest.AWSSimConfig(sim, ca, "cache_ttl: 0", false, "name: aws")
		}, "/recovery-points$"},
		{"trident_protect", func(t *testing.T) (*simulator.Server, string) {
			sim, _ := providertest.StartTridentProtect(t, 2, 10, 2)
			return sim, providertest.TridentConfig(providertest.KubeconfigFile(t, sim, simulator.KubernetesDemoToken), "cache_ttl: 0", "name: tp")
		}, ""},
		// Velero's calls are per backup (volume bytes), not per namespace.
		{"velero", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartVelero(t, 60, 40)
			return sim, providertest.VeleroConfig(sim, ca, "cache_ttl: 0", "name: velero")
		}, ""},
		{"cloudnative_pg", func(t *testing.T) (*simulator.Server, string) {
			sim, _ := providertest.StartCloudNativePG(t, 2, 10, 2)
			return sim, providertest.CloudNativePGConfig(providertest.KubeconfigFile(t, sim, simulator.KubernetesDemoToken), "cache_ttl: 0", "name: cnpg")
		}, ""},
		{"longhorn", func(t *testing.T) (*simulator.Server, string) {
			sim, _ := providertest.StartLonghorn(t, 40, 2)
			return sim, providertest.LonghornConfig(providertest.KubeconfigFile(t, sim, simulator.KubernetesDemoToken), "cache_ttl: 0", "name: lh")
		}, ""},
	}
	for _, es := range estates {
		t.Run(es.provider, func(t *testing.T) {
			sim, yml := es.start(t)
			ids := func(shard collector.Shard) []string {
				t.Helper()
				e := providertest.NewExporter(t, yml, providers.All(), collector.Options{Shard: shard})
				res := e.Collect(context.Background(), e.Targets())[0]
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				var out []string
				for _, r := range res.Resources {
					out = append(out, r.ID)
				}
				return out
			}
			all := ids(collector.Shard{})
			if len(all) < 10 {
				t.Fatalf("only %d resources", len(all))
			}
			perResourceBefore := countRequests(sim, es.perResource)
			owner := map[string]int{}
			for i := range shards {
				got := ids(collector.Shard{Index: i, Total: shards})
				if len(got) == 0 || len(got) == len(all) {
					t.Errorf("shard %d holds %d of %d resources", i, len(got), len(all))
				}
				for _, id := range got {
					if prev, dup := owner[id]; dup {
						t.Errorf("%s is on shards %d and %d", id, prev, i)
					}
					owner[id] = i
				}
			}
			for _, id := range all {
				if _, ok := owner[id]; !ok {
					t.Errorf("%s is on no shard", id)
				}
			}
			if len(owner) != len(all) {
				t.Errorf("the shards hold %d resources, the estate %d", len(owner), len(all))
			}
			if es.perResource != "" {
				if perResourceBefore == 0 {
					t.Fatalf("no call matches %s: the check would pass for nothing", es.perResource)
				}
				if got, want := countRequests(sim, es.perResource)-perResourceBefore, perResourceBefore; got != want {
					t.Errorf("per-resource calls over %d shards = %d, want %d (one per resource, on its owner)", shards, got, want)
				}
			}
		})
	}
}

func countRequests(sim *simulator.Server, path string) int {
	if path == "" {
		return 0
	}
	re := regexp.MustCompile(path)
	n := 0
	for p, c := range sim.Stats().Requests {
		if re.MatchString(p) {
			n += c
		}
	}
	return n
}

// TestEveryKindDescribesItself: the landing page and docs/metrics.md name
// each provider by its Title and list its state tables; a provider added
// without them would be missing there.
func TestEveryKindDescribesItself(t *testing.T) {
	for _, k := range providers.All() {
		if k.Title == "" {
			t.Errorf("%s: no Title", k.Name)
		}
		if len(k.States) == 0 {
			t.Errorf("%s: no state table", k.Name)
		}
		for _, st := range k.States {
			if st.Field == "" || len(st.Table) == 0 {
				t.Errorf("%s: empty state table %+v", k.Name, st)
			}
			for raw, s := range st.Table {
				if !slices.Contains(toolkit.States, s) {
					t.Errorf("%s: %s %q maps to %q, not a normalised state", k.Name, st.Field, raw, s)
				}
			}
		}
	}
}

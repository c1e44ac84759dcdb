package providers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// Issue 22: who owns each resource. Every provider's generated estate
// carries a team (tags, labels or vault tags) on most resources and none
// on every fifth; a target with resource_labels and static_labels exposes
// backup_resource_info for every resource it discovered, protected or not
// (testdata/owners/<provider>.prom, with backup_protected beside it).

// ownerKeys are the owner keys of every target below: the team (and,
// written in another case, the cost centre: Azure matches it without
// case) and a static label.
const ownerKeys = `resource_labels: [team, Cost-Center], static_labels: {environment: simulated}`

// ownerEstates are a discovery target of each provider whose lists carry
// tags, on the simulator.
func ownerEstates() []struct {
	provider string
	start    func(t *testing.T) (*simulator.Server, string)
} {
	return []struct {
		provider string
		start    func(t *testing.T) (*simulator.Server, string)
	}{
		{"astra", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAstra(t, 6)
			yml := providertest.AstraConfig(sim, ca, "cache_ttl: 0")
			return sim, strings.Replace(yml, "account_id: "+providertest.AstraAccount+"}", "account_id: "+providertest.AstraAccount+", "+ownerKeys+"}", 1)
		}},
		{"azure_netapp_files", func(t *testing.T) (*simulator.Server, string) {
			// vol-006, the last, has no backup configured: its owner is
			// what the coverage alert needs.
			sim, ca := providertest.StartAzure(t, 1, 6, 0, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0",
				"name: anf, type: azure_netapp_files, account: "+simulator.DefaultAzureNetAppAccount+", "+ownerKeys)
		}},
		{"azure_postgresql_ltr", func(t *testing.T) (*simulator.Server, string) {
			// pg-server-06, the last, has no LTR operation; pg-server-05 no
			// tags.
			sim, ca := providertest.StartAzure(t, 0, 0, 6, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0",
				"name: pg, type: azure_postgresql_ltr, "+ownerKeys)
		}},
		{"huawei_cbr", func(t *testing.T) (*simulator.Server, string) {
			// The servers' vault is tagged, the volumes' (3, 6) not.
			sim, ca := providertest.StartHuawei(t, 6)
			return sim, fmt.Sprintf(`
global: {cache_ttl: 0}
credentials:
  - {name: huawei, huawei: {access_key: %s, secret_key: %q}, tls_config: {ca_file: %q}}
targets:
  - {name: cbr, type: huawei_cbr, credential: huawei, endpoint: %q, project_id: %s, %s}
`, simulator.HuaweiDemoAccessKey, simulator.HuaweiDemoSecretKey, ca, sim.URL(), simulator.HuaweiDemoProject, ownerKeys)
		}},
		{"trident_protect", func(t *testing.T) (*simulator.Server, string) {
			// Applications 5 and 10 have no label (g%5 == 0).
			sim, _ := providertest.StartTridentProtect(t, 1, 11, 1)
			return sim, providertest.TridentConfig(providertest.KubeconfigFile(t, sim, simulator.KubernetesDemoToken), "cache_ttl: 0", "name: tp, "+ownerKeys)
		}},
		{"velero", func(t *testing.T) (*simulator.Server, string) {
			// Namespaces t01..t06 carry their team; kube-system none and
			// no backup; scratch-sandbox, which no Schedule covers, its
			// owner.
			sc := simulator.GenerateVelero(6, 12, time.Now())
			sc.Namespaces = append(sc.Namespaces, simulator.KubernetesNamespace{Name: "scratch-sandbox", Labels: map[string]string{"team": "search"}})
			sim, ca := providertest.Start(t, &simulator.Scenario{Kubernetes: sc})
			return sim, providertest.VeleroConfig(sim, ca, "cache_ttl: 0", "name: velero, "+ownerKeys)
		}},
		{"cloudnative_pg", func(t *testing.T) (*simulator.Server, string) {
			// Cluster 5 has no team; cluster 6 (g%7 == 6) no backup
			// configuration, and its owner.
			sim, _ := providertest.StartCloudNativePG(t, 1, 7, 1)
			return sim, providertest.CloudNativePGConfig(providertest.KubeconfigFile(t, sim, simulator.KubernetesDemoToken), "cache_ttl: 0", "name: cnpg, "+ownerKeys)
		}},
		{"longhorn", func(t *testing.T) (*simulator.Server, string) {
			// Volumes 5 and 10 have no team; volume 9 only snapshots (no
			// backup job), and its owner.
			sim, _ := providertest.StartLonghorn(t, 10, 1)
			return sim, providertest.LonghornConfig(providertest.KubeconfigFile(t, sim, simulator.KubernetesDemoToken), "cache_ttl: 0", "name: lh, "+ownerKeys)
		}},
		// The lists of these two carry no tags of the resources: they are
		// looked up by ID (Resource Graph, the Tagging API); the static
		// labels are there either way.
		{"azure_backup", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAzureBackup(t, 1, 3, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0",
				"name: ab, type: azure_backup, static_labels: {environment: simulated}")
		}},
		{"azure_dataprotection", func(t *testing.T) (*simulator.Server, string) {
			// 22 instances: the 21st is not protected (its resource's owner
			// says Team, matched case-insensitively), the 4th, 8th, ...
			// resources have no tags; the tags are looked up in Resource Graph.
			sim, ca := providertest.StartDataProtection(t, 1, 22, 0)
			return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0",
				"name: dp, type: azure_dataprotection, resource_labels: [team], static_labels: {environment: simulated}")
		}},
		{"aws_backup", func(t *testing.T) (*simulator.Server, string) {
			sim, ca := providertest.StartAWS(t, 3, 3, 0)
			return sim, providertest.AWSSimConfig(sim, ca, "cache_ttl: 0", false, "name: aws, static_labels: {environment: simulated}")
		}},
	}
}

// TestResourceInfoOfEveryProvider: the goldens of every provider's
// owners, one backup_resource_info series per resource discovered.
func TestResourceInfoOfEveryProvider(t *testing.T) {
	estates := ownerEstates()
	if len(estates) != len(providers.All()) {
		t.Errorf("%d owner estates for %d providers", len(estates), len(providers.All()))
	}
	for _, es := range estates {
		t.Run(es.provider, func(t *testing.T) {
			_, yml := es.start(t)
			e := providertest.NewExporter(t, yml, providers.All(), collector.Options{})
			providertest.GoldenOf(t, e, "owners/"+es.provider+".prom", "backup_resource_info", "backup_protected")
			res := e.Collect(context.Background(), e.Targets())[0]
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			info := map[string]int{}
			for _, mf := range providertest.Gather(t, e) {
				if mf.GetName() != "backup_resource_info" {
					continue
				}
				for _, m := range mf.GetMetric() {
					for _, l := range m.GetLabel() {
						if l.GetName() == "resource_id" {
							info[l.GetValue()]++
						}
					}
				}
			}
			unprotected := 0
			for _, r := range res.Resources {
				if info[r.ID] != 1 {
					t.Errorf("%s has %d backup_resource_info series, want 1", r.ID, info[r.ID])
				}
				if !r.Protected {
					unprotected++
				}
			}
			if len(info) != len(res.Resources) {
				t.Errorf("%d backup_resource_info series for %d resources", len(info), len(res.Resources))
			}
			if want := map[string]bool{"azure_netapp_files": true, "azure_postgresql_ltr": true, "velero": true, "cloudnative_pg": true, "longhorn": true}[es.provider]; want && unprotected == 0 {
				t.Error("no unprotected resource: its owner is not shown")
			}
		})
	}
}

// TestMalformedTagsGiveNone: tags or labels that are not what the API
// documents (a string, a list, an object for Astra's list) are no tags:
// the target stays up, its resources are read, and backup_resource_info
// has the static labels only. They are no field a record needs. (Velero's
// namespace labels and Longhorn's volume labels are: they say what is
// excluded and which recurring jobs apply, so malformed ones fail their
// list, as any field a record needs.)
func TestMalformedTagsGiveNone(t *testing.T) {
	sub := "/subscriptions/" + providertest.AzureSubscription + "/resourceGroups/" + simulator.DefaultAzureResourceGroup
	faults := map[string]simulator.Fault{
		"astra": {API: simulator.AstraAPI, Path: "/k8s/v[12]/apps$", Body: simulator.BodyRaw,
			Raw: `{"items":[{"id":"` + providertest.SimulatedAppID(1) + `","name":"app-001","metadata":{"labels":{"team":"payments"}}}],"metadata":{}}`},
		"azure_netapp_files": {API: simulator.AzureAPI, Path: "/capacityPools/pool-01/volumes$", Body: simulator.BodyRaw,
			Raw: `{"value":[{"id":"` + sub + `/providers/Microsoft.NetApp/netAppAccounts/demo-account/capacityPools/pool-01/volumes/vol-001","name":"demo-account/pool-01/vol-001","tags":"team=payments"}]}`},
		"azure_postgresql_ltr": {API: simulator.AzureAPI, Path: "/flexibleServers$", Body: simulator.BodyRaw,
			Raw: `{"value":[{"id":"` + sub + `/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-server-01","name":"pg-server-01","tags":[{"team":"payments"}]}]}`},
		"huawei_cbr": {API: simulator.HuaweiAPI, Path: "/vaults$", Body: simulator.BodyRaw,
			Raw: `{"vaults":[{"id":"7a000000-0000-4000-8000-000000000001","tags":{"team":"platform"}}],"count":1}`},
		"cloudnative_pg": {API: simulator.KubernetesAPI, Path: "/clusters$", Body: simulator.BodyRaw,
			Raw: `{"apiVersion":"postgresql.cnpg.io/v1","kind":"ClusterList","metadata":{},"items":[{"metadata":{"namespace":"pg-001","name":"pg-01","labels":"team=payments"}}]}`},
		"trident_protect": {API: simulator.KubernetesAPI, Path: "/applications$", Body: simulator.BodyRaw,
			Raw: `{"apiVersion":"protect.trident.netapp.io/v1","kind":"ApplicationList","metadata":{},"items":[{"metadata":{"namespace":"tp-001","name":"app-01","labels":["team=payments"]}}]}`},
	}
	for _, es := range ownerEstates() {
		f, ok := faults[es.provider]
		if !ok {
			continue
		}
		t.Run(es.provider, func(t *testing.T) {
			sim, yml := es.start(t)
			if err := sim.AddFault(f); err != nil {
				t.Fatal(err)
			}
			e := providertest.NewExporter(t, yml, providers.All(), collector.Options{})
			res := e.Collect(context.Background(), e.Targets())[0]
			if res.Err != nil || len(res.Resources) == 0 {
				t.Fatalf("%d resources, error %v", len(res.Resources), res.Err)
			}
			got := providertest.ScrapeText(t, e, "backup_resource_info")
			if strings.Contains(got, `team="`) || !strings.Contains(got, `environment="simulated"`) {
				t.Errorf("malformed tags gave labels, or the static ones are missing:\n%s", got)
			}
		})
	}
}

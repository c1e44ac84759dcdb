package azurepostgresqlltr

import (
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// kinds is this provider alone.
var kinds = toolkit.Registry{Type}

func newTestExporter(t testing.TB, yml string, opts collector.Options) *collector.Exporter {
	t.Helper()
	return providertest.NewExporter(t, yml, kinds, opts)
}

const pgServers = "/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourceGroups/exampleresourcegroup/providers/Microsoft.DBforPostgreSQL/flexibleServers"

func TestPGGolden(t *testing.T) {
	server := pgServers + "/exampleserver/ltrBackupOperations"
	single := func(file string) map[string]string {
		return map[string]string{server + "/exampleltrbackup": file}
	}
	const one = "backup: exampleltrbackup"
	for _, tc := range []struct {
		name   string
		routes map[string]string
		extra  string
	}{
		{"doc_example", single("op_doc_example.json"), one},
		{"succeeded", single("op_succeeded.json"), one},
		{"failed", single("op_failed.json"), one},
		{"cancelled", single("op_cancelled.json"), one},
		{"list_3_pages", map[string]string{
			server:                    "list_page1.json",
			server + "?$skiptoken=p2": "list_page2.json",
			server + "?$skiptoken=p3": "list_page3.json",
		}, ""},
		{"list_retention", map[string]string{
			server:                    "list_page1.json",
			server + "?$skiptoken=p2": "list_page2.json",
			server + "?$skiptoken=p3": "list_page3.json",
		}, "expected_interval: 7d, expected_retention: 90d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := providertest.ARMServer(t, tc.routes)
			target := `name: pg, type: azure_postgresql_ltr,
      subscription_id: ffffffff-ffff-ffff-ffff-ffffffffffff, resource_group: exampleresourcegroup, server: exampleserver`
			if tc.extra != "" {
				target += ", " + tc.extra
			}
			e := newTestExporter(t, srv.AzureConfig(target), collector.Options{})
			providertest.Golden(t, e, kinds, tc.name+".prom")
		})
	}
}

func TestAzureSimulatorPostgreSQLDiscovery(t *testing.T) {
	sim, ca := providertest.StartAzure(t, 0, 0, 3, 0)
	e := newTestExporter(t, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0", "name: pg, type: azure_postgresql_ltr"), collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_protected", "backup_backups")
	for _, want := range []string{
		`backup_protected{provider="azure_postgresql_ltr",resource_id="/subscriptions/` + providertest.AzureSubscription + `/resourceGroups/demo-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-server-01",resource_name="pg-server-01",target="pg"} 1`,
		`resource_name="pg-server-03",target="pg"} 0`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
}

// TestPGOperationsAreTheirOwnBackups: in the official examples an LTR
// operation's id is its server's, so operations are told apart by name:
// two operations count two, one listed twice counts once (issue 18).
func TestPGOperationsAreTheirOwnBackups(t *testing.T) {
	srv := providertest.ARMServer(t, map[string]string{pgServers + "/exampleserver/ltrBackupOperations": "list_server_ids.json"})
	e := newTestExporter(t, srv.AzureConfig(`name: pg, type: azure_postgresql_ltr,
      subscription_id: ffffffff-ffff-ffff-ffff-ffffffffffff, resource_group: exampleresourcegroup, server: exampleserver`), collector.Options{})
	if v, ok := providertest.ResourceValue(t, e, "backup_backups", map[string]string{"state": "succeeded"}); !ok || v != 2 {
		t.Errorf("succeeded backups = %v (%v), want 2", v, ok)
	}
}

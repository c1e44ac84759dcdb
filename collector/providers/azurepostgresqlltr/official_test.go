package azurepostgresqlltr

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

func official(t *testing.T, file string) string {
	return providertest.XMSExampleBody(t, "official/"+file)
}

const officialTarget = `name: pg, type: azure_postgresql_ltr, api_version: "2025-08-01",
      subscription_id: ffffffff-ffff-ffff-ffff-ffffffffffff, resource_group: exampleresourcegroup`

// TestPGOfficialExamples: what the provider exposes for the official
// examples (testdata/official/SOURCES): the LTR operation Get and
// ListByServer of exampleserver, and discovery through
// Servers_ListByResourceGroup, whose two servers are each answered with the
// ListByServer example.
func TestPGOfficialExamples(t *testing.T) {
	ops := pgServers + "/exampleserver/ltrBackupOperations"
	// The server list's nextLink names management.azure.com: it is pointed
	// at the test server (as ARM would answer on its own endpoint), and its
	// page is empty.
	body, err := os.ReadFile(official(t, "ServersListByResourceGroup.json"))
	if err != nil {
		t.Fatal(err)
	}
	servers := filepath.Join(t.TempDir(), "servers.json")
	if err := os.WriteFile(servers, bytes.Replace(body, []byte("https://management.azure.com/"), []byte("{{base}}/"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(empty, []byte(`{"value":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		routes map[string]string
		extra  string
	}{
		{"official_get", map[string]string{ops + "/exampleltrbackup": official(t, "LongTermRetentionOperationGet.json")}, ", server: exampleserver, backup: exampleltrbackup"},
		{"official_list", map[string]string{ops: official(t, "LongTermRetentionOperationListByServer.json")}, ", server: exampleserver"},
		{"official_discovery", map[string]string{
			pgServers:                           servers,
			pgServers + "?$skiptoken=skiptoken": empty,
			pgServers + "/exampleserver1/ltrBackupOperations": official(t, "LongTermRetentionOperationListByServer.json"),
			pgServers + "/exampleserver2/ltrBackupOperations": official(t, "LongTermRetentionOperationListByServer.json"),
		}, ""},
		// The servers' tags in the list as backup_resource_info's tag_*:
		// exampleserver1 is tagged VnetServer, exampleserver2 has none.
		{"official_owners", map[string]string{
			pgServers:                           servers,
			pgServers + "?$skiptoken=skiptoken": empty,
			pgServers + "/exampleserver1/ltrBackupOperations": official(t, "LongTermRetentionOperationListByServer.json"),
			pgServers + "/exampleserver2/ltrBackupOperations": official(t, "LongTermRetentionOperationListByServer.json"),
		}, ", resource_labels: [vnetserver, team], static_labels: {environment: production}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := providertest.ARMServer(t, tc.routes)
			e := newTestExporter(t, srv.AzureConfig(officialTarget+tc.extra), collector.Options{})
			providertest.Golden(t, e, kinds, tc.name+".prom")
		})
	}
}

// TestPGOfficialNextLinkElsewhereIsRefused: served exactly as published,
// the server list's nextLink points at management.azure.com, another host
// than the target's endpoint: the bearer token is not sent there, and the
// listing fails.
func TestPGOfficialNextLinkElsewhereIsRefused(t *testing.T) {
	srv := providertest.ARMServer(t, map[string]string{pgServers: official(t, "ServersListByResourceGroup.json")})
	e := newTestExporter(t, srv.AzureConfig(officialTarget), collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), "refusing a nextLink") {
		t.Errorf("error = %v, want the foreign nextLink refused", res.Err)
	}
}

package collector

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files of tests that support it")

const (
	anfAccount = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myRG/providers/Microsoft.NetApp/netAppAccounts/account1"
	pgServers  = "/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourceGroups/exampleresourcegroup/providers/Microsoft.DBforPostgreSQL/flexibleServers"
)

// fixtureAzureConfig is a one-target configuration whose credential logs
// in to the fixture server's Entra (a custom cloud).
func fixtureAzureConfig(srv *fixtureServer, target string) string {
	return fmt.Sprintf(`
global: {cache_ttl: 0}
credentials:
  - name: az
    azure:
      auth: client_secret
      tenant_id: 00000000-0000-0000-0000-00000000000a
      client_id: 00000000-0000-0000-0000-00000000000b
      client_secret: s3cret
      cloud: custom
      authority_host: %s
      resource_manager_endpoint: %s
    tls_config: {ca_file: %q}
targets:
  - {credential: az, %s}
`, srv.URL, srv.URL, srv.CAFile, target)
}

// goldenOrUpdate compares with testdata/golden, or rewrites it with
// -update (the diff is then reviewed by hand).
func goldenOrUpdate(t *testing.T, e *Exporter, golden string) {
	t.Helper()
	if *update {
		out := scrapeText(t, e, backupMetricNames()...)
		if err := os.WriteFile(filepath.Join("testdata", golden), []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	compareGolden(t, e, golden)
}

func TestANFGolden(t *testing.T) {
	volume := anfAccount + "/capacityPools/pool1/volumes/volume1"
	for _, tc := range []struct{ name, status string }{
		{"doc_example", "status_doc_example.json"},
		{"broken", "status_broken.json"},
		{"transferring", "status_transferring.json"},
		{"uninitialized", "status_uninitialized.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFixtureServer(t, "Bearer "+fixtureARMToken, map[string]string{
				volume + "/latestBackupStatus/current":      "azure_netapp_files/" + tc.status,
				anfAccount + "/backupVaults/vault1/backups": "azure_netapp_files/vault_backups.json",
			})
			e := newTestExporter(t, fixtureAzureConfig(srv, `name: anf, type: azure_netapp_files,
      subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: myRG,
      account: account1, pool: pool1, volume: volume1, backup_vault: vault1`), Options{})
			goldenOrUpdate(t, e, "azure_netapp_files/"+tc.name+".prom")
			for _, req := range srv.Requests() {
				if !strings.Contains(req, "oauth2") && !strings.Contains(req, "openid") && !strings.Contains(req, "api-version=2025-03-01") {
					t.Errorf("request without the target's api-version: %s", req)
				}
			}
		})
	}
}

func TestPGGolden(t *testing.T) {
	server := pgServers + "/exampleserver/ltrBackupOperations"
	single := func(file string) map[string]string {
		return map[string]string{server + "/exampleltrbackup": "azure_postgresql_ltr/" + file}
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
			server:                    "azure_postgresql_ltr/list_page1.json",
			server + "?$skiptoken=p2": "azure_postgresql_ltr/list_page2.json",
			server + "?$skiptoken=p3": "azure_postgresql_ltr/list_page3.json",
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newFixtureServer(t, "Bearer "+fixtureARMToken, tc.routes)
			target := `name: pg, type: azure_postgresql_ltr,
      subscription_id: ffffffff-ffff-ffff-ffff-ffffffffffff, resource_group: exampleresourcegroup, server: exampleserver`
			if tc.extra != "" {
				target += ", " + tc.extra
			}
			e := newTestExporter(t, fixtureAzureConfig(srv, target), Options{})
			goldenOrUpdate(t, e, "azure_postgresql_ltr/"+tc.name+".prom")
		})
	}
}

func TestBackupConfigured(t *testing.T) {
	for raw, want := range map[string]bool{
		``:     false,
		`null`: false,
		`{"backupPolicyId":"/subscriptions/x/policies/daily","policyEnforced":true,"backupVaultId":"/v"}`: true,
		`{"backupEnabled":true}`:  true,
		`{"backupEnabled":false}`: false,
		`{}`:                      true,
	} {
		if got := backupConfigured([]byte(raw)); got != want {
			t.Errorf("backupConfigured(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestANFStatusNormalisation(t *testing.T) {
	yes, no := true, false
	vault := []Backup{{Name: "daily-1", RawStatus: "Succeeded", State: StateSucceeded}}
	for _, tc := range []struct {
		status  anfBackupStatus
		state   State
		healthy bool
	}{
		{anfBackupStatus{Healthy: &no, RelationshipStatus: "Transferring", MirrorState: "Broken"}, StateFailed, false},
		{anfBackupStatus{Healthy: &yes, RelationshipStatus: "Transferring", MirrorState: "Uninitialized"}, StateRunning, true},
		{anfBackupStatus{Healthy: &yes, RelationshipStatus: "Idle", MirrorState: "Uninitialized"}, StatePending, true},
		{anfBackupStatus{Healthy: &yes, RelationshipStatus: "Failed", MirrorState: "Mirrored"}, StateFailed, false},
		{anfBackupStatus{Healthy: &yes, RelationshipStatus: "Unknown", MirrorState: "Mirrored"}, StateUnknown, true},
		{anfBackupStatus{Healthy: &yes, RelationshipStatus: "Idle", MirrorState: "Mirrored"}, StateSucceeded, true},
		{anfBackupStatus{Healthy: &yes, RelationshipStatus: "Resyncing", MirrorState: "Mirrored"}, StateUnknown, true},
	} {
		r := Summarize("id", "vol", append([]Backup(nil), vault...), true)
		tc.status.apply(&r)
		if r.CurrentState() != tc.state || r.Healthy != tc.healthy {
			t.Errorf("%+v: state %s healthy %v, want %s %v", tc.status, r.CurrentState(), r.Healthy, tc.state, tc.healthy)
		}
		if got := r.CurrentRawStatus(); got != tc.status.RelationshipStatus {
			t.Errorf("backup_info status = %q, want the relationshipStatus %q", got, tc.status.RelationshipStatus)
		}
		if r.Latest.Name != "daily-1" || vault[0].RawStatus != "Succeeded" {
			t.Errorf("latest backup %q, or the vault backup was modified", r.Latest.Name)
		}
	}
}

func TestANFWithoutReadableVaults(t *testing.T) {
	volume := anfAccount + "/capacityPools/pool1/volumes/volume1"
	srv := newFixtureServer(t, "Bearer "+fixtureARMToken, map[string]string{
		volume + "/latestBackupStatus/current": "azure_netapp_files/status_doc_example.json",
		// no backupVaults route: 404
	})
	e := newTestExporter(t, fixtureAzureConfig(srv, `name: anf, type: azure_netapp_files,
      subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: myRG,
      account: account1, pool: pool1, volume: volume1`), Options{})
	got := scrapeText(t, e, append(backupMetricNames(), "backup_exporter_target_up")...)
	for _, want := range []string{
		`backup_exporter_target_up{provider="azure_netapp_files",target="anf"} 1`,
		`backup_healthy{provider="azure_netapp_files",resource_id="` + volume + `",resource_name="volume1",target="anf"} 1`,
		`backup_info{backup="",provider="azure_netapp_files",resource_id="` + volume + `",resource_name="volume1",status="Idle",target="anf"} 1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
	for _, absent := range []string{"backup_backups{", "backup_last_success_timestamp_seconds{"} {
		if strings.Contains(got, absent) {
			t.Errorf("%s without vault data:\n%s", absent, got)
		}
	}
}

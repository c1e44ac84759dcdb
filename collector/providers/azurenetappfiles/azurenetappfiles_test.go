package azurenetappfiles

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// kinds is this provider alone.
var kinds = toolkit.Registry{Type}

func newTestExporter(t testing.TB, yml string, opts collector.Options) *collector.Exporter {
	t.Helper()
	return providertest.NewExporter(t, yml, kinds, opts)
}

const (
	anfAccount = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myRG/providers/Microsoft.NetApp/netAppAccounts/account1"
)

func TestANFGolden(t *testing.T) {
	volume := anfAccount + "/capacityPools/pool1/volumes/volume1"
	for _, tc := range []struct{ name, status string }{
		{"doc_example", "status_doc_example.json"},
		{"broken", "status_broken.json"},
		{"transferring", "status_transferring.json"},
		{"uninitialized", "status_uninitialized.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := providertest.ARMServer(t, map[string]string{
				volume + "/latestBackupStatus/current":      tc.status,
				anfAccount + "/backupVaults/vault1/backups": "vault_backups.json",
			})
			e := newTestExporter(t, srv.AzureConfig(`name: anf, type: azure_netapp_files,
      subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: myRG,
      account: account1, pool: pool1, volume: volume1, backup_vault: vault1`), collector.Options{})
			providertest.Golden(t, e, kinds, tc.name+".prom")
			for _, req := range srv.Requests() {
				if !strings.Contains(req, "oauth2") && !strings.Contains(req, "openid") && !strings.Contains(req, "api-version=2025-03-01") {
					t.Errorf("request without the target's api-version: %s", req)
				}
			}
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
	vault := []toolkit.Backup{{Name: "daily-1", RawStatus: "Succeeded", State: toolkit.StateSucceeded}}
	for _, tc := range []struct {
		status  anfBackupStatus
		state   toolkit.State
		healthy bool
	}{
		{anfBackupStatus{Healthy: &no, RelationshipStatus: "Transferring", MirrorState: "Broken"}, toolkit.StateFailed, false},
		{anfBackupStatus{Healthy: &yes, RelationshipStatus: "Transferring", MirrorState: "Uninitialized"}, toolkit.StateRunning, true},
		{anfBackupStatus{Healthy: &yes, RelationshipStatus: "Idle", MirrorState: "Uninitialized"}, toolkit.StatePending, true},
		{anfBackupStatus{Healthy: &yes, RelationshipStatus: "Failed", MirrorState: "Mirrored"}, toolkit.StateFailed, false},
		{anfBackupStatus{Healthy: &yes, RelationshipStatus: "Unknown", MirrorState: "Mirrored"}, toolkit.StateUnknown, true},
		{anfBackupStatus{Healthy: &yes, RelationshipStatus: "Idle", MirrorState: "Mirrored"}, toolkit.StateSucceeded, true},
		{anfBackupStatus{Healthy: &yes, RelationshipStatus: "Resyncing", MirrorState: "Mirrored"}, toolkit.StateUnknown, true},
	} {
		r := toolkit.Summarize("id", "vol", append([]toolkit.Backup(nil), vault...), true)
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
	srv := providertest.ARMServer(t, map[string]string{
		volume + "/latestBackupStatus/current": "status_doc_example.json",
		// no backupVaults route: 404
	})
	e := newTestExporter(t, srv.AzureConfig(`name: anf, type: azure_netapp_files,
      subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: myRG,
      account: account1, pool: pool1, volume: volume1`), collector.Options{})
	got := providertest.ScrapeText(t, e, append(providertest.BackupMetricNames(kinds), "backup_exporter_target_up")...)
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

func TestAzureSimulatorDiscoversPoolsAndVolumes(t *testing.T) {
	sim, ca := providertest.StartAzure(t, 2, 3, 0, 0)
	reg := prometheus.NewRegistry()
	api := upstream.NewMetrics(reg)
	e := newTestExporter(t, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0",
		"name: anf, type: azure_netapp_files, account: "+simulator.DefaultAzureNetAppAccount), collector.Options{APIMetrics: api})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Resources) != 6 {
		t.Fatalf("found %d volumes, want 2 pools × 3", len(res.Resources))
	}
	protected := 0
	for _, r := range res.Resources {
		if r.Protected {
			protected++
			if r.CurrentRawStatus() == "" || r.Counts == nil || len(r.Extra) == 0 {
				t.Errorf("volume %s lacks status or vault backups: %+v", r.Name, r)
			}
		}
	}
	if protected != 5 {
		t.Errorf("%d protected volumes, want 5 (the generator leaves the last without backup)", protected)
	}
	// One list of pools, two of volumes, one of vaults, one of the vault's
	// backups and five status reads; the gauge holds whichever answer
	// came last, and the status reads run concurrently, beside the list
	// of the vault's backups (the third request at the earliest).
	quota, _ := providertest.Value(t, reg, "backup_exporter_azure_ratelimit_remaining_reads", map[string]string{"subscription_id": providertest.AzureSubscription})
	if quota < simulator.AzureRateLimitReads-10 || quota > simulator.AzureRateLimitReads-3 {
		t.Errorf("remaining reads = %v, want 11990..11997 after 10 requests", quota)
	}

	// A volume deleted between scrapes disappears.
	if err := sim.DeleteANFVolume(providertest.AzureSubscription, simulator.DefaultAzureResourceGroup, simulator.DefaultAzureNetAppAccount, "pool-01", "vol-002"); err != nil {
		t.Fatal(err)
	}
	got := providertest.ScrapeText(t, e, "backup_protected")
	if strings.Contains(got, `resource_name="vol-002"`) {
		t.Errorf("deleted volume still exposed:\n%s", got)
	}
	if n := strings.Count(got, "backup_protected{"); n != 5 {
		t.Errorf("%d volumes after deleting one, want 5:\n%s", n, got)
	}
}

package azurenetappfiles

import (
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// officialRoutes serves the official examples (testdata/official/SOURCES)
// of every call the provider makes for account1 of myRG.
func officialRoutes(t *testing.T) map[string]string {
	x := func(file string) string { return providertest.XMSExampleBody(t, "official/"+file) }
	return map[string]string{
		anfAccount + "/capacityPools":                                                  x("Pools_List.json"),
		anfAccount + "/capacityPools/pool1/volumes":                                    x("Volumes_List.json"),
		anfAccount + "/capacityPools/pool1/volumes/volume1/latestBackupStatus/current": x("Volumes_LatestBackupStatus.json"),
		anfAccount + "/backupVaults":                                                   x("BackupVaults_List.json"),
		anfAccount + "/backupVaults/backupVault1/backups":                              x("BackupsUnderBackupVault_List.json"),
	}
}

// TestANFOfficialExamples: what the provider exposes for the official
// examples. Discovering the account finds volume1, whose example has no
// properties.dataProtection.backup (so no latestBackupStatus is read), but
// whose backup1 in backupVault1 makes it protected; naming the volume
// reads its latestBackupStatus too.
func TestANFOfficialExamples(t *testing.T) {
	for _, tc := range []struct{ name, target string }{
		{"official_discovery", ""},
		{"official_volume", ", pool: pool1, volume: volume1, backup_vault: backupVault1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := providertest.ARMServer(t, officialRoutes(t))
			e := newTestExporter(t, srv.AzureConfig(`name: anf, type: azure_netapp_files, api_version: "2025-06-01",
      subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: myRG, account: account1`+tc.target), collector.Options{})
			providertest.Golden(t, e, kinds, tc.name+".prom")
		})
	}
}

// TestANFBackupsMatchVolumesByParts: the official Backups_ListByVault
// example names its volume ".../capacityPool/pool1/volumes/volume1"
// (singular), the volume's own ID ".../capacityPools/pool1/...": the
// backup is still the volume's, so its last success is backup1's
// completionDate (2017-08-15T13:23:33Z), not 0.
func TestANFBackupsMatchVolumesByParts(t *testing.T) {
	srv := providertest.ARMServer(t, officialRoutes(t))
	e := newTestExporter(t, srv.AzureConfig(`name: anf, type: azure_netapp_files, api_version: "2025-06-01",
      subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: myRG, account: account1,
      pool: pool1, volume: volume1, backup_vault: backupVault1`), collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_last_success_timestamp_seconds", "backup_info")
	labels := `provider="azure_netapp_files",resource_id="` + anfAccount + `/capacityPools/pool1/volumes/volume1",resource_name="volume1",`
	for _, want := range []string{
		"backup_last_success_timestamp_seconds{" + labels + `target="anf"} 1.502803413e+09`,
		`backup_info{backup="backup1",` + labels + `status="Idle",target="anf"} 1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
}

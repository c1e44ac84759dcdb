package azurebackup

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

const (
	officialVaults = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/SwaggerTestRg/providers/Microsoft.RecoveryServices/vaults"
	officialTarget = `name: ab, type: azure_backup, subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: SwaggerTestRg`
)

func official(t *testing.T, file string) string {
	return providertest.XMSExampleBody(t, "official/"+file)
}

// officialVaultRoutes serves vault v of SwaggerTestRg with the official
// protected items, jobs (jobsFile) and protectable items examples.
func officialVaultRoutes(t *testing.T, v, jobsFile string) map[string]string {
	p := officialVaults + "/" + v
	return map[string]string{
		p + "/backupProtectedItems":   official(t, "BackupProtectedItems_List.json"),
		p + "/backupJobs":             official(t, jobsFile),
		p + "/backupProtectableItems": official(t, "BackupProtectableItems_List.json"),
	}
}

// TestAzureBackupOfficialExamples: what the provider exposes for the
// official examples (testdata/official/SOURCES). The protected VM iaasvm-1
// has no Backup job of its own in the examples (theirs are of "testvm"),
// so its state and times come from lastBackupStatus, lastBackupTime and
// lastRecoveryPoint; the protectable item is the same VM, so it is not
// also reported unprotected.
func TestAzureBackupOfficialExamples(t *testing.T) {
	for _, jobs := range []string{"ListJobs.json", "ListJobsWithAllSupportedFilters.json"} {
		t.Run(jobs, func(t *testing.T) {
			srv := providertest.ARMServer(t, officialVaultRoutes(t, "NetSDKTestRsVault", jobs))
			e := providertest.NewExporter(t, srv.AzureConfig(officialTarget+", vault: NetSDKTestRsVault"), kinds, collector.Options{})
			providertest.Golden(t, e, kinds, "official_vault.prom")
		})
	}
}

// TestAzureBackupOfficialVaultList: the official Vaults_ListByResourceGroup
// example names three vaults, all read. Only swaggerExample is given the
// official item examples; the other two answer empty lists of our own.
func TestAzureBackupOfficialVaultList(t *testing.T) {
	const rg = "/subscriptions/77777777-b0c6-47a2-b37c-d8e65a629c18/resourceGroups/Default-RecoveryServices-ResourceGroup/providers/Microsoft.RecoveryServices/vaults"
	empty := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(empty, []byte(`{"value":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	routes := map[string]string{rg: official(t, "ListResources.json")}
	for _, v := range []string{"patchtest", "swaggerExample", "today1"} {
		for _, l := range []string{"backupProtectedItems", "backupJobs", "backupProtectableItems"} {
			routes[rg+"/"+v+"/"+l] = empty
		}
	}
	routes[rg+"/swaggerExample/backupProtectedItems"] = official(t, "BackupProtectedItems_List.json")
	routes[rg+"/swaggerExample/backupJobs"] = official(t, "ListJobs.json")
	routes[rg+"/swaggerExample/backupProtectableItems"] = official(t, "BackupProtectableItems_List.json")
	srv := providertest.ARMServer(t, routes)
	e := providertest.NewExporter(t, srv.AzureConfig(`name: ab, type: azure_backup, subscription_id: 77777777-b0c6-47a2-b37c-d8e65a629c18, resource_group: Default-RecoveryServices-ResourceGroup`), kinds, collector.Options{})
	providertest.Golden(t, e, kinds, "official_vault.prom")
	for _, v := range []string{"patchtest", "swaggerExample", "today1"} {
		if !strings.Contains(strings.Join(srv.Requests(), "\n"), "/vaults/"+v+"/backupProtectedItems") {
			t.Errorf("vault %s of the list was not read", v)
		}
	}
}

// TestAzureBackupOfficialJobDetails: the official JobDetails_Get example
// (read for a job in progress) decodes as a running Backup job; it shows
// extendedInfo.tasksList but no progressPercentage, so no progress.
func TestAzureBackupOfficialJobDetails(t *testing.T) {
	raw, err := os.ReadFile(official(t, "GetJobDetails.json"))
	if err != nil {
		t.Fatal(err)
	}
	var j job
	if err := json.Unmarshal(raw, &j); err != nil {
		t.Fatal(err)
	}
	b := j.toBackup()
	if b.State != toolkit.StateRunning || b.RawStatus != "InProgress" || b.Start.IsZero() || !b.End.IsZero() || b.Progress != nil || b.Error != nil {
		t.Errorf("job details decode to %+v", b)
	}
	if j.Properties.EntityFriendlyName != "testvm" || j.Properties.BackupManagementType != "AzureIaasVM" || j.Properties.Operation != "Backup" {
		t.Errorf("job keys %+v", j.Properties)
	}
}

// TestAzureBackupNoJobTimesFromItem: the official protected item has no
// job in the window, lastBackupStatus Completed, lastBackupTime
// 2018-01-22T12:25:32.048723Z and lastRecoveryPoint two months older:
// the latest backup started at lastBackupTime and the last success is the
// newer of the two (metrics.md, azure_backup "Times").
func TestAzureBackupNoJobTimesFromItem(t *testing.T) {
	srv := providertest.ARMServer(t, officialVaultRoutes(t, "NetSDKTestRsVault", "ListJobs.json"))
	e := providertest.NewExporter(t, srv.AzureConfig(officialTarget+", vault: NetSDKTestRsVault"), kinds, collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_start_timestamp_seconds", "backup_last_success_timestamp_seconds")
	labels := `{provider="azure_backup",resource_id="/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/providers/Microsoft.ClassicCompute/virtualMachines/iaasvm-1",resource_name="iaasvm-1",target="ab"}`
	for _, want := range []string{
		"backup_start_timestamp_seconds" + labels + " 1.516623932048723e+09",
		"backup_last_success_timestamp_seconds" + labels + " 1.516623932048723e+09",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
}

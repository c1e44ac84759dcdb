package azurebackup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// serveVault serves vault rsv-prod with the given protected items and
// Backup jobs (JSON arrays of ARM resources) and no protectable item.
func serveVault(t *testing.T, items, jobs string) *providertest.Server {
	t.Helper()
	dir := t.TempDir()
	write := func(name, body string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	p := vaults + "/rsv-prod"
	return providertest.ARMServer(t, map[string]string{
		p + "/backupProtectedItems":   write("items.json", `{"value":`+items+`}`),
		p + "/backupJobs":             write("jobs.json", `{"value":`+jobs+`}`),
		p + "/backupProtectableItems": write("protectable.json", `{"value":[]}`),
	})
}

// TestAzureBackupShareIsAlwaysItsOwnID: a file share is the share's own
// ID under its storage account, also when it is the account's only
// protected share (the ID must not change when a second one is
// protected).
func TestAzureBackupShareIsAlwaysItsOwnID(t *testing.T) {
	const account = "/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourceGroups/rg-app/providers/Microsoft.Storage/storageAccounts/stonly"
	srv := serveVault(t, `[{"id":"`+vaults+`/rsv-prod/backupFabrics/Azure/protectionContainers/StorageContainer;Storage;rg-app;stonly/protectedItems/AzureFileShare;stonly;share9",
"name":"AzureFileShare;StorageContainer;Storage;rg-app;stonly;share9",
"properties":{"friendlyName":"share9","backupManagementType":"AzureStorage","workloadType":"AzureFileShare",
"sourceResourceId":"`+account+`","lastBackupStatus":"Completed","lastRecoveryPoint":"2026-12-01T21:10:00Z"}}]`, `[]`)
	e := providertest.NewExporter(t, srv.AzureConfig(target+", vault: rsv-prod"), kinds, collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_protected")
	want := `backup_protected{provider="azure_backup",resource_id="` + account + `/fileServices/default/shares/share9",resource_name="share9",target="ab"} 1`
	if !strings.Contains(got, want) {
		t.Errorf("want %s in\n%s", want, got)
	}
}

// TestAzureBackupErrorFieldByField: the latest job's first errorDetails
// entry has an errorCode but no errorString: the code is the job's, the
// message the item's first healthDetails message.
func TestAzureBackupErrorFieldByField(t *testing.T) {
	const vm = "/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-x"
	srv := serveVault(t, `[{"id":"`+vaults+`/rsv-prod/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;vm-x/protectedItems/VM;iaasvmcontainerv2;rg-app;vm-x",
"name":"VM;iaasvmcontainerv2;rg-app;vm-x",
"properties":{"friendlyName":"vm-x","backupManagementType":"AzureIaasVM","workloadType":"VM","sourceResourceId":"`+vm+`",
"lastBackupStatus":"Failed","healthStatus":"ActionRequired",
"healthDetails":[{"code":400001,"title":"VM agent unresponsive","message":"The VM agent could not be reached.","recommendations":[]}]}}]`,
		`[{"id":"`+vaults+`/rsv-prod/backupJobs/j1","name":"j1","properties":{"jobType":"AzureIaaSVMJob","entityFriendlyName":"vm-x",
"backupManagementType":"AzureIaasVM","operation":"Backup","status":"Failed","startTime":"2026-12-02T22:00:00Z","endTime":"2026-12-02T22:10:00Z",
"errorDetails":[{"errorCode":"UserErrorVmProvisioningStateFailed"}]}}]`)
	e := providertest.NewExporter(t, srv.AzureConfig(target+", vault: rsv-prod"), kinds, collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_error_info")
	want := `backup_error_info{code="UserErrorVmProvisioningStateFailed",message="The VM agent could not be reached.",provider="azure_backup",resource_id="` + vm + `",resource_name="vm-x",target="ab"} 1`
	if !strings.Contains(got, want) {
		t.Errorf("want %s in\n%s", want, got)
	}
}

package azuredataprotection

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

func official(t *testing.T, file string) string {
	return providertest.XMSExampleBody(t, "official/"+file)
}

// decodeOfficial decodes the example's 200 body into v.
func decodeOfficial(t *testing.T, file string, v any) {
	t.Helper()
	raw, err := os.ReadFile(official(t, file))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

const officialVault = "/subscriptions/04cf684a-d41f-4550-9f70-7708a3a2283b/resourceGroups/000pikumar/providers/Microsoft.DataProtection/backupVaults/PratikPrivatePreviewVault1"

// officialRoutes serve the official examples as the vault
// PratikPrivatePreviewVault1 of the instance example: its instance
// harshitbi2 (resource testdb), the jobs example (of another vault's
// instances, and of 2021: none of them is the instance's), its policy
// PratikPolicy1 as the policy example (weekly), and the recovery points
// example as harshitbi2's.
func officialRoutes(t *testing.T) map[string]string {
	return map[string]string{
		officialVault + "/backupInstances":                           official(t, "ListBackupInstances.json"),
		officialVault + "/backupJobs":                                official(t, "ListJobs.json"),
		officialVault + "/backupPolicies/PratikPolicy1":              official(t, "GetBackupPolicy.json"),
		officialVault + "/backupInstances/harshitbi2/recoveryPoints": official(t, "ListRecoveryPoints.json"),
	}
}

const officialTarget = `name: dp, type: azure_dataprotection, subscription_id: 04cf684a-d41f-4550-9f70-7708a3a2283b, resource_group: 000pikumar, vault: PratikPrivatePreviewVault1`

// TestAzureDataProtectionOfficialExamples: what the provider exposes for
// the official examples (testdata/official/SOURCES). The instance has no
// currentProtectionState (its protectionStatus.status NotProtected is not
// that field), so it is protected; no job of the window is its, so the
// newest recovery point is its latest backup and gives the last success;
// the policy's "R/2019-11-20T08:00:00-08:00/P1W" is due weekly. With
// read_recovery_points, both points (one id, two names) are counted, the
// oldest success is theirs and the expiry is the first's (the second has
// none).
func TestAzureDataProtectionOfficialExamples(t *testing.T) {
	for _, tc := range []struct{ extra, golden string }{
		{"", "official_vault.prom"},
		{", read_recovery_points: true", "official_recovery_points.prom"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			srv := providertest.ARMServer(t, officialRoutes(t))
			e := providertest.NewExporter(t, srv.AzureConfig(officialTarget+tc.extra), kinds, collector.Options{})
			providertest.Golden(t, e, kinds, tc.golden)
		})
	}
}

// TestAzureDataProtectionOfficialVaultLists: the vaults of the official
// lists are each read, at the path rebuilt from their IDs (written
// "BackupVaults" there): in a resource group, and in a subscription whose
// vaults are in two resource groups.
func TestAzureDataProtectionOfficialVaultLists(t *testing.T) {
	const sub = "/subscriptions/0b352192-dcac-4cc7-992e-a96190ccc68c"
	empty := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(empty, []byte(`{"value":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, list, file, target string
		want                     []string
	}{
		{"resource group", sub + "/resourceGroups/SampleResourceGroup/providers/Microsoft.DataProtection/backupVaults", "GetBackupVaultsInResourceGroup.json",
			", resource_group: SampleResourceGroup", []string{"SampleResourceGroup/providers/Microsoft.DataProtection/backupVaults/ExampleVault1", "SampleResourceGroup/providers/Microsoft.DataProtection/backupVaults/ExampleVault2"}},
		{"subscription", sub + "/providers/Microsoft.DataProtection/backupVaults", "GetBackupVaultsInSubscription.json",
			"", []string{"SampleResourceGroup/providers/Microsoft.DataProtection/backupVaults/ExampleVault2", "SampleResourceGroup2/providers/Microsoft.DataProtection/backupVaults/ExampleVault1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			routes := map[string]string{tc.list: official(t, tc.file)}
			for _, v := range tc.want {
				routes[sub+"/resourceGroups/"+v+"/backupInstances"] = empty
				routes[sub+"/resourceGroups/"+v+"/backupJobs"] = empty
			}
			srv := providertest.ARMServer(t, routes)
			e := providertest.NewExporter(t, srv.AzureConfig(`name: dp, type: azure_dataprotection, subscription_id: 0b352192-dcac-4cc7-992e-a96190ccc68c`+tc.target), kinds, collector.Options{})
			if up := providertest.TargetUp(t, e)["dp"]; up != 1 {
				t.Fatalf("target down")
			}
			var read []string
			for _, r := range srv.Requests() {
				if v, ok := strings.CutSuffix(strings.Split(r, "?")[0], "/backupInstances"); ok {
					read = append(read, strings.TrimPrefix(v, sub+"/resourceGroups/"))
				}
			}
			slices.Sort(read)
			if !slices.Equal(read, tc.want) {
				t.Errorf("vaults read %v, want %v", read, tc.want)
			}
		})
	}
}

// TestAzureDataProtectionOfficialItems: the single-item examples decode
// as the provider reads them: the jobs of the list (Started: running, no
// end; Succeeded: succeeded with its end), the job's own GET (its
// extendedInfo has subTasks but no dataTransferredInBytes: no bytes), the
// instance's GET, the vault's GET (its ID, written "Backupvaults", is a
// Backup vault's), and the policy (weekly, scheduled).
func TestAzureDataProtectionOfficialItems(t *testing.T) {
	var jobs struct{ Value []job }
	decodeOfficial(t, "ListJobs.json", &jobs)
	var states []string
	for i := range jobs.Value {
		j := &jobs.Value[i]
		if err := j.Check(); err != nil {
			t.Errorf("%s: %v", j.Name, err)
		}
		b := j.backup()
		states = append(states, string(b.State))
		if b.Start.IsZero() || (b.State == toolkit.StateSucceeded) == b.End.IsZero() || b.Error != nil {
			t.Errorf("job %s decodes to %+v", j.Name, b)
		}
		if _, ok := childPath(j.ID, "backupJobs"); !ok {
			t.Errorf("job ID %s is not a Backup vault job's", j.ID)
		}
		if _, ok := childPath(j.Properties.BackupInstanceID, "backupInstances"); !ok {
			t.Errorf("backupInstanceId %s is not an instance's", j.Properties.BackupInstanceID)
		}
	}
	if want := []string{"running", "running", "running", "succeeded"}; !slices.Equal(states, want) {
		t.Errorf("job states %v, want %v", states, want)
	}
	var detail job
	decodeOfficial(t, "GetJob.json", &detail)
	if detail.Properties.ExtendedInfo == nil || detail.Properties.ExtendedInfo.DataTransferredInBytes != nil || detail.backup().State != toolkit.StateRunning {
		t.Errorf("job detail decodes to %+v", detail.Properties)
	}
	var it backupInstance
	decodeOfficial(t, "GetBackupInstance.json", &it)
	if err := it.Check(); err != nil || it.resourceID() == "" || it.label() != "testdb" || !it.protected() || it.unhealthyReason() != "" || it.instanceError() != nil {
		t.Errorf("instance decodes to %+v (%v)", it, err)
	}
	var v vault
	decodeOfficial(t, "GetBackupVault.json", &v)
	if path, ok := childPath(v.ID, ""); v.Check() != nil || !ok || !strings.HasSuffix(path, "/providers/Microsoft.DataProtection/backupVaults/swaggerExample") {
		t.Errorf("vault %+v: path %q", v, path)
	}
	var pol backupPolicy
	decodeOfficial(t, "GetBackupPolicy.json", &pol)
	if s := pol.schedule(); pol.Check() != nil || !s.scheduled || s.interval != 7*24*time.Hour {
		t.Errorf("policy schedule %+v", s)
	}
}

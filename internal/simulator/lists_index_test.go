package simulator

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The lists' indexes and cached filter answers are dropped by a change of
// the data: a list asked before and after a mutator sees the change.

func TestARMListIndexFollowsChanges(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)

	// A volume's backups ($filter), then one more backup of it.
	volID := azANFBase + "/capacityPools/pool-premium/volumes/app-data"
	byVolume := azANFBase + "/backupVaults/demo-vault/backups" + azANFVer + azFilter("volumeResourceId eq '"+strings.ToUpper(volID)+"'")
	before, _ := azAll(t, c, s, byVolume, tok)
	if len(before) == 0 {
		t.Fatal("no backups of app-data")
	}
	s.AddANFBackup(azSub, "demo-rg", "demo-account", "demo-vault", ANFBackup{Name: "app-data-extra", Volume: "pool-premium/app-data"})
	after, _ := azAll(t, c, s, byVolume, tok)
	if len(after) != len(before)+1 || !strings.HasSuffix(after[len(after)-1]["name"].(string), "/app-data-extra") {
		t.Errorf("after AddANFBackup: %d backups, want %d", len(after), len(before)+1)
	}
	if resp, _ := azGet(t, c, s, azANFBase+"/backupVaults/demo-vault/backups/APP-DATA-EXTRA"+azANFVer, tok); resp.StatusCode != 200 {
		t.Errorf("GET the added backup: %d", resp.StatusCode)
	}

	// A vault's filtered jobs, newest first, then a newer job.
	jobs := azRSVault + "/backupJobs" + azBkVer + azFilter("operation eq 'Backup'")
	before, _ = azAll(t, c, s, jobs, tok)
	s.AddRSJob(azSub, "demo-rg", DefaultAzureRecoveryServicesVault, RSJob{Name: "99999999-2222-4333-8444-555555555555", Item: "web-01",
		StartTime: time.Now().UTC().Add(-time.Minute).Format(time.RFC3339), Status: "InProgress"})
	after, _ = azAll(t, c, s, jobs, tok)
	if len(after) != len(before)+1 || after[0]["name"] != "99999999-2222-4333-8444-555555555555" {
		t.Errorf("after AddRSJob: %d jobs (first %v), want %d, the new one first", len(after), after[0]["name"], len(before)+1)
	}

	// A vault's filtered protected items, then an item changes kind.
	vms := azRSVault + "/backupProtectedItems" + azBkVer + azFilter("backupManagementType eq 'AzureIaasVM'")
	before, _ = azAll(t, c, s, vms, tok)
	if err := s.UpdateRSVault(azSub, "demo-rg", DefaultAzureRecoveryServicesVault, func(v *RSVault) {
		for i := range v.ProtectedItems {
			if v.ProtectedItems[i].Name == "web-01" {
				v.ProtectedItems[i].Kind, v.ProtectedItems[i].StorageAccount = RSKindFileShare, "sa"
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	after, _ = azAll(t, c, s, vms, tok)
	if len(after) != len(before)-1 {
		t.Errorf("after UpdateRSVault: %d VMs, want %d", len(after), len(before)-1)
	}

	// A server added to a new resource group is found.
	s.AddPGOperation(azSub, "other-rg", "Pg-New", PGOperation{Name: "ltr-1", Status: "Succeeded"})
	ops, _ := azAll(t, c, s, strings.Replace(azANFBase, "demo-rg/providers/Microsoft.NetApp/netAppAccounts/demo-account", "OTHER-RG", 1)+
		"/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-new/ltrBackupOperations?api-version="+AzurePostgresAPIVersion, tok)
	if len(ops) != 1 {
		t.Errorf("ops of the added server: %v", ops)
	}
}

func TestAstraListIndexFollowsChanges(t *testing.T) {
	s, c := startDemo(t)
	count := func(path string) int {
		t.Helper()
		resp, body := get(t, c, s, path+"?count=true&limit=1")
		var n int
		if _, err := fmt.Sscanf(string(body[strings.Index(string(body), `"count":`)+8:]), "%d", &n); resp.StatusCode != 200 || err != nil {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		return n
	}
	all := count("/accounts/demo-account/topology/v1/appBackups")
	apps := count("/accounts/demo-account/k8s/v2/apps")
	s.AddAstraBackup(testAccount, "new-app", AstraBackup{ID: "new-backup", Name: "n", State: "pending"})
	if got := count("/accounts/demo-account/topology/v1/appBackups"); got != all+1 {
		t.Errorf("topology after AddAstraBackup: %d, want %d", got, all+1)
	}
	if got := count("/accounts/demo-account/k8s/v2/apps"); got != apps+1 {
		t.Errorf("apps after AddAstraBackup: %d, want %d", got, apps+1)
	}
	if got := count("/accounts/demo-account/k8s/v1/apps/" + url.PathEscape("new-app") + "/appBackups"); got != 1 {
		t.Errorf("new app's backups: %d", got)
	}
}

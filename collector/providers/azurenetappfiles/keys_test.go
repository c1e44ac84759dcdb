package azurenetappfiles

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// TestBackupKeysEqualExactlyWhenLoweredIDsAre: two vault backups get the
// same key exactly when their IDs are equal lowered, as when the lowered
// ID was the key (IDs in mixed case, with and without '/', non-ASCII and
// invalid UTF-8, listed from several vaults at once); no ID, no key; a
// key is much shorter than the ID.
func TestBackupKeysEqualExactlyWhenLoweredIDsAre(t *testing.T) {
	parts := []string{"/subscriptions/S1/resourceGroups/RG/providers/Microsoft.NetApp/netAppAccounts/a/backupVaults/",
		"/SUBSCRIPTIONS/s1/resourcegroups/rg/providers/microsoft.netapp/netappaccounts/A/backupvaults/",
		"v1/backups/", "V1/Backups/", "", "/", "//", "Ä/", "ä/", "\xff/", "\xfe/", "x\x00/", "\x00\x00\x00\x01"}
	names := []string{"", "b1", "B1", "daily-1", "DAILY-1", "Ä", "ä", "\xff", "\x00", "k/b1", "/", "\xc3"}
	rng := rand.New(rand.NewPCG(21, 3))
	ids := []string{""}
	for range 3000 {
		id := ""
		for range rng.IntN(4) {
			id += parts[rng.IntN(len(parts))]
		}
		ids = append(ids, id+names[rng.IntN(len(names))])
	}
	k := newBackupKeys()
	keys := make([]string, len(ids))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ids); i += 4 {
				keys[i] = k.key(ids[i])
			}
		}()
	}
	wg.Wait()
	byKey := map[string]string{}
	for i, id := range ids {
		lowered := strings.ToLower(id)
		if (keys[i] == "") != (lowered == "") {
			t.Fatalf("key(%q) = %q", id, keys[i])
		}
		if other, ok := byKey[keys[i]]; ok && other != lowered {
			t.Fatalf("%q and %q have the same key %q", other, lowered, keys[i])
		}
		byKey[keys[i]] = lowered
	}
	seen := map[string]string{}
	for i, id := range ids {
		lowered := strings.ToLower(id)
		if key, ok := seen[lowered]; ok && key != keys[i] {
			t.Fatalf("%q: keys %q and %q", id, key, keys[i])
		}
		seen[lowered] = keys[i]
	}
	long := "/subscriptions/S1/resourceGroups/RG/providers/Microsoft.NetApp/netAppAccounts/a/backupVaults/v1/backups/vol-001-daily-20261124"
	if key := k.key(long); len(key) != 4+len("vol-001-daily-20261124") {
		t.Errorf("key of %q is %q", long, key)
	}
}

// TestANFVolumesDifferingInCaseShareTheirBackups: two volumes whose IDs
// differ only in case are two resources that both match the vault backups
// of that volume (matching is case-insensitive), from every vault: a
// volume's backups are let go only after the last record that reads them
// is built, and the vaults' groups are merged.
func TestANFVolumesDifferingInCaseShareTheirBackups(t *testing.T) {
	dir := t.TempDir()
	file := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	volume := func(id, name string) string {
		return `{"id":"` + anfAccount + `/capacityPools/pool1/volumes/` + id + `","name":"account1/pool1/` + name + `","properties":{"provisioningState":"Succeeded"}}`
	}
	backup := func(vault, name, volumeID, created string) string {
		return `{"id":"` + anfAccount + `/backupVaults/` + vault + `/backups/` + name + `","name":"account1/` + vault + `/` + name + `",
			"properties":{"creationDate":"` + created + `","completionDate":"` + created + `","provisioningState":"Succeeded","volumeResourceId":"` + volumeID + `"}}`
	}
	lower := anfAccount + "/capacityPools/pool1/volumes/volume1"
	upper := strings.ToUpper(anfAccount) + "/CAPACITYPOOL/POOL1/VOLUMES/VOLUME1"
	srv := providertest.ARMServer(t, map[string]string{
		anfAccount + "/capacityPools":               file("pools.json", `{"value":[{"id":"`+anfAccount+`/capacityPools/pool1","name":"account1/pool1"}]}`),
		anfAccount + "/capacityPools/pool1/volumes": file("volumes.json", `{"value":[`+volume("volume1", "volume1")+`,`+volume("VOLUME1", "VOLUME1")+`]}`),
		anfAccount + "/backupVaults":                file("vaults.json", `{"value":[{"name":"account1/v1"},{"name":"account1/v2"}]}`),
		anfAccount + "/backupVaults/v1/backups": file("v1.json", `{"value":[`+backup("v1", "b1", lower, "2026-11-20T01:00:00Z")+`,`+
			backup("v1", "b2", upper, "2026-11-21T01:00:00Z")+`,`+backup("v1", "B2", lower, "2026-11-21T01:00:00Z")+`]}`),
		anfAccount + "/backupVaults/v2/backups": file("v2.json", `{"value":[`+backup("v2", "b2", upper, "2026-11-22T01:00:00Z")+`]}`),
	})
	e := newTestExporter(t, srv.AzureConfig(`name: anf, type: azure_netapp_files, api_version: "2025-06-01",
      subscription_id: 00000000-0000-0000-0000-000000000000, resource_group: myRG, account: account1`), collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_backups", "backup_last_success_timestamp_seconds")
	for _, id := range []string{"volume1", "VOLUME1"} {
		for _, want := range []string{
			// b1 and b2 of v1 (B2 is b2 again), b2 of v2.
			`resource_name="` + id + `",state="succeeded",target="anf"} 3`,
			// b2 of v2, the newest (2026-11-22T01:00:00Z).
			`resource_name="` + id + `",target="anf"} 1.7953092e+09`,
		} {
			if !strings.Contains(got, want) {
				t.Errorf("missing %s in\n%s", want, got)
			}
		}
	}
}

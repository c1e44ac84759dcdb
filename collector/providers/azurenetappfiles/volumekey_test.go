package azurenetappfiles

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

func TestVolumeKey(t *testing.T) {
	vol := anfAccount + "/capacityPools/pool1/volumes/volume1"
	for id, same := range map[string]bool{
		vol: true,
		strings.Replace(vol, "capacityPools", "capacityPool", 1): true,
		strings.ToUpper(vol): true,
		"/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/myrg/providers/microsoft.netapp/netappaccounts/account1/capacitypools/pool1/volumes/volume1/": true,
		strings.Replace(vol, "pool1", "pool2", 1):      false,
		strings.Replace(vol, "myRG", "otherRG", 1):     false,
		strings.Replace(vol, "volume1", "volume10", 1): false,
		"volume1": false,
		"":        false,
	} {
		if got := volumeKey(id) == volumeKey(vol); got != same {
			t.Errorf("volumeKey(%q) == volumeKey(volume) is %v, want %v", id, got, same)
		}
	}
	// The official Backups_Get example spells its volume the same way.
	raw, err := os.ReadFile(providertest.XMSExampleBody(t, "official/BackupsUnderBackupVault_Get.json"))
	if err != nil {
		t.Fatal(err)
	}
	var b anfVaultBackup
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.Properties.VolumeResourceID, "/capacityPool/") || volumeKey(b.Properties.VolumeResourceID) != volumeKey(vol) {
		t.Errorf("Backups_Get example's volume %q does not match %q by its parts", b.Properties.VolumeResourceID, vol)
	}
}

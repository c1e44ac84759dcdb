package azurenetappfiles

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// FuzzANFStatus decodes a latestBackupStatus answer and a vault backup
// list as the provider does and combines them: never a panic.
func FuzzANFStatus(f *testing.F) {
	vault, _ := os.ReadFile("testdata/vault_backups.json")
	files, _ := filepath.Glob("testdata/status_*.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b, vault)
		}
	}
	f.Fuzz(func(t *testing.T, status, vaultPage []byte) {
		var page struct {
			Value []anfVaultBackup `json:"value"`
		}
		var backups []toolkit.Backup
		if json.Unmarshal(vaultPage, &page) == nil {
			for i := range page.Value {
				backups = append(backups, page.Value[i].toBackup(strings.ToLower(page.Value[i].ID)))
			}
		}
		var st anfBackupStatus
		if json.Unmarshal(status, &st) != nil {
			return
		}
		r := toolkit.Summarize("id", "vol", backups, true)
		st.apply(&r)
		_ = backupConfigured(status)
	})
}

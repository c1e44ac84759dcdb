package astra

import (
	"encoding/json"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// FuzzAstraBackupList decodes an appBackups page as the provider does
// (objects or include arrays) and summarises it: never a panic.
func FuzzAstraBackupList(f *testing.F) {
	providertest.SeedFiles(f, "testdata/*.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		if json.Unmarshal(body, &page) != nil {
			return
		}
		var backups []toolkit.Backup
		for _, raw := range page.Items {
			var b astraBackup
			if json.Unmarshal(raw, &b) == nil {
				backups = append(backups, b.toBackup())
			}
		}
		toolkit.Summarize("app", "app", backups, true)
	})
}

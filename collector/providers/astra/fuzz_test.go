package astra

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
)

// FuzzAstraBackupList decodes an appBackups page as the provider does
// (objects or include arrays) and summarises it: never a panic.
func FuzzAstraBackupList(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		if json.Unmarshal(body, &page) != nil {
			return
		}
		var backups []collector.Backup
		for _, raw := range page.Items {
			var b astraBackup
			if decodeAstraItem(raw, astraBackupFields, &b) == nil {
				backups = append(backups, b.toBackup())
			}
		}
		collector.Summarize("app", "app", backups, true)
	})
}

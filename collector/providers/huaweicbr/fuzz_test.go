package huaweicbr

import (
	"encoding/json"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// FuzzHuaweiBackupList decodes a backup list (or a single backup) as the
// provider does and summarises it: never a panic.
func FuzzHuaweiBackupList(f *testing.F) {
	providertest.SeedFiles(f, "testdata/*.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		var page struct {
			Backups []huaweiBackup `json:"backups"`
			Backup  *huaweiBackup  `json:"backup"`
		}
		if json.Unmarshal(body, &page) != nil {
			return
		}
		if page.Backup != nil {
			page.Backups = append(page.Backups, *page.Backup)
		}
		group := make([]*huaweiBackup, len(page.Backups))
		converted := make([]toolkit.Backup, len(page.Backups))
		for i := range page.Backups {
			group[i] = &page.Backups[i]
			converted[i] = page.Backups[i].toBackup(map[string][]string{})
		}
		if len(group) > 0 {
			_ = huaweiResourceName(group)
		}
		toolkit.Summarize("r", "r", converted, true)
	})
}

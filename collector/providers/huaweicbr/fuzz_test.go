package huaweicbr

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// FuzzHuaweiBackupList decodes a backup list (or a single backup) as the
// provider does and groups and summarises it: never a panic.
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
		g := newGrouping()
		for _, b := range page.Backups {
			_ = b.toBackup(map[string][]string{})
			g.add(b)
		}
		g.dropChildOnly(context.Background(), g.records(map[string]map[string]string{"v": {"k": "v"}}))
	})
}

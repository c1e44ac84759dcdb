package azurepostgresqlltr

import (
	"encoding/json"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// FuzzPGOperations decodes an LTR operation, or a page of them, as the
// provider does and summarises them: never a panic.
func FuzzPGOperations(f *testing.F) {
	providertest.SeedFiles(f, "testdata/*.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		var page struct {
			Value []pgLTROperation `json:"value"`
		}
		var ops []pgLTROperation
		if json.Unmarshal(body, &page) == nil {
			ops = page.Value
		}
		var op pgLTROperation
		if json.Unmarshal(body, &op) == nil {
			ops = append(ops, op)
		}
		var backups []toolkit.Backup
		for i := range ops {
			backups = append(backups, ops[i].toBackup())
		}
		toolkit.Summarize("id", "server", backups, true)
	})
}

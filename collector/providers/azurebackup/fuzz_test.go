package azurebackup

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// FuzzAzureBackupItems decodes a page of protected items and one of jobs
// (the same body), matches them and builds the records as the provider
// does: never a panic.
func FuzzAzureBackupItems(f *testing.F) {
	providertest.SeedFiles(f, "testdata/*.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		var items struct {
			Value []protectedItem `json:"value"`
		}
		var jobs struct {
			Value []job `json:"value"`
		}
		_ = json.Unmarshal(body, &items)
		_ = json.Unmarshal(body, &jobs)
		p := &provider{}
		records := matchRecords(items.Value, jobs.Value)
		for _, rec := range records {
			// Running jobs would read their details: leave them out.
			var finished []*job
			for _, j := range rec.jobs {
				if jobStates[j.Properties.Status] != toolkit.StateRunning {
					finished = append(finished, j)
				}
			}
			rec.jobs = finished
			if _, err := p.resource(context.Background(), "/vault", rec); err != nil {
				t.Fatal(err)
			}
		}
	})
}

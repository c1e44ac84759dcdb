package tridentprotect

import (
	"encoding/json"
	"testing"

	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// FuzzTridentProtectLists decodes a list body as Backups and as Schedules
// and builds an Application's record from them, as the provider does:
// never a panic.
func FuzzTridentProtectLists(f *testing.F) {
	providertest.SeedFiles(f, "testdata/*.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		var backups struct {
			Items []backup `json:"items"`
		}
		var schedules struct {
			Items []schedule `json:"items"`
		}
		_ = json.Unmarshal(body, &backups)
		_ = json.Unmarshal(body, &schedules)
		bs := make([]*backup, len(backups.Items))
		for i := range backups.Items {
			bs[i] = &backups.Items[i]
		}
		ss := make([]*schedule, len(schedules.Items))
		for i := range schedules.Items {
			ss[i] = &schedules.Items[i]
		}
		r := resource("ns/app", "app", bs, ss)
		if r.ExpectedInterval < 0 {
			t.Fatalf("negative interval %v", r.ExpectedInterval)
		}
	})
}

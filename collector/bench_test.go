package collector

import (
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// BenchmarkSummarize measures turning 1000 backups of one resource into
// its record.
func BenchmarkSummarize(b *testing.B) {
	backups := make([]toolkit.Backup, 1000)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range backups {
		s := start.Add(time.Duration(i) * time.Hour)
		backups[i] = toolkit.Backup{Name: "b", RawStatus: "completed", State: toolkit.StateSucceeded, Start: s, End: s.Add(time.Minute)}
	}
	for b.Loop() {
		toolkit.Summarize("id", "name", backups, true)
	}
}

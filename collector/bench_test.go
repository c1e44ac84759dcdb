package collector

import (
	"testing"
	"time"
)

// BenchmarkSummarize measures turning 1000 backups of one resource into
// its record.
func BenchmarkSummarize(b *testing.B) {
	backups := make([]Backup, 1000)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range backups {
		s := start.Add(time.Duration(i) * time.Hour)
		backups[i] = Backup{Name: "b", RawStatus: "completed", State: StateSucceeded, Start: s, End: s.Add(time.Minute)}
	}
	for b.Loop() {
		Summarize("id", "name", backups, true)
	}
}

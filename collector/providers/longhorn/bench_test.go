package longhorn

import (
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// BenchmarkScrapeLonghorn measures one uncached scrape of Longhorn's share
// of the issue-23 cluster: 2,000 Volumes with 7 Backups each, their
// BackupVolumes, RecurringJobs and BackupTargets (5 lists, 35 pages of at
// most 500), against the simulator over TLS. The simulator runs in the
// same process and is included in the numbers.
func BenchmarkScrapeLonghorn(b *testing.B) {
	sim, _ := providertest.StartLonghorn(b, 2000, 7)
	kc := providertest.KubeconfigFile(b, sim, simulator.KubernetesDemoToken)
	e := providertest.NewExporter(b, providertest.LonghornConfig(kc, "cache_ttl: 0, scrape_timeout: 60s", "name: lh"), kinds, collector.Options{})
	providertest.GatherOnce(b, e)
	b.ResetTimer()
	for b.Loop() {
		providertest.GatherOnce(b, e)
	}
}

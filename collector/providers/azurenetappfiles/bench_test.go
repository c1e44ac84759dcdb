package azurenetappfiles

import (
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// BenchmarkScrapeANFDiscovery measures one uncached scrape of an Azure
// NetApp Files account of 10 pools × 50 volumes (500 latestBackupStatus
// reads, one vault list of 3500 backups) through azcore's pipeline and a
// real token, against the simulator over TLS. The simulator runs in the
// same process and is included in the numbers; its lists are paged by 1000
// so that its own JSON building does not dominate.
func BenchmarkScrapeANFDiscovery(b *testing.B) {
	sim, ca := providertest.StartAzure(b, 10, 50, 0, 1000)
	e := newTestExporter(b, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0, scrape_timeout: 60s",
		"name: anf, type: azure_netapp_files, account: demo-account"), collector.Options{})
	providertest.GatherOnce(b, e)
	b.ResetTimer()
	for b.Loop() {
		providertest.GatherOnce(b, e)
	}
}

package astra

import (
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// BenchmarkScrapeAstraDiscovery measures one full, uncached scrape of an
// Astra account of 200 apps with 5 backups each, through the real client
// against the simulator over TLS.
func BenchmarkScrapeAstraDiscovery(b *testing.B) {
	sim, ca := providertest.StartAstra(b, 200)
	e := newTestExporter(b, providertest.AstraConfig(sim, ca, "cache_ttl: 0"), collector.Options{})
	b.ResetTimer()
	for b.Loop() {
		providertest.GatherOnce(b, e)
	}
}

// BenchmarkScrapeCached measures a scrape answered from the cache: the cost
// Prometheus pays on every scrape within cache_ttl (building and encoding
// the series of 200 apps).
func BenchmarkScrapeCached(b *testing.B) {
	sim, ca := providertest.StartAstra(b, 200)
	e := newTestExporter(b, providertest.AstraConfig(sim, ca, "cache_ttl: 1h"), collector.Options{})
	providertest.GatherOnce(b, e)
	b.ResetTimer()
	for b.Loop() {
		providertest.GatherOnce(b, e)
	}
}

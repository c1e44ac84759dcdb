package collector

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkScrapeAstraDiscovery measures one full, uncached scrape of an
// Astra account of 200 apps with 30 backups each, through the real client
// against the simulator over TLS.
func BenchmarkScrapeAstraDiscovery(b *testing.B) {
	sim, ca := startSimulator(b, 200)
	e := benchExporter(b, simConfig(sim, ca, "cache_ttl: 0"))
	b.ResetTimer()
	for b.Loop() {
		gatherOnce(b, e)
	}
}

// BenchmarkScrapeCached measures a scrape answered from the cache: the cost
// Prometheus pays on every scrape within cache_ttl (building and encoding
// the series of 200 apps).
func BenchmarkScrapeCached(b *testing.B) {
	sim, ca := startSimulator(b, 200)
	e := benchExporter(b, simConfig(sim, ca, "cache_ttl: 1h"))
	gatherOnce(b, e)
	b.ResetTimer()
	for b.Loop() {
		gatherOnce(b, e)
	}
}

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

func benchExporter(b *testing.B, yml string) *Exporter {
	b.Helper()
	cfg := mustParse(b, yml)
	e, err := New(cfg, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

func gatherOnce(b *testing.B, e *Exporter) {
	b.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.Collector(context.Background(), e.Targets()))
	mfs, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	if len(mfs) == 0 {
		b.Fatal("no metrics")
	}
}

// BenchmarkScrapeANFDiscovery measures one uncached scrape of an Azure
// NetApp Files account of 10 pools × 50 volumes (500 latestBackupStatus
// reads, one vault list of 3500 backups) through azcore's pipeline and a
// real token, against the simulator over TLS. The simulator runs in the
// same process and is included in the numbers; its lists are paged by 1000
// so that its own JSON building does not dominate.
func BenchmarkScrapeANFDiscovery(b *testing.B) {
	sim, ca := startAzureSimulatorPaged(b, 10, 50, 0, 1000)
	e := benchExporter(b, azureConfig(sim.URL(), ca, azSecret, "cache_ttl: 0, scrape_timeout: 60s",
		"name: anf, type: azure_netapp_files, account: demo-account"))
	gatherOnce(b, e)
	b.ResetTimer()
	for b.Loop() {
		gatherOnce(b, e)
	}
}

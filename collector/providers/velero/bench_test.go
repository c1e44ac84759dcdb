package velero

import (
	"context"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// BenchmarkVeleroRecords measures the provider's own work on issue 23's
// Velero part (5,000 namespaces, 2,000 Backups, 23 Schedules), the lists
// already read: filters, coverage, grouping and records, no HTTP.
func BenchmarkVeleroRecords(b *testing.B) {
	sc := simulator.GenerateVelero(5000, 2000, time.Now())
	d := sc.CRDs["velero"].(*simulator.VeleroCRDs)
	nss := make([]namespace, len(sc.Namespaces))
	for i, n := range sc.Namespaces {
		nss[i].Metadata.meta = meta{Name: n.Name, CreationTimestamp: n.CreationTimestamp}
		nss[i].Metadata.Labels = n.Labels
	}
	backups := make([]backup, len(d.Backups))
	for i, x := range d.Backups {
		b := &backups[i]
		b.Metadata = meta{Name: x.Name, CreationTimestamp: x.CreationTimestamp}
		b.Spec = backupSpec{IncludedNamespaces: x.IncludedNamespaces, ExcludedNamespaces: x.ExcludedNamespaces, StorageLocation: x.StorageLocation}
		b.Status.Phase, b.Status.StartTimestamp, b.Status.CompletionTimestamp, b.Status.Expiration = x.Phase, x.StartTimestamp, x.CompletionTimestamp, x.ExpiresAt
	}
	schedules := make([]backupSchedule, len(d.Schedules))
	for i, x := range d.Schedules {
		s := &schedules[i]
		s.Metadata.Name, s.Spec.Schedule, s.Spec.Paused, s.Status.Phase = x.Name, x.Schedule, x.Paused, x.Phase
		s.Spec.Template = backupSpec{IncludedNamespaces: x.Template.IncludedNamespaces, ExcludedNamespaces: x.Template.ExcludedNamespaces}
		if x.Template.LabelSelector != nil {
			s.Spec.Template.LabelSelector = &labelSelector{MatchLabels: x.Template.LabelSelector}
		}
	}
	p := &provider{env: toolkit.NewEnv(nil, nil, zap.NewNop(), nil, nil), namespace: DefaultNamespace,
		exclude: compileSet([]string{"kube-*"}), coverage: CoverageNamed, storageLocations: true, warned: map[string]bool{}}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		out, _, err := p.records(context.Background(), nss, backups, schedules, nil, now)
		if err != nil {
			b.Fatal(err)
		}
		if len(out) < 4800 {
			b.Fatalf("%d records", len(out))
		}
	}
}

// BenchmarkScrapeVelero measures one uncached scrape of issue 23's Velero
// part (5,000 namespaces, 2,000 Backups) against the simulator over TLS
// (in the same process, included in the numbers), without and with the
// namespaces' labels for backup_resource_info (resource_labels: [team]).
func BenchmarkScrapeVelero(b *testing.B) {
	sim, ca := providertest.StartVelero(b, 5000, 2000)
	for name, keys := range map[string]string{"labels=none": "", "labels=team": ", resource_labels: [team]"} {
		b.Run(name, func(b *testing.B) {
			e := providertest.NewExporter(b, providertest.VeleroConfig(sim, ca, "cache_ttl: 0, scrape_timeout: 60s", "name: velero"+keys), kinds, collector.Options{})
			providertest.GatherOnce(b, e)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				providertest.GatherOnce(b, e)
			}
		})
	}
}

package velero

import (
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// officialList writes a Kubernetes list of kind whose items are official
// samples (testdata/official/SOURCES) as the API server serves them (JSON),
// and returns its path.
func officialList(t *testing.T, kind string, samples ...string) string {
	t.Helper()
	items := make([]any, 0, len(samples))
	for _, s := range samples {
		// As published, the Backup sample has a TAB for indentation (SOURCES).
		items = append(items, providertest.OfficialObject(t, s, func(raw string) string { return strings.ReplaceAll(raw, "\n\t#", "\n  #") }))
	}
	return providertest.KubernetesList(t, "velero.io/v1", kind, items)
}

// TestVeleroOfficialSamples: what the provider exposes for Velero's own
// samples, with label_selector_coverage all (the docs' Backup and
// Schedule select objects by label; named would leave them covering
// nothing). The namespaces are ours: default and some-namespace from
// before the 2017 Backup (test-backup: Completed, no start time, so its
// creationTimestamp; no completion time, so no last success sample, not a
// made-up one; expired in 2017, so no oldest success), mysql from
// 2019, before the docs' Backup "a" (phase "": New, pending) whose
// excludedNamespaces keeps some-namespace out. The Schedule's template
// covers the same; it is not Enabled (phase ""), so its "0 7 * * *"
// gives no interval. The storage location samples have no status.
func TestVeleroOfficialSamples(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, map[string]string{
		namespacesPath:                             "official_namespaces.json",
		v1Prefix + "velero/backups":                officialList(t, "BackupList", "velero-backup.json", "backup.docs-example.yaml"),
		v1Prefix + "velero/schedules":              officialList(t, "ScheduleList", "schedule.docs-example.yaml"),
		v1Prefix + "velero/backupstoragelocations": officialList(t, "BackupStorageLocationList", "backupstoragelocation.docs-example.yaml", "velero_v1_backupstoragelocation.yaml"),
	}, notFound))
	e := providertest.NewExporter(t, k8sConfig(srv, ", label_selector_coverage: all"), kinds, collector.Options{})
	providertest.Golden(t, e, kinds, "official_samples.prom")
}

package longhorn

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// officialList writes a Kubernetes list of kind (BackupList, ...) whose
// items are the official YAML samples (testdata/official/SOURCES) and
// extra JSON objects, as the API server would serve them, and returns
// its path.
func officialList(t *testing.T, kind string, samples []string, extra ...string) string {
	t.Helper()
	items := make([]any, 0, len(samples)+len(extra))
	for _, s := range samples {
		items = append(items, providertest.OfficialObject(t, s))
	}
	for _, e := range extra {
		items = append(items, json.RawMessage(e))
	}
	return providertest.KubernetesList(t, "longhorn.io/v1beta2", kind, items)
}

// sampleVolumes are two Volumes written for the samples (Longhorn
// publishes none): the one the labelled Backup sample names, carrying
// the backup RecurringJob sample's label and the BackupTarget sample's
// name, and one with no labels (the default group, whose only job in the
// samples is a snapshot job).
var sampleVolumes = []string{
	`{"apiVersion":"longhorn.io/v1beta2","kind":"Volume","metadata":{"name":"pvc-xxxxxxxx-9ab9-4055-9eb4-558999b09a11","namespace":"longhorn-system",
	  "labels":{"recurring-job.longhorn.io/recurring-full-backup-per-min":"enabled"}},
	  "spec":{"backupTargetName":"azure-blob-server-001"},
	  "status":{"kubernetesStatus":{"namespace":"default","pvcName":"test-pvc","lastPVCRefAt":""}}}`,
	`{"apiVersion":"longhorn.io/v1beta2","kind":"Volume","metadata":{"name":"vol-no-labels","namespace":"longhorn-system"},"spec":{},"status":{}}`,
}

// TestLonghornOfficialSamples: what the provider exposes for Longhorn's
// CR samples. The labelled Backup (no status: state "", shown as New,
// pending) belongs to the first Volume, whose job label applies the
// backup RecurringJob sample (cron "* * * * *": due every minute); the
// BackupTarget sample gives no availability, so it changes no health.
// The unlabelled Backup sample names no volume: no resource. The second
// Volume is in the default group, whose only job is the snapshot
// RecurringJob sample: unprotected.
func TestLonghornOfficialSamples(t *testing.T) {
	ns := apiPrefix + "/namespaces/" + DefaultNamespace + "/"
	for _, backups := range []string{"backup-full.docs-example.yaml", "backup-incremental.docs-example.yaml"} {
		t.Run(backups, func(t *testing.T) {
			srv := providertest.KubernetesServer(t, providertest.Files(t, map[string]string{
				ns + resVolumes:       officialList(t, "VolumeList", nil, sampleVolumes...),
				ns + resBackups:       officialList(t, "BackupList", []string{backups, "backup-with-backup-volume-label.enhancement-example.yaml"}),
				ns + resBackupVolumes: officialList(t, "BackupVolumeList", nil),
				ns + resRecurringJobs: officialList(t, "RecurringJobList", []string{"recurringjob.docs-example.yaml", "recurringjob-backup-task.enhancement-example.yaml"}),
				ns + resBackupTargets: officialList(t, "BackupTargetList", []string{"backuptarget.enhancement-example.yaml"}),
			}, notFound))
			e := providertest.NewExporter(t, k8sConfig(srv, ""), kinds, collector.Options{})
			providertest.Golden(t, e, kinds, "official_samples.prom")
		})
	}
}

// TestLonghornOfficialBackupDecodes: each Backup sample decodes; without
// a status it is New (pending) with no time, size or error, and the
// labelled one names its volume by the unprefixed backup-volume label.
func TestLonghornOfficialBackupDecodes(t *testing.T) {
	for file, volume := range map[string]string{
		"backup-full.docs-example.yaml":                            "",
		"backup-incremental.docs-example.yaml":                     "",
		"backup-with-backup-volume-label.enhancement-example.yaml": "pvc-xxxxxxxx-9ab9-4055-9eb4-558999b09a11",
	} {
		raw, err := os.ReadFile(filepath.Join("testdata", "official", file))
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := yaml.Unmarshal(raw, &obj); err != nil {
			t.Fatal(err)
		}
		j, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		b, err := toolkit.Decode[backup](j)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		got := b.toBackup()
		if b.Metadata.Labels.Volume != volume || got.State != toolkit.StatePending || got.RawStatus != "New" ||
			!got.Start.IsZero() || got.Size != nil || got.Progress != nil || got.Error != nil {
			t.Errorf("%s decodes to %+v / %+v", file, b, got)
		}
	}
}

package tridentprotect

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

// officialList writes a Kubernetes list of kind (ApplicationList, ...)
// whose items are the official YAML samples (testdata/official/SOURCES),
// each converted to JSON as the API server would serve it, and returns its
// path.
func officialList(t *testing.T, kind string, samples ...string) string {
	return providertest.OfficialList(t, "protect.trident.netapp.io/v1", kind, samples...)
}

// TestTridentProtectOfficialSamples: what the provider exposes for NetApp's
// CR samples. The samples' Backup and Schedules belong to an Application
// "my-application" that no Application sample defines; the two
// Applications (my-app-name, my-pvc-app) have neither backup nor schedule,
// so both are reported unprotected. The samples carry no status.
func TestTridentProtectOfficialSamples(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, map[string]string{
		apiPrefix + "/applications": officialList(t, "ApplicationList", "application.yaml", "application_pvc.yaml"),
		apiPrefix + "/backups":      officialList(t, "BackupList", "backup.yaml"),
		apiPrefix + "/schedules":    officialList(t, "ScheduleList", "schedule_daily.yaml", "schedule_snapshot_only.yaml", "schedule_run_immediately.yaml"),
	}, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"not found"}`))
	e := providertest.NewExporter(t, k8sConfig(srv, ""), kinds, collector.Options{})
	providertest.Golden(t, e, kinds, "official_samples.prom")
}

// TestTridentProtectOfficialBackupDecodes: the Backup sample decodes with
// its applicationRef, and without a status its state is unknown (metrics.md:
// anything else → unknown) with no times but its start.
func TestTridentProtectOfficialBackupDecodes(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "official", "backup.yaml"))
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
	var b backup
	if err := json.Unmarshal(j, &b); err != nil {
		t.Fatal(err)
	}
	got := b.toBackup()
	if b.Spec.ApplicationRef != "my-application" || b.Metadata.Namespace != "my-app-namespace" || got.Name != "my-cr-name" ||
		got.State != toolkit.StateUnknown || !got.End.IsZero() || got.Error != nil {
		t.Errorf("backup sample decodes to %+v / %+v", b, got)
	}
}

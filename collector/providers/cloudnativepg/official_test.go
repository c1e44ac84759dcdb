package cloudnativepg

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"go.uber.org/zap"
	"gopkg.in/yaml.v3"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// sample is an official sample (testdata/official/SOURCES) and the
// namespace it is served in.
type sample struct{ file, namespace string }

// officialList writes a Kubernetes list of kind whose items are the
// official YAML samples, each converted to JSON as the API server would
// serve it, with the namespace the API server sets, and returns its path.
func officialList(t *testing.T, apiVersion, kind string, samples ...sample) string {
	t.Helper()
	items := make([]any, 0, len(samples))
	for _, s := range samples {
		obj := providertest.OfficialObject(t, s.file)
		obj["metadata"].(map[string]any)["namespace"] = s.namespace
		items = append(items, obj)
	}
	return providertest.KubernetesList(t, apiVersion, kind, items)
}

// TestCloudNativePGOfficialSamples: what the provider exposes for the
// projects' own samples. In default, the Cluster with the in-tree
// barmanObjectStore is protected by its WAL archive, with no Backup yet
// (last success 0); the samples' Backups and ScheduledBackups name
// Clusters no sample defines (pg-backup, cluster1, ...), so they are no
// one's. In plugin, the plugin's Cluster (isWALArchiver) has the plugin's
// Backup sample (no status: phase "", pending) and its ObjectStore
// minio-store has no recovery window yet. In legacy, the same Cluster
// before its migration, protected by its in-tree archive.
func TestCloudNativePGOfficialSamples(t *testing.T) {
	const cnpg, plugin = "postgresql.cnpg.io/v1", "barmancloud.cnpg.io/v1"
	srv := providertest.KubernetesServer(t, providertest.Files(t, map[string]string{
		cnpgPrefix + "/clusters": officialList(t, cnpg, "ClusterList",
			sample{"cluster-example-with-backup.yaml", "default"},
			sample{"plugin-cluster-example.yaml", "plugin"},
			sample{"plugin-cluster-example-legacy.yaml", "legacy"}),
		cnpgPrefix + "/backups": officialList(t, cnpg, "BackupList",
			sample{"backup-example.yaml", "default"},
			sample{"backup-with-volume-snapshot.yaml", "default"},
			sample{"e2e-upgrade-plugin-backup-1.yaml", "default"},
			sample{"plugin-backup-example.yaml", "plugin"}),
		cnpgPrefix + "/scheduledbackups": officialList(t, cnpg, "ScheduledBackupList",
			sample{"scheduled-backup-example.yaml", "default"},
			sample{"e2e-upgrade-plugin-scheduled-backup.yaml", "default"},
			sample{"e2e-scheduled-backup-suspend-object-store.yaml", "default"}),
		pluginPrefix + "/objectstores": officialList(t, plugin, "ObjectStoreList", sample{"plugin-minio-store.yaml", "plugin"}),
	}, notFound))
	e := providertest.NewExporter(t, k8sConfig(srv, ""), kinds, collector.Options{})
	providertest.Golden(t, e, kinds, "official_samples.prom")
	for _, r := range e.Collect(t.Context(), e.Targets())[0].Resources {
		if r.ID == "plugin/cluster-example" && strings.Join(r.Notes, "") != "ObjectStore minio-store has no recovery window for server cluster-example yet" {
			t.Errorf("plugin/cluster-example notes %q", r.Notes)
		}
	}
}

// TestCloudNativePGOfficialSchedules: the ScheduledBackup samples' own
// schedules give the intervals the contract's rule gives (daily at
// midnight; every minute, twice), none suspended.
func TestCloudNativePGOfficialSchedules(t *testing.T) {
	p := testProvider(zap.NewNop())
	now := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC)
	for file, want := range map[string]time.Duration{
		"scheduled-backup-example.yaml":                  24 * time.Hour,
		"e2e-upgrade-plugin-scheduled-backup.yaml":       time.Minute,
		"e2e-scheduled-backup-suspend-object-store.yaml": time.Minute,
	} {
		raw, err := os.ReadFile(filepath.Join("testdata", "official", file))
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := yaml.Unmarshal(raw, &obj); err != nil {
			t.Fatal(err)
		}
		obj["metadata"].(map[string]any)["namespace"] = "default"
		j, _ := json.Marshal(obj)
		s, err := toolkit.Decode[scheduledBackup](j)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if got := p.interval([]*scheduledBackup{&s}, now); got != want || s.suspended() {
			t.Errorf("%s (%q): %v, suspended %v; want %v", file, s.Spec.Schedule, got, s.suspended(), want)
		}
	}
}

// describedStatus reads the Status section of a `kubectl describe
// backup` block as the status JSON it prints: "Started At:" is
// startedAt; nested sections (the credentials' Secret references) are
// left out.
func describedStatus(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "official", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	status := map[string]string{}
	in := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		switch {
		case line == "Status:":
			in = true
		case in && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   "):
			k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
			if v = strings.TrimSpace(v); v != "" {
				words := strings.Fields(k)
				key := strings.ToLower(words[0])
				for _, w := range words[1:] {
					key += string(unicode.ToUpper(rune(w[0]))) + w[1:]
				}
				status[key] = v
			}
		case !strings.HasPrefix(line, " "):
			in = false
		}
	}
	return status
}

// TestCloudNativePGDescribedBackups: the documentation's two `kubectl
// describe backup` blocks, read as the status they print, are a running
// and a completed Backup with the times the contract takes.
func TestCloudNativePGDescribedBackups(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for _, tc := range []struct {
		file       string
		state      toolkit.State
		start, end time.Time
	}{
		{"backup-describe-running.docs.txt", toolkit.StateRunning, at("2020-10-26T13:57:40Z"), time.Time{}},
		{"backup-describe-completed.docs.txt", toolkit.StateSucceeded, at("2020-10-26T13:57:40Z"), at("2020-10-26T13:57:44Z")},
	} {
		status := describedStatus(t, tc.file)
		j, _ := json.Marshal(map[string]any{
			"metadata": map[string]any{"name": "backup-example", "namespace": "default"},
			"spec":     map[string]any{"cluster": map[string]any{"name": "pg-backup"}},
			"status":   status,
		})
		b, err := toolkit.Decode[backup](j)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		c := decodeCluster(t, `{"metadata":{"name":"pg-backup","namespace":"default"}}`)
		r := resource(c, []*backup{&b}, nil, window{}, 0)
		if l := r.Latest; l == nil || l.State != tc.state || l.RawStatus != status["phase"] || !l.Start.Equal(tc.start) || !l.End.Equal(tc.end) {
			t.Errorf("%s (status %v): latest %+v", tc.file, status, l)
		}
		if tc.state == toolkit.StateSucceeded && (!r.LastSuccess.Equal(tc.end) || !r.Healthy) {
			t.Errorf("%s: last success %v, healthy %v", tc.file, r.LastSuccess, r.Healthy)
		}
	}
}

package simulator

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

const lhGV = "/apis/" + LonghornAPIVersion + "/namespaces/longhorn-system/"

// lhScenarioYAML is a scenario as a file writes it: a volume with no job
// label, one in a group bound to a PVC, one backed up to an unavailable
// target, their backups, a backup volume, jobs and targets.
const lhScenarioYAML = `
kubernetes:
  namespaces: [{name: longhorn-system}]
  crds:
    longhorn:
      volumes:
        - {name: vol-a, creation_timestamp: "2026-01-01T00:00:00Z"}
        - {name: vol-b, labels: {recurring-job-group.longhorn.io/gold: enabled}, backup_target: offsite,
           pvc_namespace: shop, pvc_name: data-db}
        - {name: vol-c, linked_clone: true}
      backups:
        - {name: backup-a1, volume: vol-a, snapshot_created_at: "2026-01-20T02:00:00Z", size_bytes: 1073741824}
        - {name: backup-a2, volume: vol-a, state: InProgress, progress: 40, creation_timestamp: "2026-01-21T02:00:00Z"}
        - {name: backup-a3, volume: vol-a, state: New, creation_timestamp: "2026-01-21T03:00:00Z"}
        - {name: backup-b1, volume: vol-b, state: Error, error: "upload failed", messages: {engine: "boom"}}
      backup_volumes:
        - {volume: vol-a, last_backup_name: backup-a1, last_backup_at: "2026-01-20T02:00:00Z"}
        - {volume: vol-b, target: offsite}
      recurring_jobs:
        - {name: nightly, task: backup, cron: "0 2 * * *", groups: [default]}
        - {name: gold, task: backup-force-create, cron: "@every 6h", groups: [gold], job_labels: {tier: gold}}
      backup_targets:
        - {name: default, url: "s3://b@us-east-1/", credential_secret: s3-secret}
        - {name: offsite, url: "azblob://o@core.windows.net/", available: false, message: "AuthenticationFailed", last_synced_at: "2026-01-21T00:00:00Z"}
`

func lhStart(t *testing.T) (*Server, func(resource string) map[string]map[string]any) {
	t.Helper()
	sc, err := ParseScenario(strings.NewReader(lhScenarioYAML))
	if err != nil {
		t.Fatal(err)
	}
	s, c := k8sStart(t, sc.Kubernetes)
	return s, func(resource string) map[string]map[string]any {
		t.Helper()
		code, m := k8sGet(t, c, s, lhGV+resource, KubernetesDemoToken)
		if code != 200 || m["kind"] != map[string]string{
			LonghornVolumes: "VolumeList", LonghornBackups: "BackupList", LonghornBackupVolumes: "BackupVolumeList",
			LonghornRecurringJobs: "RecurringJobList", LonghornBackupTargets: "BackupTargetList"}[resource] {
			t.Fatalf("%s: %d %v", resource, code, m)
		}
		out := map[string]map[string]any{}
		for _, it := range k8sItems(t, m) {
			if it["apiVersion"] != LonghornAPIVersion {
				t.Errorf("%s: apiVersion %v", resource, it["apiVersion"])
			}
			out[k8sMeta(it)["name"].(string)] = it
		}
		return out
	}
}

func lhPath(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// TestLonghornServed: the objects are served as Longhorn writes them:
// the default group label on a volume without job labels (not on a
// linked clone), the backup-target label and spec default, the PVC in
// kubernetesStatus, the volume's lastBackup from its BackupVolume; Backup
// labels, "" for a new backup, progress and time defaults, sizes as
// strings; BackupVolume names <volume>-<hash>; the Unavailable condition
// of a target that is not available.
func TestLonghornServed(t *testing.T) {
	_, list := lhStart(t)
	vols := list(LonghornVolumes)
	for name, want := range map[string]map[string]any{
		"vol-a": {"metadata.labels": "map[backup-target:default recurring-job-group.longhorn.io/default:enabled]", "spec.backupTargetName": "default",
			"status.kubernetesStatus.pvcName": "", "status.lastBackup": "backup-a1", "status.lastBackupAt": "2026-01-20T02:00:00Z"},
		"vol-b": {"metadata.labels": "map[backup-target:offsite recurring-job-group.longhorn.io/gold:enabled]", "spec.backupTargetName": "offsite",
			"status.kubernetesStatus.namespace": "shop", "status.kubernetesStatus.pvcName": "data-db", "status.kubernetesStatus.lastPVCRefAt": "",
			"status.lastBackup": ""},
		"vol-c": {"metadata.labels": "map[backup-target:default]", "spec.cloneMode": "linked-clone"},
	} {
		for path, v := range want {
			if got := fmt.Sprint(lhPath(vols[name], path)); got != v {
				t.Errorf("%s %s = %s, want %v", name, path, got, v)
			}
		}
	}
	backups := list(LonghornBackups)
	for name, want := range map[string]map[string]any{
		"backup-a1": {"metadata.labels": "map[backup-target:default backup-volume:vol-a]", "status.state": "Completed", "status.progress": "100",
			"status.snapshotCreatedAt": "2026-01-20T02:00:00Z", "status.backupCreatedAt": "2026-01-20T02:03:00Z", "status.size": "1073741824",
			"status.volumeName": "vol-a", "status.backupTargetName": "default", "status.newlyUploadDataSize": ""},
		"backup-a2": {"status.state": "InProgress", "status.progress": "40", "status.snapshotCreatedAt": "2026-01-21T02:00:00Z", "status.backupCreatedAt": ""},
		"backup-a3": {"status.state": "", "status.progress": "0", "status.snapshotCreatedAt": ""},
		"backup-b1": {"metadata.labels": "map[backup-target:offsite backup-volume:vol-b]", "status.state": "Error", "status.error": "upload failed",
			"status.messages": "map[engine:boom]", "status.backupCreatedAt": "", "status.size": ""},
	} {
		for path, v := range want {
			if got := fmt.Sprint(lhPath(backups[name], path)); got != v {
				t.Errorf("%s %s = %s, want %v", name, path, got, v)
			}
		}
	}
	// sha256("vol-a-default")[:8] and sha256("vol-b-offsite")[:8].
	bvs := list(LonghornBackupVolumes)
	if a, b := bvs["vol-a-306841fb"], bvs["vol-b-4ef240f5"]; a == nil || b == nil ||
		lhPath(a, "spec.volumeName") != "vol-a" || lhPath(a, "status.lastBackupAt") != "2026-01-20T02:00:00Z" ||
		fmt.Sprint(lhPath(b, "metadata.labels")) != "map[backup-target:offsite backup-volume:vol-b]" {
		t.Errorf("backup volumes %v", bvs)
	}
	jobs := list(LonghornRecurringJobs)
	if j := jobs["gold"]; fmt.Sprint(lhPath(j, "spec")) != "map[concurrency:1 cron:@every 6h groups:[gold] labels:map[tier:gold] name:gold retain:7 retentionPolicy:count-based task:backup-force-create]" {
		t.Errorf("gold job %v", lhPath(j, "spec"))
	}
	targets := list(LonghornBackupTargets)
	if d := targets["default"]; lhPath(d, "status.available") != true || fmt.Sprint(lhPath(d, "status.conditions")) != "[]" {
		t.Errorf("default target %v", d)
	}
	if o := targets["offsite"]; lhPath(o, "status.available") != false ||
		fmt.Sprint(lhPath(o, "status.conditions")) != "[map[lastProbeTime: lastTransitionTime:2026-01-21T00:00:00Z message:AuthenticationFailed reason:Unavailable status:True type:Unavailable]]" {
		t.Errorf("offsite target %v", o)
	}
}

// TestLonghornScenarioChecks: objects Longhorn's CRDs or webhooks would
// refuse are scenario errors.
func TestLonghornScenarioChecks(t *testing.T) {
	for body, want := range map[string]string{
		`backups: [{name: b, volume: v, state: Deleting}]`:                                              "state Deleting needs a deletion_timestamp",
		`backups: [{name: b, volume: v, state: Done}]`:                                                  `state "Done": want one of`,
		`backups: [{name: b, volume: v, progress: 101}]`:                                                "progress 101 outside 0-100",
		`backups: [{name: b}]`:                                                                          "volume is required",
		`recurring_jobs: [{name: j, task: backup}]`:                                                     "task and cron are required",
		`recurring_jobs: [{name: j, task: backups, cron: "@daily"}]`:                                    `task "backups": want one of`,
		`volumes: [{name: v, robustness: fine}]`:                                                        `robustness "fine": want one of`,
		`volumes: [{name: v, size: 1}]`:                                                                 "field size not found",
		`{namespace: other, volumes: [{name: v}]}`:                                                      `no namespace "other"`,
		`backup_volumes: [{name: x, volume: ""}]`:                                                       "volume is required",
		`backups: [{name: b, volume: v, state: Completed, deletion_timestamp: "2026-01-01T00:00:00Z"}]`: "",
	} {
		yml := "kubernetes:\n  namespaces: [{name: longhorn-system}]\n  crds:\n    longhorn: " + body + "\n"
		if !strings.HasPrefix(body, "{") {
			yml = "kubernetes:\n  namespaces: [{name: longhorn-system}]\n  crds:\n    longhorn: {" + body + "}\n"
		}
		sc, err := ParseScenario(strings.NewReader(yml))
		if err == nil {
			_, err = Start(Options{Scenario: sc})
		}
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", body, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: err %v, want %q", body, err, want)
		}
	}
}

// TestGenerateLonghorn: the generated estate loads, pages through the
// API server, and has the mix its documentation promises.
func TestGenerateLonghorn(t *testing.T) {
	now := time.Date(2026, 1, 21, 12, 0, 0, 0, time.UTC)
	sc := GenerateLonghorn(230, 5, now)
	s, c := k8sStart(t, sc)
	vols, _ := k8sPages(t, c, s, lhGV+LonghornVolumes, 100)
	backups, _ := k8sPages(t, c, s, lhGV+LonghornBackups, 500)
	bvs, _ := k8sPages(t, c, s, lhGV+LonghornBackupVolumes, 500)
	d := longhornData(sc)
	// g%10 == 9 (23 volumes) have no backup job, g%23 == 13 (10) no backup.
	noBackups := 0
	for g := 1; g <= 230; g++ {
		if g%10 == 9 || g%23 == 13 {
			noBackups++
		}
	}
	if len(vols) != 230 || len(backups) != (230-noBackups)*5 || len(bvs) != 230-noBackups {
		t.Errorf("%d volumes, %d backups, %d backup volumes (want 230, %d, %d)", len(vols), len(backups), len(bvs), (230-noBackups)*5, 230-noBackups)
	}
	states := map[string]int{}
	for _, b := range d.Backups {
		st := b.State
		if b.DeletionTimestamp != "" {
			st += "+deletion"
		}
		states[st]++
		if t0, err := time.Parse(time.RFC3339, b.SnapshotCreatedAt); err != nil || t0.After(now) {
			t.Errorf("backup %s snapshot %q", b.Name, b.SnapshotCreatedAt)
		}
	}
	for _, st := range []string{"", "InProgress", "Error", "Deleting+deletion"} {
		if states[st] == 0 {
			t.Errorf("no %q backup: %v", st, states)
		}
	}
	offsite, released := 0, 0
	for _, v := range d.Volumes {
		if v.BackupTarget == LonghornOffsiteTarget {
			offsite++
		}
		if v.PVCReleasedAt != "" {
			released++
		}
	}
	if offsite == 0 || released == 0 {
		t.Errorf("%d volumes on the offsite target, %d with a released PVC", offsite, released)
	}
	summary := func(d *LonghornData) string {
		var b strings.Builder
		for _, x := range d.Backups {
			fmt.Fprintln(&b, x.Name, x.Volume, x.State, x.SnapshotCreatedAt, x.BackupCreatedAt, lhBytes(x.NewlyUploadedBytes))
		}
		return b.String()
	}
	if summary(longhornData(GenerateLonghorn(230, 5, now))) != summary(d) {
		t.Error("not deterministic")
	}
}

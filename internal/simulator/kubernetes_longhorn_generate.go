package simulator

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// lhCadence is when a generated backup job runs: its fire times at or
// before a time, newest first.
type lhCadence struct {
	job, task, cron, group string
	// fires returns the n newest fire times at or before now.
	fires func(now time.Time, n int) []time.Time
}

// lhEvery fires every d from offset after midnight UTC (d divides a day).
func lhEvery(d, offset time.Duration) func(time.Time, int) []time.Time {
	return func(now time.Time, n int) []time.Time {
		t := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).Add(offset)
		for !t.Add(d).After(now) {
			t = t.Add(d)
		}
		if t.After(now) {
			t = t.Add(-d)
		}
		out := make([]time.Time, n)
		for i := range out {
			out[i] = t.Add(-time.Duration(i) * d)
		}
		return out
	}
}

// lhWeekdays fires at 02:00 UTC from Monday to Friday.
func lhWeekdays(now time.Time, n int) []time.Time {
	var out []time.Time
	for t := time.Date(now.Year(), now.Month(), now.Day(), 2, 0, 0, 0, time.UTC); len(out) < n; t = t.AddDate(0, 0, -1) {
		if !t.After(now) && t.Weekday() != time.Saturday && t.Weekday() != time.Sunday {
			out = append(out, t)
		}
	}
	return out
}

var lhCadences = map[string]lhCadence{
	"default":  {"backup-daily", "backup", "0 1 * * *", "default", lhEvery(24*time.Hour, time.Hour)},
	"hourly":   {"backup-hourly", "backup", "15 * * * *", "hourly", lhEvery(time.Hour, 15*time.Minute)},
	"weekdays": {"backup-weekdays", "backup-force-create", "0 2 * * 1-5", "weekdays", lhWeekdays},
}

// LonghornOffsiteTarget is the generated BackupTarget that is unavailable.
const LonghornOffsiteTarget = "offsite"

// GenerateLonghorn returns a deterministic Longhorn estate for the load
// harness and tests: the demo service account (KubernetesDemoToken), the
// namespace longhorn-system with BackupTargets "default" (available) and
// "offsite" (unavailable: its credentials are refused), the backup
// RecurringJobs backup-daily ("0 1 * * *", group default), backup-hourly
// ("15 * * * *", group hourly) and backup-weekdays ("0 2 * * 1-5", group
// weekdays, task backup-force-create), the snapshot job snapshot-6h
// (groups default and snapshots), and volumes Volumes "pvc-<uid>" (volume g
// counts from 1), each with backupsPerVolume Backups at its job's fire
// times up to now and a BackupVolume on its target.
//
// The mix, by g:
//   - labelled team=<generatedOwner(g)> (storage, payments, search), but
//     g%5 == 0 (no owner);
//   - g%10 == 1: group hourly; g%10 == 2: group weekdays; g%10 == 9: only
//     the snapshots group (no backup job: unprotected, no backups); else
//     no job label (Longhorn's default group);
//   - g%5 != 4: bound to PVC data-<g> in namespace app-<g%50>, whose
//     claim is gone when g%17 == 5;
//   - g%19 == 11: backed up to the unavailable target "offsite";
//   - g%23 == 13: no backup yet (protected by its job);
//   - the newest Backup of g%10 == 3 is InProgress; of g%13 == 7 in Error;
//     of the others about 3% are in Error; the oldest Backup of g%11 == 6
//     is being deleted (state Deleting, deletionTimestamp 10 minutes ago).
func GenerateLonghorn(volumes, backupsPerVolume int, now time.Time) *KubernetesScenario {
	now = now.UTC().Truncate(time.Second)
	rng := rand.New(rand.NewPCG(0x6c6f6e67, uint64(volumes)<<16|uint64(backupsPerVolume)))
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	created := ts(now.AddDate(-1, 0, 0))
	d := &LonghornData{
		Namespace: LonghornDefaultNamespace,
		BackupTargets: []LonghornBackupTarget{
			{KubernetesMeta: KubernetesMeta{Name: "default", CreationTimestamp: created}, URL: "s3://longhorn-backups@us-east-1/",
				CredentialSecret: "longhorn-s3-credentials", LastSyncedAt: ts(now.Add(-2 * time.Minute))},
			{KubernetesMeta: KubernetesMeta{Name: LonghornOffsiteTarget, CreationTimestamp: created}, URL: "azblob://longhorn-offsite@core.windows.net/",
				CredentialSecret: "longhorn-azblob-credentials", Available: ptr(false), LastSyncedAt: ts(now.Add(-3 * time.Hour)),
				Message: "failed to list backup volumes in azblob://longhorn-offsite@core.windows.net/: AuthenticationFailed: Server failed to authenticate the request"},
		},
		RecurringJobs: []LonghornRecurringJob{{KubernetesMeta: KubernetesMeta{Name: "snapshot-6h", CreationTimestamp: created},
			Task: "snapshot", Cron: "0 */6 * * *", Groups: []string{"default", "snapshots"}, Retain: 4}},
	}
	for _, g := range []string{"default", "hourly", "weekdays"} {
		c := lhCadences[g]
		d.RecurringJobs = append(d.RecurringJobs, LonghornRecurringJob{KubernetesMeta: KubernetesMeta{Name: c.job, CreationTimestamp: created},
			Task: c.task, Cron: c.cron, Groups: []string{c.group}, Retain: max(backupsPerVolume, 1), Concurrency: 5})
	}
	for g := 1; g <= volumes; g++ {
		v := LonghornVolume{KubernetesMeta: KubernetesMeta{Name: "pvc-" + k8sUID(fmt.Sprintf("longhorn/volume/%d", g)), CreationTimestamp: created},
			SizeBytes: int64(1+rng.IntN(100)) << 30}
		group := "default"
		switch g % 10 {
		case 1:
			group = "hourly"
		case 2:
			group = "weekdays"
		case 9:
			group = "snapshots"
		}
		if group != "default" {
			v.Labels = map[string]string{"recurring-job-group.longhorn.io/" + group: "enabled"}
		}
		if team := generatedOwner(g); team != "" {
			addLabels(&v.Labels, map[string]string{"team": team})
		}
		if g%5 != 4 {
			v.PVCNamespace, v.PVCName = fmt.Sprintf("app-%03d", g%50), fmt.Sprintf("data-%d", g)
			if g%17 == 5 {
				v.PVCReleasedAt = ts(now.AddDate(0, 0, -3))
			}
		}
		if g%19 == 11 {
			v.BackupTarget = LonghornOffsiteTarget
		}
		d.Volumes = append(d.Volumes, v)
		c, scheduled := lhCadences[group]
		if !scheduled || g%23 == 13 || backupsPerVolume <= 0 {
			continue
		}
		fires := c.fires(now, backupsPerVolume)
		var newest, newestAt string            // the newest Completed Backup
		for k := len(fires) - 1; k >= 0; k-- { // oldest first
			start := fires[k].Add(time.Duration(rng.IntN(30)) * time.Second)
			size := v.SizeBytes/4 + rng.Int64N(v.SizeBytes/4+1)
			b := LonghornBackup{
				KubernetesMeta: KubernetesMeta{Name: "backup-" + k8sUID(fmt.Sprintf("longhorn/backup/%d/%d", g, k))[24:], CreationTimestamp: ts(start)},
				Volume:         v.Name, Target: v.BackupTarget, SnapshotCreatedAt: ts(start),
				BackupCreatedAt: ts(start.Add(time.Duration(30+rng.IntN(600)) * time.Second)),
				SizeBytes:       ptr(size), NewlyUploadedBytes: ptr(size / int64(8+rng.IntN(8))), ReUploadedBytes: ptr(int64(0)),
			}
			p := rng.Float64()
			switch {
			case k == 0 && g%10 == 3:
				b.State, b.Progress, b.BackupCreatedAt, b.SizeBytes, b.ReUploadedBytes = "InProgress", ptr(5+rng.IntN(90)), "", nil, nil
			case (k == 0 && g%13 == 7) || p < 0.03:
				b.State, b.Progress, b.BackupCreatedAt, b.SizeBytes, b.NewlyUploadedBytes, b.ReUploadedBytes = "Error", ptr(rng.IntN(90)), "", nil, nil, nil
				b.Error = "failed to upload backup block: RequestError: send request failed: dial tcp: lookup longhorn-backups.s3.amazonaws.com: i/o timeout"
			case k == len(fires)-1 && g%11 == 6 && len(fires) > 1:
				b.State, b.DeletionTimestamp = "Deleting", ts(now.Add(-10*time.Minute))
			}
			d.Backups = append(d.Backups, b)
			if b.State == "" {
				newest, newestAt = b.Name, b.SnapshotCreatedAt
			}
		}
		bv := LonghornBackupVolume{KubernetesMeta: KubernetesMeta{CreationTimestamp: created}, Volume: v.Name, Target: v.BackupTarget,
			SizeBytes: v.SizeBytes, DataStored: v.SizeBytes / 2}
		bv.LastBackupName, bv.LastBackupAt = newest, newestAt
		d.BackupVolumes = append(d.BackupVolumes, bv)
	}
	return &KubernetesScenario{
		ServiceAccounts: []KubernetesServiceAccount{DefaultKubernetesServiceAccount()},
		Namespaces:      []KubernetesNamespace{{Name: LonghornDefaultNamespace}},
		CRDs:            KubernetesCRDs{LonghornCRDSet: d},
	}
}

package simulator

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Velero's generated estate: a cluster of many namespaces watched by
// Velero, for the load harness and the provider's tests.

// VeleroDemoToken is the bearer token of the service account that reads
// Velero's resources as config.md's RBAC grants them (get and list of
// backups, schedules, backupstoragelocations, podvolumebackups and
// datauploads in Velero's namespace; list of namespaces cluster-wide).
const VeleroDemoToken = "demo-k8s-velero-exporter-token"

// VeleroServiceAccount is that account.
func VeleroServiceAccount() KubernetesServiceAccount {
	return KubernetesServiceAccount{
		Namespace: "monitoring", Name: "backup-exporter-velero", Token: VeleroDemoToken,
		Resources: []string{"backups", "schedules", "backupstoragelocations", "podvolumebackups", "datauploads"},
		Verbs:     []string{"get", "list"}, APIGroups: []string{VeleroGroup}, Namespaces: []string{VeleroNamespace},
		Grants: []KubernetesGrant{{Resources: []string{"namespaces"}, Verbs: []string{"list"}, APIGroups: []string{""}}},
	}
}

// veleroTeams is how many teams the generated namespaces belong to.
const veleroTeams = 20

// GenerateVelero returns a deterministic cluster of namespaces
// namespaces (beside velero and kube-system) and about backups Velero
// Backups, read with VeleroDemoToken:
//   - namespaces "tNN-app-NNNNN" of team NN (i % 20), labelled team=tNN,
//     created 400 days ago; i%50 == 0 labelled
//     velero.io/exclude-from-backup=true; i%97 == 0 named "scratch-NNNNN"
//     (no schedule covers them but the paused "scratch-weekly", which
//     covers scratch-000*: protected, unhealthy; the others unprotected);
//     i%101 == 0 created 2 hours ago (newer than the cluster's last daily
//     backup);
//   - a Schedule "cluster-daily" (0 1 * * *, every namespace but kube-*,
//     scratch-* and velero) with a Backup a day, at most 30 or a quarter
//     of backups; per team a Schedule "tNN-6h" (0 */6 * * *, tNN-*) with
//     the rest of the Backups every 6 hours, team 05's weekday-only
//     ("30 2 * * 1-5") instead, team 13's stored in the storage location
//     "dr", which is Unavailable; a Schedule "databases" (@hourly,
//     labelSelector app=postgres, the first 10 namespaces named) with no
//     Backup yet;
//   - Backups Completed, about 4% PartiallyFailed and 2% Failed; the
//     newest of teams 3 and 10 InProgress (progress half done);
//   - PodVolumeBackups (even teams) or DataUploads (odd teams) of the
//     newest Completed Backup of each team's schedule, one per namespace.
func GenerateVelero(namespaces, backups int, now time.Time) *KubernetesScenario {
	now = now.UTC().Truncate(time.Second)
	rng := rand.New(rand.NewPCG(0x76656c65, uint64(namespaces)<<32|uint64(backups)))
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	old := ts(now.AddDate(0, 0, -400))
	sc := &KubernetesScenario{
		ServiceAccounts: []KubernetesServiceAccount{DefaultKubernetesServiceAccount(), VeleroServiceAccount()},
		Namespaces: []KubernetesNamespace{
			{Name: VeleroNamespace, CreationTimestamp: old, Labels: map[string]string{"app.kubernetes.io/name": "velero"}},
			{Name: "kube-system", CreationTimestamp: old},
		},
	}
	d := &VeleroCRDs{
		StorageLocations: []VeleroStorageLocation{
			{KubernetesMeta: KubernetesMeta{Name: "default", CreationTimestamp: old}, Default: true, Bucket: "velero-backups",
				CredentialSecret: "cloud-credentials", Phase: "Available", LastValidationTime: ts(now.Add(-time.Minute)), LastSyncedTime: ts(now.Add(-time.Minute))},
			{KubernetesMeta: KubernetesMeta{Name: "dr", CreationTimestamp: old}, Bucket: "velero-dr", CredentialSecret: "cloud-credentials-dr", Phase: "Unavailable",
				Message:            `BackupStorageLocation "dr" is unavailable: rpc error: code = Unknown desc = operation error S3: ListObjectsV2, NoSuchBucket`,
				LastValidationTime: ts(now.Add(-time.Minute))},
		},
	}
	teamNS := make([][]string, veleroTeams)
	var named []string
	for i := 1; i <= namespaces; i++ {
		team := i % veleroTeams
		ns := KubernetesNamespace{Name: fmt.Sprintf("t%02d-app-%05d", team, i), CreationTimestamp: old,
			Labels: map[string]string{"team": fmt.Sprintf("t%02d", team)}}
		switch {
		case i%97 == 0:
			ns.Name = fmt.Sprintf("scratch-%05d", i)
		case i%50 == 0:
			ns.Labels["velero.io/exclude-from-backup"] = "true"
		}
		if i%101 == 0 {
			ns.CreationTimestamp = ts(now.Add(-2 * time.Hour))
		}
		if i%97 != 0 && ns.Labels["velero.io/exclude-from-backup"] == "" {
			teamNS[team] = append(teamNS[team], ns.Name)
			if len(named) < 10 {
				named = append(named, ns.Name)
			}
		}
		sc.Namespaces = append(sc.Namespaces, ns)
	}

	daily := min(30, max(backups/4, 1))
	perTeam := max((backups-daily)/veleroTeams, 0)
	schedule := func(name, cron string, tmpl VeleroBackupSpec) *VeleroSchedule {
		d.Schedules = append(d.Schedules, VeleroSchedule{
			KubernetesMeta: KubernetesMeta{Name: name, CreationTimestamp: old}, Schedule: cron, Template: tmpl, Phase: "Enabled",
		})
		return &d.Schedules[len(d.Schedules)-1]
	}
	// runs makes n Backups of a schedule at its fire times back from now
	// (newest first: step back from the newest), newest InProgress when
	// running; it returns the newest Completed one's name.
	runs := func(s *VeleroSchedule, n int, newest time.Time, step func(time.Time) time.Time, running bool) string {
		lastDone := ""
		at := newest
		for k := range n {
			start := at.Add(time.Duration(rng.IntN(60)) * time.Second)
			end := start.Add(time.Duration(3+rng.IntN(20)) * time.Minute)
			b := VeleroBackup{
				KubernetesMeta:   KubernetesMeta{Name: s.Name + "-" + start.Format("20060102150405"), CreationTimestamp: ts(start)},
				VeleroBackupSpec: s.Template.clone(), ScheduleName: s.Name,
				Phase: "Completed", StartTimestamp: ts(start), CompletionTimestamp: ts(end), ExpiresAt: ts(start.Add(30 * 24 * time.Hour)),
				TotalItems: ptr(200 + rng.IntN(800)),
			}
			b.ItemsBackedUp = ptr(*b.TotalItems)
			p := rng.Float64()
			switch {
			case k == 0 && running:
				b.Phase, b.CompletionTimestamp = "InProgress", ""
				b.ItemsBackedUp = ptr(*b.TotalItems / 2)
			case p < 0.02:
				b.Phase, b.FailureReason, b.Errors = "Failed", "rpc error: code = Unknown desc = error putting object: context deadline exceeded", 1
			case p < 0.06:
				b.Phase, b.Errors, b.Warnings = "PartiallyFailed", 1+rng.IntN(5), rng.IntN(20)
			}
			if b.Phase == "Completed" && lastDone == "" {
				lastDone = b.Name
			}
			if k == 0 {
				s.LastBackupTime = b.StartTimestamp
			}
			d.Backups = append(d.Backups, b)
			at = step(at)
		}
		return lastDone
	}
	dayStep := func(t time.Time) time.Time { return t.AddDate(0, 0, -1) }
	at := func(hour, minute int) time.Time {
		t := time.Date(now.Year(), now.Month(), now.Day(), hour, minute, 0, 0, time.UTC)
		if t.After(now) {
			t = t.AddDate(0, 0, -1)
		}
		return t
	}
	cluster := schedule("cluster-daily", "0 1 * * *", VeleroBackupSpec{ExcludedNamespaces: []string{"kube-*", "scratch-*", VeleroNamespace}, StorageLocation: "default", TTL: "720h"})
	runs(cluster, daily, at(1, 0), dayStep, false)
	for team := range veleroTeams {
		tmpl := VeleroBackupSpec{IncludedNamespaces: []string{fmt.Sprintf("t%02d-*", team)}, StorageLocation: "default", TTL: "168h"}
		if team == 13 {
			tmpl.StorageLocation = "dr"
		}
		if team == 5 {
			s := schedule(fmt.Sprintf("t%02d-weekday", team), "30 2 * * 1-5", tmpl)
			newest := at(2, 30)
			for newest.Weekday() == time.Saturday || newest.Weekday() == time.Sunday {
				newest = newest.AddDate(0, 0, -1)
			}
			weekday := func(t time.Time) time.Time {
				for t = t.AddDate(0, 0, -1); t.Weekday() == time.Saturday || t.Weekday() == time.Sunday; t = t.AddDate(0, 0, -1) {
				}
				return t
			}
			veleroVolumes(d, runs(s, perTeam, newest, weekday, false), teamNS[team], team, rng)
			continue
		}
		s := schedule(fmt.Sprintf("t%02d-6h", team), "0 */6 * * *", tmpl)
		newest := now.Truncate(6 * time.Hour)
		done := runs(s, perTeam, newest, func(t time.Time) time.Time { return t.Add(-6 * time.Hour) }, team == 3 || team == 10)
		veleroVolumes(d, done, teamNS[team], team, rng)
	}
	schedule("databases", "@hourly", VeleroBackupSpec{IncludedNamespaces: named, LabelSelector: map[string]string{"app": "postgres"}})
	paused := schedule("scratch-weekly", "0 4 * * 0", VeleroBackupSpec{IncludedNamespaces: []string{"scratch-000*"}})
	paused.Paused = true
	sc.CRDs = KubernetesCRDs{"velero": d}
	return sc
}

// veleroVolumes adds the PodVolumeBackups (even teams) or DataUploads
// (odd teams) of a backup, one per namespace.
func veleroVolumes(d *VeleroCRDs, backup string, namespaces []string, team int, rng *rand.Rand) {
	if backup == "" {
		return
	}
	for i, ns := range namespaces {
		total := int64(1+rng.IntN(100)) << 28
		c := VeleroVolumeCopy{KubernetesMeta: KubernetesMeta{Name: fmt.Sprintf("%s-%d", backup, i)}, BackupName: backup,
			Phase: "Completed", TotalBytes: total, BytesDone: total}
		if team%2 == 0 {
			d.PodVolumeBackups = append(d.PodVolumeBackups, VeleroPodVolumeBackup{VeleroVolumeCopy: c, PodNamespace: ns, PodName: "app-0", Volume: "data"})
		} else {
			d.DataUploads = append(d.DataUploads, VeleroDataUpload{VeleroVolumeCopy: c, SourceNamespace: ns, SourcePVC: "data-app-0"})
		}
	}
}

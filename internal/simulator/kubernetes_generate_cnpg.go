package simulator

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// cnpgCadence is when a generated ScheduledBackup runs: its six-field
// schedule, and the latest of its fire times strictly before a time (in
// UTC, as CloudNativePG's operator runs them in its local zone).
type cnpgCadence struct {
	schedule string
	prev     func(t time.Time) time.Time
}

func cnpgEvery(d time.Duration, offset time.Duration) func(time.Time) time.Time {
	return func(t time.Time) time.Time {
		p := t.Add(-offset).Truncate(d).Add(offset)
		if !p.Before(t) {
			p = p.Add(-d)
		}
		return p
	}
}

var cnpgCadences = []cnpgCadence{
	{"0 0 0 * * *", cnpgEvery(24*time.Hour, 0)},
	// Sundays at 03:00: Truncate counts weeks from the zero time,
	// 0001-01-01, a Monday; a Sunday is 6 days later.
	{"0 0 3 * * 0", cnpgEvery(7*24*time.Hour, 6*24*time.Hour+3*time.Hour)},
	{"0 0 */6 * * *", cnpgEvery(6*time.Hour, 0)},
	{"0 30 2 * * 1-5", func(t time.Time) time.Time {
		p := cnpgEvery(24*time.Hour, 150*time.Minute)(t)
		for p.Weekday() == time.Saturday || p.Weekday() == time.Sunday {
			p = p.AddDate(0, 0, -1)
		}
		return p
	}},
	{"@hourly", cnpgEvery(time.Hour, 0)},
}

// GenerateCloudNativePG returns a deterministic CloudNativePG estate for
// the load harness and the tests: the demo service account
// (KubernetesDemoToken), and namespaces "pg-001", "pg-002", ... of
// clustersPerNamespace Clusters each ("pg-01", ...; cluster g counts from
// 1 across all namespaces, labelled app.kubernetes.io/name=<cluster> and
// team=<generatedOwner(g)>: storage, payments or search, none when
// g%5 == 0), with an ObjectStore "backups" per namespace holding
// the recovery window of its plugin Clusters.
//
// The mix, by g:
//   - g%4 0 and 1: the barman-cloud plugin archives WAL and takes base
//     backups (method plugin; g%8 == 1 under serverName
//     "<cluster>-v2"); its window is in the ObjectStore, and the status
//     keeps a stale in-tree barmanObjectStore entry from before the
//     migration; 2: the in-tree barmanObjectStore; 3: volume snapshots,
//     WAL archived in-tree;
//   - a ScheduledBackup "<cluster>-scheduled" per Cluster, its schedule
//     cycling with g%5: 0 daily at midnight, 1 Sundays at 03:00, 2 every
//     6 hours, 3 weekdays at 02:30, 4 @hourly;
//   - backupsPerCluster Backups "<cluster>-<yyyymmddhhmm>" at the
//     schedule's fire times (plus up to 5 minutes), the newest at or
//     before now; the newest of g%10 == 3 is running; of the others about
//     3% failed and 1% walArchivingFailing; g%9 == 4: the oldest is being
//     deleted;
//   - g%7 == 6: no backup configuration, no Backup, no ScheduledBackup
//     (backup_protected 0);
//   - g%11 == 10: the ScheduledBackup was created 30 minutes ago: no
//     Backup yet;
//   - g%13 == 12: the ScheduledBackup is suspended, and the newest Backup
//     five fire times old;
//   - g%17 == 16: WAL archiving fails (ContinuousArchiving False).
func GenerateCloudNativePG(namespaces, clustersPerNamespace, backupsPerCluster int, now time.Time) *KubernetesScenario {
	now = now.UTC().Truncate(time.Second)
	rng := rand.New(rand.NewPCG(0x636e7067, uint64(namespaces)<<32|uint64(clustersPerNamespace)<<16|uint64(backupsPerCluster)))
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	d := &CNPGData{}
	sc := &KubernetesScenario{
		ServiceAccounts: []KubernetesServiceAccount{DefaultKubernetesServiceAccount()},
		CRDs:            KubernetesCRDs{cnpgSetName: d},
	}
	g := 0
	for n := 1; n <= namespaces; n++ {
		ns := fmt.Sprintf("pg-%03d", n)
		sc.Namespaces = append(sc.Namespaces, KubernetesNamespace{Name: ns})
		store := CNPGObjectStore{
			KubernetesMeta: KubernetesMeta{Name: "backups", CreationTimestamp: ts(now.AddDate(0, -6, 0))},
			Namespace:      ns, RetentionPolicy: "30d",
			Configuration: CNPGStoreConfig{DestinationPath: "s3://cnpg-backups/" + ns, CredentialsSecret: "backups-s3"},
		}
		for j := 1; j <= clustersPerNamespace; j++ {
			g++
			name := fmt.Sprintf("pg-%02d", j)
			created := now.AddDate(0, -13, 0)
			c := CNPGCluster{
				KubernetesMeta: KubernetesMeta{Name: name, CreationTimestamp: ts(created),
					Labels: map[string]string{"app.kubernetes.io/name": name}},
				Namespace: ns,
			}
			if team := generatedOwner(g); team != "" {
				c.Labels["team"] = team
			}
			if g%7 == 6 {
				d.Clusters = append(d.Clusters, c)
				continue
			}
			plugin, method := g%4 <= 1, "barmanObjectStore"
			server := name
			switch {
			case plugin:
				method = "plugin"
				p := CNPGPlugin{Name: BarmanCloudPlugin, IsWALArchiver: ptr(true), BarmanObjectName: "backups"}
				if g%8 == 1 {
					server = name + "-v2"
					p.ServerName = server
				}
				c.Plugins = []CNPGPlugin{p}
				c.LastSuccessfulBackup.BarmanObjectStoreAt = ts(created.Add(24 * time.Hour))
			case g%4 == 2:
				c.BarmanObjectStore = &CNPGStoreConfig{DestinationPath: "s3://cnpg-backups/" + ns + "/" + name}
			default:
				method = "volumeSnapshot"
				c.BarmanObjectStore = &CNPGStoreConfig{DestinationPath: "s3://cnpg-backups/" + ns + "/" + name}
				c.VolumeSnapshotClass = "csi-snapclass"
			}
			cad := cnpgCadences[g%5]
			sb := CNPGScheduledBackup{
				KubernetesMeta: KubernetesMeta{Name: name + "-scheduled", CreationTimestamp: ts(created.Add(time.Hour))},
				Namespace:      ns, Cluster: name, Schedule: cad.schedule, Method: method, BackupOwnerReference: "self",
			}
			count := backupsPerCluster
			if g%11 == 10 {
				sb.CreationTimestamp, count = ts(now.Add(-30*time.Minute)), 0
			}
			newest := cad.prev(now.Add(time.Second))
			if g%13 == 12 {
				sb.Suspend = ptr(true)
				for range 5 {
					newest = cad.prev(newest)
				}
			}
			fires := make([]time.Time, 0, count)
			for t := newest; len(fires) < count; t = cad.prev(t) {
				fires = append(fires, t)
			}
			var lastOK, lastFailed, firstOK time.Time
			for k := len(fires) - 1; k >= 0; k-- { // oldest first
				run := fires[k]
				start := run.Add(time.Duration(rng.IntN(300)) * time.Second)
				if start.After(now) {
					start = now
				}
				end := start.Add(time.Duration(2+rng.IntN(38))*time.Minute + time.Duration(rng.IntN(60))*time.Second)
				b := CNPGBackup{
					KubernetesMeta: KubernetesMeta{Name: fmt.Sprintf("%s-%s", name, run.Format("200601021504")), CreationTimestamp: ts(run)},
					Namespace:      ns, Cluster: name, Method: method, ScheduledBackup: sb.Name, Target: "prefer-standby",
					Phase: "completed", StartedAt: ts(start), StoppedAt: ts(end),
					ReconciliationStartedAt: ts(run), ReconciliationTerminatedAt: ts(end.Add(time.Second)),
					BackupID: start.Format("20060102T150405"),
				}
				p := rng.Float64()
				switch {
				case k == 0 && g%10 == 3 && g%13 != 12:
					b.Phase, b.StoppedAt, b.ReconciliationTerminatedAt = "running", "", ""
				case p < 0.03:
					b.Phase, b.BackupID = "failed", ""
					b.Error = "can't execute backup: exit status 4"
					b.CommandError = "ERROR: Upload error: An error occurred (RequestTimeout) when calling the PutObject operation"
				case p < 0.04:
					b.Phase, b.BackupID = "walArchivingFailing", ""
					b.Error = "the last WAL file was not archived within the timeout"
				}
				if k == len(fires)-1 && g%9 == 4 && len(fires) > 1 {
					b.DeletionTimestamp = ts(now.Add(-10 * time.Minute))
					b.Finalizers = []string{"cnpg.io/backup"}
				}
				switch b.Phase {
				case "completed":
					lastOK = end
					if firstOK.IsZero() {
						firstOK = start
					}
				case "failed", "walArchivingFailing":
					lastFailed = end
				}
				d.Backups = append(d.Backups, b)
			}
			if len(fires) > 0 {
				sb.LastScheduleTime = ts(fires[0])
			}
			sb.LastCheckTime = ts(now)
			if sb.Suspend == nil {
				sb.NextScheduleTime = ts(nextFire(cad, now))
			}
			d.ScheduledBackups = append(d.ScheduledBackups, sb)

			switch {
			case plugin:
				store.RecoveryWindows = append(store.RecoveryWindows, CNPGRecoveryWindow{
					Server: server, FirstRecoverabilityPointAt: ts(firstOK), LastSuccessfulBackupAt: ts(lastOK), LastFailedBackupAt: ts(lastFailed),
				})
			case method == "volumeSnapshot":
				c.LastSuccessfulBackup.VolumeSnapshotAt, c.FirstRecoverabilityPoint.VolumeSnapshotAt = ts(lastOK), ts(firstOK)
			default:
				c.LastSuccessfulBackup.BarmanObjectStoreAt, c.FirstRecoverabilityPoint.BarmanObjectStoreAt = ts(lastOK), ts(firstOK)
			}
			if !plugin {
				c.LastFailedBackupAt = ts(lastFailed)
			}
			switch {
			case !lastFailed.IsZero() && lastFailed.After(lastOK):
				c.Conditions = append(c.Conditions, KubernetesCondition{Type: "LastBackupSucceeded", Status: "False", Reason: "LastBackupFailed",
					Message: "can't execute backup: exit status 4", LastTransitionTime: ts(lastFailed)})
			case !lastOK.IsZero():
				c.Conditions = append(c.Conditions, KubernetesCondition{Type: "LastBackupSucceeded", Status: "True", Reason: "LastBackupSucceeded",
					Message: "Backup was successful", LastTransitionTime: ts(lastOK)})
			}
			if g%17 == 16 {
				c.Conditions = append(c.Conditions, KubernetesCondition{Type: "ContinuousArchiving", Status: "False", Reason: "ContinuousArchivingFailing",
					Message: "unexpected failure invoking barman-cloud-wal-archive: exit status 4", LastTransitionTime: ts(now.Add(-2 * time.Hour))})
			}
			d.Clusters = append(d.Clusters, c)
		}
		d.ObjectStores = append(d.ObjectStores, store)
	}
	return sc
}

// nextFire is the first fire time of cad after now.
func nextFire(cad cnpgCadence, now time.Time) time.Time {
	// prev of a time far enough ahead, walked back to the first after now.
	t := cad.prev(now.Add(8 * 24 * time.Hour))
	for {
		p := cad.prev(t)
		if !p.After(now) {
			return t
		}
		t = p
	}
}

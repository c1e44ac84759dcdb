package simulator

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// KubernetesGeneratedAppVault is the AppVault (in namespace
// trident-protect) the generated Backups and Schedules name.
const KubernetesGeneratedAppVault = "demo-vault"

// tpCadence is when a generated schedule runs.
type tpCadence struct {
	granularity            string
	minute, hour, dow, dom string
	rule                   string
	step                   func(t time.Time, n int) time.Time // n occurrences before t
	align                  func(now time.Time) time.Time      // newest occurrence <= now
	interval               time.Duration
}

var tpCadences = []tpCadence{
	{granularity: "Custom", rule: "DTSTART:20260101T000500Z\nRRULE:FREQ=HOURLY;INTERVAL=6", interval: 6 * time.Hour,
		align: func(now time.Time) time.Time {
			t := time.Date(now.Year(), now.Month(), now.Day(), 0, 5, 0, 0, time.UTC)
			for t.Add(6 * time.Hour).Before(now) {
				t = t.Add(6 * time.Hour)
			}
			if t.After(now) {
				t = t.Add(-6 * time.Hour)
			}
			return t
		}},
	{granularity: "Hourly", minute: "15", interval: time.Hour,
		align: func(now time.Time) time.Time {
			t := time.Date(now.Year(), now.Month(), now.Day(), now.Hour(), 15, 0, 0, time.UTC)
			if t.After(now) {
				t = t.Add(-time.Hour)
			}
			return t
		}},
	{granularity: "Daily", minute: "0", hour: "1", interval: 24 * time.Hour,
		align: func(now time.Time) time.Time {
			t := time.Date(now.Year(), now.Month(), now.Day(), 1, 0, 0, 0, time.UTC)
			if t.After(now) {
				t = t.AddDate(0, 0, -1)
			}
			return t
		}},
	{granularity: "Weekly", minute: "0", hour: "2", dow: "0", interval: 7 * 24 * time.Hour,
		align: func(now time.Time) time.Time {
			t := time.Date(now.Year(), now.Month(), now.Day(), 2, 0, 0, 0, time.UTC).AddDate(0, 0, -int(now.Weekday()))
			if t.After(now) {
				t = t.AddDate(0, 0, -7)
			}
			return t
		}},
	{granularity: "Monthly", minute: "0", hour: "3", dom: "1", interval: 31 * 24 * time.Hour,
		step: func(t time.Time, n int) time.Time { return t.AddDate(0, -n, 0) },
		align: func(now time.Time) time.Time {
			t := time.Date(now.Year(), now.Month(), 1, 3, 0, 0, 0, time.UTC)
			if t.After(now) {
				t = t.AddDate(0, -1, 0)
			}
			return t
		}},
}

// onDemand is the cadence of apps without a schedule: a manual backup
// every day at 12:00 UTC.
var tpOnDemand = tpCadence{granularity: "", interval: 24 * time.Hour,
	align: func(now time.Time) time.Time {
		t := time.Date(now.Year(), now.Month(), now.Day(), 12, 0, 0, 0, time.UTC)
		if t.After(now) {
			t = t.AddDate(0, 0, -1)
		}
		return t
	}}

func (c tpCadence) at(newest time.Time, n int) time.Time {
	if c.step != nil {
		return c.step(newest, n)
	}
	return newest.Add(-time.Duration(n) * c.interval)
}

// GenerateTridentProtect returns a deterministic Trident protect estate
// for the load harness: the demo service account (KubernetesDemoToken),
// an AppVault KubernetesGeneratedAppVault in namespace trident-protect,
// and namespaces "tp-001", "tp-002", ... of appsPerNamespace Applications
// each ("app-01", ...; app g counts from 1 across all namespaces), each
// Application including its own namespace with the label app=<name>.
//
// The mix, by g:
//   - a Schedule "<app>-<granularity>" per app, the granularity cycling
//     with g%5: 0 Custom (RRULE every 6 hours from 00:05), 1 Hourly (:15),
//     2 Daily (01:00), 3 Weekly (Sunday 02:00), 4 Monthly (the 1st, 03:00);
//     backupRetention is backupsPerApp, snapshotRetention 2;
//   - g%7 == 6: no Schedule; one on-demand Backup a day at 12:00 instead;
//   - g%11 == 10: no Backup at all (its Schedule, if any, created 30
//     minutes ago, never run);
//   - g%13 == 12: the Schedule is disabled (spec.enabled false) and its
//     newest Backup is 5 intervals old;
//   - backupsPerApp Backups "<app>-<granularity or manual>-<yyyymmddhhmm>"
//     at the schedule's occurrences (plus up to 5 minutes), the newest on
//     or before now; each backs up one PVC "data-<app>";
//   - the newest Backup of g%10 == 3 is Running (no completionTimestamp);
//   - of the others, about 3% Failed (status.error; half of them with a
//     failed pre-snapshot hook run), about 1% Error (the AppVault
//     unreachable), about 3% Completed with a failed post-snapshot hook
//     run, the rest Completed;
//   - g%9 == 4: the oldest Backup is being deleted (deletionTimestamp 10
//     minutes ago).
//
// Schedules carry status.lastScheduleTime and lastRecoveryPoints (the
// newest Completed Backup; isHealthy when it is at most two intervals
// old). Application status.protectionState is not set (its values are
// not documented). Every Application but every fifth is labelled team
// (storage, payments or search).
func GenerateTridentProtect(namespaces, appsPerNamespace, backupsPerApp int, now time.Time) *KubernetesScenario {
	now = now.UTC().Truncate(time.Second)
	rng := rand.New(rand.NewPCG(0x74726964, uint64(namespaces)<<32|uint64(appsPerNamespace)<<16|uint64(backupsPerApp)))
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	sc := &KubernetesScenario{
		ServiceAccounts: []KubernetesServiceAccount{DefaultKubernetesServiceAccount()},
		Namespaces: []KubernetesNamespace{{
			Name: KubernetesDemoNamespace,
			AppVaults: []TridentAppVault{{
				KubernetesMeta: KubernetesMeta{Name: KubernetesGeneratedAppVault, CreationTimestamp: ts(now.AddDate(0, -6, 0))},
				ProviderType:   "AWS", BucketName: "trident-protect-demo", Endpoint: "s3.amazonaws.com",
			}},
		}},
	}
	g := 0
	for n := 1; n <= namespaces; n++ {
		ns := KubernetesNamespace{Name: fmt.Sprintf("tp-%03d", n)}
		for j := 1; j <= appsPerNamespace; j++ {
			g++
			app := fmt.Sprintf("app-%02d", j)
			appCreated := now.AddDate(0, -13, 0)
			var labels map[string]string
			if team := generatedOwner(g); team != "" {
				labels = map[string]string{"team": team}
			}
			ns.Applications = append(ns.Applications, TridentApplication{
				KubernetesMeta:     KubernetesMeta{Name: app, CreationTimestamp: ts(appCreated), Labels: labels},
				IncludedNamespaces: []TridentNamespaceSelector{{Namespace: ns.Name, MatchLabels: map[string]string{"app": app}}},
			})
			cad, scheduled := tpCadences[g%5], g%7 != 6
			if !scheduled {
				cad = tpOnDemand
			}
			noBackups, disabled := g%11 == 10, scheduled && g%13 == 12
			kind := "manual"
			if scheduled {
				kind = strings.ToLower(cad.granularity)
			}
			var sched *TridentSchedule
			if scheduled {
				sched = &TridentSchedule{
					KubernetesMeta:    KubernetesMeta{Name: app + "-" + kind, CreationTimestamp: ts(appCreated.Add(time.Hour))},
					ApplicationRef:    app,
					AppVaultRef:       KubernetesGeneratedAppVault,
					DataMover:         "Kopia",
					Granularity:       cad.granularity,
					Minute:            cad.minute,
					Hour:              cad.hour,
					DayOfWeek:         cad.dow,
					DayOfMonth:        cad.dom,
					RecurrenceRule:    cad.rule,
					BackupRetention:   fmt.Sprint(max(backupsPerApp, 0)),
					SnapshotRetention: "2",
				}
				if disabled {
					sched.Enabled = ptr(false)
				}
				if noBackups {
					sched.CreationTimestamp = ts(now.Add(-30 * time.Minute))
				}
			}
			newest := cad.align(now)
			if disabled {
				newest = cad.at(newest, 5)
			}
			count := backupsPerApp
			if noBackups {
				count = 0
			}
			var lastDone *TridentRecoveryPoint
			var lastRun time.Time
			size := int64(1+rng.IntN(200)) << 30
			for k := count - 1; k >= 0; k-- { // oldest first
				run := cad.at(newest, k)
				start := run.Add(time.Duration(rng.IntN(300)) * time.Second)
				if start.After(now) {
					start = now
				}
				dur := time.Duration(2+rng.IntN(38))*time.Minute + time.Duration(rng.IntN(60))*time.Second
				end := start.Add(dur)
				used := size/2 + rng.Int64N(size/2+1)
				b := TridentBackup{
					KubernetesMeta: KubernetesMeta{Name: fmt.Sprintf("%s-%s-%s", app, kind, start.Format("200601021504")), CreationTimestamp: ts(start)},
					ApplicationRef: app,
					AppVaultRef:    KubernetesGeneratedAppVault,
					DataMover:      "Kopia",
					ReclaimPolicy:  "Retain",
					State:          "Completed",
					Volumes: []TridentBackupVolume{{
						PVCName: "data-" + app, PVName: "pvc-" + k8sUID("pv/"+ns.Name+"/"+app),
						CapacityBytes: size, UsedBytes: used, BytesTotal: used, BytesCompleted: used,
					}},
				}
				hook := func(stage, action, ref string, code int, stderr string) TridentHookRun {
					return TridentHookRun{
						Stage: stage, Action: action, ExecHookRef: ref,
						PodName: app + "-0", ContainerName: app, ContainerImage: "registry.example.com/" + app + ":1.0",
						JobName:        "hook-" + k8sUID("job/" + ns.Name + "/" + b.Name + "/" + ref)[:8],
						StartTimestamp: ts(start.Add(5 * time.Second)), CompletionTimestamp: ts(start.Add(35 * time.Second)),
						Failures: []TridentHookFailure{{
							Error: fmt.Sprintf("command terminated with exit code %d", code), ExitCode: ptr(code),
							IsExecError: true, Stderr: stderr,
						}},
					}
				}
				p := rng.Float64()
				switch {
				case k == 0 && g%10 == 3 && !disabled:
					done := used * int64(5+rng.IntN(90)) / 100
					b.State = "Running"
					b.Volumes[0].BytesCompleted = done
				case p < 0.03:
					b.State = "Failed"
					b.Error = "volume backup data-" + app + " failed: kopia: error uploading snapshot: context deadline exceeded"
					if p < 0.015 {
						b.Error = "pre-snapshot execution hook " + app + "-quiesce failed: command terminated with exit code 1"
						b.HookRuns = []TridentHookRun{hook("Pre", "Snapshot", app+"-quiesce", 1, "FATAL: could not freeze database: lock timeout")}
						b.Volumes = nil
					}
					b.CompletionTimestamp = ts(end)
				case p < 0.04:
					b.State = "Error"
					b.Error = "AppVault " + KubernetesGeneratedAppVault + " is not available: RequestError: send request failed: dial tcp: i/o timeout"
					b.Volumes = nil
				default:
					if p < 0.07 {
						b.HookRuns = []TridentHookRun{hook("Post", "Snapshot", app+"-unquiesce", 2, "unquiesce: service did not resume within 30s")}
						b.Warnings = []string{"post-snapshot execution hook " + app + "-unquiesce failed: command terminated with exit code 2"}
					}
					b.CompletionTimestamp = ts(end)
					b.Volumes[0].CompletionTimestamp = ts(end)
				}
				if k == count-1 && g%9 == 4 && count > 1 {
					b.DeletionTimestamp = ts(now.Add(-10 * time.Minute))
				}
				ns.Backups = append(ns.Backups, b)
				if b.State == "Completed" {
					lastDone = &TridentRecoveryPoint{Name: b.Name, CreationTimestamp: b.CreationTimestamp}
				}
				lastRun = run
			}
			if sched != nil {
				if !lastRun.IsZero() {
					sched.LastScheduleTime = ts(lastRun)
				}
				if lastDone != nil {
					sched.LastBackup = lastDone
					sched.LastRecoveryPointTime = lastDone.CreationTimestamp
					created, _ := time.Parse(time.RFC3339, lastDone.CreationTimestamp)
					sched.Healthy = ptr(now.Sub(created) <= 2*cad.interval)
				}
				ns.Schedules = append(ns.Schedules, *sched)
			}
		}
		sc.Namespaces = append(sc.Namespaces, ns)
	}
	return sc
}

// Merge returns sc with the namespaces of gen (replacing those of the same
// name), gen's service accounts whose tokens sc lacks and gen's data of
// the CRD sets sc has none of; sc nil is gen. sc is changed in place.
func (sc *KubernetesScenario) Merge(gen *KubernetesScenario) *KubernetesScenario {
	if sc == nil {
		return gen
	}
	for _, ns := range gen.Namespaces {
		i := slices.IndexFunc(sc.Namespaces, func(n KubernetesNamespace) bool { return n.Name == ns.Name })
		if i >= 0 {
			sc.Namespaces[i] = ns
		} else {
			sc.Namespaces = append(sc.Namespaces, ns)
		}
	}
	for _, a := range gen.ServiceAccounts {
		if !slices.ContainsFunc(sc.ServiceAccounts, func(b KubernetesServiceAccount) bool { return b.Token == a.Token }) {
			sc.ServiceAccounts = append(sc.ServiceAccounts, a)
		}
	}
	for set, data := range gen.CRDs {
		if sc.CRDs == nil {
			sc.CRDs = KubernetesCRDs{}
		}
		if _, ok := sc.CRDs[set]; !ok {
			sc.CRDs[set] = data
		}
	}
	return sc
}

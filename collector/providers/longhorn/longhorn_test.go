package longhorn

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

var kinds = toolkit.Registry{Type}

const token = providertest.KubernetesToken

const notFound = `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"the server could not find the requested resource"}`

// routes are the fixture pages of namespace ns.
func routes(ns string) map[string]string {
	p := apiPrefix + "/namespaces/" + ns + "/"
	return map[string]string{
		p + resVolumes:                  "volumes_page1.json",
		p + resVolumes + "?continue=v2": "volumes_page2.json",
		p + resBackups:                  "backups_page1.json",
		p + resBackups + "?continue=b2": "backups_page2.json",
		p + resBackupVolumes:            "backupvolumes.json",
		p + resRecurringJobs:            "recurringjobs.json",
		p + resBackupTargets:            "backuptargets.json",
	}
}

func k8sConfig(s *providertest.Server, target string) string {
	return s.KubernetesConfig("lh", "longhorn", target)
}

// TestLonghornGolden: every Backup state of docs/metrics.md's table ("",
// Pending, InProgress, Completed, Error, Deleting, Unknown, and a
// Completed Backup with a deletionTimestamp), an Error Backup's message
// from status.error and from status.messages (first key in order),
// progress, transferred and size bytes (a progress out of 0–100 gives no
// sample), Backups found by the backup-volume label and by
// status.volumeName, a Backup and a BackupVolume of a volume that is gone
// (no resource), paging across 2 pages of volumes and of backups;
// RecurringJobs: the default group given to a volume without job or group
// labels, a volume whose only job label is not "enabled" (unprotected),
// a snapshot job that does not count, intervals from "0 2 * * *" (24h),
// the weekday "0 2 * * 1-5" (72h) and "@every 6h" (the shortest wins), a
// cron that never fires twice in 400 days (protected, 24h); a volume
// protected by a job with no Backup (last success 0), one with only a
// BackupVolume's lastBackupAt; the PVC name while bound, the volume name
// once the PVC is history; a volume whose backup target is unavailable.
func TestLonghornGolden(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(DefaultNamespace), notFound))
	e := providertest.NewExporter(t, k8sConfig(srv, ""), kinds, collector.Options{})
	providertest.Golden(t, e, kinds, "cluster.prom")
}

// TestLonghornRecords: what the golden cannot show: the owners' labels
// of each volume are its own metadata.labels; the target-unavailable
// error reads as a person would.
func TestLonghornRecords(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(DefaultNamespace), notFound))
	e := providertest.NewExporter(t, k8sConfig(srv, ", resource_labels: [app.kubernetes.io/name]"), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	byID := map[string]toolkit.Resource{}
	for _, r := range res.Resources {
		byID[r.ID] = r
	}
	if len(byID) != 15 {
		t.Errorf("%d volumes, want 15 (vol-gone is no volume)", len(byID))
	}
	c := byID["vol-completed"]
	if c.Tags.Kind != toolkit.KubernetesLabels || c.Tags.Values["app.kubernetes.io/name"] != "postgres" || c.Name != "shop/data-db" {
		t.Errorf("vol-completed: %q %+v", c.Name, c.Tags)
	}
	if d := byID["vol-default-implicit"]; d.Tags.Kind != toolkit.KubernetesLabels || len(d.Tags.Values) != 0 {
		t.Errorf("vol-default-implicit has labels %+v", d.Tags)
	}
	o := byID["vol-offsite"]
	if o.Healthy || o.Reason != "backup target offsite is unavailable" ||
		o.CurrentError().Read() != "backup target offsite is unavailable: failed to list backup volumes in s3://offsite@eu-west-1/: AccessDenied: Access Denied" {
		t.Errorf("vol-offsite: healthy %v, reason %q, error %q", o.Healthy, o.Reason, o.CurrentError().Read())
	}
}

// TestLonghornLabelsOnlyWhenWanted: without resource_labels (none, or
// static_labels alone) the records keep no labels: they are read for the
// recurring jobs, not kept for as long as the records are served.
func TestLonghornLabelsOnlyWhenWanted(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(DefaultNamespace), notFound))
	for _, keys := range []string{"", ", static_labels: {environment: test}"} {
		e := providertest.NewExporter(t, k8sConfig(srv, keys), kinds, collector.Options{})
		res := e.Collect(context.Background(), e.Targets())[0]
		if res.Err != nil || len(res.Resources) == 0 {
			t.Fatalf("%q: %d resources, %v", keys, len(res.Resources), res.Err)
		}
		for _, r := range res.Resources {
			if r.Tags.Kind != toolkit.KubernetesLabels || r.Tags.Values != nil {
				t.Errorf("%q: %s keeps labels %+v", keys, r.ID, r.Tags)
			}
			// The labels still say which jobs apply: vol-weekday's
			// every-6h job, vol-unprotected's disabled one.
			if r.ID == "vol-weekday" && r.ExpectedInterval != 6*time.Hour || r.ID == "vol-unprotected" && r.Protected {
				t.Errorf("%q: %s's recurring-job labels were not read: %+v", keys, r.ID, r)
			}
		}
	}
}

// TestLonghornExplicitIntervalWins: a target's expected_interval
// overrides the recurring jobs'.
func TestLonghornExplicitIntervalWins(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(DefaultNamespace), notFound))
	e := providertest.NewExporter(t, k8sConfig(srv, ", expected_interval: 3d"), kinds, collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_expected_interval_seconds")
	// The unprotected volume has no series but backup_protected.
	if n := strings.Count(got, "} 259200\n"); n != 14 {
		t.Errorf("%d of 14 volumes at 3d:\n%s", n, got)
	}
}

// TestLonghornNamespaceAndTargetsOff: the lists are read in the
// configured namespace only, never another resource (settings, secrets);
// with backup_targets false the BackupTargets are not read and an
// unavailable target makes no volume unhealthy.
func TestLonghornNamespaceAndTargetsOff(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes("storage"), notFound))
	e := providertest.NewExporter(t, k8sConfig(srv, ", namespace: storage, backup_targets: false"), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	allowed := "^" + apiPrefix + "/namespaces/storage/(volumes|backups|backupvolumes|recurringjobs)\\?"
	if n := len(srv.Requests()); n != 6 {
		t.Errorf("%d requests, want 6 (2 pages of volumes and of backups, 1 of backupvolumes and of recurringjobs)", n)
	}
	for _, r := range srv.Requests() {
		if !regexp.MustCompile(allowed).MatchString(r) {
			t.Errorf("request %s", r)
		}
	}
	for _, r := range res.Resources {
		if r.ID == "vol-offsite" && (!r.Healthy || r.CurrentError() != nil) {
			t.Errorf("vol-offsite unhealthy without reading its target: %+v", r)
		}
	}
}

// TestLonghornExpiredContinueRestartsOnce: a 410 Gone on a continue
// token restarts that list from the start, once; a second 410 is the
// target's error.
func TestLonghornExpiredContinueRestartsOnce(t *testing.T) {
	providertest.ExpiredContinue{Routes: routes(DefaultNamespace), NotFound: notFound, Kinds: kinds,
		Config:   func(s *providertest.Server) string { return k8sConfig(s, "") },
		Continue: "b2", FirstPage: "/backups?limit=500", Resources: 15, What: "volumes"}.Run(t)
}

// TestLonghornNotInstalled: without Longhorn's CRDs (every list 404) the
// target is down, saying so.
func TestLonghornNotInstalled(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, map[string]string{}, notFound))
	e := providertest.NewExporter(t, k8sConfig(srv, ""), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), "404") {
		t.Errorf("err = %v", res.Err)
	}
}

func TestLonghornWrongTokenDown(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(DefaultNamespace), notFound))
	yml := strings.Replace(k8sConfig(srv, ""), "bearer_token: "+token, "bearer_token: wrong-token-1234", 1)
	e := providertest.NewExporter(t, yml, kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), "401") || strings.Contains(res.Err.Error(), "wrong-token-1234") {
		t.Errorf("err = %v", res.Err)
	}
}

// TestLonghornNoIntervalLoggedOnce: a backup job whose cron yields no
// interval is logged once, naming it, however many polls read it.
func TestLonghornNoIntervalLoggedOnce(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(DefaultNamespace), notFound))
	core, logs := observer.New(zapcore.InfoLevel)
	e := providertest.NewExporter(t, k8sConfig(srv, ""), kinds, collector.Options{Logger: zap.New(core)})
	for range 3 {
		if res := e.Collect(context.Background(), e.Targets())[0]; res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	got := logs.FilterMessageSnippet("gives no interval")
	if got.Len() != 1 || got.All()[0].ContextMap()["recurring_job"] != "broken-cron" || got.All()[0].ContextMap()["cron"] != "0 2 31 2 *" {
		t.Errorf("%d logs: %s", got.Len(), providertest.LogText(logs))
	}
}

// TestJobsOf: which backup RecurringJobs apply to a volume's labels.
func TestJobsOf(t *testing.T) {
	job := func(name, task string, groups ...string) recurringJob {
		var j recurringJob
		j.Metadata.Name, j.Spec.Task, j.Spec.Cron, j.Spec.Groups = name, task, "@every 1h", groups
		return j
	}
	l := &lists{jobs: []recurringJob{
		job("nightly", "backup", "default"), job("weekly", "backup-force-create", "gold"),
		job("snap", "snapshot", "default"), job("solo", "backup"),
	}}
	ix := newIndex(l, time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC), func(string, string, error) { t.Error("no interval") })
	for _, c := range []struct {
		labels map[string]string
		want   string
	}{
		{nil, "nightly"}, // no label: the default group
		{map[string]string{"app": "x"}, "nightly"},
		{map[string]string{"recurring-job-group.longhorn.io/default": "enabled"}, "nightly"},
		{map[string]string{"recurring-job-group.longhorn.io/gold": "enabled"}, "weekly"},
		{map[string]string{"recurring-job-group.longhorn.io/gold": "enabled", "recurring-job-group.longhorn.io/default": "enabled"}, "nightly weekly"},
		{map[string]string{"recurring-job.longhorn.io/solo": "enabled"}, "solo"},
		{map[string]string{"recurring-job.longhorn.io/solo": "disabled"}, ""}, // a job label: no default group
		{map[string]string{"recurring-job.longhorn.io/snap": "enabled"}, ""},  // not a backup task
		{map[string]string{"recurring-job.longhorn.io/weekly": "enabled"}, "weekly"},
		// Longhorn's own default-group rule counts any key with either
		// prefix, the source label too (datastore.labelRecurringJobDefault).
		{map[string]string{"recurring-job.longhorn.io/source": "enabled"}, ""},
	} {
		var names []string
		for _, j := range ix.jobsOf(c.labels) {
			names = append(names, j.Metadata.Name)
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("%v: %q, want %q", c.labels, got, c.want)
		}
	}
}

// TestSchedulesBounded: a schedule shared by many jobs is computed once,
// and a poll computes at most maxSchedules distinct ones; the rest have
// no interval, and say why.
func TestSchedulesBounded(t *testing.T) {
	var l lists
	for i := range maxSchedules + 2 {
		var j recurringJob
		j.Metadata.Name, j.Spec.Task, j.Spec.Cron = fmt.Sprintf("job-%d", i), "backup", fmt.Sprintf("@every %dm", i+1)
		l.jobs = append(l.jobs, j, j) // each schedule twice
	}
	var why []error
	ix := newIndex(&l, time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC), func(_, _ string, err error) { why = append(why, err) })
	if got := ix.intervals[&l.jobs[2*maxSchedules-1]]; got != time.Duration(maxSchedules)*time.Minute {
		t.Errorf("the last computed schedule: %v", got)
	}
	if got := ix.intervals[&l.jobs[2*maxSchedules]]; got != 0 {
		t.Errorf("a schedule past the bound: %v", got)
	}
	if len(why) != 2 || why[0] != errTooManySchedules {
		t.Errorf("told %v", why)
	}
}

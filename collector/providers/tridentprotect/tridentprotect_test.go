package tridentprotect

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

var kinds = toolkit.Registry{Type}

const token = providertest.KubernetesToken

func routes() map[string]string {
	return map[string]string{
		apiPrefix + "/applications":             "applications_page1.json",
		apiPrefix + "/applications?continue=a2": "applications_page2.json",
		apiPrefix + "/backups":                  "backups_page1.json",
		apiPrefix + "/backups?continue=b2":      "backups_page2.json",
		apiPrefix + "/backups?continue=b3":      "backups_page3.json",
		apiPrefix + "/schedules":                "schedules.json",
	}
}

func k8sConfig(s *providertest.Server, target string) string {
	return s.KubernetesConfig("tp", "trident_protect", target)
}

// TestTridentProtectGolden: every Backup state of docs/metrics.md's table
// (Pending, Blocked, Running, Completed, Failed, Error, Removed, and a
// deletionTimestamp), hooks failed on a completed backup, paging across 3
// pages, intervals derived from Hourly, Daily, Weekly, Monthly and RRULE
// schedules (disabled and snapshot-only ones ignored), an app with a
// schedule and no backup (protected, last success 0), an app with neither
// (protected 0).
func TestTridentProtectGolden(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(), `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"not found"}`))
	e := providertest.NewExporter(t, k8sConfig(srv, ""), kinds, collector.Options{})
	providertest.Golden(t, e, kinds, "cluster.prom")
}

// TestTridentProtectExplicitIntervalWins: a target's expected_interval
// overrides the schedules'.
func TestTridentProtectExplicitIntervalWins(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(), `{}`))
	e := providertest.NewExporter(t, k8sConfig(srv, ", expected_interval: 3d"), kinds, collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_expected_interval_seconds")
	// The unprotected app has no series but backup_protected.
	if n := strings.Count(got, "} 259200\n"); n != 6 {
		t.Errorf("%d of 6 apps at 3d:\n%s", n, got)
	}
}

// TestTridentProtectNamespaces: with namespaces set, each namespace's
// lists are read, never the cluster-wide ones.
func TestTridentProtectNamespaces(t *testing.T) {
	namespaced := map[string]string{}
	for path, file := range routes() {
		for _, ns := range []string{"shop", "ci"} {
			namespaced[strings.Replace(path, apiPrefix, apiPrefix+"/namespaces/"+ns, 1)] = file
		}
	}
	srv := providertest.KubernetesServer(t, providertest.Files(t, namespaced, `{}`))
	e := providertest.NewExporter(t, k8sConfig(srv, ", namespaces: [shop, ci]"), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	for _, r := range srv.Requests() {
		if !strings.Contains(r, "/namespaces/") {
			t.Errorf("cluster-wide request %s", r)
		}
		if strings.Contains(r, "appvaults") {
			t.Errorf("appvaults read: %s", r)
		}
	}
}

// TestTridentProtectExpiredContinueRestartsOnce: a 410 Gone on a continue
// token restarts that list from the start, once; a second 410 is the
// target's error.
func TestTridentProtectExpiredContinueRestartsOnce(t *testing.T) {
	providertest.ExpiredContinue{Routes: routes(), NotFound: `{}`, Kinds: kinds,
		Config:   func(s *providertest.Server) string { return k8sConfig(s, "") },
		Continue: "b2", FirstPage: "/backups?limit=500", Resources: 7, What: "apps"}.Run(t)
}

func TestTridentProtectWrongTokenDown(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(), `{}`))
	yml := strings.Replace(k8sConfig(srv, ""), "bearer_token: "+token, "bearer_token: wrong-token-1234", 1)
	e := providertest.NewExporter(t, yml, kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), "401") || strings.Contains(res.Err.Error(), "wrong-token-1234") {
		t.Errorf("err = %v", res.Err)
	}
}

func TestRRuleInterval(t *testing.T) {
	for rule, want := range map[string]time.Duration{
		"DTSTART:20250106T000100Z\nRRULE:FREQ=MINUTELY;INTERVAL=5": 5 * time.Minute,
		"RRULE:FREQ=HOURLY;INTERVAL=6":                             6 * time.Hour,
		"FREQ=DAILY":                                               24 * time.Hour,
		"rrule:freq=weekly;byday=MO":                               7 * 24 * time.Hour,
		"DTSTART:20250106T000100Z":                                 0,
		"RRULE:FREQ=FORTNIGHTLY":                                   0,
	} {
		if got := rruleInterval(rule); got != want {
			t.Errorf("%q: %v, want %v", rule, got, want)
		}
	}
}

package azurebackup

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

var kinds = toolkit.Registry{Type}

const vaults = "/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults"

// vaultRoutes serves one vault: items and jobs across 3 pages, the jobs
// in progress, and the protectable VMs.
func vaultRoutes(v string) map[string]string {
	p := vaults + "/" + v
	return map[string]string{
		p + "/backupProtectedItems":                            "items_page1.json",
		p + "/backupProtectedItems?$skiptoken=p2":              "items_page2.json",
		p + "/backupProtectedItems?$skiptoken=p3":              "items_page3.json",
		p + "/backupJobs":                                      "jobs_page1.json",
		p + "/backupJobs?$skiptoken=j2":                        "jobs_page2.json",
		p + "/backupJobs?$skiptoken=j3":                        "jobs_page3.json",
		p + "/backupJobs/11111111-0000-0000-0000-000000000005": "job_running_detail.json",
		p + "/backupJobs/11111111-0000-0000-0000-000000000009": "job_cancelling_detail.json",
		p + "/backupProtectableItems":                          "protectable.json",
	}
}

const target = `name: ab, type: azure_backup, subscription_id: ffffffff-ffff-ffff-ffff-ffffffffffff, resource_group: rg-backup`

// TestAzureBackupGolden: every state of docs/metrics.md's azure_backup mapping
// (jobs Completed, CompletedWithWarnings, InProgress with progress,
// Cancelling, Failed with error details, Cancelled; no job in the window
// with lastBackupStatus Healthy, IRPending and Failed; deferred delete;
// ProtectionError, ProtectionStopped, ActionRequired, an unhealthy KPI), a
// workload item keyed by its own ID, a never-backed-up item at 0, a
// protectable VM at protected 0, a job of no listed item ignored.
func TestAzureBackupGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		routes map[string]string
		extra  string
	}{
		{"vault", vaultRoutes("rsv-prod"), "vault: rsv-prod"},
		{"discovery", func() map[string]string {
			r := vaultRoutes("rsv-prod")
			r[vaults] = "vaults.json"
			for _, l := range []string{"backupProtectedItems", "backupJobs", "backupProtectableItems"} {
				r[vaults+"/rsv-empty/"+l] = "empty.json"
			}
			return r
		}(), ""},
		{"workload_types", vaultRoutes("rsv-prod"), "vault: rsv-prod, workload_types: [sqldatabase, AzureFileShare]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := providertest.ARMServer(t, tc.routes)
			tg := target
			if tc.extra != "" {
				tg += ", " + tc.extra
			}
			e := providertest.NewExporter(t, srv.AzureConfig(tg), kinds, collector.Options{})
			providertest.Golden(t, e, kinds, tc.name+".prom")
		})
	}
}

// TestAzureBackupJobWindow: the jobs are asked for with the documented
// $filter, Backup operations only, over 2 × expected_interval (at least
// 2 days) up to now; only in-progress jobs are read one by one.
func TestAzureBackupJobWindow(t *testing.T) {
	for _, tc := range []struct {
		interval string
		want     time.Duration
	}{{"", 48 * time.Hour}, {"expected_interval: 7d", 14 * 24 * time.Hour}, {"expected_interval: 1h", 48 * time.Hour}} {
		srv := providertest.ARMServer(t, vaultRoutes("rsv-prod"))
		tg := target + ", vault: rsv-prod"
		if tc.interval != "" {
			tg += ", " + tc.interval
		}
		e := providertest.NewExporter(t, srv.AzureConfig(tg), kinds, collector.Options{})
		before := time.Now().UTC()
		providertest.Gather(t, e)
		var filter string
		details := 0
		for _, r := range srv.Requests() {
			u, err := url.Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(u.Path, "/backupJobs") && u.Query().Get("$skiptoken") == "" {
				filter = u.Query().Get("$filter")
			}
			if strings.Contains(u.Path, "/backupJobs/") {
				details++
			}
		}
		var start, end string
		rest, ok := strings.CutPrefix(filter, "operation eq 'Backup' and startTime eq '")
		if ok {
			start, rest, ok = strings.Cut(rest, "' and endTime eq '")
		}
		if ok {
			end, ok = strings.CutSuffix(rest, "'")
		}
		if !ok {
			t.Fatalf("$filter = %q", filter)
		}
		s, err1 := time.Parse(jobTimeLayout, start)
		en, err2 := time.Parse(jobTimeLayout, end)
		if err1 != nil || err2 != nil {
			t.Fatalf("times of %q: %v %v", filter, err1, err2)
		}
		if d := en.Sub(s); d != tc.want {
			t.Errorf("%s: window %v, want %v", tc.interval, d, tc.want)
		}
		if en.Before(before.Truncate(time.Second)) || en.After(time.Now().UTC().Add(time.Second)) {
			t.Errorf("window ends at %v, not now (%v)", en, before)
		}
		if details != 2 {
			t.Errorf("%d job details read, want 2 (the in-progress and cancelling ones)", details)
		}
	}
}

func TestAzureBackupConfigErrors(t *testing.T) {
	for _, tc := range []struct{ target, want string }{
		{`name: ab, type: azure_backup, resource_group: rg`, "subscription_id"},
		{target + `, vault: "1bad"`, "vault"},
		{target + `, vault: "a"`, "vault"},
		{target + `, workload_types: [VM, Floppy]`, `workload_types entry 2 "Floppy" is not a workload type`},
		{target + `, api_version: "2025"`, "api_version"},
	} {
		srv := providertest.ARMServer(t, nil)
		_, err := config.Parse([]byte(srv.AzureConfig(tc.target)), "test.yml", kinds.Config())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %q", tc.target, err, tc.want)
		}
	}
}

package velero

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

const notFound = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}`

func routes() map[string]string {
	return map[string]string{
		namespacesPath:                             "namespaces_page1.json",
		namespacesPath + "?continue=n2":            "namespaces_page2.json",
		v1Prefix + "velero/backups":                "backups_page1.json",
		v1Prefix + "velero/backups?continue=b2":    "backups_page2.json",
		v1Prefix + "velero/schedules":              "schedules.json",
		v1Prefix + "velero/backupstoragelocations": "backupstoragelocations.json",
	}
}

func k8sConfig(s *providertest.Server, target string) string {
	return s.KubernetesConfig("velero", "velero", `, exclude_namespaces: ["kube-*"]`+target)
}

// TestVeleroGolden: every Backup phase of docs/metrics.md's table (New as
// an empty phase, Queued, ReadyToStart, InProgress with progress, the
// plugin and finalizing phases, Completed, PartiallyFailed, Failed,
// FailedValidation with no start, Deleting, an unknown phase), a
// deletionTimestamp, hooks failed on a Completed backup, an Unavailable
// storage location; coverage by globs (bill*, web-*), excludes that win
// (p-*, kube-*), the exclude label (true only), a label selector in the
// default named mode (db, not db-2), a namespace newer than the only
// backup that would cover it (unprotected), one covered by a Schedule
// only (protected, last success 0), paused and invalid Schedules (healthy
// 0); intervals from cron (weekday 72h, @every 6h beside a daily one in
// Tokyo, month start 31d, a cron that does not parse: 24h); expired
// backups left out of the oldest success; namespaces and Backups over two
// pages each.
func TestVeleroGolden(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(), notFound))
	e := providertest.NewExporter(t, k8sConfig(srv, ""), kinds, collector.Options{})
	providertest.Golden(t, e, kinds, "cluster.prom")
	for _, r := range srv.Requests() {
		if strings.Contains(r, "secrets") || strings.Contains(r, "podvolumebackups") || strings.Contains(r, "datauploads") {
			t.Errorf("read %s", r)
		}
	}
}

// TestVeleroExpiredContinueRestartsOnce: a 410 Gone on a continue token
// restarts that list from the start, once; a second 410 is the target's
// error.
func TestVeleroExpiredContinueRestartsOnce(t *testing.T) {
	for _, gone := range []int32{1, 2} {
		var served, firstPages atomic.Int32
		files := providertest.Files(t, routes(), notFound)
		srv := providertest.KubernetesServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == v1Prefix+"velero/backups" && r.URL.Query().Get("continue") == "" {
				firstPages.Add(1)
			}
			if r.URL.Query().Get("continue") == "b2" && served.Add(1) <= gone {
				w.WriteHeader(http.StatusGone)
				fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The provided continue parameter is too old to display a consistent list result.","reason":"Expired","code":410}`)
				return
			}
			files(w, r)
		})
		e := providertest.NewExporter(t, k8sConfig(srv, ""), kinds, collector.Options{})
		res := e.Collect(context.Background(), e.Targets())[0]
		switch {
		case gone == 1 && (res.Err != nil || firstPages.Load() != 2):
			t.Errorf("one 410: %v, the list began %d times", res.Err, firstPages.Load())
		case gone == 2 && (res.Err == nil || !strings.Contains(res.Err.Error(), "410")):
			t.Errorf("two 410s: %v", res.Err)
		}
	}
}

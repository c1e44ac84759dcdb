package cloudnativepg

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

var kinds = toolkit.Registry{Type}

const token = providertest.KubernetesToken

// The API server's answers for a resource type it does not serve (a CRD
// that is not installed: text/plain, not a Status) and for a missing
// object.
const (
	notInstalled = "404 page not found\n"
	notFound     = `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"not found"}`
)

// routes are the fixtures of testdata: 23 Clusters on two pages, their
// Backups on three, their ScheduledBackups and the plugin's ObjectStores.
func routes(objectStores bool) map[string]string {
	r := map[string]string{
		cnpgPrefix + "/clusters":             "clusters_page1.json",
		cnpgPrefix + "/clusters?continue=c2": "clusters_page2.json",
		cnpgPrefix + "/backups":              "backups_page1.json",
		cnpgPrefix + "/backups?continue=b2":  "backups_page2.json",
		cnpgPrefix + "/backups?continue=b3":  "backups_page3.json",
		cnpgPrefix + "/scheduledbackups":     "scheduledbackups.json",
	}
	if objectStores {
		r[pluginPrefix+"/objectstores"] = "objectstores.json"
	}
	return r
}

func k8sConfig(s *providertest.Server, target string) string {
	return s.KubernetesConfig("cnpg", "cloudnative_pg", target)
}

// TestCloudNativePGGolden: every Backup phase of docs/metrics.md's table
// ("", pending, started, running, finalizing, completed, failed,
// walArchivingFailing, "invalid backup definition", one it lacks, and a
// deletionTimestamp), a Cluster per phase; the barman-cloud plugin's
// ObjectStore window against the Cluster's in-tree times (pg-plugin: the
// window of its serverName wins, the stale in-tree barmanObjectStore
// entry and the window of another server name are ignored, the
// volumeSnapshot entry counts; pg-legacy: the in-tree entries, a failed
// latest Backup whose message is its commandError, LastBackupSucceeded
// False); WAL archiving failing (pg-walfail: unhealthy, code
// continuous_archiving); the window's last failure newer than its last
// success; an ObjectStore not found (a disabled entry skipped); every
// ScheduledBackup suspended; a ScheduledBackup and no Backup (protected,
// last success 0); a WAL archiver plugin only (protected); nothing
// (protected 0); the cron forms (six fields, five fields without the
// day of week, a crontab line read as CloudNativePG reads it, a
// descriptor, @every, weekdays, a suspended one ignored, one that does
// not parse ignored); paging of Clusters and Backups; an orphan Backup
// and ScheduledBackup ignored.
func TestCloudNativePGGolden(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(true), notFound))
	e := providertest.NewExporter(t, k8sConfig(srv, ""), kinds, collector.Options{})
	providertest.Golden(t, e, kinds, "cluster.prom")
}

// TestCloudNativePGPluginNotInstalled: with barman_cloud_plugin auto, a
// 404 for the ObjectStores (the plugin's CRD absent) is no error: the
// Clusters that use the plugin have no window (a note says why), their
// Backups and in-tree times still count. With true it is the target's
// error; with false the ObjectStores are never asked for.
func TestCloudNativePGPluginNotInstalled(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(false), notInstalled))
	core, logs := observer.New(zapcore.InfoLevel)
	e := providertest.NewExporter(t, k8sConfig(srv, ""), kinds, collector.Options{Logger: zap.New(core)})
	providertest.Golden(t, e, kinds, "plugin_absent.prom")
	res := e.Collect(context.Background(), e.Targets())[0]
	for _, r := range res.Resources {
		if r.ID == "payments/pg-plugin" && !strings.Contains(strings.Join(r.Notes, " "), "not installed") {
			t.Errorf("pg-plugin notes %q do not say the plugin is not installed", r.Notes)
		}
	}
	if n := logs.FilterMessageSnippet("barman-cloud plugin is not installed").Len(); n != 1 {
		t.Errorf("logged %d times that the plugin is not installed over three polls, want once", n)
	}

	srv = providertest.KubernetesServer(t, providertest.Files(t, routes(false), notInstalled))
	e = providertest.NewExporter(t, k8sConfig(srv, ", barman_cloud_plugin: true"), kinds, collector.Options{})
	res = e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), "barman_cloud_plugin: true") || !strings.Contains(res.Err.Error(), "objectstores") {
		t.Errorf("barman_cloud_plugin true without the plugin: %v", res.Err)
	}

	srv = providertest.KubernetesServer(t, providertest.Files(t, routes(true), notFound))
	e = providertest.NewExporter(t, k8sConfig(srv, ", barman_cloud_plugin: false"), kinds, collector.Options{})
	if res := e.Collect(context.Background(), e.Targets())[0]; res.Err != nil || len(res.Resources) != 23 {
		t.Fatalf("barman_cloud_plugin false: %v, %d clusters", res.Err, len(res.Resources))
	}
	for _, r := range srv.Requests() {
		if strings.Contains(r, "objectstores") {
			t.Errorf("barman_cloud_plugin false, yet %s", r)
		}
	}
}

// TestCloudNativePGObjectStoresForbidden: a 403 for the ObjectStores (the
// plugin's viewer role is not aggregated to view) is a permission error,
// never read as "not installed".
func TestCloudNativePGObjectStoresForbidden(t *testing.T) {
	files := providertest.Files(t, routes(false), notFound)
	srv := providertest.KubernetesServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/objectstores") {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"objectstores.barmancloud.cnpg.io is forbidden: User \"system:serviceaccount:monitoring:backup-exporter\" cannot list resource \"objectstores\" in API group \"barmancloud.cnpg.io\" at the cluster scope","reason":"Forbidden","code":403}`)
			return
		}
		files(w, r)
	})
	e := providertest.NewExporter(t, k8sConfig(srv, ""), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), "forbidden") {
		t.Errorf("err = %v, want the 403", res.Err)
	}
}

// TestCloudNativePGNamespaces: with namespaces set, each namespace's lists
// are read, never the cluster-wide ones.
func TestCloudNativePGNamespaces(t *testing.T) {
	namespaced := map[string]string{}
	for path, file := range routes(true) {
		for _, ns := range []string{"payments", "shop"} {
			for _, prefix := range []string{cnpgPrefix, pluginPrefix} {
				if strings.HasPrefix(path, prefix) {
					namespaced[strings.Replace(path, prefix, prefix+"/namespaces/"+ns, 1)] = file
				}
			}
		}
	}
	srv := providertest.KubernetesServer(t, providertest.Files(t, namespaced, notFound))
	e := providertest.NewExporter(t, k8sConfig(srv, ", namespaces: [payments, shop]"), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	reqs := srv.Requests()
	for _, r := range reqs {
		if !strings.Contains(r, "/namespaces/payments/") && !strings.Contains(r, "/namespaces/shop/") {
			t.Errorf("request outside the namespaces: %s", r)
		}
	}
	if len(reqs) != 2*7 {
		t.Errorf("%d requests, want 14 (7 pages in each of two namespaces): %v", len(reqs), reqs)
	}
}

// TestCloudNativePGExpiredContinueRestartsOnce: a 410 Gone on a continue
// token restarts that list from the start, once; a second 410 is the
// target's error.
func TestCloudNativePGExpiredContinueRestartsOnce(t *testing.T) {
	providertest.ExpiredContinue{Routes: routes(true), NotFound: notFound, Kinds: kinds,
		Config:   func(s *providertest.Server) string { return k8sConfig(s, "") },
		Continue: "b3", FirstPage: cnpgPrefix + "/backups?limit=500", Resources: 23, What: "clusters"}.Run(t)
}

// TestCloudNativePGExplicitIntervalWins: a target's expected_interval
// overrides the ScheduledBackups'.
func TestCloudNativePGExplicitIntervalWins(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(true), notFound))
	e := providertest.NewExporter(t, k8sConfig(srv, ", expected_interval: 3d"), kinds, collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_expected_interval_seconds")
	// pg-none is unprotected: no series but backup_protected.
	if n := strings.Count(got, "} 259200\n"); n != 22 {
		t.Errorf("%d of 22 clusters at 3d:\n%s", n, got)
	}
}

func TestCloudNativePGWrongTokenDown(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(true), notFound))
	yml := strings.Replace(k8sConfig(srv, ""), "bearer_token: "+token, "bearer_token: wrong-token-1234", 1)
	e := providertest.NewExporter(t, yml, kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), "401") || strings.Contains(res.Err.Error(), "wrong-token-1234") {
		t.Errorf("err = %v", res.Err)
	}
}

// TestCloudNativePGConfig: the keys of config.md, their defaults, and
// errors that name the file, the line and the key.
func TestCloudNativePGConfig(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, nil, notFound))
	for _, tc := range []struct{ target, want string }{
		{"", PluginAuto},
		{", barman_cloud_plugin: auto", PluginAuto},
		{", barman_cloud_plugin: true", PluginTrue},
		{", barman_cloud_plugin: false", PluginFalse},
		{`, barman_cloud_plugin: "false"`, PluginFalse},
	} {
		cfg, err := config.Parse([]byte(k8sConfig(srv, tc.target)), "test.yml", kinds.Config())
		if err != nil {
			t.Errorf("%q: %v", tc.target, err)
			continue
		}
		if got := cfg.Targets[0].Spec.(*Spec).BarmanCloudPlugin; got != tc.want {
			t.Errorf("%q: barman_cloud_plugin %q, want %q", tc.target, got, tc.want)
		}
	}
	for _, tc := range []struct{ target, want string }{
		{", barman_cloud_plugin: yes", `test.yml:8: target "cnpg": unknown barman_cloud_plugin "yes" (want auto, true or false)`},
		{", barman_cloud_plugin: 1", `unknown barman_cloud_plugin "1"`},
		{", namespaces: [payments, Shop]", `test.yml:8: target "cnpg": namespaces entry 2 "Shop" is not a namespace name`},
		{", namespaces: [payments, payments]", `namespaces lists "payments" twice`},
		{", namespaces: [" + strings.Repeat("a", 64) + "]", "is not a namespace name"},
		{", namespaces: [-shop]", "is not a namespace name"},
		{", namespace: shop", `unknown key "namespace"`},
	} {
		_, err := config.Parse([]byte(k8sConfig(srv, tc.target)), "test.yml", kinds.Config())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one with %q", tc.target, err, tc.want)
		}
	}
}

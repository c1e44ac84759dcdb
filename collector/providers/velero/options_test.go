package velero

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// collect polls the fixture cluster once with the target's extra keys and
// returns the records by namespace.
func collect(t *testing.T, target string, handle func(http.ResponseWriter, *http.Request) bool) (map[string]toolkit.Resource, *providertest.Server, collector.Result) {
	t.Helper()
	files := providertest.Files(t, routes(), notFound)
	srv := providertest.KubernetesServer(t, func(w http.ResponseWriter, r *http.Request) {
		if handle == nil || !handle(w, r) {
			files(w, r)
		}
	})
	e := providertest.NewExporter(t, k8sConfig(srv, target), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	out := map[string]toolkit.Resource{}
	for _, r := range res.Resources {
		out[r.ID] = r
	}
	return out, srv, res
}

// TestVeleroLabelSelectorCoverage: the db Schedule and Backup select
// objects by label and include "db" and "db-*": named covers db only,
// all covers both (the glob too), none neither (only the unselective
// adhoc-all Backup is left to them).
func TestVeleroLabelSelectorCoverage(t *testing.T) {
	for _, tc := range []struct {
		mode              string
		db, db2           string  // the latest backup's name
		dbEvery, db2Every float64 // seconds; 86400 is the default
	}{
		{"named", "db-20261124", "adhoc-all", 3600, 86400},
		{"all", "db-20261124", "db-20261124", 3600, 3600},
		{"none", "adhoc-all", "adhoc-all", 86400, 86400},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			rs, _, res := collect(t, ", label_selector_coverage: "+tc.mode, nil)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			db, db2 := rs["db"], rs["db-2"]
			if db.Latest.Name != tc.db || db2.Latest.Name != tc.db2 {
				t.Errorf("latest: db %s, db-2 %s", db.Latest.Name, db2.Latest.Name)
			}
			if db.ExpectedInterval.Seconds() != tc.dbEvery || db2.ExpectedInterval.Seconds() != tc.db2Every {
				t.Errorf("intervals: db %v, db-2 %v", db.ExpectedInterval, db2.ExpectedInterval)
			}
		})
	}
}

// TestVeleroNamespaceLabelsAreTheTags: a namespace's metadata.labels are
// its record's Kubernetes labels (for backup_resource_info), protected or
// not, when the target sets resource_labels; and each record has its own
// latest backup.
func TestVeleroNamespaceLabelsAreTheTags(t *testing.T) {
	rs, _, res := collect(t, ", resource_labels: [team]", nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	shop, newer := rs["shop"], rs["newer"]
	if shop.Tags.Kind != toolkit.KubernetesLabels || shop.Tags.Values["team"] != "web" || shop.Tags.Values["app.kubernetes.io/part-of"] != "shop" {
		t.Errorf("shop tags %+v", shop.Tags)
	}
	if newer.Protected || newer.Tags.Kind != toolkit.KubernetesLabels || newer.Tags.Values["kubernetes.io/metadata.name"] != "newer" {
		t.Errorf("newer %+v", newer)
	}
	if billing := rs["billing"]; billing.Latest == shop.Latest || billing.Latest.Name != shop.Latest.Name {
		t.Error("shop and billing share a latest backup record")
	}
	for _, gone := range []string{"velero", "kube-system", "kube-public", "skipped"} {
		if _, ok := rs[gone]; ok {
			t.Errorf("%s is a resource", gone)
		}
	}
}

// TestVeleroLabelsOnlyWhenWanted: without resource_labels (none, or
// static_labels alone) the records keep no labels; they are still read
// for velero.io/exclude-from-backup.
func TestVeleroLabelsOnlyWhenWanted(t *testing.T) {
	for _, keys := range []string{"", ", static_labels: {environment: test}"} {
		rs, _, res := collect(t, keys, nil)
		if res.Err != nil || len(rs) == 0 {
			t.Fatalf("%q: %d resources, %v", keys, len(rs), res.Err)
		}
		for id, r := range rs {
			if r.Tags.Kind != toolkit.KubernetesLabels || r.Tags.Values != nil {
				t.Errorf("%q: %s keeps labels %+v", keys, id, r.Tags)
			}
		}
		if _, ok := rs["skipped"]; ok {
			t.Errorf("%q: the namespace labelled out of every backup is a resource", keys)
		}
	}
}

// TestVeleroBackupLabelSelector: backup_label_selector goes with the
// Backup and Schedule lists only.
func TestVeleroBackupLabelSelector(t *testing.T) {
	_, srv, res := collect(t, `, backup_label_selector: "cluster=prod,tier in (a,b)"`, nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	for _, r := range srv.Requests() {
		u, _ := url.Parse(r)
		sel := u.Query().Get("labelSelector")
		wantSel := strings.HasSuffix(u.Path, "/backups") || strings.HasSuffix(u.Path, "/schedules")
		if wantSel != (sel == "cluster=prod,tier in (a,b)") {
			t.Errorf("%s: labelSelector %q", r, sel)
		}
		if u.Query().Get("limit") != "500" {
			t.Errorf("%s: not paged by 500", r)
		}
	}
}

// TestVeleroStorageLocationsOff: without storage_locations the locations
// are not read, and an Unavailable one does not make p-bsl unhealthy.
func TestVeleroStorageLocationsOff(t *testing.T) {
	rs, srv, res := collect(t, ", storage_locations: false", nil)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	for _, r := range srv.Requests() {
		if strings.Contains(r, "backupstoragelocations") {
			t.Errorf("read %s", r)
		}
	}
	if !rs["p-bsl"].Healthy {
		t.Errorf("p-bsl unhealthy: %s", rs["p-bsl"].Reason)
	}
	rs, _, _ = collect(t, "", nil)
	if bsl := rs["p-bsl"]; bsl.Healthy || !strings.Contains(bsl.Reason, "backup storage location secondary is Unavailable: BackupStorageLocation") {
		t.Errorf("p-bsl with storage locations: healthy %v, %q", bsl.Healthy, bsl.Reason)
	}
}

// TestVeleroDown: the target is down when Velero is not installed (its
// Backups are a 404: the error says so), when the namespaces may not be
// listed (the namespaces are the resources), or when any list fails.
func TestVeleroDown(t *testing.T) {
	for _, tc := range []struct {
		path, body, want string
		code             int
	}{
		{v1Prefix + "velero/backups", notFound, "is Velero installed?", 404},
		{namespacesPath, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"namespaces is forbidden: User \"system:serviceaccount:velero:exporter\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope"}`, "cannot list resource \"namespaces\"", 403},
		{v1Prefix + "velero/schedules", `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"forbidden"}`, "schedules", 403},
		{v1Prefix + "velero/backupstoragelocations", `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"forbidden"}`, "backupstoragelocations", 403},
	} {
		_, _, res := collect(t, "", func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != tc.path {
				return false
			}
			w.WriteHeader(tc.code)
			fmt.Fprint(w, tc.body)
			return true
		})
		if res.Err == nil || !strings.Contains(res.Err.Error(), tc.want) {
			t.Errorf("%s %d: %v", tc.path, tc.code, res.Err)
		}
	}
}

// TestVeleroScheduleWithoutIntervalLoggedOnce: a cron that does not parse
// is logged once, whatever the number of polls, naming the Schedule.
func TestVeleroScheduleWithoutIntervalLoggedOnce(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(), notFound))
	core, logs := observer.New(zapcore.InfoLevel)
	e := providertest.NewExporter(t, k8sConfig(srv, ""), kinds, collector.Options{Logger: zap.New(core)})
	for range 3 {
		if res := e.Collect(context.Background(), e.Targets())[0]; res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	got := logs.FilterMessageSnippet("yields no backup interval").All()
	if len(got) != 1 || got[0].ContextMap()["schedule"] != "legacy-2-broken" || got[0].ContextMap()["cron"] != "61 * * * *" {
		t.Errorf("logged %d times: %s", len(got), providertest.LogText(logs))
	}
}

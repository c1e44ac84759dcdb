package simulator

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	cnpgGV   = "/apis/" + CNPGAPIVersion
	barmanGV = "/apis/" + BarmanCloudAPIVersion
)

// cnpgWalk lists path with limit, following continue, and returns every
// item.
func cnpgWalk(t *testing.T, c *http.Client, s *Server, path, token string, limit int) []map[string]any {
	t.Helper()
	var out []map[string]any
	cont := ""
	for range 1000 {
		p := fmt.Sprintf("%s?limit=%d", path, limit)
		if cont != "" {
			p += "&continue=" + cont
		}
		code, m := k8sGet(t, c, s, p, token)
		if code != 200 {
			t.Fatalf("GET %s: %d %v", p, code, m)
		}
		out = append(out, k8sItems(t, m)...)
		if cont, _ = k8sMeta(m)["continue"].(string); cont == "" {
			return out
		}
	}
	t.Fatal("no end of list")
	return nil
}

func dig(m map[string]any, path ...string) any {
	var v any = m
	for _, k := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// TestCNPGServesGeneratedEstate: the generated estate through the API
// server: every resource listed page by page in order, in each namespace
// and across them; the shapes of the CRDs (spec.cluster, plugins and
// their parameters, the recovery windows of the ObjectStores, the Secret
// references and never a Secret's data); the demo account reads all four
// resources.
func TestCNPGServesGeneratedEstate(t *testing.T) {
	now := time.Now()
	sc := GenerateCloudNativePG(3, 8, 6, now)
	s, c := k8sStart(t, sc)
	d := cnpgData(sc)
	for _, tc := range []struct {
		path string
		want int
	}{
		{cnpgGV + "/clusters", len(d.Clusters)},
		{cnpgGV + "/backups", len(d.Backups)},
		{cnpgGV + "/scheduledbackups", len(d.ScheduledBackups)},
		{barmanGV + "/objectstores", 3},
		{cnpgGV + "/namespaces/pg-002/clusters", 8},
	} {
		items := cnpgWalk(t, c, s, tc.path, KubernetesDemoToken, 7)
		if len(items) != tc.want {
			t.Errorf("%s: %d items, want %d", tc.path, len(items), tc.want)
		}
		for i := 1; i < len(items); i++ {
			if k8sName(items[i-1]) >= k8sName(items[i]) {
				t.Errorf("%s: %s before %s", tc.path, k8sName(items[i-1]), k8sName(items[i]))
			}
		}
	}
	_, cl := k8sGet(t, c, s, cnpgGV+"/namespaces/pg-001/clusters/pg-01", KubernetesDemoToken)
	if cl["kind"] != "Cluster" || cl["apiVersion"] != CNPGAPIVersion || dig(cl, "metadata", "labels", "team") != "payments" {
		t.Errorf("pg-01: %v", cl)
	}
	// g=1: the plugin under serverName pg-01-v2, the WAL archiver.
	p := dig(cl, "spec", "plugins").([]any)[0].(map[string]any)
	if p["name"] != BarmanCloudPlugin || p["isWALArchiver"] != true || p["enabled"] != true ||
		dig(p, "parameters", "barmanObjectName") != "backups" || dig(p, "parameters", "serverName") != "pg-01-v2" {
		t.Errorf("pg-01 plugin %v", p)
	}
	if conds := fmt.Sprint(dig(cl, "status", "conditions")); !strings.Contains(conds, "ContinuousArchiving") {
		t.Errorf("pg-01 conditions %s: archiving WAL, it has the ContinuousArchiving condition", conds)
	}
	_, os := k8sGet(t, c, s, barmanGV+"/namespaces/pg-001/objectstores/backups", KubernetesDemoToken)
	if w := dig(os, "status", "serverRecoveryWindow", "pg-01-v2", "lastSuccessfulBackupTime"); w == nil {
		t.Errorf("the ObjectStore has no window for pg-01-v2: %v", dig(os, "status"))
	}
	if ref := dig(os, "spec", "configuration", "s3Credentials", "secretAccessKey"); fmt.Sprint(ref) != "map[key:ACCESS_SECRET_KEY name:backups-s3]" {
		t.Errorf("credentials %v: a Secret reference, no more", ref)
	}
	// g=3: in-tree barmanObjectStore with volume snapshots.
	_, cl = k8sGet(t, c, s, cnpgGV+"/namespaces/pg-001/clusters/pg-03", KubernetesDemoToken)
	if dig(cl, "spec", "backup", "barmanObjectStore", "destinationPath") == nil || dig(cl, "spec", "backup", "volumeSnapshot", "className") != "csi-snapclass" ||
		dig(cl, "status", "lastSuccessfulBackupByMethod", "volumeSnapshot") == nil || dig(cl, "status", "lastSuccessfulBackup") == nil {
		t.Errorf("pg-03: %v", cl)
	}
	bs := cnpgWalk(t, c, s, cnpgGV+"/namespaces/pg-001/backups", KubernetesDemoToken, 500)
	creds := 0
	for _, b := range bs {
		if dig(b, "spec", "cluster", "name") == nil || dig(b, "metadata", "labels", "cnpg.io/cluster") != dig(b, "spec", "cluster", "name") {
			t.Errorf("backup %s: spec.cluster and label %v", k8sName(b), dig(b, "metadata"))
		}
		if ref := dig(b, "status", "s3Credentials", "accessKeyId"); ref != nil && fmt.Sprint(ref) != fmt.Sprintf("map[key:ACCESS_KEY_ID name:%s-backup-creds]", dig(b, "spec", "cluster", "name")) {
			t.Errorf("backup %s: credentials %v, want a reference to the Cluster's Secret", k8sName(b), ref)
		} else if ref != nil {
			creds++
		}
	}
	if creds == 0 {
		t.Error("no in-tree Backup names its credentials' Secret")
	}
	for _, path := range []string{"/api/v1/namespaces/pg-001/secrets", "/api/v1/secrets"} {
		if resp, _ := do(t, c, s, http.MethodGet, path, KubernetesDemoToken); resp.StatusCode == 200 {
			t.Errorf("GET %s: 200", path)
		}
	}
}

// TestCNPGGeneratedMix: the generated estate has every case the doc
// comment of GenerateCloudNativePG lists, deterministically, and its
// Backups are at the fire times of their schedules.
func TestCNPGGeneratedMix(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 34, 56, 0, time.UTC)
	sc := GenerateCloudNativePG(4, 25, 8, now)
	if again := GenerateCloudNativePG(4, 25, 8, now); !reflect.DeepEqual(sc, again) {
		t.Error("not deterministic")
	}
	d := cnpgData(sc)
	if len(d.Clusters) != 100 || len(d.ObjectStores) != 4 {
		t.Fatalf("%d clusters, %d object stores", len(d.Clusters), len(d.ObjectStores))
	}
	backupsOf := map[string][]CNPGBackup{}
	phases := map[string]int{}
	deleting := 0
	for _, b := range d.Backups {
		backupsOf[b.Namespace+"/"+b.Cluster] = append(backupsOf[b.Namespace+"/"+b.Cluster], b)
		phases[b.Phase]++
		if b.DeletionTimestamp != "" {
			deleting++
		}
		start, _ := time.Parse(time.RFC3339, b.StartedAt)
		if start.After(now) {
			t.Errorf("%s starts after now", b.Name)
		}
	}
	for _, ph := range []string{"completed", "running", "failed"} {
		if phases[ph] == 0 {
			t.Errorf("no %s Backup: %v", ph, phases)
		}
	}
	if deleting == 0 {
		t.Error("no Backup being deleted")
	}
	unprotected, archivingFails, suspended, noBackupYet := 0, 0, 0, 0
	for _, c := range d.Clusters {
		id := c.Namespace + "/" + c.Name
		if c.BarmanObjectStore == nil && len(c.Plugins) == 0 {
			unprotected++
			if len(backupsOf[id]) > 0 {
				t.Errorf("%s: unprotected with Backups", id)
			}
		}
		for _, k := range c.Conditions {
			if k.Type == "ContinuousArchiving" && k.Status == "False" {
				archivingFails++
			}
		}
	}
	for _, s := range d.ScheduledBackups {
		if s.Suspend != nil && *s.Suspend {
			suspended++
		}
		bs := backupsOf[s.Namespace+"/"+s.Cluster]
		if len(bs) == 0 {
			noBackupYet++
		}
		for _, b := range bs {
			run, _ := time.Parse(time.RFC3339, b.CreationTimestamp)
			ok := true
			switch s.Schedule {
			case "0 0 0 * * *":
				ok = run.Hour() == 0 && run.Minute() == 0
			case "0 0 3 * * 0":
				ok = run.Weekday() == time.Sunday && run.Hour() == 3 && run.Minute() == 0
			case "0 0 */6 * * *":
				ok = run.Hour()%6 == 0 && run.Minute() == 0
			case "0 30 2 * * 1-5":
				ok = run.Weekday() != time.Saturday && run.Weekday() != time.Sunday && run.Hour() == 2 && run.Minute() == 30
			case "@hourly":
				ok = run.Minute() == 0
			}
			if !ok {
				t.Errorf("%s created %s, not a fire time of %q", b.Name, run.Format(time.RFC1123), s.Schedule)
			}
		}
	}
	if unprotected == 0 || archivingFails == 0 || suspended == 0 || noBackupYet == 0 {
		t.Errorf("unprotected %d, archiving failing %d, suspended %d, no Backup yet %d: want each", unprotected, archivingFails, suspended, noBackupYet)
	}
}

// TestCNPGPluginNotInstalled: without the barman-cloud plugin's CRD, its
// group answers as one nobody serves (text/plain 404, once authorized;
// not in discovery), while postgresql.cnpg.io is served; a scenario may
// not hold ObjectStores then.
func TestCNPGPluginNotInstalled(t *testing.T) {
	sc := GenerateCloudNativePG(1, 3, 2, time.Now())
	cnpgData(sc).ObjectStores = nil
	cnpgData(sc).PluginNotInstalled = true
	s, c := k8sStart(t, sc)
	for _, p := range []string{barmanGV + "/objectstores", barmanGV + "/namespaces/pg-001/objectstores?limit=5", barmanGV + "/namespaces/pg-001/objectstores/backups", barmanGV, "/apis/" + BarmanCloudGroup} {
		resp, body := do(t, c, s, http.MethodGet, p, KubernetesDemoToken)
		if resp.StatusCode != 404 || string(body) != "404 page not found\n" {
			t.Errorf("GET %s: %d %q", p, resp.StatusCode, body)
		}
	}
	if code, m := k8sGet(t, c, s, cnpgGV+"/clusters", KubernetesDemoToken); code != 200 || len(k8sItems(t, m)) != 3 {
		t.Errorf("clusters: %d %v", code, m)
	}
	_, m := k8sGet(t, c, s, "/apis", KubernetesDemoToken)
	if g := fmt.Sprint(m["groups"]); strings.Contains(g, BarmanCloudGroup) || !strings.Contains(g, CNPGGroup) {
		t.Errorf("discovery groups %s", g)
	}
	// Authorization first: an account without the grant is told so.
	sc.ServiceAccounts = append(sc.ServiceAccounts, KubernetesServiceAccount{Namespace: "monitoring", Name: "pg", Token: "pg-only", Resources: []string{CNPGClusters}})
	if err := s.SetKubernetesScenario(sc); err != nil {
		t.Fatal(err)
	}
	code, m := k8sGet(t, c, s, barmanGV+"/objectstores", "pg-only")
	k8sWantStatus(t, code, m, 403, "Forbidden", `objectstores.barmancloud.cnpg.io is forbidden: User "system:serviceaccount:monitoring:pg" cannot list resource "objectstores" in API group "barmancloud.cnpg.io" at the cluster scope`)

	// Installed again: served.
	if err := s.UpdateCloudNativePG(func(d *CNPGData) { d.PluginNotInstalled = false }); err != nil {
		t.Fatal(err)
	}
	if code, m := k8sGet(t, c, s, barmanGV+"/objectstores", KubernetesDemoToken); code != 200 || m["kind"] != "ObjectStoreList" {
		t.Errorf("installed: %d %v", code, m)
	}
	cnpgData(sc).ObjectStores = []CNPGObjectStore{{KubernetesMeta: KubernetesMeta{Name: "x"}, Namespace: "pg-001"}}
	cnpgData(sc).PluginNotInstalled = true
	if err := s.SetKubernetesScenario(sc); err == nil {
		t.Error("object stores without the plugin accepted")
	}
}

// TestCNPGScenarioYAML: the scenario's keys, decoded strictly, times
// rebased, and the CRDs' checks.
func TestCNPGScenarioYAML(t *testing.T) {
	sc, err := ParseScenario(strings.NewReader(`
kubernetes:
  namespaces: [{name: db}]
  crds:
    cloudnative_pg:
      clusters:
        - name: pg
          namespace: db
          labels: {team: payments}
          plugins: [{barman_object_name: store, server_name: pg-2026, is_wal_archiver: true}]
          last_successful_backup: {barman_object_store_at: "2026-11-20T00:00:00Z"}
          conditions: [{type: ContinuousArchiving, status: "False", reason: ContinuousArchivingFailing, message: "exit status 4"}]
      backups:
        - {name: pg-1, namespace: db, cluster: pg, method: plugin, phase: completed, started_at: "2026-11-24T01:00:00Z", stopped_at: "2026-11-24T01:05:00Z"}
      scheduled_backups:
        - {name: pg-daily, namespace: db, cluster: pg, schedule: "0 0 1 * * *", suspend: false, last_schedule_time: "2026-11-24T01:00:00Z"}
      object_stores:
        - name: store
          namespace: db
          retention_policy: 30d
          recovery_windows: [{server: pg-2026, first_recoverability_point_at: "2026-11-01T00:00:00Z", last_successful_backup_at: "2026-11-24T01:05:00Z"}]
`))
	if err != nil {
		t.Fatal(err)
	}
	sc.Rebase(time.Hour)
	d := cnpgData(sc.Kubernetes)
	if d.Backups[0].StartedAt != "2026-11-24T02:00:00Z" || d.ObjectStores[0].RecoveryWindows[0].LastSuccessfulBackupAt != "2026-11-24T02:05:00Z" ||
		d.Clusters[0].LastSuccessfulBackup.BarmanObjectStoreAt != "2026-11-20T01:00:00Z" || d.ScheduledBackups[0].LastScheduleTime != "2026-11-24T02:00:00Z" {
		t.Errorf("not rebased: %+v", d)
	}
	s, c := k8sStart(t, sc.Kubernetes)
	_, cl := k8sGet(t, c, s, cnpgGV+"/namespaces/db/clusters/pg", KubernetesDemoToken)
	if dig(cl, "status", "lastSuccessfulBackupByMethod", "barmanObjectStore") != "2026-11-20T01:00:00Z" ||
		dig(cl, "spec", "plugins").([]any)[0].(map[string]any)["name"] != BarmanCloudPlugin ||
		!strings.Contains(fmt.Sprint(dig(cl, "status", "conditions")), "status:False") {
		t.Errorf("cluster %v", cl)
	}
	_, sb := k8sGet(t, c, s, cnpgGV+"/namespaces/db/scheduledbackups/pg-daily", KubernetesDemoToken)
	if dig(sb, "spec", "suspend") != false || dig(sb, "spec", "schedule") != "0 0 1 * * *" {
		t.Errorf("scheduled backup %v", sb)
	}

	for _, bad := range []string{
		`{crds: {cloudnative_pg: {clusters: [{name: pg, namespace: db, colour: red}]}}}`,
		`{crds: {barman_cloud: {}}}`,
	} {
		if _, err := ParseScenario(strings.NewReader("kubernetes: " + bad)); err == nil {
			t.Errorf("parsed %s", bad)
		}
	}
	for _, bad := range []string{
		`{crds: {cloudnative_pg: {clusters: [{name: pg, namespace: nowhere}]}}}`,
		`{namespaces: [{name: db}], crds: {cloudnative_pg: {backups: [{name: b, namespace: db}]}}}`,
		`{namespaces: [{name: db}], crds: {cloudnative_pg: {backups: [{name: b, namespace: db, cluster: pg, phase: Completed}]}}}`,
		`{namespaces: [{name: db}], crds: {cloudnative_pg: {scheduled_backups: [{name: s, namespace: db, cluster: pg}]}}}`,
		`{namespaces: [{name: db}], crds: {cloudnative_pg: {object_stores: [{name: o, namespace: db, retention_policy: 30 days}]}}}`,
		`{namespaces: [{name: db}], crds: {cloudnative_pg: {plugin_not_installed: true, object_stores: [{name: o, namespace: db}]}}}`,
	} {
		sc, err := ParseScenario(strings.NewReader("kubernetes: " + bad))
		if err != nil {
			t.Errorf("%s: %v", bad, err)
			continue
		}
		if s, err := Start(Options{Scenario: sc}); err == nil {
			s.Close()
			t.Errorf("accepted %s", bad)
		}
	}
}

// TestCNPGUpdateExpiresContinue: a change of the CloudNativePG data gives
// its objects new resource versions and expires the lists in flight.
func TestCNPGUpdateExpiresContinue(t *testing.T) {
	s, c := k8sStart(t, GenerateCloudNativePG(2, 5, 3, time.Now()))
	_, m := k8sGet(t, c, s, cnpgGV+"/clusters?limit=3", KubernetesDemoToken)
	cont := k8sMeta(m)["continue"].(string)
	_, before := k8sGet(t, c, s, cnpgGV+"/namespaces/pg-001/backups", KubernetesDemoToken)
	if err := s.UpdateCloudNativePG(func(d *CNPGData) { d.Backups[0].Phase = "failed" }); err != nil {
		t.Fatal(err)
	}
	code, m := k8sGet(t, c, s, cnpgGV+"/clusters?limit=3&continue="+cont, KubernetesDemoToken)
	k8sWantStatus(t, code, m, 410, "Expired", "")
	_, after := k8sGet(t, c, s, cnpgGV+"/namespaces/pg-001/backups", KubernetesDemoToken)
	b0, a0 := k8sItems(t, before)[0], k8sItems(t, after)[0]
	if dig(a0, "status", "phase") != "failed" || dig(a0, "metadata", "resourceVersion") == dig(b0, "metadata", "resourceVersion") {
		t.Errorf("after the update: %v", dig(a0, "status"))
	}
	if err := s.UpdateCloudNativePG(func(d *CNPGData) { d.Backups[0].Phase = "Done" }); err == nil {
		t.Error("an unknown phase accepted")
	}
}

// TestCNPGMergesWithTrident: a generated CloudNativePG estate merged into
// another scenario (the simulator command's --generate.cnpg.* beside
// --generate.k8s.*) keeps both sets' data.
func TestCNPGMergesWithTrident(t *testing.T) {
	now := time.Now()
	sc := GenerateTridentProtect(2, 3, 2, now).Merge(GenerateCloudNativePG(2, 3, 2, now))
	s, c := k8sStart(t, sc)
	if items := cnpgWalk(t, c, s, cnpgGV+"/clusters", KubernetesDemoToken, 500); len(items) != 6 {
		t.Errorf("%d clusters, want 6", len(items))
	}
	if items := cnpgWalk(t, c, s, k8sGV+"/applications", KubernetesDemoToken, 500); len(items) != 6 {
		t.Errorf("%d applications, want 6", len(items))
	}
	if n := len(sc.Namespaces); n != 5 { // tp-001, tp-002, trident-protect, pg-001, pg-002
		t.Errorf("%d namespaces", n)
	}
}

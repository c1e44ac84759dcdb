package simulator

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

const veleroV1Path = "/apis/velero.io/v1/namespaces/velero/"

func veleroTestScenario(t *testing.T) *KubernetesScenario {
	t.Helper()
	long := strings.Repeat("n", 70)
	sc, err := ParseScenario(strings.NewReader(`
now: "2026-11-24T06:00:00Z"
kubernetes:
  namespaces: [{name: velero}, {name: shop}, {name: other}]
  crds:
    velero:
      backups:
        - name: nightly-1
          schedule_name: nightly
          included_namespaces: [shop]
          storage_location: default
          phase: Completed
          start_timestamp: "2026-11-24T01:00:00Z"
          completion_timestamp: "2026-11-24T01:10:00.7Z"
          expires_at: "2026-12-24T01:00:00Z"
          total_items: 10
          items_backed_up: 10
          hooks_attempted: 2
          hooks_failed: 1
        - {name: new-1, creation_timestamp: "2026-11-24T05:00:00Z"}
        - {name: ` + long + `, phase: FailedValidation, validation_errors: [bad]}
        - {name: elsewhere, namespace: other, phase: Completed}
      schedules:
        - {name: nightly, schedule: "0 1 * * *", phase: Enabled, template: {included_namespaces: [shop], label_selector: {app: db}}, last_backup_time: "2026-11-24T01:00:00Z"}
      storage_locations:
        - {name: default, default: true, phase: Available, credential_secret: cloud-credentials, last_validation_time: "2026-11-24T05:59:00Z"}
      pod_volume_backups:
        - {name: pvb-1, backup_name: nightly-1, pod_namespace: shop, pod_name: db-0, phase: Completed, total_bytes: 100, bytes_done: 60}
        - {name: pvb-2, backup_name: ` + long + `, pod_namespace: shop, pod_name: db-0}
      data_uploads:
        - {name: du-1, backup_name: nightly-1, source_namespace: shop, source_pvc: data, phase: InProgress, total_bytes: 1000, bytes_done: 10}
`))
	if err != nil {
		t.Fatal(err)
	}
	sc.Rebase(time.Hour)
	sc.Kubernetes.ServiceAccounts = []KubernetesServiceAccount{VeleroServiceAccount()}
	return sc.Kubernetes
}

// TestVeleroCRDSet: Velero's five resources as the API server serves them
// (velero.io/v1 and, for DataUploads, v2alpha1), with the status fields
// of the Go types (phase and counters left out when empty), the labels
// Velero sets on PodVolumeBackups and DataUploads (the backup's valid
// label name and UID), a storage location naming its Secret without
// serving it, timestamps rebased and served at second precision.
func TestVeleroCRDSet(t *testing.T) {
	s, c := k8sStart(t, veleroTestScenario(t))
	code, m := k8sGet(t, c, s, veleroV1Path+"backups", VeleroDemoToken)
	if code != 200 || m["kind"] != "BackupList" || len(k8sItems(t, m)) != 3 {
		t.Fatalf("backups: %d %v", code, m)
	}
	_, b := k8sGet(t, c, s, veleroV1Path+"backups/nightly-1", VeleroDemoToken)
	st := b["status"].(map[string]any)
	if st["phase"] != "Completed" || st["startTimestamp"] != "2026-11-24T02:00:00Z" || st["completionTimestamp"] != "2026-11-24T02:10:00Z" ||
		st["expiration"] != "2026-12-24T02:00:00Z" || st["version"] != float64(1) ||
		!reflect.DeepEqual(st["progress"], map[string]any{"totalItems": float64(10), "itemsBackedUp": float64(10)}) ||
		!reflect.DeepEqual(st["hookStatus"], map[string]any{"hooksAttempted": float64(2), "hooksFailed": float64(1)}) {
		t.Errorf("nightly-1 status %v", st)
	}
	if _, ok := st["errors"]; ok {
		t.Errorf("errors 0 served: %v", st)
	}
	spec := b["spec"].(map[string]any)
	if !reflect.DeepEqual(spec["includedNamespaces"], []any{"shop"}) || spec["storageLocation"] != "default" || spec["ttl"] != "720h0m0s" {
		t.Errorf("nightly-1 spec %v", spec)
	}
	if l := k8sMeta(b)["labels"].(map[string]any); l["velero.io/schedule-name"] != "nightly" || l["velero.io/storage-location"] != "default" {
		t.Errorf("nightly-1 labels %v", l)
	}
	_, n := k8sGet(t, c, s, veleroV1Path+"backups/new-1", VeleroDemoToken)
	if _, ok := n["status"].(map[string]any)["phase"]; ok {
		t.Errorf("an empty phase served: %v", n["status"])
	}
	_, sch := k8sGet(t, c, s, veleroV1Path+"schedules/nightly", VeleroDemoToken)
	if sp := sch["spec"].(map[string]any); sp["schedule"] != "0 1 * * *" || sp["template"].(map[string]any)["labelSelector"] == nil ||
		sch["status"].(map[string]any)["phase"] != "Enabled" {
		t.Errorf("schedule %v", sch)
	}
	_, bsl := k8sGet(t, c, s, veleroV1Path+"backupstoragelocations/default", VeleroDemoToken)
	if sp := bsl["spec"].(map[string]any); sp["default"] != true || sp["credential"].(map[string]any)["name"] != "cloud-credentials" ||
		bsl["status"].(map[string]any)["phase"] != "Available" {
		t.Errorf("storage location %v", bsl)
	}

	// PodVolumeBackups and DataUploads by their backup's label.
	sel := func(path, selector string) []map[string]any {
		t.Helper()
		code, m := k8sGet(t, c, s, path+"?labelSelector="+url.QueryEscape(selector), VeleroDemoToken)
		if code != 200 {
			t.Fatalf("%s: %d %v", path, code, m)
		}
		return k8sItems(t, m)
	}
	pvbs := sel(veleroV1Path+"podvolumebackups", "velero.io/backup-name=nightly-1")
	if len(pvbs) != 1 || k8sMeta(pvbs[0])["labels"].(map[string]any)["velero.io/backup-uid"] != k8sMeta(b)["uid"] ||
		pvbs[0]["spec"].(map[string]any)["pod"].(map[string]any)["namespace"] != "shop" ||
		!reflect.DeepEqual(pvbs[0]["status"].(map[string]any)["progress"], map[string]any{"totalBytes": float64(100), "bytesDone": float64(60)}) {
		t.Errorf("pod volume backups of nightly-1: %v", pvbs)
	}
	long := strings.Repeat("n", 70)
	if hashed := sel(veleroV1Path+"podvolumebackups", "velero.io/backup-name="+veleroValidLabel(long)); len(hashed) != 1 || len(veleroValidLabel(long)) != 63 {
		t.Errorf("pod volume backups of a long-named backup: %v", hashed)
	}
	dus := sel("/apis/velero.io/v2alpha1/namespaces/velero/datauploads", "velero.io/backup-name=nightly-1")
	if len(dus) != 1 || dus[0]["apiVersion"] != "velero.io/v2alpha1" || dus[0]["spec"].(map[string]any)["sourceNamespace"] != "shop" {
		t.Errorf("data uploads of nightly-1: %v", dus)
	}
	code, m = k8sGet(t, c, s, veleroV1Path+"datauploads", VeleroDemoToken)
	k8sWantStatus(t, code, m, 404, "NotFound", "the server could not find the requested resource")
}

// TestVeleroServiceAccountGrants: the account of config.md's RBAC reads
// Velero's resources in Velero's namespace only, lists namespaces
// cluster-wide (a second grant) but may not get one, and is refused
// Secrets.
func TestVeleroServiceAccountGrants(t *testing.T) {
	s, c := k8sStart(t, veleroTestScenario(t))
	for _, tc := range []struct {
		path string
		code int
	}{
		{veleroV1Path + "backups", 200},
		{veleroV1Path + "schedules", 200},
		{veleroV1Path + "backupstoragelocations", 200},
		{veleroV1Path + "podvolumebackups", 200},
		{"/apis/velero.io/v2alpha1/namespaces/velero/datauploads", 200},
		{"/api/v1/namespaces", 200},
		{"/api/v1/namespaces/shop", 403},
		{"/apis/velero.io/v1/backups", 403},
		{"/apis/velero.io/v1/namespaces/other/backups", 403},
		{"/apis/velero.io/v1/namespaces/velero/restores", 403},
		{"/api/v1/namespaces/velero/secrets", 403},
		{"/api/v1/namespaces/velero/secrets/cloud-credentials", 403},
	} {
		if code, m := k8sGet(t, c, s, tc.path, VeleroDemoToken); code != tc.code {
			t.Errorf("%s: %d %v, want %d", tc.path, code, m, tc.code)
		}
	}
	if n := s.Stats().Secrets; n != 2 {
		t.Errorf("%d secrets requests counted, want 2", n)
	}
}

// TestVeleroScenarioChecks: objects the CRDs would refuse are refused.
func TestVeleroScenarioChecks(t *testing.T) {
	for _, bad := range []string{
		`{namespaces: [{name: velero}], crds: {velero: {backups: [{name: b, phase: Done}]}}}`,
		`{namespaces: [{name: velero}], crds: {velero: {backups: [{name: b, ttl: forever}]}}}`,
		`{namespaces: [{name: velero}], crds: {velero: {backups: [{name: b, label_selector: {a: b}, or_label_selectors: [{c: d}]}]}}}`,
		`{namespaces: [{name: velero}], crds: {velero: {schedules: [{name: s}]}}}`,
		`{namespaces: [{name: velero}], crds: {velero: {schedules: [{name: s, schedule: "@daily", phase: Running}]}}}`,
		`{namespaces: [{name: velero}], crds: {velero: {storage_locations: [{name: l, phase: Broken}]}}}`,
		`{namespaces: [{name: velero}], crds: {velero: {pod_volume_backups: [{name: p, pod_namespace: a, pod_name: b}]}}}`,
		`{namespaces: [{name: velero}], crds: {velero: {pod_volume_backups: [{name: p, backup_name: b, pod_namespace: a}]}}}`,
		`{namespaces: [{name: velero}], crds: {velero: {data_uploads: [{name: d, backup_name: b, source_namespace: a, source_pvc: p, phase: Done}]}}}`,
		`{namespaces: [{name: shop}], crds: {velero: {backups: [{name: b}]}}}`, // no velero namespace
		`{namespaces: [{name: velero}], service_accounts: [{namespace: a, name: b, token: t, grants: [{verbs: [list]}]}]}`,
		`{namespaces: [{name: velero}], service_accounts: [{namespace: a, name: b, token: t, grants: [{resources: [secrets]}]}]}`,
	} {
		sc, err := ParseScenario(strings.NewReader("kubernetes: " + bad))
		if err != nil {
			continue // refused at decoding
		}
		if s, err := Start(Options{Scenario: sc}); err == nil {
			s.Close()
			t.Errorf("accepted %s", bad)
		}
	}
}

// TestGenerateVelero: the generated estate has the namespaces and about
// the Backups asked for, is the same for the same arguments, is served
// (paged, label-selected) to Velero's account, and holds each case its
// doc names.
func TestGenerateVelero(t *testing.T) {
	now := time.Date(2026, 11, 24, 6, 30, 0, 0, time.UTC)
	sc := GenerateVelero(500, 400, now)
	if !reflect.DeepEqual(sc, GenerateVelero(500, 400, now)) {
		t.Error("not deterministic")
	}
	d := sc.CRDs["velero"].(*VeleroCRDs)
	if len(sc.Namespaces) != 502 || len(d.Backups) < 380 || len(d.Backups) > 400 {
		t.Errorf("%d namespaces, %d backups", len(sc.Namespaces), len(d.Backups))
	}
	phases := map[string]int{}
	for _, b := range d.Backups {
		phases[b.Phase]++
	}
	if phases["Completed"] < 300 || phases["InProgress"] != 2 || phases["Failed"]+phases["PartiallyFailed"] == 0 {
		t.Errorf("phases %v", phases)
	}
	if len(d.PodVolumeBackups) == 0 || len(d.DataUploads) == 0 || len(d.Schedules) != 23 {
		t.Errorf("%d pod volume backups, %d data uploads, %d schedules", len(d.PodVolumeBackups), len(d.DataUploads), len(d.Schedules))
	}
	s, c := k8sStart(t, sc)
	var names []string
	cont := ""
	for range 10 {
		q := url.Values{"limit": {"100"}}
		if cont != "" {
			q.Set("continue", cont)
		}
		_, m := k8sGet(t, c, s, veleroV1Path+"backups?"+q.Encode(), VeleroDemoToken)
		for _, it := range k8sItems(t, m) {
			names = append(names, k8sMeta(it)["name"].(string))
		}
		if cont, _ = k8sMeta(m)["continue"].(string); cont == "" {
			break
		}
	}
	if len(names) != len(d.Backups) {
		t.Errorf("listed %d of %d backups", len(names), len(d.Backups))
	}
	b := d.PodVolumeBackups[0].BackupName
	_, m := k8sGet(t, c, s, veleroV1Path+"podvolumebackups?labelSelector="+url.QueryEscape("velero.io/backup-name="+b), VeleroDemoToken)
	if items := k8sItems(t, m); len(items) == 0 || len(items) == len(d.PodVolumeBackups) {
		t.Errorf("%d of %d pod volume backups for %s", len(items), len(d.PodVolumeBackups), b)
	}
}

package velero

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestBackupNameLabel: the velero.io/backup-name label of a backup whose
// name is longer than 63 characters is its first 57 and 6 hex digits of
// its SHA-256, as Velero's label.GetValidName (computed independently).
func TestBackupNameLabel(t *testing.T) {
	long := strings.Repeat("a", 40) + "-daily-" + strings.Repeat("b", 20) + "-20261124020000"
	if got, want := backupNameLabel(long), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-daily-bbbbbbbbbb9cb108"; got != want {
		t.Errorf("%s: %s, want %s", long, got, want)
	}
	if n := strings.Repeat("x", 63); backupNameLabel(n) != n {
		t.Error("a 63-character name changed")
	}
}

// volumeServer answers the PodVolumeBackups and DataUploads of the
// fixture's latest backups by their velero.io/backup-name selector; dus
// is the DataUploads answer's status code (404: Velero before 1.12).
func volumeServer(t *testing.T, dus int, pvbs int) (func(http.ResponseWriter, *http.Request) bool, func() map[string]int) {
	var mu sync.Mutex
	calls := map[string]int{}
	item := func(kind, ns string, done, total int64) string {
		spec := fmt.Sprintf(`"pod":{"kind":"Pod","namespace":%q,"name":"db-0"},"volume":"data","node":"n1","repoIdentifier":"r","backupStorageLocation":"default"`, ns)
		if kind == "DataUpload" {
			spec = fmt.Sprintf(`"sourceNamespace":%q,"sourcePVC":"data","snapshotType":"CSI","backupStorageLocation":"default","operationTimeout":"10m0s"`, ns)
		}
		return fmt.Sprintf(`{"metadata":{"name":"x-%d","namespace":"velero"},"spec":{%s},"status":{"phase":"Completed","progress":{"totalBytes":%d,"bytesDone":%d}}}`, done, spec, total, done)
	}
	return func(w http.ResponseWriter, r *http.Request) bool {
		resource := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if resource != "podvolumebackups" && resource != "datauploads" {
			return false
		}
		sel := r.URL.Query().Get("labelSelector")
		mu.Lock()
		calls[resource+" "+sel]++
		mu.Unlock()
		var items []string
		switch {
		case resource == "datauploads" && dus != 200:
			w.WriteHeader(dus)
			fmt.Fprint(w, notFound)
			return true
		case resource == "podvolumebackups" && pvbs != 200:
			w.WriteHeader(pvbs)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"forbidden"}`)
			return true
		case sel == "velero.io/backup-name=nightly-20261124020000" && resource == "podvolumebackups":
			if !strings.HasPrefix(r.URL.Path, v1Prefix) {
				t.Errorf("podvolumebackups read at %s", r.URL.Path)
			}
			items = []string{item("PodVolumeBackup", "shop", 100, 200), item("PodVolumeBackup", "shop", 50, 50), item("PodVolumeBackup", "billing", 10, 10)}
		case sel == "velero.io/backup-name=nightly-20261124020000" && resource == "datauploads":
			if !strings.HasPrefix(r.URL.Path, v2alpha1Prefix) {
				t.Errorf("datauploads read at %s", r.URL.Path)
			}
			items = []string{item("DataUpload", "shop", 1000, 2000)}
		case sel == "velero.io/backup-name=p-hooks-latest" && resource == "datauploads":
			items = []string{item("DataUpload", "p-hooks", -1, 10)}
		}
		fmt.Fprintf(w, `{"apiVersion":"velero.io/v1","kind":"List","metadata":{},"items":[%s]}`, strings.Join(items, ","))
		return true
	}, func() map[string]int { mu.Lock(); defer mu.Unlock(); return calls }
}

// TestVeleroVolumeBytes: with volume_bytes, each distinct latest backup's
// PodVolumeBackups and DataUploads are read once, by their
// velero.io/backup-name label, and their bytes summed per namespace
// (spec.pod.namespace, spec.sourceNamespace): transferred = Σ bytesDone,
// size = Σ totalBytes; a namespace with none has no sample; a negative
// count gives none either; DataUploads that do not exist (Velero before
// 1.12) are none; PodVolumeBackups that may not be read make the
// namespaces of that backup resource errors, not the target down.
func TestVeleroVolumeBytes(t *testing.T) {
	handle, calls := volumeServer(t, 200, 200)
	rs, _, res := collect(t, ", volume_bytes: true", handle)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	bytes := func(ns string) string {
		l := rs[ns].Latest
		if l == nil || l.Transferred == nil || l.Size == nil {
			return "none"
		}
		return fmt.Sprintf("%v/%v", *l.Transferred, *l.Size)
	}
	for ns, want := range map[string]string{"shop": "1150/2250", "billing": "10/10", "p-completed": "none", "p-hooks": "none", "lonely": "none"} {
		if got := bytes(ns); got != want {
			t.Errorf("%s: %s, want %s", ns, got, want)
		}
	}
	for call, n := range calls() {
		if n != 1 {
			t.Errorf("%s read %d times", call, n)
		}
	}
	if n := calls()["podvolumebackups velero.io/backup-name=nightly-20261124020000"]; n != 1 {
		t.Errorf("the nightly backup's volumes read %d times", n)
	}

	handle, _ = volumeServer(t, 404, 200)
	rs, _, res = collect(t, ", volume_bytes: true", handle)
	if res.Err != nil || bytes("shop") != "150/250" {
		t.Errorf("without DataUploads: %v, shop %s", res.Err, bytes("shop"))
	}

	handle, _ = volumeServer(t, 200, 403)
	rs, _, res = collect(t, ", volume_bytes: true", handle)
	if res.Err != nil {
		t.Fatalf("target down: %v", res.Err)
	}
	// The failed ones have no series yet (none good to keep); the
	// namespaces without a latest backup read nothing more.
	_, shop := rs["shop"]
	_, lonely := rs["lonely"]
	_, newer := rs["newer"]
	if shop || !lonely || !newer || len(rs) != 2 || res.ResourceErrors < 20 {
		t.Errorf("PodVolumeBackups forbidden: shop %v, lonely %v, newer %v, %d resource errors, %d served", shop, lonely, newer, res.ResourceErrors, len(rs))
	}
}

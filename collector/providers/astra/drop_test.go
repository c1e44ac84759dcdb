package astra

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// TestAstraDiscoveryReadsARepeatedAppOnce: an app the list gives twice is
// read once, as its first listing names it, and the repeat is reported as
// a duplicate (Astra has no filters and no child items: not_owned and
// duplicate are the only reasons it can give).
func TestAstraDiscoveryReadsARepeatedAppOnce(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, name)
	}
	apps := write("apps.json", `{"items":[{"id":"app-1","name":"wordpress"},{"id":"app-2","name":"mysql"},["app-1","wordpress-again"]],"metadata":{}}`)
	none := write("none.json", `{"items":[],"metadata":{}}`)
	srv := astraServer(t, astraToken, map[string]string{
		astraAccount + "/k8s/v2/apps":                  apps,
		astraAccount + "/k8s/v1/apps/app-1/appBackups": none,
		astraAccount + "/k8s/v1/apps/app-2/appBackups": none,
	})
	e := newTestExporter(t, astraConfig(srv.URL, srv.CAFile, astraToken), collector.Options{RecordDropped: true})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var names []string
	for _, r := range res.Resources {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"mysql", "wordpress"}) {
		t.Errorf("resources %v, want wordpress (first listing) and mysql", names)
	}
	want := []toolkit.Dropped{{ID: "app-1", Name: "wordpress-again", Reason: toolkit.DropDuplicate}}
	if !slices.Equal(res.DroppedItems, want) || res.Dropped[toolkit.DropDuplicate] != 1 {
		t.Errorf("dropped %+v (counts %v), want %+v", res.DroppedItems, res.Dropped, want)
	}
	reads := 0
	for _, r := range srv.Requests() {
		if strings.Contains(r, "/apps/app-1/appBackups") {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("app-1's backups listed %d times, want once", reads)
	}
}

package huaweicbr

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// TestHuaweiCBRChildOnlyResourceIsReportedAsChild: a disk whose only
// backups are children listed on their own (parts of its server's
// backup) is no resource of the target, and is reported as a child drop
// once, with its resource_id and name; a disk that also has a backup of
// its own is a resource, and is not reported. CBR applies the target's
// filters itself (nothing filtered is listed), so child is its only
// reason besides not_owned and duplicate.
func TestHuaweiCBRChildOnlyResourceIsReportedAsChild(t *testing.T) {
	backup := func(id, parent, resource, name string) string {
		p := "null"
		if parent != "" {
			p = `"` + parent + `"`
		}
		return cbrBackupJSON(`"id":"`+id+`"`, `"name":"`+id+`"`, `"status":"available"`, `"parent_id":`+p,
			`"resource_id":"`+resource+`"`, `"resource_name":"`+name+`"`, `"created_at":"`+cbrCreated+`"`)
	}
	srv := serveCBRList(t,
		backup("server-1", "", cbrResID, "ecs-one"),
		backup("child-1", "server-1", "disk-sys", "sys-disk"),
		backup("child-2", "server-1", "disk-data", "data-disk"),
		backup("server-2", "", cbrResID, "ecs-one"),
		backup("child-3", "server-2", "disk-sys", "sys-disk"),
		backup("volume-1", "", "disk-data", "data-disk"),
	)
	e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken)), collector.Options{RecordDropped: true})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var ids []string
	for _, r := range res.Resources {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	if want := []string{cbrResID, "disk-data"}; !slices.Equal(ids, want) {
		t.Errorf("resources %v, want %v", ids, want)
	}
	want := []toolkit.Dropped{{ID: "disk-sys", Name: "sys-disk", Reason: toolkit.DropChild}}
	if !slices.Equal(res.DroppedItems, want) {
		t.Errorf("dropped %+v, want %+v", res.DroppedItems, want)
	}
	got := providertest.ScrapeText(t, e, "backup_exporter_target_resources_dropped")
	if line := `backup_exporter_target_resources_dropped{provider="huawei_cbr",reason="child",target="cbr-test"} 1`; !strings.Contains(got, line) {
		t.Errorf("no %s in\n%s", line, got)
	}
}

package azuredataprotection

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// TestAzureDataProtectionReportsFilteredInstances: the instances that
// datasource_types leaves out are dropped as filtered, each named by its
// resource, and counted; without the filter nothing is dropped.
func TestAzureDataProtectionReportsFilteredInstances(t *testing.T) {
	for _, tc := range []struct {
		filter string
		kept   int
		want   int
	}{
		{", datasource_types: [Microsoft.DBforPostgreSQL/flexibleServers]", 2, 32},
		{", datasource_types: [microsoft.compute/disks, Microsoft.Storage/storageAccounts/blobServices]", 32, 2},
		{"", 34, 0},
	} {
		srv := providertest.ARMServer(t, routes(t))
		e := providertest.NewExporter(t, srv.AzureConfig(inRG+", vault: bv-prod"+tc.filter), kinds, collector.Options{RecordDropped: true})
		res := e.Collect(context.Background(), e.Targets())[0]
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if len(res.Resources) != tc.kept || len(res.DroppedItems) != tc.want {
			t.Errorf("%q: %d kept, %d dropped; want %d, %d", tc.filter, len(res.Resources), len(res.DroppedItems), tc.kept, tc.want)
		}
		for _, d := range res.DroppedItems {
			if d.Reason != toolkit.DropFiltered || !strings.HasPrefix(d.ID, "/subscriptions/"+sub+"/resourceGroups/rg-app/providers/") || d.Name == "" {
				t.Errorf("%q: dropped %+v", tc.filter, d)
			}
			for _, r := range res.Resources {
				if r.ID == d.ID {
					t.Errorf("%q: %s both dropped and exposed", tc.filter, d.ID)
				}
			}
		}
	}
}

// TestAzureDataProtectionSeveralInstances: two instances of one vault's
// list that protect one disk (one listed twice, as a page that moved
// would) and one of another vault are one resource: the listed-twice
// instance is dropped as a duplicate, the two others merged. The merged
// resource is protected by either, healthy only if both are, its latest
// backup the newest of both (a failure of the second vault's), its last
// success the newest of both and its interval the shortest.
func TestAzureDataProtectionSeveralInstances(t *testing.T) {
	r := routes(t)
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join("testdata", r[vaults+"/bv-dr/backupInstances"]))
	if err != nil {
		t.Fatal(err)
	}
	// bi-shared-dr twice in its page.
	body := strings.Replace(string(raw), `"value": [`, `"value": [`+firstItem(t, raw)+`,`, 1)
	f := filepath.Join(dir, "instances.json")
	if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	r[vaults+"/bv-dr/backupInstances"] = f
	srv := providertest.ARMServer(t, r)
	e := providertest.NewExporter(t, srv.AzureConfig(inRG), kinds, collector.Options{RecordDropped: true})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if want := []toolkit.Dropped{{ID: "/subscriptions/" + strings.ToUpper(strings.TrimPrefix(disks, "/subscriptions/")) + "DISK-SHARED", Name: "disk-shared", Reason: toolkit.DropDuplicate}}; !slices.Equal(res.DroppedItems, want) {
		t.Errorf("dropped %+v, want %+v", res.DroppedItems, want)
	}
	var shared *toolkit.Resource
	for i := range res.Resources {
		if strings.EqualFold(res.Resources[i].ID, disks+"disk-shared") {
			if shared != nil {
				t.Fatalf("disk-shared twice: %s and %s", shared.ID, res.Resources[i].ID)
			}
			shared = &res.Resources[i]
		}
	}
	switch {
	case shared == nil:
		t.Fatal("no disk-shared")
	case shared.ID != disks+"disk-shared":
		t.Errorf("ID %s: not the first listed spelling", shared.ID)
	case !shared.Protected || shared.Healthy || shared.CurrentState() != toolkit.StateFailed || shared.CurrentRawStatus() != "Failed":
		t.Errorf("protected %v healthy %v state %s (%s), want protected, unhealthy, failed", shared.Protected, shared.Healthy, shared.CurrentState(), shared.CurrentRawStatus())
	case shared.LastSuccess.Format("2006-01-02T15:04") != "2026-12-03T00:20" || shared.LastFailure.Format("2006-01-02T15:04") != "2026-12-03T04:02":
		t.Errorf("last success %v, last failure %v", shared.LastSuccess, shared.LastFailure)
	case shared.ExpectedInterval.Hours() != 4:
		t.Errorf("interval %v, want the DR policy's 4h", shared.ExpectedInterval)
	case shared.CurrentError() == nil || shared.CurrentError().Code != "UserErrorCrossRegionCopyFailed":
		t.Errorf("error %+v", shared.CurrentError())
	case shared.Tags.Kind != toolkit.CloudTags || shared.Tags.Lookup != shared.ID:
		t.Errorf("tags %+v: want cloud tags looked up on the resource ID", shared.Tags)
	}
}

// firstItem is the first element of a page's "value" array.
func firstItem(t *testing.T, page []byte) string {
	t.Helper()
	s := string(page)
	start := strings.Index(s, `"value": [`) + len(`"value": [`)
	depth := 0
	for i := start; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[start : i+1]
			}
		}
	}
	t.Fatal("no item")
	return ""
}

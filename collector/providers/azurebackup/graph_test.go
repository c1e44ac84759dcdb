package azurebackup

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// graphRows are the items of the ARM list pages in files as Resource
// Graph's rows hold them: id, the type in lower case, subscription,
// resource group and the same properties; sorted by id, as the query
// orders them.
func graphRows(t *testing.T, files ...string) []azure.GraphRow {
	t.Helper()
	var rows []azure.GraphRow
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Value []struct {
				ID         string          `json:"id"`
				Type       string          `json:"type"`
				Properties json.RawMessage `json:"properties"`
			} `json:"value"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		for _, v := range page.Value {
			segs := strings.Split(v.ID, "/")
			rows = append(rows, azure.GraphRow{ID: v.ID, Type: strings.ToLower(v.Type), SubscriptionID: segs[2],
				ResourceGroup: strings.ToLower(segs[4]), Properties: v.Properties})
		}
	}
	slices.SortFunc(rows, func(a, b azure.GraphRow) int { return strings.Compare(a.ID, b.ID) })
	return rows
}

// vaultFiles are the pages vaultRoutes serves for a vault's lists.
var vaultFiles = []string{"items_page1.json", "items_page2.json", "items_page3.json",
	"jobs_page1.json", "jobs_page2.json", "jobs_page3.json", "protectable.json"}

func byID(rs []toolkit.Resource) []toolkit.Resource {
	out := slices.Clone(rs)
	slices.SortFunc(out, func(a, b toolkit.Resource) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// TestGraphRowsAreTranslatedAsARM: the vault's lists as Resource Graph
// rows (sorted by id, types in lower case) give the very records the ARM
// lists give: every state, error, health and coverage rule of the golden
// vault.prom, and the progress of the jobs in progress, still read by ARM.
func TestGraphRowsAreTranslatedAsARM(t *testing.T) {
	srv := providertest.ARMServer(t, vaultRoutes("rsv-prod"))
	e := providertest.NewExporter(t, srv.AzureConfig(target+", vault: rsv-prod"), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	p := e.Targets()[0].Provider.(*provider)

	g := newGraphVaults()
	for _, row := range graphRows(t, vaultFiles...) {
		if err := g.add(row); err != nil {
			t.Fatal(err)
		}
	}
	if len(g.order) != 1 || g.order[0] != vaults+"/rsv-prod" {
		t.Fatalf("vaults %v", g.order)
	}
	before := len(srv.Requests())
	ctx := toolkit.WithPoll(context.Background(), toolkit.Poll{})
	got, err := p.fromGraph(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	want := byID(res.Resources)
	for i := range want {
		// Set by the orchestrator from the target, after the provider.
		want[i].ExpectedInterval = 0
	}
	if !reflect.DeepEqual(byID(got), want) {
		t.Errorf("from Resource Graph rows:\n%+v\nfrom ARM lists:\n%+v", byID(got), want)
	}
	// The two jobs in progress were read by ARM for their progress.
	if reads := srv.Requests()[before:]; len(reads) != 2 {
		t.Errorf("job reads %v, want the two jobs in progress", reads)
	}

	// progress_from_arm false: no job is read, and no progress is known.
	p.progress = false
	before = len(srv.Requests())
	got, err = p.fromGraph(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if reads := srv.Requests()[before:]; len(reads) != 0 {
		t.Errorf("progress_from_arm false read %v", reads)
	}
	for _, r := range got {
		if r.Latest != nil && r.Latest.Progress != nil {
			t.Errorf("%s has progress %v without progress_from_arm", r.Name, *r.Latest.Progress)
		}
	}
}

// TestGraphRowsOfOtherKinds: a row of a type the target does not read, or a
// protectable item that is not a VM, is left alone; a row whose id names
// no vault, or an item without its required fields, fails the read.
func TestGraphRowsOfOtherKinds(t *testing.T) {
	g := newGraphVaults()
	vault := vaults + "/rsv-a"
	for _, row := range []azure.GraphRow{
		{ID: vault + "/backupPolicies/p", Type: "microsoft.recoveryservices/vaults/backuppolicies"},
		{ID: vault + "/backupFabrics/Azure/protectionContainers/c/protectableItems/sql", Type: azure.TypeRSProtectableItem,
			Properties: json.RawMessage(`{"backupManagementType":"AzureWorkload","protectionState":"NotProtected"}`)},
		{ID: vault + "/backupJobs/r", Type: azure.TypeRSJob, Properties: json.RawMessage(`{"operation":"Restore","status":"Completed"}`)},
	} {
		if err := g.add(row); err != nil {
			t.Fatal(err)
		}
	}
	if l := g.lists[strings.ToLower(vault)]; l == nil || len(l.protectable)+len(l.jobs)+len(l.items) != 0 {
		t.Errorf("lists %+v, want the vault with nothing in it", l)
	}
	for _, row := range []azure.GraphRow{
		{ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm/x", Type: azure.TypeRSProtectedItem},
		{ID: vault + "/backupJobs/j", Type: azure.TypeRSJob, Properties: json.RawMessage(`{"operation":"Backup"}`)},
		{ID: vault + "/backupJobs/j", Type: azure.TypeRSJob, Properties: json.RawMessage(`{"status":["Completed"]}`)},
	} {
		if err := g.add(row); err == nil {
			t.Errorf("row %+v was taken", row)
		}
	}
}

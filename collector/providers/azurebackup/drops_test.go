package azurebackup

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

const vms = "/subscriptions/ffffffff-ffff-ffff-ffff-ffffffffffff/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/"

// TestAzureBackupReportsFilteredItems: the protected items and
// protectable VMs that workload_types leaves out are dropped as filtered,
// each named, and counted in backup_exporter_target_resources_dropped;
// without the filter, nothing is dropped (vm-ok's protectable entry is
// its protected item's resource, not a drop).
func TestAzureBackupReportsFilteredItems(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{", workload_types: [sqldatabase, AzureFileShare]", []string{"vm-deferred", "vm-failed", "vm-irpending", "vm-kpi", "vm-lastfailed", "vm-new", "vm-nojob", "vm-ok", "vm-protection-error", "vm-running"}},
		{"", nil},
	} {
		srv := providertest.ARMServer(t, vaultRoutes("rsv-prod"))
		e := providertest.NewExporter(t, srv.AzureConfig(target+", vault: rsv-prod"+tc.filter), kinds, collector.Options{RecordDropped: true})
		res := e.Collect(context.Background(), e.Targets())[0]
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		var names []string
		for _, d := range res.DroppedItems {
			names = append(names, d.Name)
			if d.Reason != toolkit.DropFiltered || d.ID != vms+d.Name {
				t.Errorf("%q: dropped %+v, want %s%s filtered", tc.filter, d, vms, d.Name)
			}
		}
		slices.Sort(names)
		if !slices.Equal(names, tc.want) {
			t.Errorf("%q: dropped %v, want %v", tc.filter, names, tc.want)
		}
		for _, r := range res.Resources {
			if slices.Contains(tc.want, r.Name) {
				t.Errorf("%q: %s both dropped and exposed", tc.filter, r.Name)
			}
		}
		got := providertest.ScrapeText(t, e, "backup_exporter_target_resources_dropped")
		want := `backup_exporter_target_resources_dropped{provider="azure_backup",reason="filtered",target="ab"} ` + map[bool]string{true: "10", false: "0"}[tc.want != nil]
		if !strings.Contains(got, want) {
			t.Errorf("%q: want %s in\n%s", tc.filter, want, got)
		}
	}
}

// TestAzureBackupReportsSecondSpellings: Azure IDs are compared without
// case. A second protected item of vm-x (its ID spelt in capitals) and a
// second protectable entry of vm-new are dropped as duplicates; the
// protectable entry of vm-x that says NotProtected is vm-x's protected
// item's resource: neither exposed as unprotected nor dropped.
func TestAzureBackupReportsSecondSpellings(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	item := func(name, source string) string {
		return `{"id":"` + vaults + `/rsv-prod/backupFabrics/Azure/protectionContainers/c/protectedItems/VM;` + name + `","name":"VM;` + name + `",
"properties":{"friendlyName":"` + name + `","backupManagementType":"AzureIaasVM","workloadType":"VM","sourceResourceId":"` + source + `",
"lastBackupStatus":"Completed","lastRecoveryPoint":"2026-12-01T21:10:00Z"}}`
	}
	protectable := func(name, vm string) string {
		return `{"id":"` + vaults + `/rsv-prod/backupFabrics/Azure/protectionContainers/c/protectableItems/vm;` + name + `","name":"vm;` + name + `",
"properties":{"friendlyName":"` + name + `","workloadType":"VM","protectionState":"NotProtected","virtualMachineId":"` + vm + `"}}`
	}
	upper := strings.ToUpper(vms)
	p := vaults + "/rsv-prod"
	srv := providertest.ARMServer(t, map[string]string{
		p + "/backupProtectedItems": write("items.json", `{"value":[`+item("vm-x", vms+"vm-x")+`,`+item("VM-X", upper+"VM-X")+`]}`),
		p + "/backupJobs":           write("jobs.json", `{"value":[]}`),
		p + "/backupProtectableItems": write("protectable.json", `{"value":[`+protectable("Vm-X", vms+"Vm-X")+`,`+
			protectable("vm-new", vms+"vm-new")+`,`+protectable("VM-NEW", upper+"VM-NEW")+`]}`),
	})
	e := providertest.NewExporter(t, srv.AzureConfig(target+", vault: rsv-prod"), kinds, collector.Options{RecordDropped: true})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var exposed []string
	for _, r := range res.Resources {
		exposed = append(exposed, r.ID+map[bool]string{true: " protected", false: " unprotected"}[r.Protected])
	}
	if want := []string{vms + "vm-new unprotected", vms + "vm-x protected"}; !slices.Equal(exposed, want) {
		t.Errorf("exposed %v, want %v", exposed, want)
	}
	want := []toolkit.Dropped{
		{ID: upper + "VM-X", Name: "VM-X", Reason: toolkit.DropDuplicate},
		{ID: upper + "VM-NEW", Name: "VM-NEW", Reason: toolkit.DropDuplicate},
	}
	if !slices.Equal(res.DroppedItems, want) {
		t.Errorf("dropped %+v, want %+v", res.DroppedItems, want)
	}
}

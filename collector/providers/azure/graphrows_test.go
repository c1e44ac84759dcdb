package azure

import (
	"fmt"
	"testing"

	json "github.com/segmentio/encoding/json"
)

// TestGraphRowDecodes: a row decodes into the ARM list's item type, named
// by its ID's last segment; a row without properties decodes to an item
// without them; a row of the wrong shape is an error, never a panic.
func TestGraphRowDecodes(t *testing.T) {
	var item struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Properties struct {
			FriendlyName string `json:"friendlyName"`
		} `json:"properties"`
	}
	row := GraphRow{ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/backupFabrics/Azure/protectionContainers/c/protectedItems/VM;x;rg;vm1",
		Type: TypeRSProtectedItem, Properties: json.RawMessage(`{"friendlyName":"vm1"}`)}
	if err := row.Decode(&item); err != nil {
		t.Fatal(err)
	}
	if item.ID != row.ID || item.Name != "VM;x;rg;vm1" || item.Properties.FriendlyName != "vm1" {
		t.Errorf("decoded %+v", item)
	}
	item.Properties.FriendlyName = ""
	if err := (&GraphRow{ID: "/x/y", Type: "t"}).Decode(&item); err != nil || item.Properties.FriendlyName != "" {
		t.Errorf("row without properties: %v %+v", err, item)
	}
	if err := (&GraphRow{ID: "/x", Type: "t", Properties: json.RawMessage(`{"friendlyName":7}`)}).Decode(&item); err == nil {
		t.Error("a number for a string decoded")
	}
	if err := (&GraphRow{}).Check(); err == nil {
		t.Error("a row without id and type passed its check")
	}
}

// TestVaultPath: the vault of an item or job, whatever the case of the
// ID's segments; an ID that names no vault of the collection is refused.
func TestVaultPath(t *testing.T) {
	for id, want := range map[string]string{
		"/Subscriptions/S/resourceGroups/RG/providers/Microsoft.RecoveryServices/vaults/V/backupJobs/1":           "/Subscriptions/S/resourceGroups/RG/providers/Microsoft.RecoveryServices/vaults/V",
		"/subscriptions/s/resourcegroups/rg/providers/microsoft.recoveryservices/VAULTS/v":                        "/subscriptions/s/resourcegroups/rg/providers/microsoft.recoveryservices/VAULTS/v",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/bv/backupInstances/i": "",
		"subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/x":                       "",
		"/subscriptions//resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/x":                       "",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults//x":                       "",
		"": "",
	} {
		got, ok := VaultPath(id, "vaults")
		if got != want || ok != (want != "") {
			t.Errorf("VaultPath(%q) = %q %v, want %q", id, got, ok, want)
		}
	}
	if got, ok := VaultPath("/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/bv/backupJobs/j", "backupVaults"); !ok || got != "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/bv" {
		t.Errorf("Backup vault: %q %v", got, ok)
	}
}

// TestSubscriptionGroups: groups of at most 300, in order, every
// subscription once; none is one group naming none.
func TestSubscriptionGroups(t *testing.T) {
	if g := SubscriptionGroups(nil); len(g) != 1 || g[0] != nil {
		t.Errorf("no subscriptions: %v", g)
	}
	for n, sizes := range map[int][]int{1: {1}, 300: {300}, 301: {300, 1}, 750: {300, 300, 150}} {
		subs := make([]string, n)
		for i := range subs {
			subs[i] = fmt.Sprint(i)
		}
		groups := SubscriptionGroups(subs)
		var got []int
		k := 0
		for _, g := range groups {
			got = append(got, len(g))
			for _, s := range g {
				if s != fmt.Sprint(k) {
					t.Fatalf("%d subscriptions: %s out of order", n, s)
				}
				k++
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(sizes) {
			t.Errorf("%d subscriptions: groups of %v, want %v", n, got, sizes)
		}
		// A group never grows into the next one's entries.
		groups[0] = append(groups[0], "x")
		if n > 300 && groups[1][0] != "300" {
			t.Errorf("appending to a group changed the next")
		}
	}
}

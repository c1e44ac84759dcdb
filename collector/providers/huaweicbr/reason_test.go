package huaweicbr

import (
	"testing"
)

// TestChildInErrorNamesTheDisk: a server backup whose disk (a child) is in
// error is degraded, and says which disk, whether the child is nested or
// listed on its own.
func TestChildInErrorNamesTheDisk(t *testing.T) {
	parent := huaweiBackup{ID: "p", Name: "autobk", Status: "available", Children: []huaweiBackup{
		{ID: "c1", Status: "available", ResourceName: "sys-disk"},
		{ID: "c2", Status: "error", ResourceName: "data-disk"},
	}}
	b := parent.toBackup(map[string][]string{"p": {"log-disk"}})
	if !b.Degraded || b.Reason != "part of the backup in error: log-disk, data-disk" {
		t.Errorf("degraded %v, reason %q", b.Degraded, b.Reason)
	}
	ok := huaweiBackup{ID: "q", Status: "available", Children: []huaweiBackup{{ID: "c3", Status: "available"}}}
	if b := ok.toBackup(nil); b.Degraded || b.Reason != "" {
		t.Errorf("healthy backup: degraded %v, reason %q", b.Degraded, b.Reason)
	}
}

package azurebackup

import (
	"context"
	"slices"
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// wanted applies the target's workload_types.
func (p *provider) wanted(workload string) bool {
	return len(p.workloads) == 0 || slices.ContainsFunc(p.workloads, func(w string) bool { return strings.EqualFold(w, workload) })
}

// wantedItems keeps the protected items of the target's workload_types;
// the others are dropped as filtered.
func (p *provider) wantedItems(ctx context.Context, items []protectedItem) []protectedItem {
	if len(p.workloads) == 0 {
		return items
	}
	kept := make([]protectedItem, 0, len(items))
	for i := range items {
		it := &items[i]
		if !p.wanted(it.Properties.WorkloadType) {
			toolkit.Drop(ctx, it.resourceID(), it.label(), toolkit.DropFiltered)
			continue
		}
		kept = append(kept, *it)
	}
	return kept
}

// onceEach keeps the first record of each resource, its ID compared
// without case as Azure compares IDs (a VM's ID is spelt one way by its
// protected item, another by its protectable item); seen holds the IDs
// (in lower case) taken, and a later spelling is dropped as a duplicate.
// It runs on what FanOut or Keep kept: the shard owns each spelling on
// its own, so a spelling another shard owns does not hide one this shard
// owns.
func onceEach(ctx context.Context, seen map[string]bool, rs []toolkit.Resource) []toolkit.Resource {
	out := rs[:0]
	for _, r := range rs {
		k := strings.ToLower(r.ID)
		if seen[k] {
			toolkit.Drop(ctx, r.ID, r.Name, toolkit.DropDuplicate)
			continue
		}
		seen[k] = true
		out = append(out, r)
	}
	return out
}

// unprotected are the vault's protectable VMs that no protected item
// covers (backup_protected 0), of the target's workload_types (the
// others are dropped as filtered). A protectable item that is protected
// is its protected item's resource, reported as that: not a drop.
// records are the vault's protected items, seen the resources kept.
func (p *provider) unprotected(ctx context.Context, protectable []protectableItem, records []record, seen map[string]bool) []toolkit.Resource {
	protected := make(map[string]bool, len(records))
	for _, r := range records {
		protected[r.id] = true
	}
	var rs []toolkit.Resource
	for i := range protectable {
		it := &protectable[i]
		if !strings.EqualFold(it.Properties.ProtectionState, "NotProtected") {
			continue
		}
		id := it.resourceID()
		switch {
		case protected[id] || seen[strings.ToLower(id)]:
			// The same resource as a protected item (of this shard, or
			// by the same ID of another): reported as that.
		case !p.wanted(it.Properties.WorkloadType):
			toolkit.Drop(ctx, id, it.label(), toolkit.DropFiltered)
		default:
			r := toolkit.Unprotected(id, it.label())
			r.Tags = azure.LookedUpTags(id)
			rs = append(rs, r)
		}
	}
	return onceEach(ctx, seen, toolkit.Keep(ctx, p.env, rs))
}

package huaweicbr

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// grouping is the backup list grouped by protected resource as it is
// read: each backup is kept as its record from the moment its page
// arrives, not as the decoded page (children, pointers, long strings)
// until the list ends. A child is a part of its parent's backup (a disk
// of a server backup): the list normally nests it; listed on its own too,
// it still only counts against its parent, which it degrades when in
// error, wherever in the list the two come.
type grouping struct {
	// order are the resource keys in the order the list first names each.
	order      []string
	byResource map[string]*resourceGroup
	// childErrors holds, by parent ID, the children listed on their own
	// in error.
	childErrors map[string][]string
	// children are the resources that children listed on their own name,
	// each once (with the first child's name), in list order.
	children  []toolkit.Dropped
	childSeen map[string]bool
}

// resourceGroup is one resource's backups as read so far.
type resourceGroup struct {
	backups []listedBackup
	// name is the resource_name of the newest backup (by created_at, the
	// first listed among equals) that has one, since a renamed resource
	// keeps its ID; newest is that backup's start.
	name   string
	newest time.Time
	// vault is the vault ID of the newest backup (by created_at, the
	// first listed among equals), whose tags are the resource's; vaultAt
	// is that backup's start.
	vault   string
	vaultAt time.Time
}

// listedBackup is a top-level backup's record as its page gave it, and
// the names of its nested children in error (each once), which children
// listed on their own in error (possibly on a later page) join.
type listedBackup struct {
	toolkit.Backup
	failed []string
}

func newGrouping() *grouping {
	return &grouping{byResource: map[string]*resourceGroup{}, childErrors: map[string][]string{}, childSeen: map[string]bool{}}
}

// add takes the next backup of the list.
func (g *grouping) add(b huaweiBackup) {
	if b.ParentID != nil && *b.ParentID != "" {
		if b.Status == "error" {
			g.childErrors[*b.ParentID] = append(g.childErrors[*b.ParentID], b.childName())
		}
		if key := b.resourceKey(); !g.childSeen[key] {
			g.childSeen[key] = true
			g.children = append(g.children, toolkit.Dropped{ID: key, Name: b.resourceLabel()})
		}
		return
	}
	key := b.resourceKey()
	l := b.listed()
	grp := g.byResource[key]
	if grp == nil {
		grp = &resourceGroup{vault: b.VaultID, vaultAt: l.Start}
		g.byResource[key] = grp
		g.order = append(g.order, key)
	} else if l.Start.After(grp.vaultAt) {
		grp.vault, grp.vaultAt = b.VaultID, l.Start
	}
	// A backup listed twice counts once (Summarize drops repeats of its
	// ID).
	if b.ResourceName != "" && (grp.name == "" || l.Start.After(grp.newest)) {
		grp.name, grp.newest = b.ResourceName, l.Start
	}
	grp.backups = append(grp.backups, l)
}

// records are the resources of the list, in the order it first names
// each; the grouping is spent. Each resource's tags are those of the
// vault of its newest backup, in vaults (by vault ID).
func (g *grouping) records(vaults map[string]map[string]string) []toolkit.Resource {
	rs := make([]toolkit.Resource, 0, len(g.order))
	var converted []toolkit.Backup
	for _, key := range g.order {
		grp := g.byResource[key]
		converted = converted[:0]
		for i := range grp.backups {
			converted = append(converted, grp.backups[i].withParts(g.childErrors))
		}
		name := grp.name
		if name == "" {
			name = key
		}
		r := toolkit.Summarize(key, name, converted, true)
		r.Tags = toolkit.Tags{Kind: toolkit.VaultTags, Values: vaults[grp.vault]}
		rs = append(rs, r)
		// Freed as the records are made.
		grp.backups = nil
	}
	return rs
}

// dropChildOnly reports, once each, the resources that only children
// listed on their own name (a disk whose only backups are parts of its
// server's): they are left out as parts of another resource's backup, so
// that "where is my disk?" has an answer.
func (g *grouping) dropChildOnly(ctx context.Context, rs []toolkit.Resource) {
	if len(g.children) == 0 {
		return
	}
	resources := make(map[string]bool, len(rs))
	for i := range rs {
		resources[rs[i].ID] = true
	}
	for _, c := range g.children {
		if !resources[c.ID] {
			toolkit.Drop(ctx, c.ID, c.Name, toolkit.DropChild)
		}
	}
}

// resourceKey is the resource_id; a backup without one is its own
// resource, the only identity known.
func (b *huaweiBackup) resourceKey() string {
	if b.ResourceID != "" {
		return b.ResourceID
	}
	return b.ID
}

// resourceLabel is the resource_name; without one, the resource's ID.
func (b *huaweiBackup) resourceLabel() string {
	if b.ResourceName != "" {
		return b.ResourceName
	}
	return b.resourceKey()
}

// childName names a child backup in messages: its disk, else its ID.
func (b *huaweiBackup) childName() string {
	if b.ResourceName != "" {
		return b.ResourceName
	}
	return b.ID
}

// toBackup converts b; childErrors holds, by parent ID, the children
// listed separately in error.
func (b *huaweiBackup) toBackup(childErrors map[string][]string) toolkit.Backup {
	l := b.listed()
	return l.withParts(childErrors)
}

// listed converts b as its page gives it: its nested children in error
// degrade it; those listed on their own join them once the list is read
// (withParts).
func (b *huaweiBackup) listed() listedBackup {
	out := toolkit.Backup{
		ID:        b.ID,
		Name:      b.Name,
		RawStatus: b.Status,
		State:     toolkit.Normalise(huaweiCBRStates, b.Status),
		Start:     toolkit.ParseTime(huaweiStr(b.CreatedAt)),
		Expiry:    toolkit.ParseTime(huaweiStr(b.ExpiredAt)),
	}
	if out.Name == "" {
		out.Name = b.ID
	}
	// A backup being restored from is complete.
	out.Complete = out.State == toolkit.StateRestoring
	var failed []string
	for i := range b.Children {
		if b.Children[i].Status == "error" && !slices.Contains(failed, b.Children[i].childName()) {
			failed = append(failed, b.Children[i].childName())
		}
	}
	degrade(&out, failed)
	// protected_at is when the backup was taken; updated_at stands in for
	// a finished backup without it, but on a running one it is only the
	// last progress update. A successful backup whose API gives neither
	// (Huawei's own ShowBackup example: both null) ended at the latest at
	// its start: created_at (metrics.md, "Which backup is which").
	if out.State != toolkit.StateRunning && out.State != toolkit.StatePending {
		out.End = toolkit.ParseTime(huaweiStr(b.ProtectedAt))
		if out.End.IsZero() && (out.Succeeded() || out.State == toolkit.StateFailed) {
			out.End = toolkit.ParseTime(huaweiStr(b.UpdatedAt))
		}
		if out.End.IsZero() && out.Succeeded() {
			out.End = out.Start
		}
	}
	if b.ResourceSize != nil {
		out.Size = toolkit.Float(*b.ResourceSize * (1 << 30))
	}
	if b.ExtendInfo != nil && b.ExtendInfo.Progress != nil {
		out.Progress = toolkit.Float(*b.ExtendInfo.Progress / 100)
	}
	return listedBackup{Backup: out, failed: failed}
}

// withParts is l's record once the list is read: the children listed on
// their own in error (childErrors, by parent ID) come first among the
// parts named, then its nested ones not named yet.
func (l *listedBackup) withParts(childErrors map[string][]string) toolkit.Backup {
	out := l.Backup
	if l.ID == "" || len(childErrors[l.ID]) == 0 {
		return out
	}
	failed := slices.Clone(childErrors[l.ID])
	for _, name := range l.failed {
		if !slices.Contains(failed, name) {
			failed = append(failed, name)
		}
	}
	degrade(&out, failed)
	return out
}

// degrade marks b degraded when parts of it (disks of a server backup)
// failed, naming them.
func degrade(b *toolkit.Backup, failed []string) {
	if len(failed) > 0 {
		b.Degraded = true
		b.Reason = "part of the backup in error: " + strings.Join(failed, ", ")
	}
}

// huaweiStr is *s, or "" for a null field.
func huaweiStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

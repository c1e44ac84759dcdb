package huaweicbr

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// records groups the listed backups by protected resource, in the order
// the list first names each, and returns the children listed on their
// own. A child is a part of its parent's backup (a disk of a server
// backup): the list normally nests it; listed on its own too, it still
// only counts against its parent. Each resource's tags are those of the
// vault of its newest backup, in vaults (by vault ID).
func records(backups []huaweiBackup, vaults map[string]map[string]string) (rs []toolkit.Resource, children []*huaweiBackup) {
	childErrors := map[string][]string{}
	var top []*huaweiBackup
	for i := range backups {
		b := &backups[i]
		if b.ParentID != nil && *b.ParentID != "" {
			children = append(children, b)
			if b.Status == "error" {
				childErrors[*b.ParentID] = append(childErrors[*b.ParentID], b.childName())
			}
			continue
		}
		// A backup listed twice counts once (Summarize drops repeats of
		// its ID).
		top = append(top, b)
	}

	var order []string
	byResource := map[string][]*huaweiBackup{}
	for _, b := range top {
		key := b.resourceKey()
		if _, ok := byResource[key]; !ok {
			order = append(order, key)
		}
		byResource[key] = append(byResource[key], b)
	}
	rs = make([]toolkit.Resource, 0, len(order))
	for _, key := range order {
		group := byResource[key]
		converted := make([]toolkit.Backup, len(group))
		for i, b := range group {
			converted[i] = b.toBackup(childErrors)
		}
		r := toolkit.Summarize(key, huaweiResourceName(group), converted, true)
		r.Tags = toolkit.Tags{Kind: toolkit.VaultTags, Values: vaults[newest(group).VaultID]}
		rs = append(rs, r)
	}
	return rs, children
}

// newest is the backup of group created last (the first of those
// created at the same time).
func newest(group []*huaweiBackup) *huaweiBackup {
	out := group[0]
	at := toolkit.ParseTime(huaweiStr(out.CreatedAt))
	for _, b := range group[1:] {
		if t := toolkit.ParseTime(huaweiStr(b.CreatedAt)); t.After(at) {
			out, at = b, t
		}
	}
	return out
}

// dropChildOnly reports, once each, the resources that only children
// listed on their own name (a disk whose only backups are parts of its
// server's): they are left out as parts of another resource's backup, so
// that "where is my disk?" has an answer.
func dropChildOnly(ctx context.Context, rs []toolkit.Resource, children []*huaweiBackup) {
	if len(children) == 0 {
		return
	}
	seen := make(map[string]bool, len(rs)+len(children))
	for i := range rs {
		seen[rs[i].ID] = true
	}
	for _, c := range children {
		if key := c.resourceKey(); !seen[key] {
			seen[key] = true
			toolkit.Drop(ctx, key, c.resourceLabel(), toolkit.DropChild)
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

// huaweiResourceName is the resource_name of the newest backup that has
// one, since a renamed resource keeps its ID.
func huaweiResourceName(group []*huaweiBackup) string {
	var name string
	var newest time.Time
	for _, b := range group {
		if b.ResourceName == "" {
			continue
		}
		if t := toolkit.ParseTime(huaweiStr(b.CreatedAt)); name == "" || t.After(newest) {
			name, newest = b.ResourceName, t
		}
	}
	if name == "" {
		return group[0].resourceKey()
	}
	return name
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
	out := toolkit.Backup{
		ID:        b.ID,
		Name:      b.Name,
		RawStatus: b.Status,
		State:     toolkit.Normalise(huaweiCBRStates, b.Status),
		Start:     toolkit.ParseTime(huaweiStr(b.CreatedAt)),
		Expiry:    toolkit.ParseTime(huaweiStr(b.ExpiredAt)),
	}
	var failed []string
	if b.ID != "" {
		failed = append(failed, childErrors[b.ID]...)
	}
	if out.Name == "" {
		out.Name = b.ID
	}
	// A backup being restored from is complete.
	out.Complete = out.State == toolkit.StateRestoring
	for i := range b.Children {
		if b.Children[i].Status == "error" && !slices.Contains(failed, b.Children[i].childName()) {
			failed = append(failed, b.Children[i].childName())
		}
	}
	if len(failed) > 0 {
		// A part of the backup (a disk of a server backup) failed.
		out.Degraded = true
		out.Reason = "part of the backup in error: " + strings.Join(failed, ", ")
	}
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
	return out
}

// huaweiStr is *s, or "" for a null field.
func huaweiStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

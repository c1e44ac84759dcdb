package huaweicbr

import (
	"slices"
	"strings"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// resourceKey is the resource_id; a backup without one is its own
// resource, the only identity known.
func (b *huaweiBackup) resourceKey() string {
	if b.ResourceID != "" {
		return b.ResourceID
	}
	return b.ID
}

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

func huaweiStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

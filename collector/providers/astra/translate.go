package astra

import (
	"strings"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// label is the app's resource_name: its name, else its ID.
func (a astraApp) label() string {
	if a.Name != "" {
		return a.Name
	}
	return a.ID
}

// identity is the app's resource_id and resource_name.
func (a astraApp) identity() (id, name string) { return a.ID, a.label() }

// labels are the app's metadata.labels as Kubernetes labels, when the
// target wants them; a label listed twice keeps its first value.
func (p *provider) labels(app astraApp) toolkit.Tags {
	tags := toolkit.Tags{Kind: toolkit.KubernetesLabels}
	var labels []astraLabel
	if !p.wantTags || json.Unmarshal(app.Metadata.Labels, &labels) != nil || len(labels) == 0 {
		return tags
	}
	tags.Values = make(map[string]string, len(labels))
	for _, l := range labels {
		if _, seen := tags.Values[l.Name]; !seen {
			tags.Values[l.Name] = l.Value
		}
	}
	return tags
}

// appRecord is the record of an app whose backups were all listed.
func appRecord(app astraApp, backups []astraBackup) toolkit.Resource {
	converted := make([]toolkit.Backup, len(backups))
	for i := range backups {
		converted[i] = backups[i].toBackup()
	}
	return toolkit.Summarize(app.ID, app.label(), converted, true)
}

// toBackup converts b: a completed backup ended (metrics.md) at its
// backupCreationTimestamp, and one whose hooks failed is degraded.
func (b *astraBackup) toBackup() toolkit.Backup {
	out := toolkit.Backup{
		ID:          b.ID,
		Name:        b.Name,
		RawStatus:   b.State,
		State:       toolkit.Normalise(astraStates, b.State),
		Start:       toolkit.ParseTime(b.Metadata.CreationTimestamp),
		Size:        b.TotalBytes.v,
		Transferred: b.BytesDone.v,
	}
	if out.Name == "" {
		out.Name = b.ID
	}
	if p := b.PercentDone.v; p != nil {
		out.Progress = toolkit.Float(*p / 100)
	}
	hooksFailed := b.HookState == "failed"
	if out.State == toolkit.StateSucceeded {
		out.End = toolkit.ParseTime(b.BackupCreationTimestamp)
		out.Degraded = hooksFailed
		if hooksFailed {
			out.Reason = "an execution hook of " + out.Name + " failed"
		}
	}
	switch {
	case out.State == toolkit.StateFailed:
		out.Error = &toolkit.ErrorInfo{Code: "failed", Message: b.errorMessage()}
	case out.State == toolkit.StateSucceeded && hooksFailed:
		out.Error = toolkit.HookFailed(b.errorMessage())
	}
	return out
}

// errorMessage is why b failed: stateUnready, else the hooks' details.
func (b *astraBackup) errorMessage() string {
	if len(b.StateUnready) > 0 {
		return strings.Join(b.StateUnready, "; ")
	}
	details := make([]string, 0, len(b.HookStateDetails))
	for _, d := range b.HookStateDetails {
		if d.Detail != "" {
			details = append(details, d.Detail)
		} else if d.Title != "" {
			details = append(details, d.Title)
		}
	}
	return strings.Join(details, "; ")
}

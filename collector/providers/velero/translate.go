package velero

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// toBackup is a Backup's record (docs/metrics.md, velero).
func toBackup(b *backup) toolkit.Backup {
	phase := b.Status.Phase
	out := toolkit.Backup{
		ID:        b.Metadata.Name,
		Name:      b.Metadata.Name,
		RawStatus: phase,
		State:     toolkit.Normalise(states, phase),
		Start:     toolkit.ParseTime(b.Status.StartTimestamp),
		Expiry:    toolkit.ParseTime(b.Status.Expiration),
	}
	if phase == "" {
		out.RawStatus = "New"
	}
	if out.Start.IsZero() {
		out.Start = toolkit.ParseTime(b.Metadata.CreationTimestamp)
	}
	if d := b.Metadata.DeletionTimestamp; d != nil && *d != "" {
		out.State = toolkit.StateDeleting
	}
	switch phase {
	case "Completed", "PartiallyFailed", "Failed":
		// Velero sets completionTimestamp on these phases, failures too.
		out.End = toolkit.ParseTime(b.Status.CompletionTimestamp)
	}
	if pr := b.Status.Progress; pr != nil && pr.TotalItems > 0 {
		out.Progress = toolkit.Float(float64(pr.ItemsBackedUp) / float64(pr.TotalItems))
	}
	counts := func() string { return fmt.Sprintf("%d errors, %d warnings", b.Status.Errors, b.Status.Warnings) }
	switch phase {
	case "FailedValidation":
		out.Error = &toolkit.ErrorInfo{Code: "failed_validation", Message: strings.Join(b.Status.ValidationErrors, "; ")}
	case "Failed":
		out.Error = &toolkit.ErrorInfo{Code: "failed", Message: firstNonEmpty(b.Status.FailureReason, counts())}
	case "PartiallyFailed":
		out.Error = &toolkit.ErrorInfo{Code: "partially_failed", Message: firstNonEmpty(b.Status.FailureReason, counts())}
	case "Completed":
		if h := b.Status.HookStatus; h != nil && h.HooksFailed > 0 {
			// Completed, but a hook failed: not application-consistent.
			out.Degraded = true
			out.Reason = "an execution hook of " + out.Name + " failed"
			out.Error = toolkit.HookFailed(fmt.Sprintf("%d of %d hooks failed", h.HooksFailed, h.HooksAttempted))
		}
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// group is the namespaces that the same Backups and Schedules cover:
// their records differ only by their identity and labels (and volume
// bytes), so one summary serves them all.
type group struct {
	backups   []*toolkit.Backup // covering, newest start first
	latest    *backup           // the latest covering Backup's object
	schedules []*backupSchedule // covering
}

// summary is the record of a group's namespaces (their ID, name and tags
// are set afterwards), by the rules of docs/metrics.md's velero section.
func (p *provider) summary(g *group, locations map[string]*storageLocation, now time.Time, intervals func(*backupSchedule) time.Duration) toolkit.Resource {
	r := toolkit.SummarizeSorted("", "", g.backups, true)
	if len(g.backups) == 0 && len(g.schedules) > 0 {
		// A Schedule but no backup yet: protected, never backed up.
		r.Protected, r.NoSuccessListed = true, true
		r.Counts = map[toolkit.State]int{}
	}
	if !r.Protected {
		return r
	}
	// How far back restores reach: the oldest Completed backup that has
	// not expired (Velero deletes expired ones).
	r.OldestSuccess = time.Time{}
	for _, b := range g.backups {
		if !b.Succeeded() || (!b.Expiry.IsZero() && !b.Expiry.After(now)) {
			continue
		}
		end := b.End
		if end.IsZero() {
			end = b.Start
		}
		if !end.IsZero() && (r.OldestSuccess.IsZero() || end.Before(r.OldestSuccess)) {
			r.OldestSuccess = end
		}
	}
	unhealthy := func(why string) {
		r.Healthy = false
		if r.Reason == "" {
			r.Reason = why
		} else {
			r.Reason += "; " + why
		}
	}
	if stopped := stoppedSchedules(g.schedules); stopped != "" {
		unhealthy(stopped)
	}
	if g.latest != nil && locations != nil {
		if l := locationOf(g.latest, locations); l != nil && l.Status.Phase == "Unavailable" {
			why := "backup storage location " + l.Metadata.Name + " is Unavailable"
			if l.Status.Message != "" {
				why += ": " + l.Status.Message
			}
			unhealthy(why)
		}
	}
	for _, s := range g.schedules {
		if s.Status.Phase != "Enabled" || s.Spec.Paused {
			continue
		}
		if d := intervals(s); d > 0 && (r.ExpectedInterval == 0 || d < r.ExpectedInterval) {
			r.ExpectedInterval = d
		}
	}
	return r
}

// stoppedSchedules says why no covering Schedule will make backups: at
// least one covers the namespace and each is paused or failed validation;
// "" otherwise.
func stoppedSchedules(ss []*backupSchedule) string {
	if len(ss) == 0 {
		return ""
	}
	names := make([]string, 0, len(ss))
	for _, s := range ss {
		if !s.Spec.Paused && s.Status.Phase != "FailedValidation" {
			return ""
		}
		names = append(names, s.Metadata.Name)
	}
	sort.Strings(names)
	return "every Schedule covering it is paused or failed validation: " + strings.Join(names, ", ")
}

// locationOf is the BackupStorageLocation a Backup is stored in: its
// spec.storageLocation, else the default one (the first by name).
func locationOf(b *backup, locations map[string]*storageLocation) *storageLocation {
	if name := b.Spec.StorageLocation; name != "" {
		return locations[name]
	}
	var def *storageLocation
	for _, l := range locations {
		if l.Spec.Default && (def == nil || l.Metadata.Name < def.Metadata.Name) {
			def = l
		}
	}
	return def
}

// forNamespace is the group's record for one of its namespaces: its own
// copy of the latest backup and the counts, so that nothing is shared
// between records, and its labels when the target wants them.
func forNamespace(r toolkit.Resource, ns *namespace, wantTags bool) toolkit.Resource {
	r.ID, r.Name = ns.Metadata.Name, ns.Metadata.Name
	r.Tags = toolkit.Tags{Kind: toolkit.KubernetesLabels}
	if wantTags {
		r.Tags.Values = ns.Metadata.Labels
	}
	if r.Latest != nil {
		latest := *r.Latest
		r.Latest = &latest
	}
	r.Counts = maps.Clone(r.Counts)
	return r
}

package cloudnativepg

import (
	"sort"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// resource is one Cluster's record (docs/metrics.md, cloudnative_pg).
func resource(c *cluster, backups []*backup, scheduled []*scheduledBackup, w window, interval time.Duration) toolkit.Resource {
	// Newest first by the order the contract gives (status.startedAt,
	// else metadata.creationTimestamp); stable, so that ties keep the
	// list's order, as Summarize does.
	sorted := make([]*backup, len(backups))
	copy(sorted, backups)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].order().After(sorted[j].order()) })
	converted := make([]toolkit.Backup, 0, len(sorted))
	for _, b := range sorted {
		converted = append(converted, b.toBackup())
	}
	r := toolkit.Summarize(c.id(), c.Metadata.Name, converted, true)
	r.Tags.Kind = toolkit.KubernetesLabels // Values: the provider's, when wanted
	r.ExpectedInterval = interval
	if len(backups) == 0 && len(scheduled) == 0 && !c.walArchive() {
		return r // backup_protected 0
	}
	r.Protected = true
	if r.Counts == nil {
		r.Counts = map[toolkit.State]int{}
	}
	if r.Latest != nil {
		// Summarize ordered by the order key; the times exposed are the
		// contract's own.
		b := sorted[0]
		r.Latest.Start = b.start()
		if r.Latest.Finished() {
			r.Latest.End = b.end()
		}
	}
	if w.note != "" {
		r.Notes = append(r.Notes, w.note)
	}

	// Last success, last failure and the oldest point the Cluster can be
	// restored to: from its Backups, its plugin's ObjectStore window and
	// its own in-tree status, whichever is newest (oldest).
	r.LastSuccess, r.LastFailure, r.OldestSuccess = time.Time{}, time.Time{}, time.Time{}
	for _, b := range sorted {
		if s := b.state(); s == toolkit.StateSucceeded {
			r.LastSuccess = toolkit.ParseTime(b.Status.StoppedAt)
			break
		}
	}
	for _, b := range sorted {
		if b.state() == toolkit.StateFailed {
			r.LastFailure = toolkit.ParseTime(b.Status.StoppedAt)
			if r.LastFailure.IsZero() {
				r.LastFailure = toolkit.ParseTime(b.Status.StartedAt)
			}
			break
		}
	}
	successes := c.inTree(c.Status.LastSuccessfulBackupByMethod)
	firsts := c.inTree(c.Status.FirstRecoverabilityPointByMethod)
	failures := []time.Time{toolkit.ParseTime(c.Status.LastFailedBackup)}
	if s := w.store; s != nil {
		successes = append(successes, toolkit.ParseTime(s.LastSuccessfulBackupTime))
		firsts = append(firsts, toolkit.ParseTime(s.FirstRecoverabilityPoint))
		failures = append(failures, toolkit.ParseTime(s.LastFailedBackupTime))
	}
	r.LastSuccess = newest(r.LastSuccess, successes...)
	r.LastFailure = newest(r.LastFailure, failures...)
	r.OldestSuccess = oldest(firsts...)
	r.NoSuccessListed = r.LastSuccess.IsZero()

	unhealthy := func(reason string) {
		r.Healthy = false
		if r.Reason == "" {
			r.Reason = reason
		} else {
			r.Reason += "; " + reason
		}
	}
	if cond := c.condition("ContinuousArchiving"); cond != nil && cond.Status == "False" {
		unhealthy("WAL archiving is failing")
		if r.Latest == nil || r.Latest.Error == nil {
			r.Error = &toolkit.ErrorInfo{Code: "continuous_archiving", Message: cond.Message, Summary: "WAL archiving is failing: " + cond.Message}
		}
	}
	if cond := c.condition("LastBackupSucceeded"); cond != nil && cond.Status == "False" && cond.Reason == "LastBackupFailed" {
		unhealthy("the Cluster says its last backup failed: " + cond.Message)
	}
	if s := w.store; s != nil {
		failed, succeeded := toolkit.ParseTime(s.LastFailedBackupTime), toolkit.ParseTime(s.LastSuccessfulBackupTime)
		if !failed.IsZero() && failed.After(succeeded) {
			unhealthy("the ObjectStore's last backup failed")
		}
	}
	if len(scheduled) > 0 && allSuspended(scheduled) {
		unhealthy("every ScheduledBackup is suspended")
	}
	return r
}

// order is the Backup's place among the Cluster's: status.startedAt, else
// metadata.creationTimestamp.
func (b *backup) order() time.Time {
	if t := toolkit.ParseTime(b.Status.StartedAt); !t.IsZero() {
		return t
	}
	return toolkit.ParseTime(b.Metadata.CreationTimestamp)
}

// start is status.startedAt, else status.reconciliationStartedAt.
func (b *backup) start() time.Time {
	if t := toolkit.ParseTime(b.Status.StartedAt); !t.IsZero() {
		return t
	}
	return toolkit.ParseTime(b.Status.ReconciliationStartedAt)
}

// end is status.stoppedAt, else status.reconciliationTerminatedAt.
func (b *backup) end() time.Time {
	if t := toolkit.ParseTime(b.Status.StoppedAt); !t.IsZero() {
		return t
	}
	return toolkit.ParseTime(b.Status.ReconciliationTerminatedAt)
}

// state is the Backup's normalised state: its phase, or deleting while
// metadata.deletionTimestamp is set.
func (b *backup) state() toolkit.State {
	if b.Metadata.DeletionTimestamp != "" {
		return toolkit.StateDeleting
	}
	return toolkit.Normalise(phases, b.Status.Phase)
}

// toBackup is the Backup as Summarize reads it: Start is its order (the
// record's own start is set on the latest afterwards).
func (b *backup) toBackup() toolkit.Backup {
	out := toolkit.Backup{
		ID:        b.id(),
		Name:      b.Metadata.Name,
		RawStatus: b.Status.Phase,
		State:     b.state(),
		Start:     b.order(),
	}
	if code, ok := errorCodes[b.Status.Phase]; ok {
		msg := b.Status.Error
		if msg == "" {
			msg = b.Status.CommandError
		}
		out.Error = &toolkit.ErrorInfo{Code: code, Message: msg}
	}
	return out
}

func allSuspended(scheduled []*scheduledBackup) bool {
	for _, s := range scheduled {
		if !s.suspended() {
			return false
		}
	}
	return true
}

// newest is the latest of t and ts (zero times are none).
func newest(t time.Time, ts ...time.Time) time.Time {
	for _, u := range ts {
		if u.After(t) {
			t = u
		}
	}
	return t
}

// oldest is the earliest of ts that is set.
func oldest(ts ...time.Time) time.Time {
	var t time.Time
	for _, u := range ts {
		if !u.IsZero() && (t.IsZero() || u.Before(t)) {
			t = u
		}
	}
	return t
}

package azuredataprotection

import (
	"slices"
	"strings"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/collector/toolkit/schedule"
)

// The rules of docs/metrics.md (azure_dataprotection) that turn what is
// known of a backup instance into a record, and the records of the
// instances protecting one resource into one. They read typed items only,
// whatever read them.

// instanceData is what is known of one backup instance.
type instanceData struct {
	inst *backupInstance
	// jobs are its Backup jobs that started within the window.
	jobs []*job
	// detail is the own GET of its latest job (newestJob), read while
	// that job runs (nil: not read).
	detail *job
	// policy is what its backup policy says of its schedule (nil: the
	// policy could not be read).
	policy *policySchedule
	// points are its recovery points, when pointsRead; allPoints says
	// they are read on every poll (read_recovery_points), so that the
	// oldest success, the expiry and the counts come from them.
	points     []recoveryPoint
	pointsRead bool
	allPoints  bool
}

// policySchedule is what a backup policy says of how often backups run.
type policySchedule struct {
	// scheduled: the policy has a scheduled backup rule (an AzureBackupRule
	// triggered by a ScheduleBasedTriggerContext). A policy without one
	// (continuous or operational-tier only backups, such as blobs') takes
	// no backup jobs that could be late.
	scheduled bool
	// interval is the shortest period of its rules' schedules; 0 when
	// none parses.
	interval time.Duration
}

// schedule reads pol's rules (docs/metrics.md,
// backup_expected_interval_seconds).
func (pol *backupPolicy) schedule() policySchedule {
	var s policySchedule
	for _, r := range pol.Properties.PolicyRules {
		if !strings.EqualFold(r.ObjectType, "AzureBackupRule") || !strings.EqualFold(r.Trigger.ObjectType, "ScheduleBasedTriggerContext") {
			continue
		}
		s.scheduled = true
		for _, ri := range r.Trigger.Schedule.RepeatingTimeIntervals {
			if d, err := schedule.RepeatingInterval(ri); err == nil && (s.interval == 0 || d < s.interval) {
				s.interval = d
			}
		}
	}
	return s
}

// resourceID is the protected resource: the instance's
// dataSourceInfo.resourceID.
func (it *backupInstance) resourceID() string { return it.Properties.DataSourceInfo.ResourceID }

// label is the resource's name: dataSourceInfo.resourceName, else the
// instance's friendlyName, else its own name.
func (it *backupInstance) label() string {
	switch {
	case it.Properties.DataSourceInfo.ResourceName != "":
		return it.Properties.DataSourceInfo.ResourceName
	case it.Properties.FriendlyName != "":
		return it.Properties.FriendlyName
	}
	return azure.LastSegment(it.Name)
}

// protected reports an instance that protects its resource: any but one
// in currentProtectionState NotProtected.
func (it *backupInstance) protected() bool {
	return !strings.EqualFold(it.Properties.CurrentProtectionState, stateNotProtected)
}

// unhealthyReason names what in the instance's own state makes it
// unhealthy, or "".
func (it *backupInstance) unhealthyReason() string {
	p := it.Properties
	if slices.ContainsFunc(unhealthyStates, func(s string) bool { return strings.EqualFold(s, p.CurrentProtectionState) }) {
		return "protection state " + p.CurrentProtectionState
	}
	if strings.EqualFold(p.ProtectionStatus.Status, statusConfiguringProtectionFailed) {
		return "protection status " + p.ProtectionStatus.Status
	}
	return ""
}

// instanceError is the instance's own error: protectionErrorDetails, else
// protectionStatus.errorDetails.
func (it *backupInstance) instanceError() *toolkit.ErrorInfo {
	if e := it.Properties.ProtectionErrorDetails.info(); e != nil {
		return e
	}
	return it.Properties.ProtectionStatus.ErrorDetails.info()
}

// inWindow reports a Backup job (operationCategory Backup) that started
// at or after since.
func (j *job) inWindow(since time.Time) bool {
	if !strings.EqualFold(j.Properties.OperationCategory, "Backup") {
		return false
	}
	start := toolkit.ParseTime(j.Properties.StartTime)
	return !start.IsZero() && !start.Before(since)
}

// backup is the job as a backup: its status mapped, its times, and its
// first error entry.
func (j *job) backup() toolkit.Backup {
	p := j.Properties
	name := azure.LastSegment(j.Name)
	if name == "" {
		name = azure.LastSegment(j.ID)
	}
	b := toolkit.Backup{
		ID:        strings.ToLower(j.ID),
		Name:      name,
		RawStatus: p.Status,
		State:     toolkit.Normalise(jobStates, p.Status),
		Start:     toolkit.ParseTime(p.StartTime),
	}
	if b.State != toolkit.StateRunning && b.State != toolkit.StatePending {
		b.End = toolkit.ParseTime(p.EndTime)
	}
	for i := range p.ErrorDetails {
		if e := p.ErrorDetails[i].info(); e != nil {
			b.Error = e
			break
		}
	}
	return b
}

// backup is the recovery point as a backup: taken at its
// recoveryPointTime, its state mapped, expiring at its expiryTime.
func (rp *recoveryPoint) backup() toolkit.Backup {
	id := rp.Name
	if id == "" {
		id = strings.ToLower(rp.ID)
	}
	at := toolkit.ParseTime(rp.Properties.RecoveryPointTime)
	return toolkit.Backup{
		// The name: the API's own example gives two points one id.
		ID:        id,
		Name:      azure.LastSegment(rp.Name),
		RawStatus: rp.Properties.RecoveryPointState,
		State:     toolkit.Normalise(recoveryPointStates, rp.Properties.RecoveryPointState),
		Start:     at,
		End:       at,
		Expiry:    toolkit.ParseTime(rp.Properties.ExpiryTime),
	}
}

// newestJob is the job with the newest start (the first of them in the
// list on a tie).
func newestJob(jobs []*job) *job {
	var newest *job
	var at time.Time
	for _, j := range jobs {
		if t := toolkit.ParseTime(j.Properties.StartTime); newest == nil || t.After(at) {
			newest, at = j, t
		}
	}
	return newest
}

// record is one instance's record (docs/metrics.md, azure_dataprotection).
func (d *instanceData) record() toolkit.Resource {
	it := d.inst
	id, name := it.resourceID(), it.label()
	tags := azure.LookedUpTags(id)
	if !it.protected() {
		r := toolkit.Unprotected(id, name)
		r.Tags = tags
		return r
	}
	backups := make([]toolkit.Backup, 0, len(d.jobs))
	for _, j := range d.jobs {
		backups = append(backups, j.backup())
	}
	points := make([]toolkit.Backup, 0, len(d.points))
	for i := range d.points {
		points = append(points, d.points[i].backup())
	}
	var r toolkit.Resource
	switch {
	case len(backups) > 0:
		// The latest backup is the newest job; last success and failure
		// are the jobs'.
		r = toolkit.Summarize(id, name, backups, false)
		if d.detail != nil && d.detail.Properties.ExtendedInfo != nil {
			r.Latest.Transferred = d.detail.Properties.ExtendedInfo.DataTransferredInBytes
		}
	case len(points) > 0:
		// No job in the window: the newest recovery point is the latest
		// backup. Failures are the jobs' alone.
		r = toolkit.Summarize(id, name, points, false)
		r.LastSuccess, r.LastFailure = time.Time{}, time.Time{}
	default:
		r = toolkit.Resource{ID: id, Name: name, Protected: true, Healthy: true}
	}
	r.Tags = tags
	newestPoint, newestSuccess, oldestSuccess := pointTimes(points)
	if r.LastSuccess.IsZero() {
		r.LastSuccess = newestSuccess
	}
	scheduled := d.policy == nil || d.policy.scheduled
	switch {
	case !scheduled:
		// No scheduled backups: none can be late.
		r.LastSuccess, r.NoSuccessListed = time.Time{}, false
	case r.LastSuccess.IsZero() && d.pointsRead:
		// Every recovery point it keeps was listed, and none succeeded.
		r.NoSuccessListed = true
	}
	if d.allPoints {
		r.OldestSuccess = oldestSuccess
		r.Counts = make(map[toolkit.State]int, len(toolkit.States))
		for _, b := range points {
			r.Counts[b.State]++
		}
		if r.Latest != nil && newestPoint != nil {
			r.Latest.Expiry = newestPoint.Expiry
		}
	} else if r.Latest != nil {
		r.Latest.Expiry = time.Time{}
	}
	if d.policy != nil {
		r.ExpectedInterval = d.policy.interval
	}
	if s := it.Properties.CurrentProtectionState; strings.EqualFold(s, stateSoftDeleting) || strings.EqualFold(s, stateSoftDeleted) {
		r.State = toolkit.StateDeleting
	}
	if why := it.unhealthyReason(); why != "" {
		r.Healthy = false
		r.Reason = why
	}
	if r.CurrentError() == nil {
		r.Error = it.instanceError()
	}
	return r
}

// pointTimes are the newest recovery point (by time, the first listed on
// a tie), the newest succeeded one's time and the oldest succeeded one's.
func pointTimes(points []toolkit.Backup) (newest *toolkit.Backup, newestSuccess, oldestSuccess time.Time) {
	for i := range points {
		b := &points[i]
		if newest == nil || b.Start.After(newest.Start) {
			newest = b
		}
		if !b.Succeeded() || b.Start.IsZero() {
			continue
		}
		if b.Start.After(newestSuccess) {
			newestSuccess = b.Start
		}
		if oldestSuccess.IsZero() || b.Start.Before(oldestSuccess) {
			oldestSuccess = b.Start
		}
	}
	return newest, newestSuccess, oldestSuccess
}

// merge makes one record of the records of the instances that protect
// one resource (in two vaults, say): protected if any is, healthy only if
// every protecting one is, the latest backup the newest across them (with
// its state, status and error), the newest last success and failure, the
// oldest success, the counts summed, and the shortest expected interval.
// The first record gives the resource's ID and name.
func merge(rs []toolkit.Resource) toolkit.Resource {
	if len(rs) == 1 {
		return rs[0]
	}
	var protected []*toolkit.Resource
	for i := range rs {
		if rs[i].Protected {
			protected = append(protected, &rs[i])
		}
	}
	if len(protected) == 0 {
		return rs[0]
	}
	base := protected[0]
	for _, r := range protected[1:] {
		if r.Latest != nil && (base.Latest == nil || r.Latest.Start.After(base.Latest.Start)) {
			base = r
		}
	}
	out := *base
	out.ID, out.Name, out.Tags = rs[0].ID, rs[0].Name, rs[0].Tags
	out.Notes = nil
	anyNoSuccess := false
	for _, r := range protected {
		if !r.Healthy && out.Healthy {
			out.Healthy, out.Reason = false, r.Reason
			if out.CurrentError() == nil {
				out.Error = r.CurrentError()
			}
		}
		if r.LastSuccess.After(out.LastSuccess) {
			out.LastSuccess = r.LastSuccess
		}
		if r.LastFailure.After(out.LastFailure) {
			out.LastFailure = r.LastFailure
		}
		if !r.OldestSuccess.IsZero() && (out.OldestSuccess.IsZero() || r.OldestSuccess.Before(out.OldestSuccess)) {
			out.OldestSuccess = r.OldestSuccess
		}
		if r.ExpectedInterval > 0 && (out.ExpectedInterval == 0 || r.ExpectedInterval < out.ExpectedInterval) {
			out.ExpectedInterval = r.ExpectedInterval
		}
		anyNoSuccess = anyNoSuccess || r.NoSuccessListed
		out.Notes = append(out.Notes, r.Notes...)
	}
	out.NoSuccessListed = out.LastSuccess.IsZero() && anyNoSuccess
	out.Counts = nil
	for _, r := range protected {
		if r.Counts == nil {
			continue
		}
		if out.Counts == nil {
			out.Counts = map[toolkit.State]int{}
		}
		for s, n := range r.Counts {
			out.Counts[s] += n
		}
	}
	return out
}

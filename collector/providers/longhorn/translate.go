package longhorn

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/collector/toolkit/schedule"
)

// maxSchedules bounds the distinct RecurringJob schedules whose
// interval one poll computes.
const maxSchedules = 1000

// errTooManySchedules is why a schedule past maxSchedules has no interval.
var errTooManySchedules = errors.New("more than 1000 distinct backup schedules in one poll: not computed")

// index is one poll's lists arranged for the Volumes' records.
type index struct {
	backups map[string][]*backup // by volume name
	// lastBackupAt is the newest BackupVolume status.lastBackupAt of each
	// volume (one BackupVolume per backup target).
	lastBackupAt map[string]time.Time
	jobs         []*recurringJob // backup tasks only
	// intervals are the jobs' cron intervals (0: none).
	intervals map[*recurringJob]time.Duration
	targets   map[string]*backupTarget
}

// newIndex arranges the lists; noInterval is told of each backup job
// whose schedule yields no interval at now.
func newIndex(l *lists, now time.Time, noInterval func(job, cron string, err error)) *index {
	ix := &index{
		backups:      map[string][]*backup{},
		lastBackupAt: map[string]time.Time{},
		intervals:    map[*recurringJob]time.Duration{},
		targets:      map[string]*backupTarget{},
	}
	for i := range l.backups {
		b := &l.backups[i]
		v := firstNonEmpty(b.Metadata.Labels.Volume, b.Status.VolumeName)
		ix.backups[v] = append(ix.backups[v], b)
	}
	for i := range l.backupVolumes {
		bv := &l.backupVolumes[i]
		v := firstNonEmpty(bv.Metadata.Labels.Volume, bv.Spec.VolumeName)
		if t := toolkit.ParseTime(bv.Status.LastBackupAt); t.After(ix.lastBackupAt[v]) {
			ix.lastBackupAt[v] = t
		}
	}
	// Each distinct schedule is computed once (it walks up to 10,000 fire
	// times), and at most maxSchedules of them per poll: an upstream that
	// lists thousands of distinct crons cannot make a poll run for
	// minutes.
	computed := map[string]time.Duration{}
	for i := range l.jobs {
		j := &l.jobs[i]
		if !backupTasks[j.Spec.Task] {
			continue
		}
		ix.jobs = append(ix.jobs, j)
		d, ok := computed[j.Spec.Cron]
		if !ok {
			var err error
			if len(computed) < maxSchedules {
				d, err = schedule.Interval(j.Spec.Cron, schedule.StandardUTC, now)
			} else {
				err = errTooManySchedules
			}
			if err != nil {
				noInterval(j.Metadata.Name, j.Spec.Cron, err)
			}
			computed[j.Spec.Cron] = d
		}
		ix.intervals[j] = d
	}
	for i := range l.targets {
		ix.targets[l.targets[i].Metadata.Name] = &l.targets[i]
	}
	return ix
}

// resource is one Volume's record (docs/metrics.md, longhorn).
func (ix *index) resource(v *volume) toolkit.Resource {
	id := v.Metadata.Name
	name := id
	if k := v.Status.KubernetesStatus; k.Namespace != "" && k.PVCName != "" && k.LastPVCRefAt == "" {
		name = k.Namespace + "/" + k.PVCName
	}
	backups := ix.backups[id]
	converted := make([]toolkit.Backup, 0, len(backups))
	for _, b := range backups {
		converted = append(converted, b.toBackup())
	}
	jobs := ix.jobsOf(v.Metadata.Labels)
	r := toolkit.Summarize(id, name, converted, true)
	if r.Latest != nil {
		// The latest is chosen by snapshotCreatedAt, else the creation
		// time, but only snapshotCreatedAt is a start (a new or Pending
		// Backup has none).
		for _, b := range backups {
			if b.Metadata.Name == r.Latest.ID && b.Status.SnapshotCreatedAt == "" {
				r.Latest.Start = time.Time{}
			}
		}
	}
	r.Tags.Kind = toolkit.KubernetesLabels // Values: the provider's, when wanted
	if len(converted) == 0 && len(jobs) > 0 {
		// A backup job but no backup yet: protected, never backed up.
		r.Protected, r.Counts = true, map[toolkit.State]int{}
	}
	if !r.Protected {
		return r
	}
	if r.LastSuccess.IsZero() {
		// No Completed Backup gives an upload time: the BackupVolume's
		// last backup (a snapshot time), else 0.
		r.LastSuccess = ix.lastBackupAt[id]
		r.NoSuccessListed = r.LastSuccess.IsZero()
	}
	for _, j := range jobs {
		if d := ix.intervals[j]; d > 0 && (r.ExpectedInterval == 0 || d < r.ExpectedInterval) {
			r.ExpectedInterval = d
		}
	}
	ix.targetHealth(&r, firstNonEmpty(v.Spec.BackupTargetName, defaultTarget))
	return r
}

// jobsOf are the backup RecurringJobs that apply to a Volume with labels:
// recurring-job.longhorn.io/<job>: enabled, or
// recurring-job-group.longhorn.io/<group>: enabled for one of the job's
// groups. A Volume with no job or group label at all is in the default
// group (as Longhorn labels it, datastore.FixupRecurringJob).
func (ix *index) jobsOf(labels map[string]string) []*recurringJob {
	implicitDefault := true
	for k := range labels {
		if strings.HasPrefix(k, jobPrefix) || strings.HasPrefix(k, groupPrefix) {
			implicitDefault = false
			break
		}
	}
	var out []*recurringJob
	for _, j := range ix.jobs {
		applies := labels[jobPrefix+"/"+j.Metadata.Name] == enabled
		for _, g := range j.Spec.Groups {
			applies = applies || labels[groupPrefix+"/"+g] == enabled || (implicitDefault && g == defaultGroup)
		}
		if applies {
			out = append(out, j)
		}
	}
	return out
}

// targetHealth makes r unhealthy, with the target's reason, while the
// Volume's backup target says it is unavailable.
func (ix *index) targetHealth(r *toolkit.Resource, name string) {
	t := ix.targets[name]
	if t == nil || t.Status.Available == nil || *t.Status.Available {
		return
	}
	msg := ""
	for _, c := range t.Status.Conditions {
		if c.Type == "Unavailable" && c.Status == "True" {
			msg = c.Message
			break
		}
	}
	reason := "backup target " + name + " is unavailable"
	summary := reason
	if msg != "" {
		summary += ": " + msg
	}
	r.Healthy = false
	r.Error = &toolkit.ErrorInfo{Code: "backup_target_unavailable", Message: msg, Summary: summary}
	if r.Reason == "" {
		r.Reason = reason
	}
}

func (b *backup) toBackup() toolkit.Backup {
	s := &b.Status
	out := toolkit.Backup{
		ID:        b.Metadata.Name,
		Name:      b.Metadata.Name,
		RawStatus: firstNonEmpty(s.State, "New"),
		State:     toolkit.Normalise(states, s.State),
		Start:     toolkit.ParseTime(firstNonEmpty(s.SnapshotCreatedAt, b.Metadata.CreationTimestamp)),
		Size:      byteCount(s.Size),
	}
	if d := b.Metadata.DeletionTimestamp; d != nil && *d != "" {
		out.State = toolkit.StateDeleting
	}
	if out.State == toolkit.StateSucceeded {
		out.End = toolkit.ParseTime(s.BackupCreatedAt)
	}
	if p := s.Progress; p != nil && *p >= 0 && *p <= 100 {
		out.Progress = toolkit.Float(*p / 100)
	}
	// Transferred: the new and the re-uploaded bytes, either alone when
	// the other is not given.
	for _, n := range []*float64{byteCount(s.NewlyUploadDataSize), byteCount(s.ReUploadedDataSize)} {
		if n != nil {
			out.Transferred = toolkit.Float(*n + deref(out.Transferred))
		}
	}
	if out.State == toolkit.StateFailed {
		out.Error = &toolkit.ErrorInfo{Code: "error", Message: firstNonEmpty(s.Error, firstMessage(s.Messages))}
	}
	return out
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

// byteCount reads a size Longhorn gives as a decimal string of bytes; nil
// when it gives none or something else.
func byteCount(s string) *float64 {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return nil
	}
	return toolkit.Float(float64(n))
}

// firstMessage is the value of the first key, in sorted order, of a
// status.messages map (a map has no order of its own).
func firstMessage(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if m[k] != "" {
			return m[k]
		}
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

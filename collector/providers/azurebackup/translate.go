package azurebackup

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// resource turns a record into a Resource, reading the details of its
// latest job when it is in progress (for its progress), unless the
// target reads Resource Graph with progress_from_arm false.
func (p *provider) resource(ctx context.Context, vaultPath string, rec record) (toolkit.Resource, error) {
	it := rec.item
	id, name := rec.identity()
	backups := make([]toolkit.Backup, 0, len(rec.jobs))
	for _, j := range rec.jobs {
		backups = append(backups, j.toBackup())
	}
	var r toolkit.Resource
	if len(backups) > 0 {
		r = toolkit.Summarize(id, name, backups, true)
		if r.Latest.State == toolkit.StateRunning && p.progress {
			latest := newestJob(rec.jobs)
			var detail job
			if err := p.arm.Get(ctx, vaultPath+"/backupJobs/"+url.PathEscape(azure.LastSegment(latest.Name)), p.apiVersion, &detail); err != nil {
				return toolkit.Resource{}, fmt.Errorf("get Backup job %q of %q: %w", latest.Name, name, err)
			}
			if pc := detail.Properties.ExtendedInfo.ProgressPercentage; pc != nil {
				r.Latest.Progress = toolkit.Float(*pc / 100)
			}
		}
	} else {
		// No job in the window: the item's own last backup status, started
		// at lastBackupTime.
		var only []toolkit.Backup
		if st := it.Properties.LastBackupStatus; st != "" {
			only = []toolkit.Backup{{
				RawStatus: st,
				State:     toolkit.Normalise(lastBackupStates, st),
				Start:     toolkit.ParseTime(it.Properties.LastBackupTime),
			}}
		}
		r = toolkit.Summarize(id, name, only, false)
		r.Counts = map[toolkit.State]int{}
	}
	// The last success is the newest succeeded job's end, else what the
	// item says; an item with neither was never backed up.
	if r.LastSuccess.IsZero() {
		r.LastSuccess = it.lastSuccess()
	}
	r.NoSuccessListed = r.LastSuccess.IsZero()
	// The jobs are a window's, not every recovery point kept: no
	// recovery window.
	r.OldestSuccess = time.Time{}
	r.Protected = true
	if it.Properties.IsScheduledForDeferredDelete {
		r.State = toolkit.StateDeleting
	}
	if why := it.unhealthyReason(); why != "" {
		r.Healthy = false
		r.Reason = why
	}
	r.Error = errorInfo(r.CurrentError(), it, rec.jobs, r.CurrentState() == toolkit.StateFailed || it.unhealthy())
	r.Tags = azure.LookedUpTags(it.Properties.SourceResourceID)
	return r, nil
}

// errorInfo is backup_error_info (metrics.md): code = the latest job's
// first errorDetails.errorCode, message = that entry's errorString, each
// taken from the item's first healthDetails entry when the job has none
// (field by field); a failure without error details, or an item in
// trouble, says why through its health details alone. A message still
// empty falls back to the job entry's errorTitle.
func errorInfo(fromJob *toolkit.ErrorInfo, it *protectedItem, jobs []*job, trouble bool) *toolkit.ErrorInfo {
	health := it.healthError()
	if fromJob == nil {
		if trouble {
			return health
		}
		return nil
	}
	e := *fromJob
	if health != nil {
		if e.Code == "" {
			e.Code = health.Code
		}
		if e.Message == "" {
			e.Message = health.Message
		}
	}
	if e.Message == "" && len(jobs) > 0 {
		if d := newestJob(jobs).Properties.ErrorDetails; len(d) > 0 {
			e.Message = d[0].ErrorTitle
		}
	}
	return &e
}

// lastSuccess is the item's own account of its last good backup, for an
// item without a succeeded job in the window: the newer of
// lastRecoveryPoint and, when lastBackupStatus says it succeeded,
// lastBackupTime.
func (it *protectedItem) lastSuccess() time.Time {
	last := toolkit.ParseTime(it.Properties.LastRecoveryPoint)
	if toolkit.Normalise(lastBackupStates, it.Properties.LastBackupStatus) == toolkit.StateSucceeded {
		if t := toolkit.ParseTime(it.Properties.LastBackupTime); t.After(last) {
			last = t
		}
	}
	return last
}

// resourceID is the protected resource (docs/metrics.md): the item's
// sourceResourceId (a VM); a file share's own ID under its storage account
// (the share's source; the ID must not change when a second share of the
// account is protected); the item itself for workload items (a database
// inside a VM, whose source is the VM).
func (it *protectedItem) resourceID() string {
	p := it.Properties
	switch {
	case p.SourceResourceID == "" || strings.EqualFold(p.BackupManagementType, "AzureWorkload"):
		return it.ID
	case it.isShare():
		return it.shareID()
	}
	return p.SourceResourceID
}

// isShare reports a file share whose source is its storage account.
func (it *protectedItem) isShare() bool {
	p := it.Properties
	src := strings.ToLower(p.SourceResourceID)
	return strings.EqualFold(p.WorkloadType, "AzureFileShare") && p.FriendlyName != "" &&
		strings.Contains(src, "/microsoft.storage/storageaccounts/") && !strings.Contains(src, "/shares/")
}

// shareID is a file share's own ARM ID under its storage account.
func (it *protectedItem) shareID() string {
	return strings.TrimRight(it.Properties.SourceResourceID, "/") + "/fileServices/default/shares/" + it.Properties.FriendlyName
}

func (it *protectedItem) label() string {
	if it.Properties.FriendlyName != "" {
		return it.Properties.FriendlyName
	}
	return azure.LastSegment(it.Name)
}

// unhealthy reports the item's own signs of trouble (docs/metrics.md).
func (it *protectedItem) unhealthy() bool { return it.unhealthyReason() != "" }

// unhealthyReason names the item's first sign of trouble, or "".
func (it *protectedItem) unhealthyReason() string {
	p := it.Properties
	if strings.EqualFold(p.ProtectionState, "ProtectionError") || strings.EqualFold(p.ProtectionState, "ProtectionStopped") {
		return "protection state " + p.ProtectionState
	}
	if strings.EqualFold(p.HealthStatus, "ActionRequired") {
		return "health status " + p.HealthStatus
	}
	for _, k := range p.KPIsHealths {
		if strings.EqualFold(k.ResourceHealthStatus, "TransientUnhealthy") || strings.EqualFold(k.ResourceHealthStatus, "PersistentUnhealthy") {
			return "KPI health " + k.ResourceHealthStatus
		}
	}
	return ""
}

// healthError is the item's first health detail, if any.
func (it *protectedItem) healthError() *toolkit.ErrorInfo {
	for _, d := range it.Properties.HealthDetails {
		msg := d.Message
		if msg == "" {
			msg = d.Title
		}
		code := strings.Trim(string(d.Code), `"`)
		if code == "null" {
			code = ""
		}
		if msg != "" || code != "" {
			return &toolkit.ErrorInfo{Code: code, Message: msg}
		}
	}
	return nil
}

// resourceID is the VM (as a protected item's sourceResourceId is), else
// the protectable item.
func (it *protectableItem) resourceID() string {
	if it.Properties.VirtualMachineID != "" {
		return it.Properties.VirtualMachineID
	}
	return it.ID
}

func (it *protectableItem) label() string {
	if it.Properties.FriendlyName != "" {
		return it.Properties.FriendlyName
	}
	return azure.LastSegment(it.Name)
}

func (j *job) toBackup() toolkit.Backup {
	p := j.Properties
	b := toolkit.Backup{
		ID:        strings.ToLower(j.ID),
		Name:      azure.LastSegment(j.Name),
		RawStatus: p.Status,
		State:     toolkit.Normalise(jobStates, p.Status),
		Start:     toolkit.ParseTime(p.StartTime),
	}
	if b.State != toolkit.StateRunning {
		b.End = toolkit.ParseTime(p.EndTime)
	}
	if pc := p.ExtendedInfo.ProgressPercentage; pc != nil {
		b.Progress = toolkit.Float(*pc / 100)
	}
	if len(p.ErrorDetails) > 0 {
		d := p.ErrorDetails[0]
		code := strings.Trim(string(d.ErrorCode), `"`)
		if code == "null" {
			code = ""
		}
		// The message may come from the item's health details or the
		// entry's title (errorInfo): a code or a title alone is an error.
		if code != "" || d.ErrorString != "" || d.ErrorTitle != "" {
			b.Error = &toolkit.ErrorInfo{Code: code, Message: d.ErrorString}
		}
	}
	return b
}

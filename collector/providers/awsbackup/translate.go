package awsbackup

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// taggedResource is the resource's record, whose tags are looked up by
// its ARN (ListProtectedResources carries none) in the Resource Groups
// Tagging API.
func (p *provider) taggedResource(ctx context.Context, r *resource) (toolkit.Resource, error) {
	out, err := p.resource(ctx, r)
	out.Tags = toolkit.Tags{Kind: toolkit.CloudTags, Lookup: r.arn}
	return out, err
}

// resource builds one record: from its jobs when one completed in the
// window, else also from its recovery points (the last success may be
// older than the window, or never).
func (p *provider) resource(ctx context.Context, r *resource) (toolkit.Resource, error) {
	id, name := r.identity()
	backups := make([]toolkit.Backup, len(r.jobs))
	completed := false
	for i := range r.jobs {
		backups[i] = jobBackup(&r.jobs[i])
		completed = completed || backups[i].Succeeded()
	}
	if completed {
		r := toolkit.Summarize(id, name, backups, true)
		// The jobs are a window's, not every recovery point kept.
		r.OldestSuccess = time.Time{}
		return r, nil
	}

	vault := r.lastVault
	if vault == "" && len(r.jobs) > 0 {
		vault = aws.ToString(newestJob(r.jobs).BackupVaultName)
	}
	var points []toolkit.Backup
	if vault != "" {
		listed, err := p.recoveryPoints(ctx, vault, r.arn)
		if err != nil {
			return toolkit.Resource{}, err
		}
		for i := range listed {
			// A nested recovery point is a part of its parent's backup.
			if !listed[i].child() {
				points = append(points, pointBackup(&listed[i]))
			}
		}
	}
	var out toolkit.Resource
	if len(backups) > 0 {
		out = toolkit.Summarize(id, name, backups, true)
		fromPoints := toolkit.Summarize(id, name, points, true)
		out.LastSuccess, out.NoSuccessListed = fromPoints.LastSuccess, fromPoints.LastSuccess.IsZero()
		// The vault's recovery points of the resource are all it keeps.
		out.OldestSuccess = fromPoints.OldestSuccess
	} else {
		out = toolkit.Summarize(id, name, points, true)
	}
	if vault == "" && !r.lastBackup.IsZero() {
		// No vault to look in: the protected resource's own last backup.
		out.LastSuccess, out.NoSuccessListed = r.lastBackup, false
	}
	// Listed by AWS Backup, so selected by a plan: protected, even with
	// no recovery point yet (last success 0).
	out.Protected = true
	return out, nil
}

func newestJob(jobs []backupJob) *backupJob {
	newest := &jobs[0]
	for i := range jobs[1:] {
		if j := &jobs[i+1]; aws.ToTime(j.CreationDate).After(aws.ToTime(newest.CreationDate)) {
			newest = j
		}
	}
	return newest
}

func jobBackup(j *backupJob) toolkit.Backup {
	state := string(j.State)
	b := toolkit.Backup{
		ID:        aws.ToString(j.BackupJobId),
		Name:      aws.ToString(j.BackupJobId),
		RawStatus: state,
		State:     toolkit.Normalise(jobStates, state),
		Start:     aws.ToTime(j.CreationDate),
		End:       aws.ToTime(j.CompletionDate),
	}
	if pd := aws.ToString(j.PercentDone); pd != "" {
		if v, err := strconv.ParseFloat(pd, 64); err == nil {
			b.Progress = toolkit.Float(v / 100)
		}
	}
	if j.BytesTransferred != nil {
		b.Transferred = toolkit.Float(float64(*j.BytesTransferred))
	}
	if j.BackupSizeInBytes != nil {
		b.Size = toolkit.Float(float64(*j.BackupSizeInBytes))
	}
	if state != "COMPLETED" && (aws.ToString(j.MessageCategory) != "" || aws.ToString(j.StatusMessage) != "") {
		b.Error = &toolkit.ErrorInfo{Code: aws.ToString(j.MessageCategory), Message: aws.ToString(j.StatusMessage)}
	}
	return b
}

func pointBackup(rp *recoveryPoint) toolkit.Backup {
	status := string(rp.Status)
	b := toolkit.Backup{
		ID:        aws.ToString(rp.RecoveryPointArn),
		Name:      aws.ToString(rp.RecoveryPointArn),
		RawStatus: status,
		State:     toolkit.Normalise(recoveryPointStates, status),
		Start:     aws.ToTime(rp.CreationDate),
		End:       aws.ToTime(rp.CompletionDate),
	}
	if rp.BackupSizeInBytes != nil {
		b.Size = toolkit.Float(float64(*rp.BackupSizeInBytes))
	}
	if rp.CalculatedLifecycle != nil {
		b.Expiry = aws.ToTime(rp.CalculatedLifecycle.DeleteAt)
	}
	return b
}

// vaultName is the name in a backup vault ARN
// (arn:aws:backup:region:account:backup-vault:name).
func vaultName(arn string) string {
	if i := strings.LastIndex(arn, ":backup-vault:"); i >= 0 {
		return arn[i+len(":backup-vault:"):]
	}
	return ""
}

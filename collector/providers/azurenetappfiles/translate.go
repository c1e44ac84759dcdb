package azurenetappfiles

import (
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// resource combines a volume's vault backups with its live status st
// (nil when backup is not configured).
func (v anfVolume) resource(st *anfBackupStatus, backups []toolkit.Backup, listed bool) toolkit.Resource {
	r := v.record(st, backups, listed)
	r.Tags = v.tags
	return r
}

// record is the volume's record without its tags.
func (v anfVolume) record(st *anfBackupStatus, backups []toolkit.Backup, listed bool) toolkit.Resource {
	if !v.configured && len(backups) == 0 {
		return toolkit.Unprotected(v.id, v.name)
	}
	r := toolkit.Summarize(v.id, v.name, backups, listed)
	if len(backups) == 0 && listed {
		// Backup is configured but no backup exists yet: a never-backed-up
		// volume, which freshness alerts must catch.
		r = toolkit.Resource{ID: v.id, Name: v.name, Protected: true, Healthy: true, NoSuccessListed: true, Counts: map[toolkit.State]int{}}
	}
	if !v.configured {
		// Backups remain in a vault but backup is no longer configured:
		// there is no live status to read, so no relationshipStatus.
		latest := *r.Latest
		latest.RawStatus = ""
		r.Latest = &latest
		return r
	}
	st.apply(&r)
	return r
}

// apply overlays the live status on the record built from vault backups
// (docs/metrics.md: ANF state normalisation, health and error rules).
func (s *anfBackupStatus) apply(r *toolkit.Resource) {
	unhealthy := s.Healthy != nil && !*s.Healthy
	switch {
	case unhealthy:
		r.State = toolkit.StateFailed
	case s.RelationshipStatus == "Transferring":
		r.State = toolkit.StateRunning
	case s.MirrorState == "Uninitialized":
		r.State = toolkit.StatePending
	case s.RelationshipStatus == "Failed":
		r.State = toolkit.StateFailed
	case s.RelationshipStatus == "Idle", s.RelationshipStatus == "":
		r.State = toolkit.StateSucceeded
	default:
		// "Unknown", and any value the API document does not list.
		r.State = toolkit.StateUnknown
	}
	switch {
	case unhealthy:
		r.Healthy = false
		r.Reason = "Azure reports the volume's backup unhealthy"
		if s.UnhealthyReason != "" {
			r.Reason += ": " + s.UnhealthyReason
		}
	case s.RelationshipStatus == "Failed":
		r.Healthy = false
		r.Reason = "relationship status Failed"
	}
	if unhealthy || s.ErrorMessage != "" {
		msg := s.ErrorMessage
		if msg == "" {
			msg = s.UnhealthyReason
		}
		r.Error = &toolkit.ErrorInfo{Code: "unhealthy", Message: msg}
	}
	r.Extra = append(r.Extra, famMirrorState.StateSet(mirrorStates, s.MirrorState)...)
	if s.MirrorState == "Broken" {
		r.Notes = append(r.Notes, "mirror broken")
	}
	r.Extra = append(r.Extra, famRelationshipStatus.StateSet(relationshipStatuses, s.RelationshipStatus)...)
	r.Extra = append(r.Extra, famLastTransferSize.Value(s.LastTransferSize)...)
	r.Extra = append(r.Extra, famTransferBytesTotal.Value(s.TotalTransferBytes)...)
	// The latest backup is the newest vault backup (or none yet: backup_info
	// then has an empty backup name); its status in backup_info and its
	// transferred bytes are the live ones.
	latest := toolkit.Backup{}
	if r.Latest != nil {
		latest = *r.Latest
	}
	latest.RawStatus = s.RelationshipStatus
	latest.Transferred = s.TransferProgressBytes
	r.Latest = &latest
}

func (b *anfVaultBackup) toBackup() toolkit.Backup {
	p := b.Properties
	out := toolkit.Backup{
		ID: strings.ToLower(b.ID),
		// A copy: the segment would keep the whole name alive.
		Name:      strings.Clone(azure.LastSegment(b.Name)),
		RawStatus: p.ProvisioningState,
		State:     toolkit.Normalise(vaultBackupStates, p.ProvisioningState),
		Start:     toolkit.ParseTime(p.CreationDate),
		Size:      p.Size,
	}
	if out.State == toolkit.StateSucceeded || out.State == toolkit.StateFailed {
		out.End = toolkit.ParseTime(p.CompletionDate)
	}
	return out
}

// volumeKeySegments are the collection names of a volume's ARM ID, in
// lower case, and the part each names: the API's own examples spell the
// pool segment of a backup's volumeResourceId "capacityPool", where the
// volume's ID has "capacityPools".
var volumeKeySegments = map[string]int{
	"subscriptions": 0, "resourcegroups": 1, "netappaccounts": 2,
	"capacitypools": 3, "capacitypool": 3, "volumes": 4,
}

// volumeKey is the identity of a volume's ARM ID by its parts
// (subscription, resource group, account, pool, volume; case-insensitive),
// so that a backup's volumeResourceId finds its volume however the
// collection names are spelled (metrics.md, "Which backup is which"). An ID
// without those five parts is compared whole, case-insensitively.
func volumeKey(id string) string {
	var parts [5]string
	segments := strings.Split(strings.Trim(id, "/"), "/")
	for i := 0; i+1 < len(segments); i += 2 {
		if n, ok := volumeKeySegments[strings.ToLower(segments[i])]; ok {
			parts[n] = strings.ToLower(segments[i+1])
		}
	}
	for _, p := range parts {
		if p == "" {
			return strings.ToLower(id)
		}
	}
	return strings.Join(parts[:], "/")
}

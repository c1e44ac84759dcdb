package longhorn

import (
	"regexp"

	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "longhorn"

// DefaultNamespace is where Longhorn's custom resources live unless the
// target says otherwise.
const DefaultNamespace = "longhorn-system"

// reNamespace is a Kubernetes namespace name (a DNS-1123 label).
var reNamespace = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// Spec is the target's keys.
type Spec struct {
	// Namespace is where Longhorn's Volumes, Backups, BackupVolumes,
	// RecurringJobs and BackupTargets are read; default longhorn-system.
	Namespace string `yaml:"namespace,omitempty"`
	// BackupTargets reads the BackupTargets: a Volume is unhealthy while
	// its target is unavailable; default true.
	BackupTargets *bool `yaml:"backup_targets,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	if !v.Has("namespace") {
		s.Namespace = DefaultNamespace
	}
	if !reNamespace.MatchString(s.Namespace) {
		return v.Errorf("namespace", "namespace %s is not a namespace name (lower-case letters, digits and '-', at most 63)", v.Shown("namespace", s.Namespace))
	}
	if s.BackupTargets == nil {
		s.BackupTargets = new(bool)
		*s.BackupTargets = true
	}
	return nil
}

// Type is the longhorn provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: kubernetes.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "Longhorn",
	States: []toolkit.StateTable{
		{Field: "Backup `status.state` (empty: `New` in `backup_info`)", Table: states},
	},
	New: newProvider,
}

// states maps a Backup's status.state ("" is Longhorn's BackupStateNew).
var states = map[string]toolkit.State{
	"":           toolkit.StatePending,
	"Pending":    toolkit.StatePending,
	"InProgress": toolkit.StateRunning,
	"Completed":  toolkit.StateSucceeded,
	"Error":      toolkit.StateFailed,
	"Deleting":   toolkit.StateDeleting,
	"Unknown":    toolkit.StateUnknown,
}

// Longhorn's label keys and values (longhorn-manager types/types.go); the
// label backup-volume (unprefixed) of Backups and BackupVolumes is read
// through its struct tag (api.go).
const (
	// jobPrefix and groupPrefix start a Volume's recurring job and group
	// labels: recurring-job.longhorn.io/<job>, recurring-job-group.longhorn.io/<group>.
	jobPrefix   = "recurring-job.longhorn.io"
	groupPrefix = "recurring-job-group.longhorn.io"
	// enabled is the value of a job or group label that applies.
	enabled = "enabled"
	// defaultGroup is the group of a Volume with no job or group label.
	defaultGroup = "default"
	// defaultTarget is a Volume's backup target when it names none.
	defaultTarget = "default"
)

// backupTasks are the RecurringJob tasks that make backups.
var backupTasks = map[string]bool{"backup": true, "backup-force-create": true}

package velero

import (
	"regexp"
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "velero"

// DefaultNamespace is where Velero runs unless the target says otherwise.
const DefaultNamespace = "velero"

// What a Schedule or Backup with a label selector covers
// (label_selector_coverage).
const (
	CoverageNamed = "named"
	CoverageAll   = "all"
	CoverageNone  = "none"
)

// reNamespace is a Kubernetes namespace name (a DNS-1123 label).
var reNamespace = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// reNamespaceGlob is a namespace name with the glob characters *, ? and
// [...] (checked for balance separately).
var reNamespaceGlob = regexp.MustCompile(`^[-a-z0-9*?\[\]]{1,63}$`)

// Spec is the target's keys (docs/providers/velero.md).
type Spec struct {
	// Namespace is where Velero runs and keeps its Backups, Schedules and
	// BackupStorageLocations (default velero).
	Namespace string `yaml:"namespace,omitempty"`
	// ExcludeNamespaces are globs of namespaces that are never resources.
	ExcludeNamespaces []string `yaml:"exclude_namespaces,omitempty"`
	// LabelSelectorCoverage is what a label-selected Schedule or Backup
	// covers: named (default), all or none.
	LabelSelectorCoverage string `yaml:"label_selector_coverage,omitempty"`
	// BackupLabelSelector narrows the Backup and Schedule lists.
	BackupLabelSelector string `yaml:"backup_label_selector,omitempty"`
	// StorageLocations reads the BackupStorageLocations (default true).
	StorageLocations *bool `yaml:"storage_locations,omitempty"`
	// VolumeBytes reads the PodVolumeBackups and DataUploads of each latest
	// backup for its bytes per namespace.
	VolumeBytes bool `yaml:"volume_bytes,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	if v.Has("namespace") && !reNamespace.MatchString(s.Namespace) {
		return v.Errorf("namespace", "namespace %s is not a namespace name (lower-case letters, digits and '-', at most 63)", v.Shown("namespace", s.Namespace))
	}
	seen := map[string]bool{}
	for i, g := range s.ExcludeNamespaces {
		if err := checkGlob(g); err != "" {
			return v.Errorf("exclude_namespaces", "exclude_namespaces entry %d %s %s", i+1, v.Shown("exclude_namespaces", g), err)
		}
		if seen[g] {
			return v.Errorf("exclude_namespaces", "exclude_namespaces lists %q twice", g)
		}
		seen[g] = true
	}
	switch s.LabelSelectorCoverage {
	case "", CoverageNamed, CoverageAll, CoverageNone:
	default:
		return v.Errorf("label_selector_coverage", "label_selector_coverage %s: want named, all or none", v.Shown("label_selector_coverage", s.LabelSelectorCoverage))
	}
	if err := kubernetes.ValidateLabelSelector(s.BackupLabelSelector); err != nil {
		return v.Errorf("backup_label_selector", "backup_label_selector is not a Kubernetes label selector: %v", err)
	}
	return nil
}

// checkGlob says what is wrong with an exclude_namespaces entry ("" when
// nothing): a namespace name, or one with the glob characters *, ? and
// [...] that Velero accepts (it refuses **, |, (, ), {, }, ',' and !, and
// empty or unclosed brackets).
func checkGlob(g string) string {
	if !strings.ContainsAny(g, "*?[]") {
		if !reNamespace.MatchString(g) {
			return "is not a namespace name (lower-case letters, digits and '-', at most 63) or a glob of one (*, ?, [abc])"
		}
		return ""
	}
	if !reNamespaceGlob.MatchString(g) {
		return "is not a glob of namespace names: lower-case letters, digits, '-' and the glob characters *, ? and [abc] only, at most 63"
	}
	if strings.Contains(g, "**") {
		return "holds **, which Velero refuses"
	}
	open := -1
	for i, c := range g {
		switch {
		case c == '[' && open >= 0, c == ']' && open < 0:
			return "has unbalanced brackets"
		case c == '[':
			open = i
		case c == ']' && i == open+1:
			return "has an empty [] class"
		case c == ']':
			open = -1
		}
	}
	if open >= 0 {
		return "has an unclosed ["
	}
	return ""
}

// Type is the velero provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: kubernetes.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "Velero (Kubernetes namespaces)",
	States: []toolkit.StateTable{
		{Field: "Backup `status.phase` (empty: shown as New)", Table: states},
	},
	New: newProvider,
}

// states maps a Backup's status.phase (backup_types.go, BackupPhase).
var states = map[string]toolkit.State{
	"":                           toolkit.StatePending,
	"New":                        toolkit.StatePending,
	"Queued":                     toolkit.StatePending,
	"ReadyToStart":               toolkit.StatePending,
	"InProgress":                 toolkit.StateRunning,
	"WaitingForPluginOperations": toolkit.StateRunning,
	"WaitingForPluginOperationsPartiallyFailed": toolkit.StateRunning,
	"Finalizing":                toolkit.StateRunning,
	"FinalizingPartiallyFailed": toolkit.StateRunning,
	"Completed":                 toolkit.StateSucceeded,
	"PartiallyFailed":           toolkit.StateFailed,
	"Failed":                    toolkit.StateFailed,
	"FailedValidation":          toolkit.StateFailed,
	"Deleting":                  toolkit.StateDeleting,
}

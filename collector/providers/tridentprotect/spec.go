package tridentprotect

import (
	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "trident_protect"

// Spec is the target's keys.
type Spec struct {
	// Namespaces to read; omitted, all namespaces (one list of each
	// resource for the whole cluster).
	Namespaces []string `yaml:"namespaces,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	return kubernetes.CheckNamespaces(v, "namespaces", s.Namespaces)
}

// Type is the trident_protect provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: kubernetes.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "NetApp Trident protect",
	States: []toolkit.StateTable{
		{Field: "Backup `status.state`", Table: states},
	},
	New: newProvider,
}

// states maps a Backup's status.state.
var states = map[string]toolkit.State{
	"Pending":   toolkit.StatePending,
	"Blocked":   toolkit.StatePending,
	"Running":   toolkit.StateRunning,
	"Completed": toolkit.StateSucceeded,
	"Failed":    toolkit.StateFailed,
	"Error":     toolkit.StateFailed,
	"Removed":   toolkit.StateRemoved,
}

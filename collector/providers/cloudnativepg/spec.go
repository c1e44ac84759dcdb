package cloudnativepg

import (
	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "cloudnative_pg"

// The values of barman_cloud_plugin.
const (
	// PluginAuto reads the barman-cloud plugin's ObjectStores when their
	// resource type exists (a 404 for the list: the plugin is not
	// installed, and no Cluster's window is read from it).
	PluginAuto = "auto"
	// PluginTrue reads them, and a 404 for the list is the target's error.
	PluginTrue = "true"
	// PluginFalse never reads them (no RBAC on objectstores needed).
	PluginFalse = "false"
)

// Spec is the target's keys.
type Spec struct {
	// Namespaces to read; omitted, all namespaces (one list of each
	// resource for the whole cluster).
	Namespaces []string `yaml:"namespaces,omitempty"`
	// BarmanCloudPlugin says whether objectstores.barmancloud.cnpg.io are
	// read: auto (default), true or false.
	BarmanCloudPlugin string `yaml:"barman_cloud_plugin,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	if err := kubernetes.CheckNamespaces(v, "namespaces", s.Namespaces); err != nil {
		return err
	}
	switch s.BarmanCloudPlugin {
	case "":
		s.BarmanCloudPlugin = PluginAuto
	case PluginAuto, PluginTrue, PluginFalse:
	default:
		return v.Errorf("barman_cloud_plugin", "unknown barman_cloud_plugin %s (want auto, true or false)", v.Shown("barman_cloud_plugin", s.BarmanCloudPlugin))
	}
	return nil
}

// Type is the cloudnative_pg provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: kubernetes.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "CloudNativePG",
	States: []toolkit.StateTable{
		{Field: "Backup `status.phase`", Table: phases},
	},
	New: newProvider,
}

// phases maps a Backup's status.phase (api/v1/backup_types.go: untyped
// string constants, case-sensitive; "" before the operator has seen it).
var phases = map[string]toolkit.State{
	"":                          toolkit.StatePending,
	"pending":                   toolkit.StatePending,
	"started":                   toolkit.StateRunning,
	"running":                   toolkit.StateRunning,
	"finalizing":                toolkit.StateRunning,
	"completed":                 toolkit.StateSucceeded,
	"failed":                    toolkit.StateFailed,
	"walArchivingFailing":       toolkit.StateFailed,
	"invalid backup definition": toolkit.StateFailed,
}

// errorCodes are the backup_error_info codes of the failed phases.
var errorCodes = map[string]string{
	"failed":                    "failed",
	"walArchivingFailing":       "wal_archiving_failing",
	"invalid backup definition": "invalid_backup_definition",
}

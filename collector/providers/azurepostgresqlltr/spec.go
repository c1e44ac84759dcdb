// Package azurepostgresqlltr reads the long-term retention backups of
// Azure Database for PostgreSQL flexible servers.
package azurepostgresqlltr

import (
	"regexp"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "azure_postgresql_ltr"

// DefaultAPIVersion is the api-version used when the target sets none.
const DefaultAPIVersion = "2025-08-01"

// reName is the pattern of server and LTR backup names.
var reName = regexp.MustCompile(`^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$`)

// Spec is the target's keys.
type Spec struct {
	azure.TargetSpec `yaml:",inline"`
	// Server names one flexible server; omitted, the resource group's
	// servers are discovered.
	Server string `yaml:"server,omitempty"`
	// Backup names one LTR operation of Server; omitted, all are listed.
	Backup string `yaml:"backup,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	return config.First(
		s.TargetSpec.Required(v),
		s.TargetSpec.Check(v, DefaultAPIVersion, func() error {
			if s.Server != "" && (len(s.Server) < 3 || len(s.Server) > 63 || !reName.MatchString(s.Server)) {
				return v.Errorf("server", "server %s must be 3 to 63 characters matching %s", v.Shown("server", s.Server), reName)
			}
			if s.Backup != "" && s.Server == "" {
				return v.Errorf("backup", "backup needs server")
			}
			return nil
		}),
		v.Match("backup", s.Backup, reName),
	)
}

// Type is the azure_postgresql_ltr provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: azure.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "Azure PostgreSQL flexible server LTR",
	States: []toolkit.StateTable{
		{Field: "LTR backup operation `status`", Table: states},
	},
	New: newProvider,
}

// states maps an LTR operation's status (ExecutionStatus).
var states = map[string]toolkit.State{
	"Running":   toolkit.StateRunning,
	"Succeeded": toolkit.StateSucceeded,
	"Failed":    toolkit.StateFailed,
	"Cancelled": toolkit.StateCancelled,
}

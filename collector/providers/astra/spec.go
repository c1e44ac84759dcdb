// Package astra reads the app backups of NetApp Astra Control.
package astra

import (
	"regexp"
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "astra"

// reID is the pattern of Astra account, app and backup IDs.
var reID = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-]{0,127}$`)

// Spec is the target's keys.
type Spec struct {
	Endpoint  string `yaml:"endpoint,omitempty"`
	AccountID string `yaml:"account_id,omitempty"`
	// AppID names one app; omitted, the account's apps are discovered.
	AppID string `yaml:"app_id,omitempty"`
	// BackupID names one backup of AppID.
	BackupID string `yaml:"backup_id,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	s.Endpoint = strings.TrimRight(s.Endpoint, "/")
	return config.First(
		v.Required("endpoint", s.Endpoint),
		v.Required("account_id", s.AccountID),
		v.URL("endpoint", s.Endpoint),
		v.Match("backup_id", s.BackupID, reID),
		v.Match("account_id", s.AccountID, reID),
		v.Match("app_id", s.AppID, reID),
		func() error {
			// An appBackup names no app: without app_id the resource would
			// be labelled with the backup's own ID (config.md).
			if s.BackupID != "" && s.AppID == "" {
				return v.Errorf("backup_id", "backup_id needs app_id (an Astra app backup does not name its app)")
			}
			return nil
		}(),
	)
}

// Type is the astra provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "NetApp Astra Control",
	States: []toolkit.StateTable{
		{Field: "App backup `state`", Table: astraStates},
	},
	New: newProvider,
}

var astraStates = map[string]toolkit.State{
	"pending":     toolkit.StatePending,
	"discovering": toolkit.StatePending,
	"running":     toolkit.StateRunning,
	"completed":   toolkit.StateSucceeded,
	"failed":      toolkit.StateFailed,
	"removed":     toolkit.StateRemoved,
	"unknown":     toolkit.StateUnknown,
}

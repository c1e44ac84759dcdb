// Package huaweicbr reads the backups of Huawei Cloud Backup and
// Recovery (CBR).
package huaweicbr

import (
	"regexp"
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/providers/huawei"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "huawei_cbr"

// Path-parameter patterns.
var (
	reID     = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-]{0,63}$`)
	reBackup = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-]{0,127}$`)
	reRegion = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
)

// Spec is the target's keys.
type Spec struct {
	// Endpoint is the CBR endpoint; omitted, it follows from Region.
	Endpoint  string `yaml:"endpoint,omitempty"`
	Region    string `yaml:"region,omitempty"`
	ProjectID string `yaml:"project_id,omitempty"`
	// BackupID names one backup; omitted, the project's backups are
	// listed, filtered by VaultID and ResourceID when set.
	BackupID   string `yaml:"backup_id,omitempty"`
	VaultID    string `yaml:"vault_id,omitempty"`
	ResourceID string `yaml:"resource_id,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	if err := v.Required("project_id", s.ProjectID); err != nil {
		return err
	}
	if s.Region != "" {
		if !reRegion.MatchString(s.Region) {
			return v.Errorf("region", "region %s must look like cn-north-4", v.Shown("region", s.Region))
		}
		if v.Has("endpoint") {
			return v.Errorf("endpoint", "give endpoint or region, not both")
		}
		s.Endpoint = "https://cbr." + s.Region + ".myhuaweicloud.com"
	}
	s.Endpoint = strings.TrimRight(s.Endpoint, "/")
	if s.Endpoint == "" {
		return v.Errorf("", "endpoint or region is required for type huawei_cbr")
	}
	return config.First(
		v.URL("endpoint", s.Endpoint),
		v.Match("project_id", s.ProjectID, reID),
		v.Match("backup_id", s.BackupID, reBackup),
		v.Match("vault_id", s.VaultID, reID),
		v.Match("resource_id", s.ResourceID, reID),
	)
}

// Type is the huawei_cbr provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: huawei.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "Huawei Cloud CBR",
	States: []toolkit.StateTable{
		{Field: "Backup `status`", Table: huaweiCBRStates},
	},
	New: newProvider,
}

var huaweiCBRStates = map[string]toolkit.State{
	"available":       toolkit.StateSucceeded,
	"protecting":      toolkit.StateRunning,
	"error":           toolkit.StateFailed,
	"deleting":        toolkit.StateDeleting,
	"waiting_delete":  toolkit.StateDeleting,
	"restoring":       toolkit.StateRestoring,
	"waiting_restore": toolkit.StateRestoring,
	"waiting_protect": toolkit.StatePending,
}

// Package azurenetappfiles reads the backup state of Azure NetApp Files
// volumes: each volume's latestBackupStatus, and the backups of the
// account's backup vaults for times and counts.
package azurenetappfiles

import (
	"regexp"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "azure_netapp_files"

// DefaultAPIVersion is the api-version used when the target sets none.
const DefaultAPIVersion = "2025-03-01"

// Path-parameter patterns, from the API document.
var (
	reAccount = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,127}$`)
	rePool    = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,63}$`)
	reVolume  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9\-_]{0,63}$`)
)

// Spec is the target's keys.
type Spec struct {
	azure.TargetSpec `yaml:",inline"`
	// Account is the NetApp account whose volumes are read.
	Account string `yaml:"account,omitempty"`
	// Pool and Volume name one pool or volume; omitted, they are
	// discovered.
	Pool   string `yaml:"pool,omitempty"`
	Volume string `yaml:"volume,omitempty"`
	// BackupVault names the vault whose backups give times and counts;
	// omitted, every vault of the account is read.
	BackupVault string `yaml:"backup_vault,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	return config.First(
		s.TargetSpec.Required(v),
		v.Required("account", s.Account),
		s.TargetSpec.Check(v, DefaultAPIVersion, func() error {
			if s.Volume != "" && s.Pool == "" {
				return v.Errorf("volume", "volume needs pool")
			}
			return nil
		}),
		v.Match("account", s.Account, reAccount),
		v.Match("pool", s.Pool, rePool),
		v.Match("backup_vault", s.BackupVault, rePool),
		v.Match("volume", s.Volume, reVolume),
	)
}

// The values of ANF's own state sets, in exposition order.
var (
	mirrorStates         = []string{"Uninitialized", "Mirrored", "Broken"}
	relationshipStatuses = []string{"Idle", "Transferring", "Failed", "Unknown"}
)

// ANF's own families (docs/metrics.md).
var (
	famLastTransferSize   = toolkit.NewFamily("backup_last_transfer_size_bytes", "Size of the last transfer (Azure NetApp Files).", prometheus.GaugeValue).NonNegative()
	famTransferBytesTotal = toolkit.NewFamily("backup_transfer_bytes_total", "Total bytes transferred (Azure NetApp Files).", prometheus.CounterValue).NonNegative()
	famMirrorState        = toolkit.NewFamily("backup_mirror_state", "Azure NetApp Files mirror state (state set).", prometheus.GaugeValue, "state")
	famRelationshipStatus = toolkit.NewFamily("backup_relationship_status", "Azure NetApp Files relationship status (state set).", prometheus.GaugeValue, "status")
)

// Type is the azure_netapp_files provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: azure.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "Azure NetApp Files",
	States: []toolkit.StateTable{
		{Field: "Backup vault backup `provisioningState` (counts and times)", Table: vaultBackupStates},
	},
	Families: []*toolkit.Family{famLastTransferSize, famTransferBytesTotal, famMirrorState, famRelationshipStatus},
	New:      newProvider,
}

// vaultBackupStates maps a vault backup's provisioningState.
var vaultBackupStates = map[string]toolkit.State{
	"Succeeded": toolkit.StateSucceeded,
	"Failed":    toolkit.StateFailed,
	"Creating":  toolkit.StateRunning,
	"Updating":  toolkit.StateRunning,
	"Deleting":  toolkit.StateDeleting,
}

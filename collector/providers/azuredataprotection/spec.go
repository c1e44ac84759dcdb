// Package azuredataprotection reads Azure Backup's Backup vaults
// (Microsoft.DataProtection): the backup instances of the vaults of a
// subscription, resource group or one vault (managed disks, blobs, AKS
// clusters, PostgreSQL servers...), their Backup jobs, each instance's
// backup policy for how often a backup is due, and optionally its
// recovery points.
//
// The files split by job: spec.go (keys, validation, state tables),
// api.go (the ARM calls and the typed items they return), translate.go
// (items to records, whatever read the items: the records do not depend
// on how the items were fetched), policies.go (policies read once and
// kept), provider.go (one poll).
package azuredataprotection

import (
	"regexp"
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "azure_dataprotection"

// DefaultAPIVersion is the api-version used when the target sets none:
// the stable version of Microsoft.DataProtection whose examples the
// provider is checked against (testdata/official/SOURCES).
const DefaultAPIVersion = "2025-07-01"

// reDatasourceType is a datasource type as dataSourceInfo.datasourceType
// writes it: an ARM resource type ("Microsoft.Compute/disks") or a
// service name ("OssDB").
var reDatasourceType = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9.]{0,99}(/[A-Za-z][A-Za-z0-9.]{0,99}){0,4}$`)

// Spec is the target's keys.
type Spec struct {
	azure.TargetSpec `yaml:",inline"`
	// Vault names one Backup vault; omitted, every vault of the resource
	// group (or of the subscription, without resource_group) is read.
	Vault string `yaml:"vault,omitempty"`
	// DatasourceTypes keeps only the instances of these datasource types
	// (dataSourceInfo.datasourceType, compared without case); omitted,
	// all.
	DatasourceTypes []string `yaml:"datasource_types,omitempty"`
	// ReadRecoveryPoints lists every instance's recovery points on every
	// poll, for the oldest success, the expiry and the counts.
	ReadRecoveryPoints bool `yaml:"read_recovery_points,omitempty"`
	// GraphSpec: source resource_graph reads every Backup vault of its
	// scope with one Resource Graph query (graph.go); resource_group,
	// vault and datasource_types filter it.
	azure.GraphSpec `yaml:",inline"`
	// CoverageResourceTypes (resource_graph only) are ARM types whose
	// resources in scope that no instance protects are resources too
	// (backup_protected 0).
	CoverageResourceTypes []string `yaml:"coverage_resource_types,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	if err := s.GraphSpec.Validate(v); err != nil {
		return err
	}
	if err := azure.ValidateCoverage(v, &s.GraphSpec, s.CoverageResourceTypes); err != nil {
		return err
	}
	checks := []func() error{func() error {
		return v.Match("vault", s.Vault, azure.ReVault)
	}, func() error {
		seen := map[string]bool{}
		for i, d := range s.DatasourceTypes {
			if !reDatasourceType.MatchString(d) {
				return v.Errorf("datasource_types", "datasource_types entry %d %s is not a datasource type (Microsoft.Compute/disks, Microsoft.DBforPostgreSQL/flexibleServers, ...)", i+1, v.Shown("datasource_types", d))
			}
			if seen[strings.ToLower(d)] {
				return v.Errorf("datasource_types", "datasource_types entry %d %s is listed twice", i+1, v.Shown("datasource_types", d))
			}
			seen[strings.ToLower(d)] = true
		}
		return nil
	}}
	return s.GraphSpec.CheckTarget(v, &s.TargetSpec, DefaultAPIVersion, false, checks...)
}

// Type is the azure_dataprotection provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: azure.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "Azure Backup vaults (Data Protection)",
	States: []toolkit.StateTable{
		{Field: "Backup job `status`", Table: jobStates},
		{Field: "Recovery point `recoveryPointState` (no job in the window; counts)", Table: recoveryPointStates},
	},
	New:  newProvider,
	Tags: azure.ResourceGraphTags,
}

// jobStates maps a Backup job's status. The REST examples write Started
// and Succeeded, the model's description InProgress, Completed, ...:
// both families are mapped (docs/metrics.md).
var jobStates = map[string]toolkit.State{
	"Started":               toolkit.StateRunning,
	"InProgress":            toolkit.StateRunning,
	"Cancelling":            toolkit.StateRunning,
	"Paused":                toolkit.StatePending,
	"Completed":             toolkit.StateSucceeded,
	"CompletedWithWarnings": toolkit.StateSucceeded,
	"Succeeded":             toolkit.StateSucceeded,
	"SucceededWithWarnings": toolkit.StateSucceeded,
	"Success":               toolkit.StateSucceeded,
	"SuccessWithWarning":    toolkit.StateSucceeded,
	"Failed":                toolkit.StateFailed,
	"Cancelled":             toolkit.StateCancelled,
}

// recoveryPointStates maps a recovery point's recoveryPointState.
var recoveryPointStates = map[string]toolkit.State{
	"Completed": toolkit.StateSucceeded,
	"Partial":   toolkit.StateFailed,
}

// Protection states (currentProtectionState) and protection statuses
// (protectionStatus.status) of an instance that matter here.
const (
	stateNotProtected = "NotProtected"
	stateSoftDeleting = "SoftDeleting"
	stateSoftDeleted  = "SoftDeleted"
	// statusConfiguringProtectionFailed is the protection status that
	// makes an instance unhealthy.
	statusConfiguringProtectionFailed = "ConfiguringProtectionFailed"
)

// unhealthyStates are the currentProtectionState values of an instance
// whose backups are not being taken (RetentionSchedulesSuspended keeps
// taking them: healthy).
var unhealthyStates = []string{
	"ProtectionError", "ConfiguringProtectionFailed", "ProtectionStopped", "BackupSchedulesSuspended",
	stateSoftDeleting, stateSoftDeleted,
}

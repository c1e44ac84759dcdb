// Package azurebackup reads Azure Backup: the protected items of Recovery
// Services vaults (VMs, file shares, databases in VMs), their recent Backup
// jobs, and the vault's protectable VMs for coverage.
package azurebackup

import (
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "azure_backup"

// DefaultAPIVersion is the api-version used when the target sets none:
// the newest stable version of the Recovery Services backup API
// (Microsoft.RecoveryServices, bms.json) and of the vaults API.
const DefaultAPIVersion = "2025-08-01"

// workloadTypes are the WorkloadType values of the API document, by their
// lower-case form.
var workloadTypes = func() map[string]string {
	m := map[string]string{}
	for _, w := range []string{"VM", "FileFolder", "AzureSqlDb", "SQLDB", "Exchange", "Sharepoint", "VMwareVM",
		"SystemState", "Client", "GenericDataSource", "SQLDataBase", "AzureFileShare", "SAPHanaDatabase",
		"SAPAseDatabase", "SAPHanaDBInstance"} {
		m[strings.ToLower(w)] = w
	}
	return m
}()

// Spec is the target's keys.
type Spec struct {
	azure.TargetSpec `yaml:",inline"`
	// GraphSpec: source resource_graph reads every vault of its scope
	// with one Resource Graph query; resource_group and vault filter it.
	azure.GraphSpec `yaml:",inline"`
	// Vault names one Recovery Services vault; omitted, every vault of the
	// resource group is read.
	Vault string `yaml:"vault,omitempty"`
	// WorkloadTypes keeps only the items of these workload types (VM,
	// SQLDataBase, AzureFileShare, ...); omitted, all.
	WorkloadTypes []string `yaml:"workload_types,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	if err := s.GraphSpec.Validate(v); err != nil {
		return err
	}
	checks := []func() error{func() error {
		return v.Match("vault", s.Vault, azure.ReVault)
	}, func() error {
		for i, w := range s.WorkloadTypes {
			canonical, ok := workloadTypes[strings.ToLower(w)]
			if !ok {
				return v.Errorf("workload_types", "workload_types entry %d %s is not a workload type of the API (VM, SQLDataBase, AzureFileShare, SAPHanaDatabase, ...)", i+1, v.Shown("workload_types", w))
			}
			s.WorkloadTypes[i] = canonical
		}
		return nil
	}}
	return s.GraphSpec.CheckTarget(v, &s.TargetSpec, DefaultAPIVersion, true, checks...)
}

// Type is the azure_backup provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: azure.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "Azure Backup",
	States: []toolkit.StateTable{
		{Field: "Backup job `status`", Table: jobStates},
		{Field: "Protected item `lastBackupStatus` (no job in the window)", Table: lastBackupStates},
	},
	New:  newProvider,
	Tags: azure.ResourceGraphTags,
}

// jobStates maps a Backup job's status (JobStatus).
var jobStates = map[string]toolkit.State{
	"InProgress":            toolkit.StateRunning,
	"Cancelling":            toolkit.StateRunning,
	"Completed":             toolkit.StateSucceeded,
	"CompletedWithWarnings": toolkit.StateSucceeded,
	"Failed":                toolkit.StateFailed,
	"Cancelled":             toolkit.StateCancelled,
}

// lastBackupStates maps a protected item's lastBackupStatus, used when no
// job of the item is in the window.
var lastBackupStates = map[string]toolkit.State{
	"Completed": toolkit.StateSucceeded,
	"Healthy":   toolkit.StateSucceeded,
	"Failed":    toolkit.StateFailed,
	"Unhealthy": toolkit.StateFailed,
	"IRPending": toolkit.StatePending,
}

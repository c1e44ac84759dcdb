package awsbackup

import (
	"regexp"
	"time"

	awscred "github.com/backup-exporter/backup_exporter/collector/providers/aws"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// Name is the target type and provider label.
const Name = "aws_backup"

// Job window bounds (docs/metrics.md: expected_interval × 2, at least 2 days;
// ListBackupJobs covers the last 30 days).
const (
	minJobWindow = 48 * time.Hour
	maxJobWindow = 30 * 24 * time.Hour
)

// Patterns of the API reference.
var (
	reRegion       = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
	reVaultName    = regexp.MustCompile(`^[a-zA-Z0-9\-_]{2,50}$`)
	reResourceType = regexp.MustCompile(`^[a-zA-Z0-9\-_.]{1,50}$`)
)

// Spec is the target's keys.
type Spec struct {
	Region string `yaml:"region,omitempty"`
	// BackupVault keeps the jobs of one backup vault, and the resources
	// last backed up to it.
	BackupVault string `yaml:"backup_vault,omitempty"`
	// ResourceType keeps one resource type (EBS, EC2, RDS, DynamoDB, EFS,
	// S3, ...).
	ResourceType string `yaml:"resource_type,omitempty"`
	// Endpoint overrides the AWS Backup endpoint (FIPS, VPC endpoints, the
	// simulator).
	Endpoint string `yaml:"endpoint,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	return config.First(
		v.Required("region", s.Region),
		v.Match("region", s.Region, reRegion),
		v.Match("backup_vault", s.BackupVault, reVaultName),
		v.Match("resource_type", s.ResourceType, reResourceType),
		func() error {
			if s.Endpoint == "" {
				return nil
			}
			return v.URL("endpoint", s.Endpoint)
		}(),
	)
}

// Type is the aws_backup provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: awscred.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "AWS Backup",
	States: []toolkit.StateTable{
		{Field: "Backup job `State`", Table: jobStates},
		{Field: "Recovery point `Status` (counts, when recovery points are read)", Table: recoveryPointStates},
	},
	New: newProvider,
	Tags: func(t *config.Target, env *toolkit.Env) (*toolkit.TagLookup, error) {
		s := t.Spec.(*Spec)
		return awscred.Tagging(env, s.Region, awscred.TaggingEndpoint(s.Endpoint))
	},
}

// jobStates maps a backup job's State.
var jobStates = map[string]toolkit.State{
	"CREATED":   toolkit.StatePending,
	"PENDING":   toolkit.StatePending,
	"RUNNING":   toolkit.StateRunning,
	"ABORTING":  toolkit.StateRunning,
	"COMPLETED": toolkit.StateSucceeded,
	"FAILED":    toolkit.StateFailed,
	"EXPIRED":   toolkit.StateFailed,
	"PARTIAL":   toolkit.StateFailed,
	"ABORTED":   toolkit.StateCancelled,
}

// recoveryPointStates maps a recovery point's Status.
var recoveryPointStates = map[string]toolkit.State{
	"COMPLETED": toolkit.StateSucceeded,
	"AVAILABLE": toolkit.StateSucceeded,
	"CREATING":  toolkit.StateRunning,
	"DELETING":  toolkit.StateDeleting,
	"EXPIRED":   toolkit.StateRemoved,
	"PARTIAL":   toolkit.StateFailed,
	"STOPPED":   toolkit.StateUnknown,
}

// Package awsbackup reads AWS Backup: the protected resources of a
// region, their recent backup jobs, and, for a resource without a
// completed job in the window, its recovery points.
package awsbackup

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"

	awscred "github.com/backup-exporter/backup_exporter/collector/providers/aws"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

type provider struct {
	client       api
	concurrency  int
	owns         func(id string) bool
	vault        string
	resourceType string
	window       time.Duration
	now          func() time.Time
	secrets      []string
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	cfg, secrets, err := awscred.Config(env, Name, s.Region)
	if err != nil {
		return nil, err
	}
	client := backup.NewFromConfig(cfg, func(o *backup.Options) {
		if s.Endpoint != "" {
			o.BaseEndpoint = aws.String(s.Endpoint)
		}
	})
	return &provider{
		client:       client,
		concurrency:  env.Pool.MaxConcurrency(),
		owns:         env.Owns,
		vault:        s.BackupVault,
		resourceType: s.ResourceType,
		window:       min(max(2*time.Duration(t.ExpectedInterval), minJobWindow), maxJobWindow),
		now:          time.Now,
		secrets:      secrets,
	}, nil
}

// resource is one protected resource as the lists give it.
type resource struct {
	arn, name  string
	lastVault  string // name of the vault of its newest recovery point
	lastBackup time.Time
	jobs       []backupJob
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	byARN := map[string]*resource{}
	var order []string
	add := func(arn, name string) *resource {
		if r, ok := byARN[arn]; ok {
			if r.name == "" {
				r.name = name
			}
			return r
		}
		r := &resource{arn: arn, name: name}
		byARN[arn] = r
		order = append(order, arn)
		return r
	}

	protected, err := p.protectedResources(ctx)
	if err != nil {
		return nil, err
	}
	for i := range protected {
		pr := &protected[i]
		vault := vaultName(aws.ToString(pr.LastBackupVaultArn))
		if !p.wanted(aws.ToString(pr.ResourceType)) || (p.vault != "" && vault != p.vault) {
			continue
		}
		r := add(aws.ToString(pr.ResourceArn), aws.ToString(pr.ResourceName))
		r.lastVault = vault
		r.lastBackup = aws.ToTime(pr.LastBackupTime)
	}

	// The jobs of the window: a resource selected by a plan that has never
	// completed a backup is listed here only.
	jobs, err := p.backupJobs(ctx)
	if err != nil {
		return nil, err
	}
	// Resources backed up only as parts of a composite backup (a
	// CloudFormation stack's table, say) are parts of their parent.
	children, parents := map[string]bool{}, map[string]bool{}
	for _, j := range jobs {
		arn := aws.ToString(j.ResourceArn)
		if j.child() {
			// A child job is a part of its parent's backup.
			children[arn] = true
			continue
		}
		parents[arn] = true
		// The filters were sent; they are applied here too, so that a
		// resource's jobs are those of the target whatever the server
		// did with them.
		if !p.wanted(aws.ToString(j.ResourceType)) || (p.vault != "" && aws.ToString(j.BackupVaultName) != p.vault) {
			continue
		}
		r := add(arn, aws.ToString(j.ResourceName))
		r.jobs = append(r.jobs, j)
	}

	resources := make([]*resource, 0, len(order))
	for _, arn := range order {
		if children[arn] && !parents[arn] {
			continue
		}
		if p.owns(arn) {
			resources = append(resources, byARN[arn])
		}
	}
	return toolkit.MapResources(ctx, p.concurrency, resources, (*resource).identity, p.resource), nil
}

func (p *provider) wanted(typ string) bool {
	return p.resourceType == "" || strings.EqualFold(p.resourceType, typ)
}

func (r *resource) identity() (string, string) {
	if r.name == "" {
		return r.arn, r.arn
	}
	return r.arn, r.name
}

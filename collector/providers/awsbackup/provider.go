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
	env          *toolkit.Env
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
		env:          env,
		vault:        s.BackupVault,
		resourceType: s.ResourceType,
		window:       min(max(2*time.Duration(t.ExpectedInterval), minJobWindow), maxJobWindow),
		now:          time.Now,
		secrets:      secrets,
	}, nil
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	resources, err := p.inventory(ctx)
	if err != nil {
		return nil, err
	}
	return toolkit.FanOut(ctx, p.env, resources, (*resource).identity, p.taggedResource), nil
}

func (p *provider) wanted(typ string) bool {
	return p.resourceType == "" || strings.EqualFold(p.resourceType, typ)
}

package azurepostgresqlltr

import (
	"context"
	"fmt"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

type provider struct {
	arm *azure.Client
	// env is the target's: its shard and the credential's
	// max_concurrency (how many servers are read at once), for FanOut.
	env        *toolkit.Env
	base       string // ARM path of the resource group's flexible servers
	server     string
	backup     string
	apiVersion string
	// wantTags: the target's backup_resource_info carries the servers'
	// tags (from the server list; a server the target names has none).
	wantTags bool
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	arm, err := azure.NewClient(env, Name, s.SubscriptionID)
	if err != nil {
		return nil, err
	}
	return &provider{
		arm:        arm,
		env:        env,
		base:       s.ResourceGroupPath() + "/providers/Microsoft.DBforPostgreSQL/flexibleServers",
		server:     s.Server,
		backup:     s.Backup,
		apiVersion: s.APIVersion,
		wantTags:   toolkit.WantsTags(t),
	}, nil
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	if p.server != "" {
		// A server the target names is read whatever the shard: the
		// orchestrator keeps it or not.
		s := pgServer{ID: p.base + "/" + p.server, Name: p.server}
		r, err := p.serverResource(ctx, s)
		if err != nil {
			return nil, err
		}
		return []toolkit.Resource{r}, nil
	}
	servers, err := azure.List[pgServer](ctx, p.arm, p.base, p.apiVersion, nil)
	if err != nil {
		return nil, fmt.Errorf("list flexible servers: %w", err)
	}
	return toolkit.FanOut(ctx, p.env, servers, pgServer.identity, p.serverResource), nil
}

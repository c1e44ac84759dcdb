package azurepostgresqlltr

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

type provider struct {
	arm *azure.Client
	// concurrency is the credential's max_concurrency: how many servers
	// are read at once.
	concurrency int
	// owns says whether this replica's shard owns a server.
	owns       func(id string) bool
	base       string // ARM path of the resource group's flexible servers
	server     string
	backup     string
	apiVersion string
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	arm, err := azure.NewClient(env, Name, s.SubscriptionID)
	if err != nil {
		return nil, err
	}
	return &provider{
		arm:         arm,
		concurrency: env.Pool.MaxConcurrency(),
		owns:        env.Owns,
		base:        s.ResourceGroupPath() + "/providers/Microsoft.DBforPostgreSQL/flexibleServers",
		server:      s.Server,
		backup:      s.Backup,
		apiVersion:  s.APIVersion,
	}, nil
}

type pgServer struct{ id, name string }

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	if p.server != "" {
		s := pgServer{id: p.base + "/" + p.server, name: p.server}
		r, err := p.serverResource(ctx, s)
		if err != nil {
			return nil, err
		}
		return []toolkit.Resource{r}, nil
	}
	var servers []pgServer
	err := p.arm.List(ctx, p.base, p.apiVersion, func(raw json.RawMessage) error {
		var s struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		servers = append(servers, pgServer{id: s.ID, name: azure.LastSegment(s.Name)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list flexible servers: %w", err)
	}
	servers = slices.DeleteFunc(servers, func(s pgServer) bool { return !p.owns(s.id) })
	return toolkit.MapResources(ctx, p.concurrency, servers, func(s pgServer) (string, string) { return s.id, s.name }, p.serverResource), nil
}

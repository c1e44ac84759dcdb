package azurebackup

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

type provider struct {
	arm *azure.Client
	// env is the target's: its shard and the credential's
	// max_concurrency (how many vaults and job details are read at once).
	env        *toolkit.Env
	base       string // ARM path of the resource group's vaults
	vault      string
	workloads  []string
	apiVersion string
	window     time.Duration
	now        func() time.Time
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	if s.FromGraph() {
		// The query, its paging and quota, and the rows' translation come
		// with the Resource Graph client (issue 24, phase 2).
		return nil, fmt.Errorf("source %s is not available for type %s in this version", azure.SourceResourceGraph, Name)
	}
	arm, err := azure.NewClient(env, Name, s.SubscriptionID)
	if err != nil {
		return nil, err
	}
	return &provider{
		arm:        arm,
		env:        env,
		base:       s.ResourceGroupPath() + "/providers/Microsoft.RecoveryServices/vaults",
		vault:      s.Vault,
		workloads:  s.WorkloadTypes,
		apiVersion: s.APIVersion,
		window:     max(2*time.Duration(t.ExpectedInterval), minJobWindow),
		now:        time.Now,
	}, nil
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	vaults := []string{p.vault}
	if p.vault == "" {
		listed, err := azure.List[rsVault](ctx, p.arm, p.base, p.apiVersion, nil)
		if err != nil {
			return nil, fmt.Errorf("list Recovery Services vaults: %w", err)
		}
		vaults = make([]string, len(listed))
		for i, v := range listed {
			vaults[i] = azure.LastSegment(v.Name)
		}
	}
	perVault, err := toolkit.MapConcurrent(ctx, p.env.Pool.MaxConcurrency(), vaults, p.vaultResources)
	if err != nil {
		return nil, err
	}
	var out []toolkit.Resource
	for _, rs := range perVault {
		out = append(out, rs...)
	}
	return out, nil
}

// vaultResources reads one vault's lists, then the details of its jobs
// in progress, and returns its resources: the protected items (one
// record per resource), then the protectable VMs no item protects.
func (p *provider) vaultResources(ctx context.Context, vault string) ([]toolkit.Resource, error) {
	path := p.base + "/" + url.PathEscape(vault)
	l, err := p.lists(ctx, path, vault)
	if err != nil {
		return nil, err
	}
	records := matchRecords(p.wantedItems(ctx, l.items), l.jobs)
	seen := map[string]bool{}
	out := onceEach(ctx, seen, toolkit.FanOut(ctx, p.env, records, record.identity, func(ctx context.Context, r record) (toolkit.Resource, error) {
		return p.resource(ctx, path, r)
	}))
	return append(out, p.unprotected(ctx, l.protectable, records, seen)...), nil
}

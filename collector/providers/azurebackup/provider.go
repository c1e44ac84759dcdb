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
	// progress: a latest job in progress is read by ARM for its progress
	// (always with source arm; with resource_graph, progress_from_arm).
	progress bool

	// Resource Graph mode: query runs kql over scope (nil: ARM mode).
	query azure.GraphQueryFunc
	scope azure.GraphSpec
	kql   string
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	// With resource_graph, job details are read by ARM in the
	// subscriptions of the scope.
	arm, err := s.GraphSpec.NewClient(env, Name, s.SubscriptionID)
	if err != nil {
		return nil, err
	}
	p := &provider{
		arm:        arm,
		env:        env,
		base:       s.ResourceGroupPath() + "/providers/Microsoft.RecoveryServices/vaults",
		vault:      s.Vault,
		workloads:  s.WorkloadTypes,
		apiVersion: s.APIVersion,
		window:     azure.JobWindow(time.Duration(t.ExpectedInterval)),
		now:        time.Now,
		progress:   true,
	}
	if s.FromGraph() {
		p.progress, p.scope = s.ProgressFromARM, s.GraphSpec
		p.kql = azure.GraphQuery{ItemTypes: graphItemTypes, JobTypes: graphJobTypes, Window: azure.ClampWindow(time.Duration(t.ExpectedInterval)),
			ResourceGroup: s.ResourceGroup, Vault: s.Vault}.KQL()
		if _, p.query, err = s.GraphSpec.NewQuery(env); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	if p.query != nil {
		return p.collectGraph(ctx)
	}
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
	return toolkit.ConcatConcurrent(ctx, p.env.Pool.MaxConcurrency(), vaults, p.vaultResources)
}

// vaultResources reads one vault's lists and returns its resources.
func (p *provider) vaultResources(ctx context.Context, vault string) ([]toolkit.Resource, error) {
	path := p.base + "/" + url.PathEscape(vault)
	l, err := p.lists(ctx, path, vault)
	if err != nil {
		return nil, err
	}
	return p.fromLists(ctx, path, l), nil
}

// fromLists turns the lists of the vault at vaultPath, whatever read them
// (ARM or Resource Graph), into its resources: the protected items (one
// record per resource, reading the details of a latest job in progress
// for its progress), then the protectable VMs no item protects.
func (p *provider) fromLists(ctx context.Context, vaultPath string, l vaultLists) []toolkit.Resource {
	records := matchRecords(p.wantedItems(ctx, l.items), l.jobs)
	seen := map[string]bool{}
	out := onceEach(ctx, seen, toolkit.FanOut(ctx, p.env, records, record.identity, func(ctx context.Context, r record) (toolkit.Resource, error) {
		return p.resource(ctx, vaultPath, r)
	}))
	return append(out, p.unprotected(ctx, l.protectable, records, seen)...)
}

package azuredataprotection

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

type provider struct {
	arm *azure.Client
	// env is the target's: its shard and the credential's
	// max_concurrency (how many vaults and resources are read at once).
	env    *toolkit.Env
	logger *zap.Logger

	subscription  string
	resourceGroup string
	// base is the ARM path of the vaults' list: the resource group's, or
	// the subscription's.
	base            string
	vault           string
	datasourceTypes []string
	readPoints      bool
	apiVersion      string
	window          time.Duration
	now             func() time.Time

	// policyTTL is how long a policy read is kept: the target's
	// expected_interval (docs/metrics.md: "cached for the interval").
	policyTTL     time.Duration
	policyCache   policyCache
	policyWarning sync.Once // a policy cannot be read: said once

	// Resource Graph mode (graph.go): query runs kql over scope (nil: ARM
	// mode); progress is progress_from_arm (ARM mode: always); with
	// coverage_resource_types, coverageKQL runs on graph.
	query       azure.GraphQueryFunc
	scope       azure.GraphSpec
	kql         string
	progress    bool
	graph       *azure.ResourceGraph
	coverageKQL string
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	// With resource_graph, policies, job details and recovery points are
	// read by ARM in the subscriptions of the scope.
	arm, err := s.GraphSpec.NewClient(env, Name, s.SubscriptionID)
	if err != nil {
		return nil, err
	}
	base := "/subscriptions/" + url.PathEscape(s.SubscriptionID)
	if s.ResourceGroup != "" {
		base = s.ResourceGroupPath()
	}
	p := &provider{
		arm:             arm,
		env:             env,
		logger:          env.Logger,
		subscription:    s.SubscriptionID,
		resourceGroup:   s.ResourceGroup,
		base:            base + "/providers/Microsoft.DataProtection/backupVaults",
		vault:           s.Vault,
		datasourceTypes: s.DatasourceTypes,
		readPoints:      s.ReadRecoveryPoints,
		apiVersion:      s.APIVersion,
		window:          azure.JobWindow(time.Duration(t.ExpectedInterval)),
		now:             time.Now,
		policyTTL:       time.Duration(t.ExpectedInterval),
		progress:        true,
	}
	if s.FromGraph() {
		if p.graph, p.query, err = s.GraphSpec.NewQuery(env); err != nil {
			return nil, err
		}
		window := azure.ClampWindow(time.Duration(t.ExpectedInterval))
		p.scope, p.progress, p.window = s.GraphSpec, s.ProgressFromARM, window
		if s.ReadRecoveryPoints {
			// Resource Graph holds no recovery points: this mode gives no
			// oldest success, expiry or counts (docs/metrics.md), whatever
			// the key says. Said once, when the target is built.
			p.readPoints = false
			env.Logger.Warn("read_recovery_points is ignored with source: resource_graph: Resource Graph holds no recovery points (no oldest success, expiry or counts in this mode)",
				zap.String("target", t.Name))
		}
		p.kql = azure.GraphQuery{ItemTypes: []string{azure.TypeDPInstance, policyType}, JobTypes: []string{azure.TypeDPJob}, Window: window,
			ResourceGroup: s.ResourceGroup, Vault: s.Vault}.KQL()
		if len(s.CoverageResourceTypes) > 0 {
			p.coverageKQL = azure.CoverageQuery(s.CoverageResourceTypes, s.ResourceGroup)
		}
	}
	return p, nil
}

// resourceInstances are the backup instances that protect one resource
// (one each in two vaults, say), in the order listed.
type resourceInstances struct {
	id, name  string
	instances []*backupInstance
}

func (g *resourceInstances) identity() (id, name string) { return g.id, g.name }

// Collect implements Provider. Every vault's two lists are read (vaults
// at once, within max_concurrency); then each resource of the shard is
// read from its instances: their policies (each read at most once per
// poll, and kept for the target's expected_interval), the details of a
// latest job that runs, and recovery points when needed.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	var lists []vaultLists
	pols := p.policyCache.poll(p)
	defer pols.done()
	var uncovered []toolkit.Resource
	if p.query != nil {
		g, err := p.graphLists(ctx)
		if err != nil {
			return nil, err
		}
		lists, pols.rows = []vaultLists{g.lists}, g.policies
		if p.coverageKQL != "" {
			if uncovered, err = p.uncovered(ctx); err != nil {
				return nil, err
			}
		}
	} else {
		paths, err := p.vaultPaths(ctx)
		if err != nil {
			return nil, err
		}
		if lists, err = toolkit.MapConcurrent(ctx, p.env.Pool.MaxConcurrency(), paths, p.vaultLists); err != nil {
			return nil, err
		}
	}
	jobs := map[string][]*job{}
	for _, l := range lists {
		for k, js := range l.jobs {
			jobs[k] = append(jobs[k], js...)
		}
	}
	out := toolkit.FanOut(ctx, p.env, p.resources(ctx, lists), (*resourceInstances).identity,
		func(ctx context.Context, g *resourceInstances) (toolkit.Resource, error) {
			records := make([]toolkit.Resource, 0, len(g.instances))
			for _, it := range g.instances {
				d, err := p.instanceData(ctx, pols, it, jobs[strings.ToLower(it.ID)])
				if err != nil {
					return toolkit.Resource{}, err
				}
				records = append(records, d.record())
			}
			return merge(records), nil
		})
	if len(uncovered) == 0 {
		return out, nil
	}
	return toolkit.Keep(ctx, p.env, append(out, uncovered...)), nil
}

// resources groups the vaults' instances by the resource they protect
// (its ID compared without case, as Azure compares IDs), keeping those of
// the target's datasource_types (the others are dropped as filtered); an
// instance listed twice is dropped as a duplicate.
func (p *provider) resources(ctx context.Context, lists []vaultLists) []*resourceInstances {
	var out []*resourceInstances
	byID := map[string]*resourceInstances{}
	seen := map[string]bool{}
	for _, l := range lists {
		for i := range l.instances {
			it := &l.instances[i]
			switch {
			case !p.wanted(it):
				toolkit.Drop(ctx, it.resourceID(), it.label(), toolkit.DropFiltered)
				continue
			case seen[strings.ToLower(it.ID)]:
				toolkit.Drop(ctx, it.resourceID(), it.label(), toolkit.DropDuplicate)
				continue
			}
			seen[strings.ToLower(it.ID)] = true
			k := strings.ToLower(it.resourceID())
			g := byID[k]
			if g == nil {
				g = &resourceInstances{id: it.resourceID(), name: it.label()}
				byID[k] = g
				out = append(out, g)
			}
			g.instances = append(g.instances, it)
		}
	}
	return out
}

// wanted applies the target's datasource_types.
func (p *provider) wanted(it *backupInstance) bool {
	return len(p.datasourceTypes) == 0 || slices.ContainsFunc(p.datasourceTypes, func(d string) bool {
		return strings.EqualFold(d, it.Properties.DataSourceInfo.DatasourceType)
	})
}

// instanceData reads what one instance's record needs beyond the lists:
// its policy; its latest job's details while that job runs (Jobs_Get, for
// the bytes moved); its recovery points with read_recovery_points, or
// when no Backup job of the window succeeded. An instance that protects
// nothing needs none of them.
func (p *provider) instanceData(ctx context.Context, pols *policies, it *backupInstance, jobs []*job) (instanceData, error) {
	d := instanceData{inst: it, jobs: jobs, allPoints: p.readPoints}
	if !it.protected() {
		return d, nil
	}
	pol, err := pols.get(ctx, it.Properties.PolicyInfo.PolicyID)
	if err != nil {
		return d, fmt.Errorf("backup instance %q: %w", it.Name, err)
	}
	d.policy = pol
	if latest := newestJob(jobs); p.progress && latest != nil && toolkit.Normalise(jobStates, latest.Properties.Status) == toolkit.StateRunning {
		if d.detail, err = p.jobDetail(ctx, latest); err != nil {
			return d, fmt.Errorf("backup instance %q: %w", it.Name, err)
		}
	}
	succeeded := slices.ContainsFunc(jobs, func(j *job) bool {
		return toolkit.Normalise(jobStates, j.Properties.Status) == toolkit.StateSucceeded
	})
	if p.readPoints || !succeeded {
		if d.points, err = p.recoveryPoints(ctx, it); err != nil {
			return d, err
		}
		d.pointsRead = true
	}
	return d, nil
}

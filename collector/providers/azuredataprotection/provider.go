package azuredataprotection

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
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

	policyWarning sync.Once // a policy cannot be read: said once
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	arm, err := azure.NewClient(env, Name, s.SubscriptionID)
	if err != nil {
		return nil, err
	}
	base := "/subscriptions/" + url.PathEscape(s.SubscriptionID)
	if s.ResourceGroup != "" {
		base = s.ResourceGroupPath()
	}
	return &provider{
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
		window:          max(2*time.Duration(t.ExpectedInterval), minJobWindow),
		now:             time.Now,
	}, nil
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
// read from its instances: their policies (each once per poll), the
// details of a latest job that runs, and recovery points when needed.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	paths, err := p.vaultPaths(ctx)
	if err != nil {
		return nil, err
	}
	lists, err := toolkit.MapConcurrent(ctx, p.env.Pool.MaxConcurrency(), paths, p.vaultLists)
	if err != nil {
		return nil, err
	}
	jobs := map[string][]*job{}
	for _, l := range lists {
		for k, js := range l.jobs {
			jobs[k] = append(jobs[k], js...)
		}
	}
	pols := &policies{p: p, m: map[string]*policyEntry{}}
	return toolkit.FanOut(ctx, p.env, p.resources(ctx, lists), (*resourceInstances).identity,
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
		}), nil
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
// when no Backup job of the window succeeded (and its policy schedules
// backups). An instance that protects nothing needs none of them.
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
	if latest := newestJob(jobs); latest != nil && toolkit.Normalise(jobStates, latest.Properties.Status) == toolkit.StateRunning {
		if d.detail, err = p.jobDetail(ctx, latest); err != nil {
			return d, fmt.Errorf("backup instance %q: %w", it.Name, err)
		}
	}
	succeeded := slices.ContainsFunc(jobs, func(j *job) bool {
		return toolkit.Normalise(jobStates, j.Properties.Status) == toolkit.StateSucceeded
	})
	if p.readPoints || (!succeeded && (pol == nil || pol.scheduled)) {
		if d.points, err = p.recoveryPoints(ctx, it); err != nil {
			return d, err
		}
		d.pointsRead = true
	}
	return d, nil
}

// errNoPolicyID: an instance's policyInfo.policyId is not the ARM ID of
// a Backup vault's policy, so the policy cannot be read.
var errNoPolicyID = errors.New("the policy ID is not the ARM ID of a Backup vault's policy")

// policies are the backup policies of one poll, each read once however
// many instances name it (at once too: the first reads, the others wait
// for its answer).
type policies struct {
	p  *provider
	mu sync.Mutex
	m  map[string]*policyEntry // by lower-cased policy ID
}

type policyEntry struct {
	once  sync.Once
	sched *policySchedule
	err   error
}

// get returns what the policy id says of its schedule; nil, without
// error, when it cannot be read for want of the policy or of the right to
// read it (the default interval then applies, and the instance counts as
// scheduled).
func (c *policies) get(ctx context.Context, id string) (*policySchedule, error) {
	k := strings.ToLower(id)
	c.mu.Lock()
	e := c.m[k]
	if e == nil {
		e = &policyEntry{}
		c.m[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.sched, e.err = c.p.readPolicy(ctx, id) })
	return e.sched, e.err
}

func (p *provider) readPolicy(ctx context.Context, id string) (*policySchedule, error) {
	pol, err := p.policy(ctx, id)
	var httpErr *upstream.HTTPError
	switch {
	case err == nil:
		s := pol.schedule()
		return &s, nil
	case errors.Is(err, errNoPolicyID),
		errors.As(err, &httpErr) && (httpErr.StatusCode == http.StatusNotFound || httpErr.StatusCode == http.StatusForbidden):
		p.policyWarning.Do(func() {
			p.logger.Warn("cannot read a backup policy: its instances are due every expected_interval (default 24h)", zap.Error(err))
		})
		return nil, nil
	}
	return nil, err
}

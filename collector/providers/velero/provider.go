// Package velero reads Velero's custom resources (velero.io/v1) and the
// cluster's namespaces from the Kubernetes API. The protected resources
// are the namespaces: each is covered by the Schedules and Backups whose
// namespace filters include it, and its latest covering Backup gives its
// state, so that freshness and coverage are per namespace, which Velero's
// own metrics (per schedule) cannot say.
package velero

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/collector/toolkit/schedule"
	"github.com/backup-exporter/backup_exporter/config"
)

// maxWarned bounds the schedules remembered as logged.
const maxWarned = 1000

// excludeLabel on a namespace keeps it out of every Velero backup.
const excludeLabel = "velero.io/exclude-from-backup"

type provider struct {
	k8s              *kubernetes.Client
	env              *toolkit.Env
	namespace        string
	exclude          *globSet
	coverage         string
	selector         string
	storageLocations bool
	volumeBytes      bool
	// wantTags: the target's backup_resource_info carries the
	// namespaces' labels (else the records keep none).
	wantTags bool
	now      func() time.Time

	// warned holds the schedules whose interval could not be derived,
	// logged once each (not every poll).
	mu     sync.Mutex
	warned map[string]bool
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	k8s, err := kubernetes.NewClient(env, Name)
	if err != nil {
		return nil, err
	}
	s := t.Spec.(*Spec)
	p := &provider{
		k8s: k8s, env: env,
		namespace:        firstNonEmpty(s.Namespace, DefaultNamespace),
		exclude:          compileSet(s.ExcludeNamespaces),
		coverage:         firstNonEmpty(s.LabelSelectorCoverage, CoverageNamed),
		selector:         s.BackupLabelSelector,
		storageLocations: s.StorageLocations == nil || *s.StorageLocations,
		volumeBytes:      s.VolumeBytes,
		wantTags:         toolkit.WantsTags(t),
		now:              time.Now,
		warned:           map[string]bool{},
	}
	return p, nil
}

// Collect implements toolkit.Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	var (
		nsList    []namespace
		backups   []backup
		schedules []backupSchedule
		locations []storageLocation
	)
	g := toolkit.NewGroup(ctx, 0)
	g.Go(func(ctx context.Context) (err error) {
		nsList, err = kubernetes.ListOf[namespace](ctx, p.k8s, "namespaces", namespacesPath, kubernetes.ListOptions{Limit: pageSize})
		return err
	})
	g.Go(func(ctx context.Context) (err error) {
		backups, err = list[backup](ctx, p, v1Prefix, "backups", p.selector)
		if kubernetes.NotInstalled(err) {
			err = fmt.Errorf("%w (is Velero installed? its velero.io/v1 resources are absent)", err)
		}
		return err
	})
	g.Go(func(ctx context.Context) (err error) {
		schedules, err = list[backupSchedule](ctx, p, v1Prefix, "schedules", p.selector)
		return err
	})
	if p.storageLocations {
		g.Go(func(ctx context.Context) (err error) {
			locations, err = list[storageLocation](ctx, p, v1Prefix, "backupstoragelocations", "")
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out, latest, err := p.records(ctx, nsList, backups, schedules, locations, p.now())
	if err != nil {
		return nil, err
	}
	if p.volumeBytes {
		if err := p.addVolumeBytes(ctx, out, latest); err != nil {
			return nil, err
		}
	}
	return toolkit.Keep(ctx, p.env, out), nil
}

// records are the target's resources from its lists, sorted by name, and
// the latest covering Backup of each (nil: none). Namespaces covered by
// the same filters share their covering Backups, and those created before
// the same Backups one summary. The work is bounded (maxCoverage) and
// stops with ctx.
func (p *provider) records(ctx context.Context, nsList []namespace, backups []backup, schedules []backupSchedule, locations []storageLocation, now time.Time) ([]toolkit.Resource, []*backup, error) {
	resources := p.resources(ctx, nsList)
	fs := &filters{byKey: map[string]int{}}
	sorted := sortBackups(backups, fs, toBackup)
	scheduleFilter := make([]int, len(schedules))
	for i := range schedules {
		scheduleFilter[i] = fs.add(&schedules[i].Spec.Template)
	}
	cov, err := cover(ctx, fs, resources, p.coverage)
	if err != nil {
		return nil, nil, err
	}
	var byName map[string]*storageLocation
	if p.storageLocations {
		byName = make(map[string]*storageLocation, len(locations))
		for i := range locations {
			if _, dup := byName[locations[i].Metadata.Name]; !dup {
				byName[locations[i].Metadata.Name] = &locations[i]
			}
		}
	}
	intervals := p.intervals(ctx, now)

	type covering struct {
		group
		at []int // the covering backups' places in sorted, increasing
	}
	sets := map[string]*covering{}
	summaries := map[string]toolkit.Resource{}
	latest := make([]*backup, len(resources))
	out := make([]toolkit.Resource, 0, len(resources))
	for i, ns := range resources {
		if i%256 == 0 && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		key := cov.coveringFilters(i)
		set := sets[key]
		if set == nil {
			set = &covering{}
			for k := range sorted.records {
				if cov.covered[sorted.filter[k]].has(i) {
					set.backups = append(set.backups, sorted.records[k])
					set.at = append(set.at, k)
				}
			}
			for si := range schedules {
				if cov.covered[scheduleFilter[si]].has(i) {
					set.schedules = append(set.schedules, &schedules[si])
				}
			}
			sets[key] = set
		}
		// The covering backups that started since the namespace was
		// created are a prefix of them (newest first).
		n := sort.SearchInts(set.at, sorted.startedSince(toolkit.ParseTime(ns.Metadata.CreationTimestamp)))
		if n > 0 {
			latest[i] = sorted.raw[set.at[0]]
		}
		gkey := key + "/" + strconv.Itoa(n)
		r, ok := summaries[gkey]
		if !ok {
			r = p.summary(&group{backups: set.backups[:n], latest: latest[i], schedules: set.schedules}, byName, now, intervals)
			summaries[gkey] = r
		}
		out = append(out, forNamespace(r, ns, p.wantTags))
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return out, latest, nil
}

// resources are the cluster's namespaces that are resources of the
// target, sorted by name: not Velero's own, not the target's
// exclude_namespaces, not those labelled velero.io/exclude-from-backup
// (each left out is dropped as filtered).
func (p *provider) resources(ctx context.Context, nsList []namespace) []*namespace {
	out := make([]*namespace, 0, len(nsList))
	for i := range nsList {
		n := &nsList[i]
		name := n.Metadata.Name
		if name == p.namespace || p.exclude.match(name) || n.Metadata.Labels[excludeLabel] == "true" {
			toolkit.Drop(ctx, name, name, toolkit.DropFiltered)
			continue
		}
		out = append(out, n)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Metadata.Name < out[j].Metadata.Name })
	return out
}

// intervals returns, for this poll, the interval of a Schedule's cron
// (computed once per Schedule); a schedule that yields none is logged
// once, and gives 0, as every one once the poll is over (ctx).
func (p *provider) intervals(ctx context.Context, now time.Time) func(*backupSchedule) time.Duration {
	cache := map[*backupSchedule]time.Duration{}
	return func(s *backupSchedule) time.Duration {
		if d, ok := cache[s]; ok {
			return d
		}
		if ctx.Err() != nil {
			return 0 // records returns ctx's error
		}
		d, err := schedule.Interval(s.Spec.Schedule, schedule.Standard, now)
		if err != nil {
			p.warnOnce(s, err)
			d = 0
		}
		cache[s] = d
		return d
	}
}

func (p *provider) warnOnce(s *backupSchedule, err error) {
	key := s.Metadata.Name + "\x00" + s.Spec.Schedule
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.warned[key] {
		return
	}
	if len(p.warned) >= maxWarned {
		clear(p.warned) // bounded, whatever the upstream's schedules
	}
	p.warned[key] = true
	p.env.Logger.Warn("a Velero Schedule's cron yields no backup interval: the namespaces it covers use expected_interval (default 24h)",
		zap.String("schedule", strings.ToValidUTF8(s.Metadata.Name, "?")), zap.String("cron", strings.ToValidUTF8(s.Spec.Schedule, "?")), zap.Error(err))
}

// Package cloudnativepg reads CloudNativePG's custom resources
// (postgresql.cnpg.io/v1) from the Kubernetes API: Clusters are the
// protected resources, their Backups the backups, their ScheduledBackups
// say how often a backup is due; the barman-cloud plugin's ObjectStores
// (barmancloud.cnpg.io/v1) hold the recovery window of the Clusters that
// back up through it.
package cloudnativepg

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/collector/toolkit/schedule"
	"github.com/backup-exporter/backup_exporter/config"
)

type provider struct {
	k8s        *kubernetes.Client
	namespaces []string
	plugin     string // barman_cloud_plugin
	// wantTags: the target's backup_resource_info carries the Clusters'
	// labels (else they are not decoded).
	wantTags  bool
	env       *toolkit.Env
	intervals *schedule.Memo
	// now is the clock of the derived intervals (tests pin it).
	now func() time.Time

	mu sync.Mutex
	// warned are the schedules (namespace/name and expression) already
	// logged as yielding no interval: each is logged once, not per poll.
	warned map[string]bool
	// notInstalled is set once a list of objectstores answered 404 with
	// barman_cloud_plugin auto, and logged then.
	notInstalled bool
}

// intervalTTL is how long a derived interval is reused (schedule.Memo).
const intervalTTL = time.Hour

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	k8s, err := kubernetes.NewClient(env, Name)
	if err != nil {
		return nil, err
	}
	s := t.Spec.(*Spec)
	return &provider{
		k8s: k8s, namespaces: s.Namespaces, plugin: s.BarmanCloudPlugin, wantTags: toolkit.WantsTags(t), env: env,
		intervals: schedule.NewMemo(intervalTTL), now: time.Now, warned: map[string]bool{},
	}, nil
}

// lists are what one poll reads.
type lists struct {
	clusters  []cluster
	backups   []backup
	scheduled []scheduledBackup
	stores    []objectStore
	// pluginRead is false when the ObjectStores were not read
	// (barman_cloud_plugin false, or the plugin is not installed).
	pluginRead bool
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	var l lists
	g := toolkit.NewGroup(ctx, 0)
	g.Go(func(ctx context.Context) (err error) {
		l.clusters, err = list[cluster](ctx, p, cnpgPrefix, "clusters")
		return err
	})
	g.Go(func(ctx context.Context) (err error) {
		l.backups, err = list[backup](ctx, p, cnpgPrefix, "backups")
		return err
	})
	g.Go(func(ctx context.Context) (err error) {
		l.scheduled, err = list[scheduledBackup](ctx, p, cnpgPrefix, "scheduledbackups")
		return err
	})
	if p.plugin != PluginFalse {
		g.Go(func(ctx context.Context) error {
			stores, err := list[objectStore](ctx, p, pluginPrefix, "objectstores")
			switch {
			case err == nil:
				l.stores, l.pluginRead = stores, true
				return nil
			case kubernetes.NotInstalled(err) && p.plugin == PluginAuto:
				p.logNotInstalled()
				return nil
			case kubernetes.NotInstalled(err):
				return fmt.Errorf("the barman-cloud plugin is not installed (barman_cloud_plugin: true): %w", err)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return toolkit.Keep(ctx, p.env, p.resources(&l)), nil
}

// resources builds a record per Cluster, in namespace/name order, from the
// lists alone (no call per Cluster).
func (p *provider) resources(l *lists) []toolkit.Resource {
	backupsOf := map[string][]*backup{}
	for i := range l.backups {
		b := &l.backups[i]
		k := b.Metadata.Namespace + "/" + b.Spec.Cluster.Name
		backupsOf[k] = append(backupsOf[k], b)
	}
	scheduledOf := map[string][]*scheduledBackup{}
	for i := range l.scheduled {
		s := &l.scheduled[i]
		k := s.Metadata.Namespace + "/" + s.Spec.Cluster.Name
		scheduledOf[k] = append(scheduledOf[k], s)
	}
	stores := map[string]*objectStore{}
	for i := range l.stores {
		stores[l.stores[i].id()] = &l.stores[i]
	}
	sort.SliceStable(l.clusters, func(i, j int) bool { return l.clusters[i].id() < l.clusters[j].id() })
	now := p.now()
	out := make([]toolkit.Resource, 0, len(l.clusters))
	for i := range l.clusters {
		c := &l.clusters[i]
		id := c.id()
		w := p.windowOf(c, l.pluginRead, stores)
		interval := p.interval(scheduledOf[id], now)
		r := resource(c, backupsOf[id], scheduledOf[id], w, interval)
		if p.wantTags {
			r.Tags.Values = c.labels()
		}
		out = append(out, r)
	}
	return out
}

// interval is the shortest interval of the schedules of the Cluster's
// ScheduledBackups that are not suspended (0: none says). A schedule that
// yields none is logged once.
func (p *provider) interval(scheduled []*scheduledBackup, now time.Time) time.Duration {
	var shortest time.Duration
	for _, s := range scheduled {
		if s.suspended() {
			continue
		}
		d, err := p.intervals.Interval(s.Spec.Schedule, schedule.SecondsFirst, now)
		if err != nil {
			p.warnOnce(s, err)
			continue
		}
		if shortest == 0 || d < shortest {
			shortest = d
		}
	}
	return shortest
}

// maxWarned bounds the schedules remembered as logged, and
// maxLoggedSchedule how much of one is logged and remembered.
const (
	maxWarned         = 4096
	maxLoggedSchedule = 256
)

func (p *provider) warnOnce(s *scheduledBackup, err error) {
	// Bounded: the schedule is untrusted input.
	expr := s.Spec.Schedule
	if len(expr) > maxLoggedSchedule {
		expr = expr[:maxLoggedSchedule] + "…"
	}
	key := s.id() + "\x00" + expr
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.warned[key] {
		return
	}
	if len(p.warned) >= maxWarned {
		p.warned = map[string]bool{}
	}
	p.warned[key] = true
	p.env.Logger.Warn("a ScheduledBackup's schedule yields no interval: the target's expected_interval (default 24h) applies",
		zap.String("scheduled_backup", s.id()), zap.String("schedule", expr), zap.Error(err))
}

func (p *provider) logNotInstalled() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.notInstalled {
		p.notInstalled = true
		p.env.Logger.Info("the barman-cloud plugin is not installed (objectstores.barmancloud.cnpg.io answers 404): Clusters' recovery windows come from their own status")
	}
}

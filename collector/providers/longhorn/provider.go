// Package longhorn reads Longhorn's custom resources (longhorn.io/v1beta2)
// from the Kubernetes API, in Longhorn's namespace: Volumes are the
// protected resources, their Backups the backups, BackupVolumes give a
// last backup time when no Backup does, RecurringJobs say whether a
// volume has backups configured and how often they are due, and
// BackupTargets whether the volume's target can take them.
package longhorn

import (
	"context"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

type provider struct {
	k8s           *kubernetes.Client
	namespace     string
	backupTargets bool
	// wantTags: the target's backup_resource_info carries the Volumes'
	// labels (else the records keep none).
	wantTags bool
	env      *toolkit.Env
	now      func() time.Time

	// warned are the schedules already logged as giving no interval: the
	// log names each once, not at every poll.
	mu     sync.Mutex
	warned map[string]bool
}

// maxWarned bounds the schedules remembered as logged.
const maxWarned = 1000

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	k8s, err := kubernetes.NewClient(env, Name)
	if err != nil {
		return nil, err
	}
	s := t.Spec.(*Spec)
	return &provider{
		k8s: k8s, namespace: s.Namespace, backupTargets: s.BackupTargets == nil || *s.BackupTargets,
		wantTags: toolkit.WantsTags(t), env: env, now: time.Now, warned: map[string]bool{},
	}, nil
}

// lists are the five lists of one poll.
type lists struct {
	volumes       []volume
	backups       []backup
	backupVolumes []backupVolume
	jobs          []recurringJob
	targets       []backupTarget
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	var l lists
	g := toolkit.NewGroup(ctx, 0)
	g.Go(func(ctx context.Context) (err error) { l.volumes, err = list[volume](ctx, p, resVolumes); return err })
	g.Go(func(ctx context.Context) (err error) { l.backups, err = list[backup](ctx, p, resBackups); return err })
	g.Go(func(ctx context.Context) (err error) {
		l.backupVolumes, err = list[backupVolume](ctx, p, resBackupVolumes)
		return err
	})
	g.Go(func(ctx context.Context) (err error) {
		l.jobs, err = list[recurringJob](ctx, p, resRecurringJobs)
		return err
	})
	if p.backupTargets {
		g.Go(func(ctx context.Context) (err error) {
			l.targets, err = list[backupTarget](ctx, p, resBackupTargets)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	ix := newIndex(&l, p.now(), p.noInterval)
	sort.SliceStable(l.volumes, func(i, j int) bool { return l.volumes[i].Metadata.Name < l.volumes[j].Metadata.Name })
	out := make([]toolkit.Resource, 0, len(l.volumes))
	for i := range l.volumes {
		r := ix.resource(&l.volumes[i])
		if p.wantTags {
			r.Tags.Values = l.volumes[i].Metadata.Labels
		}
		out = append(out, r)
	}
	// The records come from the lists alone (no call per Volume): the
	// shard keeps its own, each Volume once.
	return toolkit.Keep(ctx, p.env, out), nil
}

// noInterval logs, once per job and schedule, a backup RecurringJob
// whose cron yields no interval (the target's expected_interval, default
// 24h, then applies to its volumes).
func (p *provider) noInterval(job, cron string, err error) {
	key := job + "\x00" + cron
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.warned[key] || len(p.warned) >= maxWarned {
		return
	}
	p.warned[key] = true
	p.env.Logger.Warn("a backup recurring job's schedule gives no interval: its volumes are due every expected_interval",
		zap.String("recurring_job", job), zap.String("cron", cron), zap.Error(err))
}

// Package tridentprotect reads NetApp Trident protect's custom resources
// (protect.trident.netapp.io/v1) from the Kubernetes API: Applications are
// the protected resources, their Backups the backups, and their Schedules
// say how often a backup is due.
package tridentprotect

import (
	"context"
	"sort"

	"github.com/backup-exporter/backup_exporter/collector/providers/kubernetes"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

type provider struct {
	k8s        *kubernetes.Client
	namespaces []string
	env        *toolkit.Env
	// wantTags: the target's backup_resource_info carries the
	// Applications' labels.
	wantTags bool
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	k8s, err := kubernetes.NewClient(env, Name)
	if err != nil {
		return nil, err
	}
	return &provider{k8s: k8s, namespaces: t.Spec.(*Spec).Namespaces, env: env, wantTags: toolkit.WantsTags(t)}, nil
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	var (
		apps      []application
		backups   []backup
		schedules []schedule
	)
	g := toolkit.NewGroup(ctx, 0)
	g.Go(func(gctx context.Context) (err error) {
		apps, err = list[application](gctx, p, "applications")
		return err
	})
	g.Go(func(gctx context.Context) (err error) { backups, err = list[backup](gctx, p, "backups"); return err })
	g.Go(func(gctx context.Context) (err error) {
		schedules, err = list[schedule](gctx, p, "schedules")
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	byApp := map[string][]*backup{}
	for i := range backups {
		b := &backups[i]
		k := b.Metadata.Namespace + "/" + b.Spec.ApplicationRef
		byApp[k] = append(byApp[k], b)
	}
	schedulesOf := map[string][]*schedule{}
	for i := range schedules {
		s := &schedules[i]
		k := s.Metadata.Namespace + "/" + s.Spec.ApplicationRef
		schedulesOf[k] = append(schedulesOf[k], s)
	}
	sort.SliceStable(apps, func(i, j int) bool { return appID(&apps[i]) < appID(&apps[j]) })
	out := make([]toolkit.Resource, 0, len(apps))
	for i := range apps {
		a := &apps[i]
		id := appID(a)
		r := resource(id, a.Metadata.Name, byApp[id], schedulesOf[id])
		r.Tags.Kind = toolkit.KubernetesLabels
		if p.wantTags {
			r.Tags.Values = a.labels()
		}
		out = append(out, r)
	}
	// The records come from the lists alone (no call per Application):
	// the shard keeps its own, each Application once.
	return toolkit.Keep(ctx, p.env, out), nil
}

func appID(a *application) string { return a.Metadata.Namespace + "/" + a.Metadata.Name }

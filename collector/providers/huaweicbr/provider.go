package huaweicbr

import (
	"context"
	"fmt"
	"net/url"

	"github.com/backup-exporter/backup_exporter/collector/providers/huawei"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// provider reads one CBR target: one backup (backup_id), or the
// project's backups grouped by resource.
type provider struct {
	client *upstream.Client
	// env keeps the shard's own resources (toolkit.Keep).
	env      *toolkit.Env
	base     string // endpoint + /v3/{project_id}
	project  string
	backup   string
	vault    string
	resource string
	// wantTags: the target's backup_resource_info carries the vaults'
	// tags; vaults keeps the last read.
	wantTags bool
	vaults   vaultTags
}

// newProvider builds the provider of target t.
func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	env.WarnPlainHTTP(s.Endpoint)
	p := &provider{
		env:      env,
		base:     s.Endpoint + "/v3/" + url.PathEscape(s.ProjectID),
		project:  s.ProjectID,
		backup:   s.BackupID,
		vault:    s.VaultID,
		resource: s.ResourceID,
		wantTags: toolkit.WantsTags(t),
	}
	p.client = env.Client(Name, huawei.Authorizer(env.Credential, s.ProjectID))
	return p, nil
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	if p.backup != "" {
		r, err := p.single(ctx)
		if err != nil {
			return nil, err
		}
		return []toolkit.Resource{r}, nil
	}
	return p.listed(ctx)
}

// single reads the one backup the target names.
func (p *provider) single(ctx context.Context) (toolkit.Resource, error) {
	var body struct {
		Backup *huaweiBackup `json:"backup"`
	}
	u := p.base + "/backups/" + url.PathEscape(p.backup)
	if _, err := p.client.GetJSON(ctx, p.request(u), &body); err != nil {
		return toolkit.Resource{}, fmt.Errorf("get CBR backup %q of project %q: %w", p.backup, p.project, err)
	}
	if body.Backup == nil {
		return toolkit.Resource{}, fmt.Errorf("get CBR backup %q of project %q: the answer has no backup", p.backup, p.project)
	}
	b := body.Backup
	if err := b.Check(); err != nil {
		return toolkit.Resource{}, fmt.Errorf("get CBR backup %q of project %q: %w", p.backup, p.project, err)
	}
	r := toolkit.Summarize(b.resourceKey(), b.resourceLabel(), []toolkit.Backup{b.toBackup(nil)}, false)
	r.Tags = toolkit.Tags{Kind: toolkit.VaultTags}
	if p.wantTags {
		r.Tags.Values = p.vaultTags(ctx)[b.VaultID]
	}
	return r, nil
}

// listed lists the project's backups (within the target's filters) and
// groups them by protected resource: the shard's own, each once. The
// vaults are listed at the same time, for their tags, when the target
// wants them.
func (p *provider) listed(ctx context.Context) ([]toolkit.Resource, error) {
	var (
		backups []huaweiBackup
		vaults  map[string]map[string]string
	)
	g := toolkit.NewGroup(ctx, 0)
	g.Go(func(ctx context.Context) (err error) {
		if backups, err = p.listBackups(ctx); err != nil {
			return fmt.Errorf("list CBR backups of project %q: %w", p.project, err)
		}
		return nil
	})
	if p.wantTags {
		g.Go(func(ctx context.Context) error {
			vaults = p.vaultTags(ctx)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	rs, children := records(backups, vaults)
	if len(rs) == 0 && p.resource != "" {
		// The target names a resource that has no backup: a coverage gap.
		rs = []toolkit.Resource{toolkit.Summarize(p.resource, p.resource, nil, true)}
		rs[0].Tags.Kind = toolkit.VaultTags
	}
	dropChildOnly(ctx, rs, children)
	return toolkit.Keep(ctx, p.env, rs), nil
}

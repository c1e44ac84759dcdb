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

type provider struct {
	client   *upstream.Client
	base     string // endpoint + /v3/{project_id}
	project  string
	backup   string
	vault    string
	resource string
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	env.WarnPlainHTTP(s.Endpoint)
	p := &provider{
		base:     s.Endpoint + "/v3/" + url.PathEscape(s.ProjectID),
		project:  s.ProjectID,
		backup:   s.BackupID,
		vault:    s.VaultID,
		resource: s.ResourceID,
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
	return toolkit.Summarize(b.resourceKey(), b.resourceLabel(), []toolkit.Backup{b.toBackup(nil)}, false), nil
}

// listed lists the project's backups (within the target's filters) and
// groups them by protected resource.
func (p *provider) listed(ctx context.Context) ([]toolkit.Resource, error) {
	backups, err := p.listBackups(ctx)
	if err != nil {
		return nil, fmt.Errorf("list CBR backups of project %q: %w", p.project, err)
	}

	// Children are parts of their parent's backup. The list normally
	// nests them; should it also list one on its own, it still only
	// counts against its parent.
	childErrors := map[string][]string{}
	var top []*huaweiBackup
	for i := range backups {
		b := &backups[i]
		if b.ParentID != nil && *b.ParentID != "" {
			if b.Status == "error" {
				childErrors[*b.ParentID] = append(childErrors[*b.ParentID], b.childName())
			}
			continue
		}
		// A backup listed twice counts once (Summarize drops repeats of
		// its ID).
		top = append(top, b)
	}

	var order []string
	byResource := map[string][]*huaweiBackup{}
	for _, b := range top {
		key := b.resourceKey()
		if _, ok := byResource[key]; !ok {
			order = append(order, key)
		}
		byResource[key] = append(byResource[key], b)
	}
	if len(order) == 0 && p.resource != "" {
		// The target names a resource that has no backup: a coverage gap.
		return []toolkit.Resource{toolkit.Summarize(p.resource, p.resource, nil, true)}, nil
	}
	resources := make([]toolkit.Resource, 0, len(order))
	for _, key := range order {
		group := byResource[key]
		converted := make([]toolkit.Backup, len(group))
		for i, b := range group {
			converted[i] = b.toBackup(childErrors)
		}
		resources = append(resources, toolkit.Summarize(key, huaweiResourceName(group), converted, true))
	}
	return resources, nil
}

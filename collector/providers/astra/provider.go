package astra

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// provider reads one Astra target: one backup (backup_id), one app
// (app_id) or every app of the account.
type provider struct {
	client *upstream.Client
	// env bounds the fan-out over apps (the shard's own, max_concurrency
	// at once) and logs the switch to k8s/v1/apps.
	env    *toolkit.Env
	base   string // endpoint + /accounts/{account_id}
	app    string
	backup string
	// wantTags: the target's backup_resource_info carries the apps'
	// metadata.labels.
	wantTags bool

	// appsV1 is set once k8s/v2/apps answered 404 and k8s/v1/apps did
	// not: this Astra predates App 2.0, and is asked at v1 from then on.
	appsV1   atomic.Bool
	fallback sync.Once // the switch to v1 is logged once
}

// newProvider builds the provider of target t.
func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	env.WarnPlainHTTP(s.Endpoint)
	return &provider{
		client:   env.Client(Name, bearer(env.Credential)),
		env:      env,
		base:     s.Endpoint + "/accounts/" + url.PathEscape(s.AccountID),
		app:      s.AppID,
		backup:   s.BackupID,
		wantTags: toolkit.WantsTags(t),
	}, nil
}

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	switch {
	case p.backup != "":
		r, err := p.single(ctx)
		if err != nil {
			return nil, err
		}
		return []toolkit.Resource{r}, nil
	case p.app != "":
		app, err := p.readApp(ctx)
		if err != nil {
			return nil, err
		}
		r, err := p.appResource(ctx, app)
		if err != nil {
			return nil, err
		}
		return []toolkit.Resource{r}, nil
	default:
		return p.discover(ctx)
	}
}

// single reads the one backup the target names, of its app (backup_id
// needs app_id: an appBackup names no app).
func (p *provider) single(ctx context.Context) (toolkit.Resource, error) {
	path := "/k8s/v1/apps/" + url.PathEscape(p.app) + "/appBackups/" + url.PathEscape(p.backup)
	app, err := p.readApp(ctx)
	if err != nil {
		return toolkit.Resource{}, err
	}
	var b astraBackup
	if _, err := p.client.GetJSON(ctx, p.request(p.base+path), &b); err != nil {
		return toolkit.Resource{}, fmt.Errorf("get Astra backup %q: %w", p.backup, err)
	}
	if err := b.Check(); err != nil {
		return toolkit.Resource{}, fmt.Errorf("get Astra backup %q: %w", p.backup, err)
	}
	r := toolkit.Summarize(app.ID, app.label(), []toolkit.Backup{b.toBackup()}, false)
	r.Tags = p.labels(app)
	return r, nil
}

// discover lists the account's apps, then each app's backups.
func (p *provider) discover(ctx context.Context) ([]toolkit.Resource, error) {
	var apps []astraApp
	err := p.withAppsFallback(func(path string) (err error) {
		apps, err = p.listApps(ctx, path)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list Astra apps: %w", err)
	}
	return toolkit.FanOut(ctx, p.env, apps, astraApp.identity, p.appResource), nil
}

// appResource lists every backup of one app.
func (p *provider) appResource(ctx context.Context, app astraApp) (toolkit.Resource, error) {
	backups, err := p.listBackups(ctx, app.ID)
	if err != nil {
		return toolkit.Resource{}, fmt.Errorf("list backups of Astra app %q: %w", app.ID, err)
	}
	r := appRecord(app, backups)
	r.Tags = p.labels(app)
	return r, nil
}

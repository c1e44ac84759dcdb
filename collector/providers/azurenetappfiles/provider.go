package azurenetappfiles

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

type provider struct {
	arm *azure.Client
	// env is the target's: its shard and the credential's
	// max_concurrency (how many lists and volume reads run at once).
	env        *toolkit.Env
	base       string // ARM path of the NetApp account
	pool       string
	volume     string
	vault      string
	apiVersion string

	logger       *zap.Logger
	vaultWarning sync.Once // the vaults cannot be read: said once
}

func newProvider(t *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
	s := t.Spec.(*Spec)
	arm, err := azure.NewClient(env, Name, s.SubscriptionID)
	if err != nil {
		return nil, err
	}
	return &provider{
		arm:        arm,
		env:        env,
		base:       s.ResourceGroupPath() + "/providers/Microsoft.NetApp/netAppAccounts/" + url.PathEscape(s.Account),
		pool:       s.Pool,
		volume:     s.Volume,
		vault:      s.BackupVault,
		apiVersion: s.APIVersion,
		logger:     env.Logger,
	}, nil
}

// anfVolume is a volume to report on.
type anfVolume struct {
	id, name, pool string
	// configured is true when the volume has backup configured
	// (properties.dataProtection.backup), or was named in the target.
	configured bool
}

// identity is the volume's resource ID and name.
func (v anfVolume) identity() (id, name string) { return v.id, v.name }

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	// The volumes and the vaults' backups are independent lists: read
	// them at the same time.
	var (
		volumes []anfVolume
		backups map[string][]toolkit.Backup
		err     error
	)
	g := toolkit.NewGroup(ctx, 0)
	g.Go(func(gctx context.Context) (verr error) {
		volumes, verr = p.volumes(gctx)
		return verr
	})
	g.Go(func(gctx context.Context) error {
		backups, err = p.vaultBackups(gctx)
		return nil // judged below: unreadable vaults are not fatal
	})
	if verr := g.Wait(); verr != nil {
		return nil, verr
	}
	listed := true
	var httpErr *upstream.HTTPError
	if errors.As(err, &httpErr) && (httpErr.StatusCode == http.StatusNotFound || httpErr.StatusCode == http.StatusForbidden) {
		// Backup vaults cannot be read (no vault, or the role lacks
		// backupVaults/read): the live status still says whether backups
		// work, only the times and counts are missing.
		p.vaultWarning.Do(func() {
			p.logger.Warn("cannot list the account's backup vaults: no last success/failure times or counts for its volumes", zap.Error(err))
		})
		backups, listed, err = nil, false, nil
	}
	if err != nil {
		return nil, err
	}
	return toolkit.FanOut(ctx, p.env, volumes, anfVolume.identity, func(ctx context.Context, v anfVolume) (toolkit.Resource, error) {
		st, err := p.status(ctx, v)
		if err != nil {
			return toolkit.Resource{}, err
		}
		return v.resource(st, backups[volumeKey(v.id)], listed), nil
	}), nil
}

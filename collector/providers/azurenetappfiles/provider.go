package azurenetappfiles

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

type provider struct {
	arm *azure.Client
	// concurrency is the credential's max_concurrency: how many lists and
	// volume reads run at once.
	concurrency int
	// owns says whether this replica's shard owns a volume.
	owns       func(id string) bool
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
		arm:         arm,
		concurrency: env.Pool.MaxConcurrency(),
		owns:        env.Owns,
		base:        s.ResourceGroupPath() + "/providers/Microsoft.NetApp/netAppAccounts/" + url.PathEscape(s.Account),
		pool:        s.Pool,
		volume:      s.Volume,
		vault:       s.BackupVault,
		apiVersion:  s.APIVersion,
		logger:      env.Logger,
	}, nil
}

// anfVolume is a volume to report on.
type anfVolume struct {
	id, name, pool string
	// configured is true when the volume has backup configured
	// (properties.dataProtection.backup), or was named in the target.
	configured bool
}

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
	volumes = slices.DeleteFunc(volumes, func(v anfVolume) bool { return !p.owns(v.id) })
	return toolkit.MapResources(ctx, p.concurrency, volumes, func(v anfVolume) (string, string) { return v.id, v.name },
		func(ctx context.Context, v anfVolume) (toolkit.Resource, error) {
			return p.resource(ctx, v, backups[volumeKey(v.id)], listed)
		}), nil
}

// resource reads a volume's latestBackupStatus and combines it with its
// vault backups.
func (p *provider) resource(ctx context.Context, v anfVolume, backups []toolkit.Backup, listed bool) (toolkit.Resource, error) {
	if !v.configured && len(backups) == 0 {
		return toolkit.Unprotected(v.id, v.name), nil
	}
	r := toolkit.Summarize(v.id, v.name, backups, listed)
	if len(backups) == 0 && listed {
		// Backup is configured but no backup exists yet: a never-backed-up
		// volume, which freshness alerts must catch.
		r = toolkit.Resource{ID: v.id, Name: v.name, Protected: true, Healthy: true, NoSuccessListed: true, Counts: map[toolkit.State]int{}}
	}
	if !v.configured {
		// Backups remain in a vault but backup is no longer configured:
		// there is no live status to read, so no relationshipStatus.
		latest := *r.Latest
		latest.RawStatus = ""
		r.Latest = &latest
		return r, nil
	}
	var st anfBackupStatus
	path := p.base + "/capacityPools/" + url.PathEscape(v.pool) + "/volumes/" + url.PathEscape(v.name) + "/latestBackupStatus/current"
	if err := p.arm.Get(ctx, path, p.apiVersion, &st); err != nil {
		return toolkit.Resource{}, fmt.Errorf("get latest backup status of volume %q: %w", v.name, err)
	}
	if st.Healthy == nil && st.RelationshipStatus == "" && st.MirrorState == "" {
		return toolkit.Resource{}, fmt.Errorf("get latest backup status of volume %q: the answer has none of healthy, relationshipStatus, mirrorState", v.name)
	}
	st.apply(&r)
	return r, nil
}

package azurenetappfiles

import (
	"context"
	"errors"
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
	// env is the target's: its shard and the credential's
	// max_concurrency (how many lists and volume reads run at once).
	env        *toolkit.Env
	base       string // ARM path of the NetApp account
	pool       string
	volume     string
	vault      string
	apiVersion string
	// wantTags: the target's backup_resource_info carries the volumes'
	// tags.
	wantTags bool

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
		wantTags:   toolkit.WantsTags(t),
		logger:     env.Logger,
	}, nil
}

// anfVolume is a volume to report on.
type anfVolume struct {
	id, name, pool string
	// configured is true when the volume has backup configured
	// (properties.dataProtection.backup), or was named in the target.
	configured bool
	// order is the volume's place in the listing: its pool's among the
	// pools, its own in the pool's list. The pools are listed at once,
	// so the records are put back in this order at the end.
	order [2]int
	// tags are the volume's, from the list (none unless the target
	// wants them).
	tags toolkit.Tags
}

// identity is the volume's resource ID and name.
func (v anfVolume) identity() (id, name string) { return v.id, v.name }

// Collect implements Provider.
func (p *provider) Collect(ctx context.Context) ([]toolkit.Resource, error) {
	// Each volume's status read starts as soon as the page that lists it
	// has arrived, while the other pools' volumes and the vaults'
	// backups are still being listed: a cold poll of 1,000 volumes takes
	// the reads' time, not the lists' and then the reads'. The records
	// are built once the vaults' backups are known too.
	readCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	statuses := toolkit.NewStream(readCtx, p.env, anfVolume.identity, p.status)
	var (
		backups map[string][]toolkit.Backup
		err     error
	)
	g := toolkit.NewGroup(ctx, 0)
	if p.volume == "" {
		g.Go(func(gctx context.Context) error {
			verr := p.volumes(gctx, statuses.Add)
			if verr != nil {
				cancel() // the poll fails: the reads started are of no use
			}
			return verr
		})
	}
	g.Go(func(gctx context.Context) error {
		backups, err = p.vaultBackups(gctx)
		if err != nil && !vaultsUnreadable(err) {
			cancel()
		}
		return nil // judged below: unreadable vaults are not fatal
	})
	verr := g.Wait()
	if p.volume != "" && (err == nil || vaultsUnreadable(err)) {
		// A volume the target names has no listing for its read to
		// overlap: it is read after the vault list, as before, so that
		// one ARM call alone asks Entra for the first token (two at once
		// would both ask when Entra fails).
		statuses.Add(p.namedVolume())
	}
	reads := statuses.Wait()
	if verr != nil {
		return nil, verr
	}
	listed := true
	if vaultsUnreadable(err) {
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
	slices.SortStableFunc(reads, func(a, b toolkit.Read[anfVolume, *anfBackupStatus]) int {
		return slices.Compare(a.Item.order[:], b.Item.order[:])
	})
	return toolkit.Resources(ctx, reads, anfVolume.identity, func(v anfVolume, st *anfBackupStatus) (toolkit.Resource, error) {
		return v.resource(st, backups[volumeKey(v.id)], listed), nil
	}), nil
}

// vaultsUnreadable reports a vault list that failed for want of vaults
// or of the right to read them (404, 403): not fatal.
func vaultsUnreadable(err error) bool {
	var httpErr *upstream.HTTPError
	return errors.As(err, &httpErr) && (httpErr.StatusCode == http.StatusNotFound || httpErr.StatusCode == http.StatusForbidden)
}

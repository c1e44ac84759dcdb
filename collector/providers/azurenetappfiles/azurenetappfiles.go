// Package azurenetappfiles reads the backup state of Azure NetApp Files
// volumes: each volume's latestBackupStatus, and the backups of the
// account's backup vaults for times and counts.
package azurenetappfiles

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// Name is the target type and provider label.
const Name = "azure_netapp_files"

// DefaultAPIVersion is the api-version used when the target sets none.
const DefaultAPIVersion = "2025-03-01"

// Path-parameter patterns, from the API document.
var (
	reAccount = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,127}$`)
	rePool    = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,63}$`)
	reVolume  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9\-_]{0,63}$`)
)

// Spec is the target's keys.
type Spec struct {
	azure.TargetSpec `yaml:",inline"`
	Account          string `yaml:"account,omitempty"`
	// Pool and Volume name one pool or volume; omitted, they are
	// discovered.
	Pool   string `yaml:"pool,omitempty"`
	Volume string `yaml:"volume,omitempty"`
	// BackupVault names the vault whose backups give times and counts;
	// omitted, every vault of the account is read.
	BackupVault string `yaml:"backup_vault,omitempty"`
}

// Validate implements config.TargetSpec.
func (s *Spec) Validate(v *config.Validator) error {
	return config.First(
		s.TargetSpec.Required(v),
		v.Required("account", s.Account),
		s.TargetSpec.Check(v, DefaultAPIVersion, func() error {
			if s.Volume != "" && s.Pool == "" {
				return v.Errorf("volume", "volume needs pool")
			}
			return nil
		}),
		v.Match("account", s.Account, reAccount),
		v.Match("pool", s.Pool, rePool),
		v.Match("backup_vault", s.BackupVault, rePool),
		v.Match("volume", s.Volume, reVolume),
	)
}

// The values of ANF's own state sets, in exposition order.
var (
	mirrorStates         = []string{"Uninitialized", "Mirrored", "Broken"}
	relationshipStatuses = []string{"Idle", "Transferring", "Failed", "Unknown"}
)

// ANF's own families (docs/metrics.md).
var (
	famLastTransferSize   = toolkit.NewFamily("backup_last_transfer_size_bytes", "Size of the last transfer (Azure NetApp Files).", prometheus.GaugeValue).NonNegative()
	famTransferBytesTotal = toolkit.NewFamily("backup_transfer_bytes_total", "Total bytes transferred (Azure NetApp Files).", prometheus.CounterValue).NonNegative()
	famMirrorState        = toolkit.NewFamily("backup_mirror_state", "Azure NetApp Files mirror state (state set).", prometheus.GaugeValue, "state")
	famRelationshipStatus = toolkit.NewFamily("backup_relationship_status", "Azure NetApp Files relationship status (state set).", prometheus.GaugeValue, "status")
)

// Type is the azure_netapp_files provider.
var Type = toolkit.Type{
	TargetType: config.TargetType{
		Name:       Name,
		Credential: azure.CredentialType,
		NewSpec:    func() config.TargetSpec { return &Spec{} },
	},
	Title: "Azure NetApp Files",
	States: []toolkit.StateTable{
		{Field: "Backup vault backup `provisioningState` (counts and times)", Table: vaultBackupStates},
	},
	Families: []*toolkit.Family{famLastTransferSize, famTransferBytesTotal, famMirrorState, famRelationshipStatus},
	New:      newProvider,
}

// vaultBackupStates maps a vault backup's provisioningState.
var vaultBackupStates = map[string]toolkit.State{
	"Succeeded": toolkit.StateSucceeded,
	"Failed":    toolkit.StateFailed,
	"Creating":  toolkit.StateRunning,
	"Updating":  toolkit.StateRunning,
	"Deleting":  toolkit.StateDeleting,
}

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

// volumes returns the target's volume, or discovers the volumes of its
// pool, or of every pool of the account.
func (p *provider) volumes(ctx context.Context) ([]anfVolume, error) {
	if p.volume != "" {
		return []anfVolume{{
			id:         p.base + "/capacityPools/" + p.pool + "/volumes/" + p.volume,
			name:       p.volume,
			pool:       p.pool,
			configured: true,
		}}, nil
	}
	pools := []string{p.pool}
	if p.pool == "" {
		pools = nil
		err := p.arm.List(ctx, p.base+"/capacityPools", p.apiVersion, func(raw json.RawMessage) error {
			var pool struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(raw, &pool); err != nil {
				return err
			}
			pools = append(pools, azure.LastSegment(pool.Name))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list capacity pools: %w", err)
		}
	}
	perPool, err := toolkit.MapConcurrent(ctx, p.concurrency, pools, func(ctx context.Context, pool string) ([]anfVolume, error) {
		var volumes []anfVolume
		err := p.arm.List(ctx, p.base+"/capacityPools/"+url.PathEscape(pool)+"/volumes", p.apiVersion, func(raw json.RawMessage) error {
			var v struct {
				ID         string `json:"id"`
				Name       string `json:"name"`
				Properties struct {
					DataProtection struct {
						Backup json.RawMessage `json:"backup"`
					} `json:"dataProtection"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(raw, &v); err != nil {
				return err
			}
			volumes = append(volumes, anfVolume{
				id:         v.ID,
				name:       azure.LastSegment(v.Name),
				pool:       pool,
				configured: backupConfigured(v.Properties.DataProtection.Backup),
			})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list volumes of pool %q: %w", pool, err)
		}
		return volumes, nil
	})
	if err != nil {
		return nil, err
	}
	return slices.Concat(perPool...), nil
}

// backupConfigured reads a volume's properties.dataProtection.backup:
// present (and, in API versions that have the flag, backupEnabled not
// false) means backup is configured.
func backupConfigured(raw json.RawMessage) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return false
	}
	var b struct {
		BackupEnabled *bool `json:"backupEnabled"`
	}
	if json.Unmarshal(raw, &b) != nil {
		return false
	}
	return b.BackupEnabled == nil || *b.BackupEnabled
}

// vaultBackups lists the backups of the target's vault, or of every vault
// of the account (one list call per vault), keyed by volumeKey of their
// volume.
func (p *provider) vaultBackups(ctx context.Context) (map[string][]toolkit.Backup, error) {
	vaults := []string{p.vault}
	if p.vault == "" {
		vaults = nil
		err := p.arm.List(ctx, p.base+"/backupVaults", p.apiVersion, func(raw json.RawMessage) error {
			var v struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(raw, &v); err != nil {
				return err
			}
			vaults = append(vaults, azure.LastSegment(v.Name))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list backup vaults: %w", err)
		}
	}
	perVault, err := toolkit.MapConcurrent(ctx, p.concurrency, vaults, func(ctx context.Context, vault string) ([]anfVaultBackup, error) {
		var backups []anfVaultBackup
		err := p.arm.List(ctx, p.base+"/backupVaults/"+url.PathEscape(vault)+"/backups", p.apiVersion, func(raw json.RawMessage) error {
			var b anfVaultBackup
			if err := json.Unmarshal(raw, &b); err != nil {
				return err
			}
			backups = append(backups, b)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list backups of vault %q: %w", vault, err)
		}
		return backups, nil
	})
	if err != nil {
		return nil, err
	}
	byVolume := map[string][]toolkit.Backup{}
	for _, backups := range perVault {
		for i := range backups {
			key := volumeKey(backups[i].Properties.VolumeResourceID)
			byVolume[key] = append(byVolume[key], backups[i].toBackup())
		}
	}
	return byVolume, nil
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

type anfBackupStatus struct {
	Healthy               *bool    `json:"healthy"`
	RelationshipStatus    string   `json:"relationshipStatus"`
	MirrorState           string   `json:"mirrorState"`
	UnhealthyReason       string   `json:"unhealthyReason"`
	ErrorMessage          string   `json:"errorMessage"`
	LastTransferSize      *float64 `json:"lastTransferSize"`
	TotalTransferBytes    *float64 `json:"totalTransferBytes"`
	TransferProgressBytes *float64 `json:"transferProgressBytes"`
}

// apply overlays the live status on the record built from vault backups
// (docs/metrics.md: ANF state normalisation, health and error rules).
func (s *anfBackupStatus) apply(r *toolkit.Resource) {
	unhealthy := s.Healthy != nil && !*s.Healthy
	switch {
	case unhealthy:
		r.State = toolkit.StateFailed
	case s.RelationshipStatus == "Transferring":
		r.State = toolkit.StateRunning
	case s.MirrorState == "Uninitialized":
		r.State = toolkit.StatePending
	case s.RelationshipStatus == "Failed":
		r.State = toolkit.StateFailed
	case s.RelationshipStatus == "Idle", s.RelationshipStatus == "":
		r.State = toolkit.StateSucceeded
	default:
		// "Unknown", and any value the API document does not list.
		r.State = toolkit.StateUnknown
	}
	switch {
	case unhealthy:
		r.Healthy = false
		r.Reason = "Azure reports the volume's backup unhealthy"
		if s.UnhealthyReason != "" {
			r.Reason += ": " + s.UnhealthyReason
		}
	case s.RelationshipStatus == "Failed":
		r.Healthy = false
		r.Reason = "relationship status Failed"
	}
	if unhealthy || s.ErrorMessage != "" {
		msg := s.ErrorMessage
		if msg == "" {
			msg = s.UnhealthyReason
		}
		r.Error = &toolkit.ErrorInfo{Code: "unhealthy", Message: msg}
	}
	r.Extra = append(r.Extra, famMirrorState.StateSet(mirrorStates, s.MirrorState)...)
	if s.MirrorState == "Broken" {
		r.Notes = append(r.Notes, "mirror broken")
	}
	r.Extra = append(r.Extra, famRelationshipStatus.StateSet(relationshipStatuses, s.RelationshipStatus)...)
	r.Extra = append(r.Extra, famLastTransferSize.Value(s.LastTransferSize)...)
	r.Extra = append(r.Extra, famTransferBytesTotal.Value(s.TotalTransferBytes)...)
	// The latest backup is the newest vault backup (or none yet: backup_info
	// then has an empty backup name); its status in backup_info and its
	// transferred bytes are the live ones.
	latest := toolkit.Backup{}
	if r.Latest != nil {
		latest = *r.Latest
	}
	latest.RawStatus = s.RelationshipStatus
	latest.Transferred = s.TransferProgressBytes
	r.Latest = &latest
}

type anfVaultBackup struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		CreationDate      string   `json:"creationDate"`
		CompletionDate    string   `json:"completionDate"`
		ProvisioningState string   `json:"provisioningState"`
		Size              *float64 `json:"size"`
		VolumeResourceID  string   `json:"volumeResourceId"`
		FailureReason     string   `json:"failureReason"`
	} `json:"properties"`
}

func (b *anfVaultBackup) toBackup() toolkit.Backup {
	p := b.Properties
	out := toolkit.Backup{
		ID:        strings.ToLower(b.ID),
		Name:      azure.LastSegment(b.Name),
		RawStatus: p.ProvisioningState,
		State:     toolkit.Normalise(vaultBackupStates, p.ProvisioningState),
		Start:     toolkit.ParseTime(p.CreationDate),
		Size:      p.Size,
	}
	if out.State == toolkit.StateSucceeded || out.State == toolkit.StateFailed {
		out.End = toolkit.ParseTime(p.CompletionDate)
	}
	return out
}

// volumeKeySegments are the collection names of a volume's ARM ID, in
// lower case, and the part each names: the API's own examples spell the
// pool segment of a backup's volumeResourceId "capacityPool", where the
// volume's ID has "capacityPools".
var volumeKeySegments = map[string]int{
	"subscriptions": 0, "resourcegroups": 1, "netappaccounts": 2,
	"capacitypools": 3, "capacitypool": 3, "volumes": 4,
}

// volumeKey is the identity of a volume's ARM ID by its parts
// (subscription, resource group, account, pool, volume; case-insensitive),
// so that a backup's volumeResourceId finds its volume however the
// collection names are spelled (metrics.md, "Which backup is which"). An ID
// without those five parts is compared whole, case-insensitively.
func volumeKey(id string) string {
	var parts [5]string
	segments := strings.Split(strings.Trim(id, "/"), "/")
	for i := 0; i+1 < len(segments); i += 2 {
		if n, ok := volumeKeySegments[strings.ToLower(segments[i])]; ok {
			parts[n] = strings.ToLower(segments[i+1])
		}
	}
	for _, p := range parts {
		if p == "" {
			return strings.ToLower(id)
		}
	}
	return strings.Join(parts[:], "/")
}

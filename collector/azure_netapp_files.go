package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/config"
)

// anfMirrorStates and anfRelationshipStatuses are the values of the ANF
// state sets, in exposition order.
var (
	anfMirrorStates         = []string{"Uninitialized", "Mirrored", "Broken"}
	anfRelationshipStatuses = []string{"Idle", "Transferring", "Failed", "Unknown"}
)

// anfVaultBackupStates maps a vault backup's provisioningState.
var anfVaultBackupStates = map[string]State{
	"Succeeded": StateSucceeded,
	"Failed":    StateFailed,
	"Creating":  StateRunning,
	"Updating":  StateRunning,
	"Deleting":  StateDeleting,
}

type anfProvider struct {
	arm        *armClient
	base       string // ARM path of the NetApp account
	pool       string
	volume     string
	vault      string
	apiVersion string

	logger       *zap.Logger
	vaultWarning sync.Once // the vaults cannot be read: said once
}

func newANFProvider(t *config.Target, env Env) (Provider, error) {
	if env.ARM == nil {
		return nil, fmt.Errorf("credential %q is not an azure credential", env.Credential.Name)
	}
	return &anfProvider{
		arm: env.ARM,
		base: "/subscriptions/" + url.PathEscape(t.SubscriptionID) +
			"/resourceGroups/" + url.PathEscape(t.ResourceGroup) +
			"/providers/Microsoft.NetApp/netAppAccounts/" + url.PathEscape(t.Account),
		pool:       t.Pool,
		volume:     t.Volume,
		vault:      t.BackupVault,
		apiVersion: t.APIVersion,
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

// Collect implements Provider.
func (p *anfProvider) Collect(ctx context.Context) ([]Resource, error) {
	volumes, err := p.volumes(ctx)
	if err != nil {
		return nil, err
	}
	backups, err := p.vaultBackups(ctx)
	listed := true
	var httpErr *HTTPError
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
	return mapConcurrent(ctx, volumes, func(ctx context.Context, v anfVolume) (Resource, error) {
		return p.resource(ctx, v, backups[strings.ToLower(v.id)], listed)
	})
}

// volumes returns the target's volume, or discovers the volumes of its
// pool, or of every pool of the account.
func (p *anfProvider) volumes(ctx context.Context) ([]anfVolume, error) {
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
		err := p.arm.list(ctx, config.TypeAzureNetAppFiles, p.base+"/capacityPools", p.apiVersion, func(raw json.RawMessage) error {
			var pool struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(raw, &pool); err != nil {
				return err
			}
			pools = append(pools, lastSegment(pool.Name))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list capacity pools: %w", err)
		}
	}
	var volumes []anfVolume
	for _, pool := range pools {
		err := p.arm.list(ctx, config.TypeAzureNetAppFiles, p.base+"/capacityPools/"+url.PathEscape(pool)+"/volumes", p.apiVersion, func(raw json.RawMessage) error {
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
				name:       lastSegment(v.Name),
				pool:       pool,
				configured: backupConfigured(v.Properties.DataProtection.Backup),
			})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list volumes of pool %q: %w", pool, err)
		}
	}
	return volumes, nil
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
// of the account (one list call per vault), keyed by the lower-cased ARM
// ID of their volume.
func (p *anfProvider) vaultBackups(ctx context.Context) (map[string][]Backup, error) {
	vaults := []string{p.vault}
	if p.vault == "" {
		vaults = nil
		err := p.arm.list(ctx, config.TypeAzureNetAppFiles, p.base+"/backupVaults", p.apiVersion, func(raw json.RawMessage) error {
			var v struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(raw, &v); err != nil {
				return err
			}
			vaults = append(vaults, lastSegment(v.Name))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list backup vaults: %w", err)
		}
	}
	byVolume := map[string][]Backup{}
	for _, vault := range vaults {
		err := p.arm.list(ctx, config.TypeAzureNetAppFiles, p.base+"/backupVaults/"+url.PathEscape(vault)+"/backups", p.apiVersion, func(raw json.RawMessage) error {
			var b anfVaultBackup
			if err := json.Unmarshal(raw, &b); err != nil {
				return err
			}
			key := strings.ToLower(b.Properties.VolumeResourceID)
			byVolume[key] = append(byVolume[key], b.toBackup())
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list backups of vault %q: %w", vault, err)
		}
	}
	return byVolume, nil
}

// resource reads a volume's latestBackupStatus and combines it with its
// vault backups.
func (p *anfProvider) resource(ctx context.Context, v anfVolume, backups []Backup, listed bool) (Resource, error) {
	if !v.configured && len(backups) == 0 {
		return Unprotected(v.id, v.name), nil
	}
	r := Summarize(v.id, v.name, backups, listed)
	if len(backups) == 0 && listed {
		// Backup is configured but no backup exists yet: a never-backed-up
		// volume, which freshness alerts must catch.
		r = Resource{ID: v.id, Name: v.name, Protected: true, Healthy: true, NoSuccessListed: true, Counts: map[State]int{}}
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
	if err := p.arm.get(ctx, config.TypeAzureNetAppFiles, path, p.apiVersion, &st); err != nil {
		return Resource{}, fmt.Errorf("get latest backup status of volume %q: %w", v.name, err)
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
// (metrics.md: ANF state normalisation, health and error rules).
func (s *anfBackupStatus) apply(r *Resource) {
	unhealthy := s.Healthy != nil && !*s.Healthy
	switch {
	case unhealthy:
		r.State = StateFailed
	case s.RelationshipStatus == "Transferring":
		r.State = StateRunning
	case s.MirrorState == "Uninitialized":
		r.State = StatePending
	case s.RelationshipStatus == "Failed":
		r.State = StateFailed
	case s.RelationshipStatus == "Idle", s.RelationshipStatus == "":
		r.State = StateSucceeded
	default:
		// "Unknown", and any value the API document does not list.
		r.State = StateUnknown
	}
	if unhealthy || s.RelationshipStatus == "Failed" {
		r.Healthy = false
	}
	if unhealthy || s.ErrorMessage != "" {
		msg := s.ErrorMessage
		if msg == "" {
			msg = s.UnhealthyReason
		}
		r.Error = &ErrorInfo{Code: "unhealthy", Message: msg}
	}
	r.MirrorState = s.MirrorState
	r.RelationshipStatus = s.RelationshipStatus
	r.LastTransferSize = s.LastTransferSize
	r.TransferBytesTotal = s.TotalTransferBytes
	// The latest backup is the newest vault backup (or none yet: backup_info
	// then has an empty backup name); its status in backup_info and its
	// transferred bytes are the live ones.
	latest := Backup{}
	if r.Latest != nil {
		latest = *r.Latest
	}
	latest.RawStatus = s.RelationshipStatus
	latest.Transferred = s.TransferProgressBytes
	r.Latest = &latest
}

type anfVaultBackup struct {
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

func (b *anfVaultBackup) toBackup() Backup {
	p := b.Properties
	out := Backup{
		Name:      lastSegment(b.Name),
		RawStatus: p.ProvisioningState,
		State:     normalise(anfVaultBackupStates, p.ProvisioningState),
		Start:     parseTime(p.CreationDate),
		Size:      p.Size,
	}
	if out.State == StateSucceeded || out.State == StateFailed {
		out.End = parseTime(p.CompletionDate)
	}
	return out
}

// lastSegment returns the short name of a nested ARM resource name
// ("account/pool/volume" → "volume").
func lastSegment(name string) string {
	return name[strings.LastIndexByte(name, '/')+1:]
}

package azurenetappfiles

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

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

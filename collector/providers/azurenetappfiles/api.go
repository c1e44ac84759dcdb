package azurenetappfiles

import (
	"context"
	"fmt"
	"net/url"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// volumes hands add the volumes of the target's pool, or of every pool
// of the account (the pools listed at once), each as soon as the page
// that lists it has arrived.
func (p *provider) volumes(ctx context.Context, add func(anfVolume)) error {
	pools := []string{p.pool}
	if p.pool == "" {
		listed, err := azure.List[armNamed](ctx, p.arm, p.base+"/capacityPools", p.apiVersion, nil)
		if err != nil {
			return fmt.Errorf("list capacity pools: %w", err)
		}
		pools = shortNames(listed)
	}
	g := toolkit.NewGroup(ctx, p.env.Pool.MaxConcurrency())
	for i, pool := range pools {
		g.Go(func(ctx context.Context) error {
			n := 0
			err := azure.Each(ctx, p.arm, p.base+"/capacityPools/"+url.PathEscape(pool)+"/volumes", p.apiVersion, nil, func(v armVolume) error {
				add(v.volume(pool, [2]int{i, n}, p.wantTags))
				n++
				return nil
			})
			if err != nil {
				return fmt.Errorf("list volumes of pool %q: %w", pool, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// namedVolume is the volume the target names (no list is read: no
// tags).
func (p *provider) namedVolume() anfVolume {
	return anfVolume{
		id:         p.base + "/capacityPools/" + p.pool + "/volumes/" + p.volume,
		name:       p.volume,
		pool:       p.pool,
		configured: true,
		tags:       azure.Tags(nil),
	}
}

// armNamed is an item of a list of which only the names are read (the
// account's capacity pools and backup vaults).
type armNamed struct {
	Name string `json:"name"`
}

// Check implements toolkit.Checked. Nothing is required: the provider
// never refused a pool or vault for a missing field.
func (*armNamed) Check() error { return nil }

// shortNames are the short names of listed items ("account/pool" →
// "pool").
func shortNames(items []armNamed) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = azure.LastSegment(it.Name)
	}
	return out
}

// armVolume is a volume of a pool's list.
type armVolume struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Tags are the volume's (a tracked resource's string map), decoded
	// only for a target that wants them.
	Tags       json.RawMessage `json:"tags"`
	Properties struct {
		DataProtection struct {
			Backup json.RawMessage `json:"backup"`
		} `json:"dataProtection"`
	} `json:"properties"`
}

// Check implements toolkit.Checked. Nothing is required: the provider
// never refused a volume for a missing field.
func (*armVolume) Check() error { return nil }

// volume is the listed volume of pool, to report on; order is its place
// in the listing; its tags are read when wantTags.
func (v *armVolume) volume(pool string, order [2]int, wantTags bool) anfVolume {
	out := anfVolume{
		id:         v.ID,
		name:       azure.LastSegment(v.Name),
		pool:       pool,
		configured: backupConfigured(v.Properties.DataProtection.Backup),
		order:      order,
	}
	if wantTags {
		out.tags = azure.Tags(v.Tags)
	}
	return out
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
		listed, err := azure.List[armNamed](ctx, p.arm, p.base+"/backupVaults", p.apiVersion, nil)
		if err != nil {
			return nil, fmt.Errorf("list backup vaults: %w", err)
		}
		vaults = shortNames(listed)
	}
	// Each backup becomes its record as its page arrives: the page's long
	// strings (IDs, volume IDs, dates) are not held until the whole list
	// is read, which at 5,000 volumes was a third of the poll's peak heap.
	perVault, err := toolkit.MapConcurrent(ctx, p.env.Pool.MaxConcurrency(), vaults, func(ctx context.Context, vault string) ([]volumeBackup, error) {
		var out []volumeBackup
		err := azure.Each(ctx, p.arm, p.base+"/backupVaults/"+url.PathEscape(vault)+"/backups", p.apiVersion, nil, func(b anfVaultBackup) error {
			out = append(out, volumeBackup{volume: volumeKey(b.Properties.VolumeResourceID), backup: b.toBackup()})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list backups of vault %q: %w", vault, err)
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	byVolume := map[string][]toolkit.Backup{}
	for _, backups := range perVault {
		for _, b := range backups {
			byVolume[b.volume] = append(byVolume[b.volume], b.backup)
		}
	}
	return byVolume, nil
}

// volumeBackup is a vault backup's record and the key of its volume.
type volumeBackup struct {
	volume string
	backup toolkit.Backup
}

// status reads the latestBackupStatus of a volume with backup
// configured; nil for the others, which have none to read.
func (p *provider) status(ctx context.Context, v anfVolume) (*anfBackupStatus, error) {
	if !v.configured {
		return nil, nil
	}
	var st anfBackupStatus
	path := p.base + "/capacityPools/" + url.PathEscape(v.pool) + "/volumes/" + url.PathEscape(v.name) + "/latestBackupStatus/current"
	if err := p.arm.Get(ctx, path, p.apiVersion, &st); err != nil {
		return nil, fmt.Errorf("get latest backup status of volume %q: %w", v.name, err)
	}
	if st.Healthy == nil && st.RelationshipStatus == "" && st.MirrorState == "" {
		return nil, fmt.Errorf("get latest backup status of volume %q: the answer has none of healthy, relationshipStatus, mirrorState", v.name)
	}
	return &st, nil
}

// anfBackupStatus is a volume's latestBackupStatus/current
// (BackupStatus).
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

// anfVaultBackup is a backup of a backup vault's list (Backup).
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

// Check implements toolkit.Checked. Nothing is required: a backup
// without a volume matches none, one without a state is unknown.
func (*anfVaultBackup) Check() error { return nil }

package simulator

import (
	"crypto/sha1"
	"fmt"
	"net/http"
	"strings"
)

// Azure NetApp Files: the resources' JSON and the route handlers.

// stableUUID is a deterministic UUID (version 5 style) from the parts.
func stableUUID(parts ...string) string {
	b := sha1.Sum([]byte(strings.ToLower(strings.Join(parts, "/"))))
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// anfLookup finds the account, and the pool (and volume) when named in p.
// With list, a missing last parent is ParentResourceNotFound.
func anfLookup(st *azureState, p armParams, list bool) (*ANFAccount, *ANFPool, *ANFVolume, int, any) {
	if s, b, ok := armParent(st, p); !ok {
		return nil, nil, nil, s, b
	}
	rg := p["rg"]
	typ := "Microsoft.NetApp/netAppAccounts/" + p["account"]
	a := st.account(p["sub"], rg, p["account"])
	if a == nil {
		if list && p["pool"] == "" && p["vault"] == "" {
			s, b := parentNotFound(p["account"])
			return nil, nil, nil, s, b
		}
		s, b := resourceNotFound(rg, typ)
		return nil, nil, nil, s, b
	}
	if p["pool"] == "" {
		return a, nil, nil, 0, nil
	}
	typ += "/capacityPools/" + p["pool"]
	pl := st.poolOf(a, p["pool"])
	if pl == nil {
		if list && p["volume"] == "" {
			s, b := parentNotFound(p["pool"])
			return nil, nil, nil, s, b
		}
		s, b := resourceNotFound(rg, typ)
		return nil, nil, nil, s, b
	}
	if p["volume"] == "" {
		return a, pl, nil, 0, nil
	}
	v := st.volumeOf(pl, p["volume"])
	if v == nil {
		s, b := resourceNotFound(rg, typ+"/volumes/"+p["volume"])
		return nil, nil, nil, s, b
	}
	return a, pl, v, 0, nil
}

func anfAccountID(sub, rg, account string) string {
	return "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.NetApp/netAppAccounts/" + account
}

func accountLocation(a *ANFAccount) string { return firstNonEmpty(a.Location, DefaultAzureLocation) }

func accountJSON(sub, rg string, a *ANFAccount) armResource {
	return armResource{
		ID: anfAccountID(sub, rg, a.Name), Name: a.Name, Type: "Microsoft.NetApp/netAppAccounts",
		Location: accountLocation(a),
		Properties: map[string]any{
			"provisioningState": "Succeeded",
			"disableShowmount":  true,
			"nfsV4IDDomain":     nil,
		},
	}
}

func poolJSON(sub, rg string, a *ANFAccount, pl *ANFPool) armResource {
	id := anfAccountID(sub, rg, a.Name) + "/capacityPools/" + pl.Name
	return armResource{
		ID: id, Name: a.Name + "/" + pl.Name, Type: "Microsoft.NetApp/netAppAccounts/capacityPools",
		Location: accountLocation(a),
		Properties: map[string]any{
			"provisioningState": "Succeeded",
			"serviceLevel":      "Premium",
			"size":              int64(4) << 40,
			"poolId":            stableUUID(id),
			"qosType":           "Auto",
			"coolAccess":        false,
			"encryptionType":    "Single",
		},
	}
}

type anfVolumeProps struct {
	ProvisioningState string             `json:"provisioningState"`
	FileSystemID      string             `json:"fileSystemId"`
	CreationToken     string             `json:"creationToken"`
	ServiceLevel      string             `json:"serviceLevel"`
	UsageThreshold    int64              `json:"usageThreshold"`
	SubnetID          string             `json:"subnetId"`
	ProtocolTypes     []string           `json:"protocolTypes"`
	DataProtection    *anfDataProtection `json:"dataProtection,omitempty"`
}

type anfDataProtection struct {
	Backup *anfVolumeBackupConfig `json:"backup,omitempty"`
}

type anfVolumeBackupConfig struct {
	BackupPolicyID string `json:"backupPolicyId,omitempty"`
	PolicyEnforced bool   `json:"policyEnforced"`
	BackupVaultID  string `json:"backupVaultId,omitempty"`
}

func volumeJSON(sub, rg string, a *ANFAccount, pl *ANFPool, v *ANFVolume) armResource {
	acc := anfAccountID(sub, rg, a.Name)
	id := acc + "/capacityPools/" + pl.Name + "/volumes/" + v.Name
	props := anfVolumeProps{
		ProvisioningState: "Succeeded",
		FileSystemID:      stableUUID(id),
		CreationToken:     v.Name,
		ServiceLevel:      "Premium",
		UsageThreshold:    100 << 30,
		SubnetID:          "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Network/virtualNetworks/" + rg + "-vnet/subnets/anf-delegated",
		ProtocolTypes:     []string{"NFSv4.1"},
	}
	if b := v.Backup; b != nil && b.Enabled {
		cfg := &anfVolumeBackupConfig{PolicyEnforced: b.Policy != ""}
		if b.Policy != "" {
			cfg.BackupPolicyID = acc + "/backupPolicies/" + b.Policy
		}
		if b.Vault != "" {
			cfg.BackupVaultID = acc + "/backupVaults/" + b.Vault
		}
		props.DataProtection = &anfDataProtection{Backup: cfg}
	}
	return armResource{
		ID: id, Name: a.Name + "/" + pl.Name + "/" + v.Name,
		Type: "Microsoft.NetApp/netAppAccounts/capacityPools/volumes", Location: accountLocation(a),
		Tags: v.Tags, Properties: props,
	}
}

// anfBackupStatus is the backupStatus document.
type anfBackupStatus struct {
	Healthy               bool   `json:"healthy"`
	RelationshipStatus    string `json:"relationshipStatus"`
	MirrorState           string `json:"mirrorState"`
	UnhealthyReason       string `json:"unhealthyReason"`
	ErrorMessage          string `json:"errorMessage"`
	LastTransferSize      *int64 `json:"lastTransferSize,omitempty"`
	LastTransferType      string `json:"lastTransferType"`
	TotalTransferBytes    *int64 `json:"totalTransferBytes,omitempty"`
	TransferProgressBytes *int64 `json:"transferProgressBytes,omitempty"`
}

func vaultJSON(sub, rg string, a *ANFAccount, v *ANFBackupVault) armResource {
	return armResource{
		ID:   anfAccountID(sub, rg, a.Name) + "/backupVaults/" + v.Name,
		Name: a.Name + "/" + v.Name, Type: "Microsoft.NetApp/netAppAccounts/backupVaults",
		Location:   accountLocation(a),
		Properties: map[string]any{"provisioningState": "Succeeded"},
	}
}

type anfBackupProps struct {
	BackupID               string `json:"backupId"`
	CreationDate           string `json:"creationDate,omitempty"`
	CompletionDate         string `json:"completionDate,omitempty"`
	SnapshotCreationDate   string `json:"snapshotCreationDate,omitempty"`
	ProvisioningState      string `json:"provisioningState"`
	Size                   *int64 `json:"size,omitempty"`
	Label                  string `json:"label"`
	BackupType             string `json:"backupType"`
	FailureReason          string `json:"failureReason,omitempty"`
	VolumeResourceID       string `json:"volumeResourceId"`
	UseExistingSnapshot    bool   `json:"useExistingSnapshot"`
	SnapshotName           string `json:"snapshotName,omitempty"`
	BackupPolicyResourceID string `json:"backupPolicyResourceId,omitempty"`
	IsLargeVolume          bool   `json:"isLargeVolume"`
}

func backupJSON(st *azureState, sub, rg string, a *ANFAccount, vault *ANFBackupVault, b *ANFBackup) armResource {
	acc := anfAccountID(sub, rg, a.Name)
	id := acc + "/backupVaults/" + vault.Name + "/backups/" + b.Name
	state := firstNonEmpty(b.State, "Succeeded")
	props := anfBackupProps{
		BackupID:             stableUUID(id),
		CreationDate:         b.CreationDate,
		CompletionDate:       b.CompletionDate,
		SnapshotCreationDate: b.CreationDate,
		ProvisioningState:    state,
		Size:                 b.Size,
		BackupType:           firstNonEmpty(b.BackupType, "Scheduled"),
		FailureReason:        b.FailureReason,
		IsLargeVolume:        false,
	}
	if strings.EqualFold(state, "Creating") {
		props.CompletionDate = ""
	}
	if pool, vol, ok := strings.Cut(b.Volume, "/"); ok {
		props.VolumeResourceID = anfVolumeResourceID(acc, pool, vol)
		if pl := st.poolOf(a, pool); pl != nil {
			if v := st.volumeOf(pl, vol); v != nil && v.Backup != nil && v.Backup.Policy != "" && props.BackupType == "Scheduled" {
				props.BackupPolicyResourceID = acc + "/backupPolicies/" + v.Backup.Policy
			}
		}
	}
	if props.BackupType == "Scheduled" {
		props.SnapshotName = b.Name
	}
	return armResource{
		ID: id, Name: a.Name + "/" + vault.Name + "/" + b.Name,
		Type: "Microsoft.NetApp/netAppAccounts/backupVaults/backups", Properties: props,
	}
}

// anfVolumeResourceID is the resource ID of volume vol of pool in the
// account of ID acc.
func anfVolumeResourceID(acc, pool, vol string) string {
	return acc + "/capacityPools/" + pool + "/volumes/" + vol
}

// Route handlers; s.mu is held.

func armListAccounts(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	if s, b, ok := armParent(st, p); !ok {
		return s, b
	}
	g := st.rg(p["sub"], p["rg"])
	return http.StatusOK, armItems(g.NetAppAccounts, func(a *ANFAccount) any { return accountJSON(p["sub"], g.Name, a) })
}

func armGetAccount(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, _, _, s, b := anfLookup(st, p, false)
	if a == nil {
		return s, b
	}
	return http.StatusOK, accountJSON(p["sub"], p["rg"], a)
}

func armListPools(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, _, _, s, b := anfLookup(st, p, true)
	if a == nil {
		return s, b
	}
	return http.StatusOK, armItems(a.Pools, func(pl *ANFPool) any { return poolJSON(p["sub"], p["rg"], a, pl) })
}

func armGetPool(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, pl, _, s, b := anfLookup(st, p, false)
	if pl == nil {
		return s, b
	}
	return http.StatusOK, poolJSON(p["sub"], p["rg"], a, pl)
}

func armListVolumes(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, pl, _, s, b := anfLookup(st, p, true)
	if pl == nil {
		return s, b
	}
	return http.StatusOK, armItems(pl.Volumes, func(v *ANFVolume) any { return volumeJSON(p["sub"], p["rg"], a, pl, v) })
}

func armGetVolume(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, pl, v, s, b := anfLookup(st, p, false)
	if v == nil {
		return s, b
	}
	return http.StatusOK, volumeJSON(p["sub"], p["rg"], a, pl, v)
}

func armBackupStatus(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, pl, v, s, b := anfLookup(st, p, false)
	if v == nil {
		return s, b
	}
	bk := v.Backup
	if bk == nil || !bk.Enabled {
		return armErr(http.StatusNotFound, "ResourceNotFound", fmt.Sprintf(
			"Backup status not found: backup is not configured for volume '%s/%s/%s'.", a.Name, pl.Name, v.Name))
	}
	return http.StatusOK, anfBackupStatus{
		Healthy:               bk.Healthy,
		RelationshipStatus:    firstNonEmpty(bk.RelationshipStatus, "Idle"),
		MirrorState:           firstNonEmpty(bk.MirrorState, "Mirrored"),
		UnhealthyReason:       bk.UnhealthyReason,
		ErrorMessage:          bk.ErrorMessage,
		LastTransferSize:      bk.LastTransferSize,
		LastTransferType:      bk.LastTransferType,
		TotalTransferBytes:    bk.TotalTransferBytes,
		TransferProgressBytes: bk.TransferProgressBytes,
	}
}

func armListVaults(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, _, _, s, b := anfLookup(st, p, true)
	if a == nil {
		return s, b
	}
	return http.StatusOK, armItems(a.BackupVaults, func(v *ANFBackupVault) any { return vaultJSON(p["sub"], p["rg"], a, v) })
}

func vaultLookup(st *azureState, p armParams, list bool) (*ANFAccount, *ANFBackupVault, int, any) {
	a, _, _, s, b := anfLookup(st, p, false)
	if a == nil {
		return nil, nil, s, b
	}
	v := st.vaultOf(a, p["vault"])
	if v == nil {
		if list {
			s, b := parentNotFound(p["vault"])
			return nil, nil, s, b
		}
		s, b := resourceNotFound(p["rg"], "Microsoft.NetApp/netAppAccounts/"+a.Name+"/backupVaults/"+p["vault"])
		return nil, nil, s, b
	}
	return a, v, 0, nil
}

func armGetVault(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, v, s, b := vaultLookup(st, p, false)
	if v == nil {
		return s, b
	}
	return http.StatusOK, vaultJSON(p["sub"], p["rg"], a, v)
}

// parseVolumeFilter reads "volumeResourceId eq '<id>'".
func parseVolumeFilter(f string) (string, bool) {
	fields := strings.SplitN(strings.TrimSpace(f), " ", 3)
	if len(fields) != 3 || !strings.EqualFold(fields[0], "volumeResourceId") || !strings.EqualFold(fields[1], "eq") {
		return "", false
	}
	v := strings.TrimSpace(fields[2])
	if len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
		return "", false
	}
	return v[1 : len(v)-1], true
}

func armListBackups(st *azureState, _ http.ResponseWriter, r *http.Request, p armParams) (int, any) {
	a, v, s, b := vaultLookup(st, p, true)
	if v == nil {
		return s, b
	}
	want := ""
	if f := r.URL.Query().Get("$filter"); f != "" {
		id, ok := parseVolumeFilter(f)
		if !ok {
			return armErr(http.StatusBadRequest, "InvalidFilter",
				"The $filter '"+f+"' is not supported; use volumeResourceId eq '<volume resource ID>'.")
		}
		want = id
	}
	item := func(b *ANFBackup) any { return backupJSON(st, p["sub"], p["rg"], a, v, b) }
	if want == "" {
		return http.StatusOK, armItems(v.Backups, item)
	}
	return http.StatusOK, armSelected(v.Backups, st.anfBackupsOfVolume(v, anfAccountID(p["sub"], p["rg"], a.Name), want), item)
}

// anfBackupsOfVolume are the backups of vault v (of the account of ID
// acc) whose volumeResourceId is want (case-insensitive), by an index of
// the vault's backups by volume built on the first such list.
func (st *azureState) anfBackupsOfVolume(v *ANFBackupVault, acc, want string) []int {
	vx := st.anfVault(v)
	if vx.byVolume == nil {
		// acc is as the request spells it, but the keys fold case.
		vx.byVolume = map[string][]int{}
		for i := range v.Backups {
			if pool, vol, ok := strings.Cut(v.Backups[i].Volume, "/"); ok {
				k := foldKey(anfVolumeResourceID(acc, pool, vol))
				vx.byVolume[k] = append(vx.byVolume[k], i)
			}
		}
	}
	return vx.byVolume[foldKey(want)]
}

func armGetBackup(st *azureState, _ http.ResponseWriter, _ *http.Request, p armParams) (int, any) {
	a, v, s, b := vaultLookup(st, p, false)
	if v == nil {
		return s, b
	}
	if i, ok := st.anfVault(v).byName[foldKey(p["backup"])]; ok {
		return http.StatusOK, backupJSON(st, p["sub"], p["rg"], a, v, &v.Backups[i])
	}
	return resourceNotFound(p["rg"], "Microsoft.NetApp/netAppAccounts/"+a.Name+"/backupVaults/"+v.Name+"/backups/"+p["backup"])
}

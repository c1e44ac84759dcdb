package simulator

import (
	"net/http"
	"slices"
)

// The CBR vault list ("Querying the Vault List", ListVault): GET
// /v3/{project_id}/vaults with limit (1 to 1000, default 1000), offset and
// the id and name filters; the answer is {vaults, count, limit, offset},
// each vault with its tags ([{key, value}], value left out when absent)
// and the resources its backups are of.

// huaweiVaultJSON is a Vault.
type huaweiVaultJSON struct {
	Billing             huaweiBillingJSON     `json:"billing"`
	Description         string                `json:"description"`
	ID                  string                `json:"id"`
	Name                string                `json:"name"`
	ProjectID           string                `json:"project_id"`
	ProviderID          string                `json:"provider_id"`
	Resources           []huaweiVaultResource `json:"resources"`
	Tags                []huaweiTagJSON       `json:"tags"`
	EnterpriseProjectID string                `json:"enterprise_project_id"`
	AutoBind            bool                  `json:"auto_bind"`
	BindRules           map[string]any        `json:"bind_rules"`
	UserID              string                `json:"user_id"`
	CreatedAt           string                `json:"created_at"`
	AutoExpand          bool                  `json:"auto_expand"`
}

type huaweiBillingJSON struct {
	Allocated       int    `json:"allocated"`
	ChargingMode    string `json:"charging_mode"`
	CloudType       string `json:"cloud_type"`
	ConsistentLevel string `json:"consistent_level"`
	ObjectType      string `json:"object_type"`
	ProtectType     string `json:"protect_type"`
	Size            int    `json:"size"`
	SpecCode        string `json:"spec_code"`
	Status          string `json:"status"`
	StorageUnit     string `json:"storage_unit"`
	Used            int    `json:"used"`
	FrozenScene     string `json:"frozen_scene"`
}

type huaweiVaultResource struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Type          string `json:"type"`
	ProtectStatus string `json:"protect_status"`
}

type huaweiTagJSON struct {
	Key   string  `json:"key"`
	Value *string `json:"value,omitempty"`
}

// huaweiVaults are the vaults of p: the declared ones, then those its
// backups name that are not declared, in order of ID; s.mu is held.
func huaweiVaults(p *HuaweiProject) []huaweiVaultJSON {
	resources := map[string][]huaweiVaultResource{}
	seen := map[string]map[string]bool{}
	var implicit []string
	declared := map[string]bool{}
	for _, v := range p.Vaults {
		declared[v.ID] = true
	}
	for _, b := range p.Backups {
		if b.VaultID == "" {
			continue
		}
		if seen[b.VaultID] == nil {
			seen[b.VaultID] = map[string]bool{}
			if !declared[b.VaultID] {
				implicit = append(implicit, b.VaultID)
			}
		}
		if b.ResourceID != "" && !seen[b.VaultID][b.ResourceID] {
			seen[b.VaultID][b.ResourceID] = true
			resources[b.VaultID] = append(resources[b.VaultID], huaweiVaultResource{ID: b.ResourceID, Name: b.ResourceName,
				Type: firstNonEmpty(b.ResourceType, huaweiResourceServer), ProtectStatus: "available"})
		}
	}
	slices.Sort(implicit)
	all := slices.Clone(p.Vaults)
	for _, id := range implicit {
		all = append(all, HuaweiVault{ID: id})
	}
	out := make([]huaweiVaultJSON, 0, len(all))
	for _, v := range all {
		tags := []huaweiTagJSON{}
		for _, t := range v.Tags {
			tags = append(tags, huaweiTagJSON(t))
		}
		res := resources[v.ID]
		if res == nil {
			res = []huaweiVaultResource{}
		}
		out = append(out, huaweiVaultJSON{
			Billing: huaweiBillingJSON{Allocated: 40, ChargingMode: "post_paid", CloudType: "public", ConsistentLevel: "crash_consistent",
				ObjectType: "server", ProtectType: "backup", Size: 1000, SpecCode: "vault.backup.server.normal", Status: "available",
				StorageUnit: "", Used: 0, FrozenScene: ""},
			ID: v.ID, Name: firstNonEmpty(v.Name, "vault-"+v.ID[:min(8, len(v.ID))]), ProjectID: p.ID, ProviderID: huaweiProviderServer,
			Resources: res, Tags: tags, EnterpriseProjectID: "0", BindRules: map[string]any{},
			UserID: "38d65be2ecd840d19046e239e841a7e0", CreatedAt: "2026-06-01T00:00:00.000000",
		})
	}
	return out
}

// huaweiListVaults answers GET /v3/{project_id}/vaults.
func (s *Server) huaweiListVaults(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, ok := huaweiLimitOffset(w, q)
	if !ok {
		return
	}
	pid := r.PathValue("project_id")
	s.mu.Lock()
	var vaults []huaweiVaultJSON
	if p := s.huaweiProject(pid); p != nil {
		for _, v := range huaweiVaults(p) {
			if (q.Get("id") == "" || v.ID == q.Get("id")) && (q.Get("name") == "" || v.Name == q.Get("name")) {
				vaults = append(vaults, v)
			}
		}
	}
	s.mu.Unlock()
	count := len(vaults)
	page := []huaweiVaultJSON{}
	for i := offset; i < count && i < offset+limit; i++ {
		page = append(page, vaults[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"vaults": page, "count": count, "limit": limit, "offset": offset})
}

package huaweicbr

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// A resource's owners, in CBR, are its vault's tags (the backups carry
// none): the vault list (ListVault, GET /v3/{project_id}/vaults) is read
// with the backups, only for a target whose backup_resource_info carries
// tags (resource_labels). A vault list that fails does not take the
// target down: the vault tags last read are kept for max_staleness, and
// the log says so once.

// huaweiVault is a Vault of the vault list, of which only the ID and the
// tags are read.
type huaweiVault struct {
	ID   string `json:"id"`
	Tags []struct {
		Key string `json:"key"`
		// Value is omitempty in Huawei's own SDK: absent reads as "".
		Value string `json:"value"`
	} `json:"tags"`
}

// Check implements toolkit.Checked: a vault is found by its ID.
func (v *huaweiVault) Check() error { return toolkit.Require("id", v.ID) }

// vaultTags remembers the vault tags last read, for a vault list that
// fails.
type vaultTags struct {
	mu     sync.Mutex
	tags   map[string]map[string]string
	at     time.Time
	failed string // the failure last logged, "" when the list answers
}

// vaultTags returns the tags of the project's vaults by vault ID: read
// now, or, when the list fails, those last read within max_staleness
// (else none). It never fails: tags are no part of a backup's state.
func (p *provider) vaultTags(ctx context.Context) map[string]map[string]string {
	vaults, err := list[huaweiVault](ctx, p, "vaults", url.Values{})
	now := time.Now()
	m := &p.vaults
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil && ctx.Err() != nil {
		// The poll ends (its deadline, or the backup list failed): not
		// the vault list's failure.
		return nil
	}
	if err != nil {
		if msg := err.Error(); msg != m.failed {
			m.failed = msg
			p.env.Logger.Warn("cannot list the CBR vaults: backup_resource_info keeps the vault tags last read for max_staleness",
				zap.Error(fmt.Errorf("list CBR vaults of project %q: %w", p.project, err)))
		}
		if m.tags != nil && now.Sub(m.at) <= toolkit.MaxStaleness(ctx) {
			return m.tags
		}
		return nil
	}
	if m.failed != "" {
		m.failed = ""
		p.env.Logger.Info("the CBR vaults are listed again")
	}
	tags := make(map[string]map[string]string, len(vaults))
	for _, v := range vaults {
		if _, dup := tags[v.ID]; dup || len(v.Tags) == 0 {
			continue
		}
		values := make(map[string]string, len(v.Tags))
		for _, t := range v.Tags {
			if _, seen := values[t.Key]; !seen {
				values[t.Key] = t.Value
			}
		}
		tags[v.ID] = values
	}
	m.tags, m.at = tags, now
	return tags
}

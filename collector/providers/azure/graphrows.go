package azure

import (
	"context"
	"fmt"
	"strings"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// Rows of Resource Graph mode. Each row of RecoveryServicesResources is an
// ARM resource of the vaults (its id, type and properties, which are the
// ARM resource's own: docs/metrics.md), so a row decodes into the same
// typed item as the ARM list that holds it, and the providers translate it
// with the same functions.

// MaxGraphSubscriptions is how many subscriptions one query names: the
// throttling guidance asks for groups of fewer than 300.
const MaxGraphSubscriptions = 300

// GraphRow is one row of the query (`project id, type, subscriptionId,
// resourceGroup, properties`).
type GraphRow struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	SubscriptionID string          `json:"subscriptionId"`
	ResourceGroup  string          `json:"resourceGroup"`
	Properties     json.RawMessage `json:"properties"`
}

// Check implements toolkit.Checked: a row has its ID and type (which
// say what it is and which vault holds it).
func (r *GraphRow) Check() error { return toolkit.Require("id", r.ID, "type", r.Type) }

// Decode decodes the row as out, an ARM resource type of the vault's
// lists: its id, its name (the ID's last segment, as ARM names nested
// resources in their lists' items) and its properties.
func (r *GraphRow) Decode(out any) error {
	props := r.Properties
	if len(props) == 0 {
		props = json.RawMessage("null")
	}
	b, err := json.Marshal(struct {
		ID         string          `json:"id"`
		Name       string          `json:"name"`
		Type       string          `json:"type"`
		Properties json.RawMessage `json:"properties"`
	}{r.ID, LastSegment(r.ID), r.Type, props})
	if err != nil {
		return fmt.Errorf("row %s: %w", r.ID, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("row of type %s: decode properties: %w", r.Type, err)
	}
	return nil
}

// VaultPath is the ARM path of the vault an item or job of id belongs to:
// id up to the segment after collection ("vaults" for Recovery Services,
// "backupVaults" for Backup vaults), compared without case, under a
// subscription and resource group; ok false when id names no such vault.
func VaultPath(id, collection string) (path string, ok bool) {
	segs := strings.Split(id, "/")
	// "", "subscriptions", sub, "resourceGroups", rg, "providers", ns, collection, name, ...
	if len(segs) < 9 || segs[0] != "" || !strings.EqualFold(segs[1], "subscriptions") || segs[2] == "" ||
		!strings.EqualFold(segs[3], "resourceGroups") || segs[4] == "" || !strings.EqualFold(segs[5], "providers") ||
		!strings.EqualFold(segs[7], collection) || segs[8] == "" {
		return "", false
	}
	return strings.Join(segs[:9], "/"), true
}

// SubscriptionGroups splits subscriptions into the groups of at most
// MaxGraphSubscriptions that one query each names, in order; no
// subscriptions is one group naming none (the scope is then the
// management groups, or every subscription the credential may read).
func SubscriptionGroups(subscriptions []string) [][]string {
	if len(subscriptions) == 0 {
		return [][]string{nil}
	}
	var out [][]string
	for len(subscriptions) > 0 {
		n := min(len(subscriptions), MaxGraphSubscriptions)
		out = append(out, subscriptions[:n:n])
		subscriptions = subscriptions[n:]
	}
	return out
}

// GraphQueryFunc runs a Resource Graph mode query over a target's scope
// and hands each row to fn as its page arrives.
type GraphQueryFunc func(ctx context.Context, scope GraphSpec, kql string, fn func(GraphRow) error) error

// GraphRows is the GraphQueryFunc of g at apiVersion: one paged query per
// group of at most 300 subscriptions (one with the management groups, or
// with no scope: every subscription the credential may read).
func GraphRows(g *ResourceGraph, apiVersion string) GraphQueryFunc {
	return func(ctx context.Context, scope GraphSpec, kql string, fn func(GraphRow) error) error {
		for _, subs := range SubscriptionGroups(scope.Subscriptions) {
			sc := Scope{Subscriptions: subs, ManagementGroups: scope.ManagementGroups, APIVersion: apiVersion}
			if err := Query[GraphRow](ctx, g, sc, kql, fn); err != nil {
				return err
			}
		}
		return nil
	}
}

// DecodeRow decodes a row as item (Decode) and checks it as its ARM list
// does.
func DecodeRow[T any, PT interface {
	*T
	toolkit.Checked
}](row GraphRow, item PT) error {
	if err := row.Decode(item); err != nil {
		return err
	}
	return item.Check()
}

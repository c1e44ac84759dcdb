package azurebackup

import (
	"context"
	"fmt"
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// Resource Graph mode (source: resource_graph): one query of
// RecoveryServicesResources over the target's subscriptions (or management
// groups) reads the protected and protectable items and the Backup jobs of
// every vault at once. Its rows are the ARM resources the vault's lists
// hold, so they are grouped by vault into the same vaultLists and
// translated as in ARM mode (fromLists).

// graphItemTypes and graphJobTypes are what azure_backup reads of the table.
var (
	graphItemTypes = []string{azure.TypeRSProtectedItem, azure.TypeRSProtectableItem}
	graphJobTypes  = []string{azure.TypeRSJob}
)

// graphVaults gathers the rows of a query into each vault's lists, in the
// order the vaults first appear (the rows come sorted by id, so by vault).
type graphVaults struct {
	order []string // vault paths as first written
	lists map[string]*vaultLists
	paths map[string]string // lower-case path -> path as first written
}

func newGraphVaults() *graphVaults {
	return &graphVaults{lists: map[string]*vaultLists{}, paths: map[string]string{}}
}

// add puts a row in its vault's lists: a protected item, a protectable VM
// (the ARM mode's list asks for backupManagementType AzureIaasVM only), or
// a Backup job. A row of another type is not the target's (the query
// names the types), and is left alone. A row whose ID names no vault
// fails, as an item without its required fields does.
func (g *graphVaults) add(row azure.GraphRow) error {
	typ := strings.ToLower(row.Type)
	switch typ {
	case azure.TypeRSProtectedItem, azure.TypeRSProtectableItem, azure.TypeRSJob:
	default:
		return nil
	}
	path, ok := azure.VaultPath(row.ID, "vaults")
	if !ok {
		return fmt.Errorf("a %s row's id names no Recovery Services vault", typ)
	}
	k := strings.ToLower(path)
	l := g.lists[k]
	if l == nil {
		l = &vaultLists{}
		g.lists[k], g.paths[k] = l, path
		g.order = append(g.order, path)
	}
	switch typ {
	case azure.TypeRSProtectedItem:
		var it protectedItem
		if err := azure.DecodeRow(row, &it); err != nil {
			return err
		}
		l.items = append(l.items, it)
	case azure.TypeRSProtectableItem:
		var it protectableItem
		if err := azure.DecodeRow(row, &it); err != nil {
			return err
		}
		if strings.EqualFold(it.Properties.BackupManagementType, "AzureIaasVM") {
			l.protectable = append(l.protectable, it)
		}
	case azure.TypeRSJob:
		var j job
		if err := azure.DecodeRow(row, &j); err != nil {
			return err
		}
		// The query keeps Backup operations; a row of another says
		// nothing of the backups.
		if j.Properties.Operation == "" || strings.EqualFold(j.Properties.Operation, "Backup") {
			l.jobs = append(l.jobs, j)
		}
	}
	return nil
}

// vaults returns each vault's path and lists, in order.
func (g *graphVaults) vaults() []graphVault {
	out := make([]graphVault, len(g.order))
	for i, path := range g.order {
		out[i] = graphVault{path: path, lists: *g.lists[strings.ToLower(path)]}
	}
	return out
}

// graphVault is one vault's lists as read from Resource Graph.
type graphVault struct {
	path  string
	lists vaultLists
}

// fromGraph translates the vaults read from Resource Graph, several at
// once, as ARM mode does its vaults.
func (p *provider) fromGraph(ctx context.Context, g *graphVaults) ([]toolkit.Resource, error) {
	return toolkit.ConcatConcurrent(ctx, p.env.Pool.MaxConcurrency(), g.vaults(), func(ctx context.Context, v graphVault) ([]toolkit.Resource, error) {
		return p.fromLists(ctx, v.path, v.lists), nil
	})
}

// collectGraph reads the target's rows, one query per group of at most
// 300 subscriptions, and translates them.
func (p *provider) collectGraph(ctx context.Context) ([]toolkit.Resource, error) {
	g := newGraphVaults()
	if err := p.query(ctx, p.scope, p.kql, g.add); err != nil {
		return nil, fmt.Errorf("query Recovery Services items and jobs in Resource Graph: %w", err)
	}
	return p.fromGraph(ctx, g)
}

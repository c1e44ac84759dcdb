package azuredataprotection

import (
	"context"
	"fmt"
	"strings"

	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// Resource Graph mode (source: resource_graph): one query of
// RecoveryServicesResources over the target's subscriptions (or
// management groups) reads the backup instances, the Backup jobs of the
// window and the backup policies of every Backup vault at once (the
// policies "may be added to the query", docs/metrics.md: they give the
// same intervals as ARM mode's policy reads). The rows are the ARM
// resources the vaults' lists hold, decoded into the same items and
// turned into records by the same code as ARM mode; recovery points are
// not in Resource Graph (read by ARM only for an instance without a
// succeeded job in the window, as in ARM mode, never all of them). With
// coverage_resource_types, a second query lists the resources of those
// types that no instance protects.

// policyType is the backup policies' type in RecoveryServicesResources.
const policyType = "microsoft.dataprotection/backupvaults/backuppolicies"

// graphLists gathers a query's rows: the instances, the jobs of the
// window by instance, the policies' schedules by lower-cased ID.
type graphLists struct {
	lists    vaultLists
	policies map[string]*policySchedule
}

// add puts a row where it belongs; a row of another type is left alone
// (the query names the types).
func (p *provider) addRow(g *graphLists, row azure.GraphRow) error {
	switch strings.ToLower(row.Type) {
	case azure.TypeDPInstance:
		var it backupInstance
		if err := azure.DecodeRow(row, &it); err != nil {
			return err
		}
		g.lists.instances = append(g.lists.instances, it)
	case azure.TypeDPJob:
		var j job
		if err := azure.DecodeRow(row, &j); err != nil {
			return err
		}
		if j.inWindow(p.now().Add(-p.window)) {
			k := strings.ToLower(j.Properties.BackupInstanceID)
			g.lists.jobs[k] = append(g.lists.jobs[k], &j)
		}
	case policyType:
		var pol backupPolicy
		if err := azure.DecodeRow(row, &pol); err != nil {
			return err
		}
		s := pol.schedule()
		g.policies[strings.ToLower(row.ID)] = &s
	}
	return nil
}

// graphLists runs the target's query.
func (p *provider) graphLists(ctx context.Context) (*graphLists, error) {
	g := &graphLists{lists: vaultLists{jobs: map[string][]*job{}}, policies: map[string]*policySchedule{}}
	err := p.query(ctx, p.scope, p.kql, func(row azure.GraphRow) error { return p.addRow(g, row) })
	if err != nil {
		return nil, fmt.Errorf("query Backup vault instances and jobs in Resource Graph: %w", err)
	}
	return g, nil
}

// coverageRow is a row of the coverage query: a resource no instance
// protects.
type coverageRow struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Check implements toolkit.Checked.
func (r *coverageRow) Check() error { return toolkit.Require("id", r.ID) }

// uncovered lists the resources of coverage_resource_types in scope that
// no backup instance protects, as unprotected resources.
func (p *provider) uncovered(ctx context.Context) ([]toolkit.Resource, error) {
	var out []toolkit.Resource
	for _, subs := range azure.SubscriptionGroups(p.scope.Subscriptions) {
		scope := azure.Scope{Subscriptions: subs, ManagementGroups: p.scope.ManagementGroups, APIVersion: p.scope.ResourceGraphAPIVersion}
		err := azure.Query(ctx, p.graph, scope, p.coverageKQL, func(row coverageRow) error {
			name := row.Name
			if name == "" {
				name = azure.LastSegment(row.ID)
			}
			r := toolkit.Unprotected(row.ID, name)
			r.Tags = azure.LookedUpTags(row.ID)
			out = append(out, r)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("query the resources no backup instance protects in Resource Graph: %w", err)
		}
	}
	return out, nil
}

package azure

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// The sources an Azure Backup target reads its items from.
const (
	// SourceARM reads each vault's lists through Azure Resource Manager:
	// several calls per vault.
	SourceARM = "arm"
	// SourceResourceGraph reads every vault of many subscriptions with one
	// paged Azure Resource Graph query.
	SourceResourceGraph = "resource_graph"
)

// DefaultResourceGraphAPIVersion is the api-version of Resource Graph's
// resources query when the target sets none (Microsoft.ResourceGraph
// stable 2024-04-01).
const DefaultResourceGraphAPIVersion = "2024-04-01"

// MaxGraphScope bounds the subscriptions or management groups a target
// names: Resource Graph itself reads at most 10,000 subscriptions.
const MaxGraphScope = 10000

// reManagementGroup is a management group's ID (its name): 1 to 90
// letters, digits, hyphens, underscores, periods and parentheses, not
// ending in a period (Azure's naming rules for
// Microsoft.Management/managementGroups).
var reManagementGroup = regexp.MustCompile(`^[-\w.()]{0,89}[-\w()]$`)

// reResourceType is an ARM resource type, as coverage_resource_types
// names it: a namespace and one or more type segments
// ("microsoft.compute/disks", "Microsoft.DBforPostgreSQL/flexibleServers").
var reResourceType = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)+(/[A-Za-z][A-Za-z0-9]*){1,4}$`)

// ReVault is the name of an Azure Backup vault, a Recovery Services vault
// or a Backup vault: 2 to 50 letters, digits and hyphens, starting with a
// letter (Azure's naming rules for Microsoft.RecoveryServices/vaults and
// Microsoft.DataProtection/backupVaults; the API documents give the
// vaultName parameter no pattern).
var ReVault = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{1,49}$`)

// MinJobWindow is the least span of Backup jobs an Azure Backup provider
// reads in ARM mode (docs/metrics.md: a window of expected_interval × 2,
// at least 2 days).
const MinJobWindow = 48 * time.Hour

// JobWindow is ARM mode's window of Backup jobs for an expected interval:
// twice the interval, at least MinJobWindow.
func JobWindow(expectedInterval time.Duration) time.Duration {
	return max(2*expectedInterval, MinJobWindow)
}

// GraphSpec holds the keys of Resource Graph mode, which the Azure Backup
// providers (azure_backup, azure_dataprotection) share. Providers embed
// it with `yaml:",inline"` beside TargetSpec.
type GraphSpec struct {
	// Source is arm (the default) or resource_graph.
	Source string `yaml:"source,omitempty"`
	// Subscriptions and ManagementGroups are Resource Graph's scope;
	// neither means every subscription the credential may read.
	Subscriptions    []string `yaml:"subscriptions,omitempty"`
	ManagementGroups []string `yaml:"management_groups,omitempty"`
	// ProgressFromARM reads each running latest job by its ARM ID for its
	// progress and bytes (Resource Graph rows carry none); default true.
	ProgressFromARM bool `yaml:"progress_from_arm,omitempty"`
	// ResourceGraphAPIVersion is the api-version of the query.
	ResourceGraphAPIVersion string `yaml:"resource_graph_api_version,omitempty"`
}

// graphOnlyKeys are the keys that mean something only with source
// resource_graph.
var graphOnlyKeys = []string{"subscriptions", "management_groups", "progress_from_arm", "resource_graph_api_version"}

// FromGraph reports whether the target reads Resource Graph.
func (g *GraphSpec) FromGraph() bool { return g.Source == SourceResourceGraph }

// Validate checks the source and, with resource_graph, the scope, and
// defaults the source, progress_from_arm and resource_graph_api_version:
// config.md's rules (resource_graph with subscription_id is an error, as
// are subscriptions with management_groups; the keys of Resource Graph
// mode do not go with arm). The provider then checks its TargetSpec keys
// with Check (arm) or CheckGraph (resource_graph).
func (g *GraphSpec) Validate(v *config.Validator) error {
	switch g.Source {
	case "", SourceARM:
		g.Source = SourceARM
		for _, k := range graphOnlyKeys {
			if v.Has(k) {
				return v.Errorf(k, "%s applies only with source: %s", k, SourceResourceGraph)
			}
		}
		return nil
	case SourceResourceGraph:
	default:
		return v.Errorf("source", "source %s must be %s or %s", v.Shown("source", g.Source), SourceARM, SourceResourceGraph)
	}
	if !v.Has("progress_from_arm") {
		g.ProgressFromARM = true
	}
	if g.ResourceGraphAPIVersion == "" {
		g.ResourceGraphAPIVersion = DefaultResourceGraphAPIVersion
	}
	switch {
	case v.Has("subscription_id"):
		return v.Errorf("subscription_id", "subscription_id does not go with source: %s; list the subscriptions under subscriptions", SourceResourceGraph)
	case len(g.Subscriptions) > 0 && len(g.ManagementGroups) > 0:
		return v.Errorf("management_groups", "give subscriptions or management_groups, not both")
	}
	return config.First(
		scopeList(v, "subscriptions", g.Subscriptions, v.UUID),
		scopeList(v, "management_groups", g.ManagementGroups, func(key, s string) error {
			return v.Match(key, s, reManagementGroup)
		}),
		v.Match("resource_graph_api_version", g.ResourceGraphAPIVersion, reAPIVersion),
	)
}

// CheckTarget checks t's keys for g's source, after Validate: with
// resource_graph CheckGraph; with arm subscription_id (and resource_group
// with groupRequired) required, then Check. checks are the provider's
// own, run by either.
func (g *GraphSpec) CheckTarget(v *config.Validator, t *TargetSpec, defaultAPIVersion string, groupRequired bool, checks ...func() error) error {
	if g.FromGraph() {
		return t.CheckGraph(v, defaultAPIVersion, checks...)
	}
	required := v.Required("subscription_id", t.SubscriptionID)
	if groupRequired {
		required = t.Required(v)
	}
	return config.First(required, t.Check(v, defaultAPIVersion, checks...))
}

// NewClient returns the target's ARM client for provider: in
// subscriptionID, or with resource_graph in the subscriptions of the
// scope (where job details, policies... are read by ARM).
func (g *GraphSpec) NewClient(env *toolkit.Env, provider, subscriptionID string) (*Client, error) {
	subscriptions := []string{subscriptionID}
	if g.FromGraph() {
		subscriptions = g.Subscriptions
	}
	return NewClient(env, provider, subscriptions...)
}

// NewQuery returns, for a target of Resource Graph mode, the Resource
// Graph client of env's credential and the function that runs the
// target's queries at its resource_graph_api_version.
func (g *GraphSpec) NewQuery(env *toolkit.Env) (*ResourceGraph, GraphQueryFunc, error) {
	graph, err := NewResourceGraph(env)
	if err != nil {
		return nil, nil, err
	}
	return graph, GraphRows(graph, g.ResourceGraphAPIVersion), nil
}

// scopeList checks the entries of a scope list with check (an empty
// entry is refused), each reported at its own line, and refuses an entry
// given twice (without case, as ARM compares them).
func scopeList(v *config.Validator, key string, list []string, check func(key, value string) error) error {
	if len(list) > MaxGraphScope {
		return v.Errorf(key, "%s has %d entries; Resource Graph reads at most %d subscriptions", key, len(list), MaxGraphScope)
	}
	seen := make(map[string]bool, len(list))
	for i, s := range list {
		entry := fmt.Sprintf("%s[%d]", key, i)
		if s == "" {
			return v.Errorf(entry, "%s entry %d is empty", key, i+1)
		}
		if err := check(entry, s); err != nil {
			return err
		}
		if seen[strings.ToLower(s)] {
			return v.Errorf(entry, "%s entry %d %s is listed twice", key, i+1, v.Shown(entry, s))
		}
		seen[strings.ToLower(s)] = true
	}
	return nil
}

// ValidateCoverage checks coverage_resource_types (azure_dataprotection):
// only with source resource_graph, each an ARM resource type, none twice;
// the types are kept in lower case, as Resource Graph writes them.
func ValidateCoverage(v *config.Validator, g *GraphSpec, types []string) error {
	if len(types) == 0 && !v.Has("coverage_resource_types") {
		return nil
	}
	if !g.FromGraph() {
		return v.Errorf("coverage_resource_types", "coverage_resource_types applies only with source: %s (Resource Graph lists the resources no instance protects)", SourceResourceGraph)
	}
	seen := make(map[string]bool, len(types))
	for i, t := range types {
		entry := fmt.Sprintf("coverage_resource_types[%d]", i)
		if !reResourceType.MatchString(t) {
			return v.Errorf(entry, "coverage_resource_types entry %d %s is not an ARM resource type (microsoft.compute/disks, microsoft.storage/storageaccounts, ...)", i+1, v.Shown(entry, t))
		}
		t = strings.ToLower(t)
		if seen[t] {
			return v.Errorf(entry, "coverage_resource_types entry %d %s is listed twice", i+1, v.Shown(entry, types[i]))
		}
		seen[t] = true
		types[i] = t
	}
	return nil
}

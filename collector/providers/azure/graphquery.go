package azure

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The KQL of Resource Graph mode (docs/metrics.md, "Resource Graph mode"):
// one query per target over RecoveryServicesResources, the table that
// holds the Recovery Services vaults' protected and protectable items and
// jobs and the Backup vaults' instances and jobs (Backup and Restore jobs
// of the last 14 days), and for azure_dataprotection's coverage one over
// Resources left-joined with the backup instances.

// Resource types of RecoveryServicesResources (Resource Graph writes them
// in lower case).
const (
	TypeRSProtectedItem   = "microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems"
	TypeRSProtectableItem = "microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protectableitems"
	TypeRSJob             = "microsoft.recoveryservices/vaults/backupjobs"
	TypeDPInstance        = "microsoft.dataprotection/backupvaults/backupinstances"
	TypeDPJob             = "microsoft.dataprotection/backupvaults/backupjobs"
)

// Bounds of the jobs' window: Resource Graph keeps Backup jobs 14 days.
const (
	MinGraphWindow = 2 * 24 * time.Hour
	MaxGraphWindow = 14 * 24 * time.Hour
)

// jobFilters are the Backup-operation filters of each job type: Recovery
// Services jobs say properties.operation, Backup vault jobs
// properties.operationCategory.
var jobFilters = map[string]string{
	TypeRSJob: "tostring(properties.operation) =~ 'Backup'",
	TypeDPJob: "tostring(properties.operationCategory) =~ 'Backup'",
}

// GraphQuery is one target's query of RecoveryServicesResources.
type GraphQuery struct {
	// ItemTypes are the item types the target reads (protected and
	// protectable items, or backup instances); JobTypes its job types.
	ItemTypes, JobTypes []string
	// Window is how far back Backup jobs are read (ClampWindow of the
	// target's expected_interval); it is kept between 2 and 14 days.
	Window time.Duration
	// ResourceGroup and Vault, when set, keep the rows of that resource
	// group, and of the vaults of that name (the vault segment of the
	// rows' IDs: vaults/NAME/ or backupVaults/NAME/).
	ResourceGroup, Vault string
}

// ClampWindow is the jobs' window of an expected interval: twice the
// interval, at least 2 and at most 14 days.
func ClampWindow(expectedInterval time.Duration) time.Duration {
	return min(max(2*expectedInterval, MinGraphWindow), MaxGraphWindow)
}

// KQL returns the query: the spec's, with the types the target does not
// need dropped, the window written as a timespan, the target's filters,
// and `order by id asc` so that pages are stable.
func (q GraphQuery) KQL() string {
	var b strings.Builder
	b.WriteString("RecoveryServicesResources\n")
	fmt.Fprintf(&b, "| where type in~ (%s)\n", quoteList(append(slices.Clone(q.ItemTypes), q.JobTypes...)))
	if q.ResourceGroup != "" {
		fmt.Fprintf(&b, "| where resourceGroup =~ %s\n", kqlQuote(q.ResourceGroup))
	}
	if q.Vault != "" {
		// Item and job IDs name their vault: .../vaults/NAME/... or
		// .../backupVaults/NAME/...
		fmt.Fprintf(&b, "| where id contains %s\n", kqlQuote("vaults/"+q.Vault+"/"))
	}
	if len(q.JobTypes) > 0 {
		var branches []string
		for _, t := range q.JobTypes {
			branches = append(branches, fmt.Sprintf("(type =~ %s\n            and %s)", kqlQuote(t), jobFilters[t]))
		}
		fmt.Fprintf(&b, "| where type !endswith '/backupjobs'\n    or (todatetime(properties.startTime) > ago(%s)\n        and (%s))\n",
			kqlTimespan(min(max(q.Window, MinGraphWindow), MaxGraphWindow)), strings.Join(branches, "\n          or "))
	}
	b.WriteString("| project id, type, subscriptionId, resourceGroup, properties\n| order by id asc")
	return b.String()
}

// CoverageQuery returns azure_dataprotection's coverage query: every
// resource of types (lower case) in scope, within resourceGroup when set,
// that no backup instance protects (the instance's
// dataSourceInfo.resourceID, compared in lower case).
func CoverageQuery(types []string, resourceGroup string) string {
	var b strings.Builder
	b.WriteString("Resources\n")
	fmt.Fprintf(&b, "| where type in~ (%s)\n", quoteList(types))
	if resourceGroup != "" {
		fmt.Fprintf(&b, "| where resourceGroup =~ %s\n", kqlQuote(resourceGroup))
	}
	fmt.Fprintf(&b, `| extend rid = tolower(id)
| join kind=leftouter (
    RecoveryServicesResources
    | where type =~ '%s'
    | project rid = tolower(tostring(properties.dataSourceInfo.resourceID)), bi = id) on rid
| where isempty(bi)
| project id, name, type, subscriptionId, resourceGroup, tags
| order by id asc`, TypeDPInstance)
	return b.String()
}

func quoteList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = kqlQuote(s)
	}
	return strings.Join(quoted, ", ")
}

// kqlQuote writes s as a single-quoted KQL string literal, its
// backslashes and quotes escaped, so that no value can end the literal
// (the values are validated names and types, which hold neither).
func kqlQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// kqlTimespan writes d as a KQL timespan literal: whole days, hours,
// minutes or seconds (2d, 36h, 90m).
func kqlTimespan(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", max(d/time.Second, 1))
}

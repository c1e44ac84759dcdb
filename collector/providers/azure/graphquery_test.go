package azure

import (
	"strings"
	"testing"
	"time"
)

// specQuery is docs/metrics.md's query for both providers (every type,
// ago(2d)), as written there.
const specQuery = `RecoveryServicesResources
| where type in~ (
    'microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems',
    'microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protectableitems',
    'microsoft.dataprotection/backupvaults/backupinstances',
    'microsoft.recoveryservices/vaults/backupjobs',
    'microsoft.dataprotection/backupvaults/backupjobs')
| where type !endswith '/backupjobs'
    or (todatetime(properties.startTime) > ago(2d)
        and ((type =~ 'microsoft.recoveryservices/vaults/backupjobs'
              and tostring(properties.operation) =~ 'Backup')
          or (type =~ 'microsoft.dataprotection/backupvaults/backupjobs'
              and tostring(properties.operationCategory) =~ 'Backup')))
| project id, type, subscriptionId, resourceGroup, properties
| order by id asc`

// specCoverage is docs/metrics.md's coverage query (disks).
const specCoverage = `Resources
| where type in~ ('microsoft.compute/disks')
| extend rid = tolower(id)
| join kind=leftouter (
    RecoveryServicesResources
    | where type =~ 'microsoft.dataprotection/backupvaults/backupinstances'
    | project rid = tolower(tostring(properties.dataSourceInfo.resourceID)), bi = id) on rid
| where isempty(bi)
| project id, name, type, subscriptionId, resourceGroup, tags
| order by id asc`

// kqlTokens splits a query into words and punctuation, whatever the
// spacing, so that two queries can be compared as KQL reads them.
func kqlTokens(q string) []string {
	var out []string
	for _, f := range strings.Fields(q) {
		for f != "" {
			i := strings.IndexAny(f, "(),|")
			switch {
			case i < 0:
				out = append(out, f)
				f = ""
			case i == 0:
				out = append(out, f[:1])
				f = f[1:]
			default:
				out = append(out, f[:i])
				f = f[i:]
			}
		}
	}
	return out
}

// TestGraphQueryIsTheSpecs: with every type and a 2-day window the query
// is the spec's, token for token.
func TestGraphQueryIsTheSpecs(t *testing.T) {
	q := GraphQuery{
		ItemTypes: []string{TypeRSProtectedItem, TypeRSProtectableItem, TypeDPInstance},
		JobTypes:  []string{TypeRSJob, TypeDPJob},
		Window:    ClampWindow(24 * time.Hour),
	}
	if got, want := strings.Join(kqlTokens(q.KQL()), " "), strings.Join(kqlTokens(specQuery), " "); got != want {
		t.Errorf("query\n got: %s\nwant: %s", got, want)
	}
	if got, want := strings.Join(kqlTokens(CoverageQuery([]string{"microsoft.compute/disks"}, "")), " "), strings.Join(kqlTokens(specCoverage), " "); got != want {
		t.Errorf("coverage query\n got: %s\nwant: %s", got, want)
	}
}

// TestGraphQueryPerProvider: each provider's query names only its types
// and its job filter; the window is expected_interval × 2 between 2 and 14
// days; the target's filters are literals that cannot end early.
func TestGraphQueryPerProvider(t *testing.T) {
	backup := GraphQuery{ItemTypes: []string{TypeRSProtectedItem, TypeRSProtectableItem}, JobTypes: []string{TypeRSJob}, Window: ClampWindow(7 * 24 * time.Hour)}.KQL()
	for _, want := range []string{"ago(14d)", "tostring(properties.operation) =~ 'Backup'", "'" + TypeRSProtectableItem + "'"} {
		if !strings.Contains(backup, want) {
			t.Errorf("azure_backup query lacks %q:\n%s", want, backup)
		}
	}
	if strings.Contains(backup, "dataprotection") {
		t.Errorf("azure_backup query names Backup vault types:\n%s", backup)
	}
	dp := GraphQuery{ItemTypes: []string{TypeDPInstance}, JobTypes: []string{TypeDPJob}, Window: ClampWindow(30 * time.Hour), ResourceGroup: "rg-backup", Vault: "bv-prod"}.KQL()
	for _, want := range []string{"ago(60h)", "operationCategory", "| where resourceGroup =~ 'rg-backup'", "| where id contains 'vaults/bv-prod/'"} {
		if !strings.Contains(dp, want) {
			t.Errorf("azure_dataprotection query lacks %q:\n%s", want, dp)
		}
	}
	if strings.Contains(dp, "recoveryservices") {
		t.Errorf("azure_dataprotection query names Recovery Services types:\n%s", dp)
	}
	for in, want := range map[time.Duration]time.Duration{
		time.Hour: MinGraphWindow, 24 * time.Hour: MinGraphWindow, 30 * time.Hour: 60 * time.Hour,
		7 * 24 * time.Hour: MaxGraphWindow, 30 * 24 * time.Hour: MaxGraphWindow,
	} {
		if got := ClampWindow(in); got != want {
			t.Errorf("ClampWindow(%v) = %v, want %v", in, got, want)
		}
	}
	for d, want := range map[time.Duration]string{48 * time.Hour: "2d", 36 * time.Hour: "36h", 90 * time.Minute: "90m", 1500 * time.Millisecond: "1s"} {
		if got := kqlTimespan(d); got != want {
			t.Errorf("kqlTimespan(%v) = %s, want %s", d, got, want)
		}
	}
	if got := kqlQuote(`a'b\c`); got != `'a\'b\\c'` {
		t.Errorf("kqlQuote = %s", got)
	}
}

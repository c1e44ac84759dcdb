package simulator

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// Helpers that build the expressions of the spec's queries.
func col(path string) kqlExpr                 { return kqlCol{path: strings.Split(path, ".")} }
func str(s string) kqlExpr                    { return kqlLit{v: s} }
func call(fn string, args ...kqlExpr) kqlExpr { return kqlCall{fn: fn, args: args} }
func bin(op string, l, r kqlExpr) kqlExpr     { return kqlBin{op: op, l: l, r: r} }

// specBackupQuery is the spec's Resource Graph mode query for azure_backup
// (docs/metrics.md), its window written %s.
const specBackupQuery = `RecoveryServicesResources
| where type in~ (
    'microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protecteditems',
    'microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers/protectableitems',
    'microsoft.recoveryservices/vaults/backupjobs')
| where type !endswith '/backupjobs'
    or (todatetime(properties.startTime) > ago(%s)
        and ((type =~ 'microsoft.recoveryservices/vaults/backupjobs'
              and tostring(properties.operation) =~ 'Backup')))
| project id, type, subscriptionId, resourceGroup, properties
| order by id asc`

// backupQueryRows evaluates the spec's query for azure_backup (a window
// of window) over rows, parsed by the one parser of the simulator.
func backupQueryRows(t *testing.T, rows []map[string]any, window string, now time.Time) []map[string]any {
	t.Helper()
	q, err := kqlParse(fmt.Sprintf(specBackupQuery, window))
	if err != nil {
		t.Fatal(err)
	}
	out, err := q.run(kqlEnv{now: now, table: func(string) ([]kqlRow, bool) { return rows, true }})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRecoveryServicesRowsAreTheRESTLists: the spec's query over the
// table gives, vault by vault, exactly what the vault's REST lists give:
// the protected items, the protectable items, and the Backup jobs that
// started within the window, each with the same id and properties.
func TestRecoveryServicesRowsAreTheRESTLists(t *testing.T) {
	now := time.Now().UTC()
	sc := GenerateAzureBackup(DefaultAzureSubscriptionID, 2, 30, 20, now)
	sc.Tenants = []AzureTenant{{ID: DefaultAzureTenantID, Clients: []AzureClient{{ClientID: DefaultAzureClientID, ClientSecret: DefaultAzureClientSecret}}}}
	sc.PageSize = 1000
	s, c := azStart(t, sc)
	tok := azToken(t, c, s)

	st := s.azureState()
	s.mu.Lock()
	table, err := st.recoveryServicesRows(now)
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	window := 3 * 24 * time.Hour
	got := backupQueryRows(t, table, "3d", now)
	if !slices.IsSortedFunc(got, func(a, b map[string]any) int { return strings.Compare(a["id"].(string), b["id"].(string)) }) {
		t.Error("rows not sorted by id")
	}

	// What the REST lists answer, as rows.
	base := "/subscriptions/" + DefaultAzureSubscriptionID + "/resourceGroups/" + DefaultAzureResourceGroup + "/providers/Microsoft.RecoveryServices/vaults/"
	filter := fmt.Sprintf("?api-version=2025-08-01&$filter=operation%%20eq%%20'Backup'%%20and%%20startTime%%20eq%%20'%s'%%20and%%20endTime%%20eq%%20'%s'",
		strings.ReplaceAll(now.Add(-window).Format(AzureBackupFilterTimeFormat), " ", "%20"), strings.ReplaceAll(now.Format(AzureBackupFilterTimeFormat), " ", "%20"))
	want := map[string]string{} // id -> properties as JSON
	for _, v := range []string{"rsv-01", "rsv-02"} {
		for _, list := range []string{"/backupProtectedItems?api-version=2025-08-01", "/backupProtectableItems?api-version=2025-08-01", "/backupJobs" + filter} {
			resp, m := azGet(t, c, s, base+v+list, tok)
			if resp.StatusCode != 200 {
				t.Fatalf("%s: %d %v", list, resp.StatusCode, m)
			}
			for _, item := range m["value"].([]any) {
				it := item.(map[string]any)
				b, _ := json.Marshal(steady(it["properties"]))
				want[it["id"].(string)] = string(b)
			}
		}
	}
	jobs := 0
	for _, row := range got {
		id := row["id"].(string)
		b, _ := json.Marshal(steady(row["properties"]))
		w, ok := want[id]
		switch {
		case !ok:
			t.Errorf("row %s is in no REST list", id)
		case w != string(b):
			t.Errorf("row %s:\n got %s\nwant %s", id, b, w)
		}
		if strings.HasSuffix(row["type"].(string), "/backupjobs") {
			jobs++
		}
		delete(want, id)
	}
	for id := range want {
		t.Errorf("%s is listed by REST but not in the rows", id)
	}
	if jobs < 60 {
		t.Errorf("%d jobs in a 3-day window of 60 items with daily jobs", jobs)
	}
}

// steady drops the duration of a job in progress, which grows with the
// time of the answer.
func steady(props any) any {
	p, ok := props.(map[string]any)
	if !ok || (p["status"] != "InProgress" && p["status"] != "Cancelling") {
		return props
	}
	out := map[string]any{}
	for k, v := range p {
		if k != "duration" {
			out[k] = v
		}
	}
	return out
}

// TestKQLExpressionSemantics: case rules of the string operators, nulls,
// datetimes and timespans, as the KQL reference gives them.
func TestKQLExpressionSemantics(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	row := map[string]any{"type": "Microsoft.RecoveryServices/vaults/backupJobs", "n": 3.0,
		"properties": map[string]any{"startTime": "2026-11-23T10:00:00.1234567Z", "operation": "Backup", "empty": "", "nested": map[string]any{"resourceID": "/SUBS/X"}}}
	for name, tc := range map[string]struct {
		e    kqlExpr
		want any
	}{
		"=~ folds":                 {bin("=~", col("type"), str("microsoft.recoveryservices/vaults/backupjobs")), true},
		"== does not":              {bin("==", col("type"), str("microsoft.recoveryservices/vaults/backupjobs")), false},
		"!endswith folds":          {bin("!endswith", col("type"), str("/BACKUPJOBS")), false},
		"contains folds":           {bin("contains", col("type"), str("VAULTS/")), true},
		"!contains":                {bin("!contains", col("type"), str("nope")), true},
		"missing property is null": {col("properties.nope.deeper"), nil},
		"null compares false":      {bin(">", call("todatetime", col("properties.nope")), call("ago", kqlLit{v: time.Hour})), false},
		"datetime within":          {bin(">", call("todatetime", col("properties.startTime")), call("ago", kqlLit{v: 2 * 24 * time.Hour})), true},
		"datetime outside":         {bin(">", call("todatetime", col("properties.startTime")), call("ago", kqlLit{v: time.Hour})), false},
		"not a datetime":           {call("todatetime", col("properties.operation")), nil},
		"tostring of null":         {call("tostring", col("properties.nope")), ""},
		"tolower":                  {call("tolower", call("tostring", col("properties.nested.resourceID"))), "/subs/x"},
		"isempty of null":          {call("isempty", col("nope")), true},
		"isempty of empty":         {call("isempty", col("properties.empty")), true},
		"isempty of a value":       {call("isempty", col("type")), false},
		"number compare":           {bin(">=", col("n"), kqlLit{v: 3.0}), true},
		"two kinds compare false":  {bin("==", col("n"), str("3")), false},
		"in~ folds":                {newKQLIn(col("properties.operation"), []string{"backup"}, true, false), true},
		"in does not":              {newKQLIn(col("properties.operation"), []string{"backup"}, false, false), false},
		"!in~ of null":             {newKQLIn(col("nope"), []string{"x"}, true, true), true},
		"and short":                {bin("and", bin("==", col("n"), kqlLit{v: 4.0}), col("nope")), false},
		"or":                       {bin("or", col("nope"), bin("==", col("n"), kqlLit{v: 3.0})), true},
		"not":                      {call("not", bin("==", col("n"), kqlLit{v: 3.0})), false},
	} {
		if got := tc.e.eval(row, now); got != tc.want {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
	for s, want := range map[string]time.Duration{"2d": 48 * time.Hour, "36h": 36 * time.Hour, "90m": 90 * time.Minute, "1.5h": 90 * time.Minute, "500ms": 500 * time.Millisecond} {
		if d, ok := kqlReadTimespan(s); !ok || d != want {
			t.Errorf("timespan %s: %v %v", s, d, ok)
		}
	}
	for _, s := range []string{"2", "d", "-1d", "2w"} {
		if _, ok := kqlReadTimespan(s); ok {
			t.Errorf("timespan %q read", s)
		}
	}
}

// TestKQLLeftOuterJoin: the coverage query's join: every disk once, with
// the instance that protects it or with nulls; a disk protected by two
// instances twice; then isempty(bi) keeps the unprotected ones.
func TestKQLLeftOuterJoin(t *testing.T) {
	now := time.Now()
	disks := []map[string]any{{"id": "/S/D1", "name": "d1"}, {"id": "/s/d2", "name": "d2"}, {"id": "/s/d3", "name": "d3"}}
	instances := []map[string]any{
		{"id": "bi-1", "properties": map[string]any{"dataSourceInfo": map[string]any{"resourceID": "/s/d1"}}},
		{"id": "bi-2", "properties": map[string]any{"dataSourceInfo": map[string]any{"resourceID": "/S/D3"}}},
		{"id": "bi-3", "properties": map[string]any{"dataSourceInfo": map[string]any{"resourceID": "/s/d3"}}},
		{"id": "bi-4", "properties": map[string]any{}},
	}
	left := kqlExtendRows(disks, []kqlNamed{{"rid", call("tolower", col("id"))}}, now)
	right := kqlProjectRows(instances, []kqlNamed{{"rid", call("tolower", call("tostring", col("properties.dataSourceInfo.resourceID")))}, {"bi", col("id")}}, now)
	joined := kqlLeftOuterJoin(left, right, "rid", []string{"rid", "bi"})
	if len(joined) != 4 {
		t.Fatalf("%d joined rows, want d1, d2, d3 twice: %v", len(joined), joined)
	}
	if _, ok := joined[1]["rid1"]; !ok {
		t.Errorf("the right's rid is not renamed rid1: %v", joined[1])
	}
	unprotected := kqlWhere(joined, call("isempty", col("bi")), now)
	if len(unprotected) != 1 || unprotected[0]["name"] != "d2" {
		t.Errorf("unprotected %v, want d2", unprotected)
	}
	// An instance with no resource ID (tostring of null is "") matches
	// no disk.
	if ordered := kqlOrderRows(joined, "name", true); ordered[0]["name"] != "d3" || ordered[3]["name"] != "d1" {
		t.Errorf("order by name desc: %v", ordered)
	}
}

// TestKQLParsesTheSpecQueries: the spec's two queries parse into the
// operators the row functions implement, and evaluate as those do: the
// coverage join's text gives what TestKQLLeftOuterJoin builds by hand.
func TestKQLParsesTheSpecQueries(t *testing.T) {
	now := time.Now()
	disks := []map[string]any{
		{"id": "/S/D1", "name": "d1", "type": "microsoft.compute/disks"},
		{"id": "/s/d2", "name": "d2", "type": "microsoft.compute/disks"},
		{"id": "/s/vm", "name": "vm", "type": "microsoft.compute/virtualmachines"},
	}
	instances := []map[string]any{
		{"id": "bi-1", "type": "microsoft.dataprotection/backupvaults/backupinstances", "properties": map[string]any{"dataSourceInfo": map[string]any{"resourceID": "/s/d1"}}},
		{"id": "bi-2", "type": "microsoft.dataprotection/backupvaults/backupjobs", "properties": map[string]any{"dataSourceInfo": map[string]any{"resourceID": "/s/d2"}}},
	}
	q, err := kqlParse(`Resources
| where type in~ ('microsoft.compute/disks')
| extend rid = tolower(id)
| join kind=leftouter (
    RecoveryServicesResources
    | where type =~ 'microsoft.dataprotection/backupvaults/backupinstances'
    | project rid = tolower(tostring(properties.dataSourceInfo.resourceID)), bi = id) on rid
| where isempty(bi)
| project id, name, type, subscriptionId, resourceGroup, tags
| order by id asc`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := q.run(kqlEnv{now: now, table: func(name string) ([]kqlRow, bool) {
		switch name {
		case "Resources":
			return disks, true
		case "RecoveryServicesResources":
			return instances, true
		}
		return nil, false
	}})
	if err != nil || len(got) != 1 || got[0]["id"] != "/s/d2" || len(got[0]) != 6 {
		t.Errorf("coverage rows %v %v, want d2 alone (the job does not protect it), six columns", got, err)
	}
	if _, err := q.run(kqlEnv{now: now, table: func(name string) ([]kqlRow, bool) { return disks, name == "Resources" }}); err == nil {
		t.Error("a join over an unknown table ran")
	}
	// Default order is descending; asc and desc as written.
	for text, first := range map[string]string{"order by name": "vm", "sort by name asc": "d1", "order by name desc": "vm"} {
		q, err := kqlParse("Resources | " + text)
		if err != nil {
			t.Fatal(text, err)
		}
		rows, _ := q.run(kqlEnv{now: now, table: func(string) ([]kqlRow, bool) { return disks, true }})
		if rows[0]["name"] != first {
			t.Errorf("%s: first %v, want %s", text, rows[0]["name"], first)
		}
	}
	for _, bad := range []string{
		"Resources | where", "Resources | join kind=inner (Resources) on id",
		"Resources | extend x", "Resources | where ago(2w) > now()", "Resources | where nope(id)",
		"Resources | where type =~ 'a' and", "Resources | summarize count()", "Resources | where (type =~ 'a'",
		"Resources | project id | limit 5",
	} {
		if _, err := kqlParse(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

package simulator

import (
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

const (
	azRSVaults = "/subscriptions/" + azSub + "/resourceGroups/demo-rg/providers/Microsoft.RecoveryServices/vaults"
	azRSVault  = azRSVaults + "/" + DefaultAzureRecoveryServicesVault
	azBkVer    = "?api-version=" + AzureBackupAPIVersion
	azRSVer    = "?api-version=" + AzureRecoveryServicesAPIVersion
)

// azAll follows nextLink from path, returning the items and the pages.
func azAll(t *testing.T, c *http.Client, s *Server, path, tok string) ([]map[string]any, int) {
	t.Helper()
	var items []map[string]any
	pages := 0
	for next := s.URL() + path; next != ""; pages++ {
		if pages > 100 {
			t.Fatal("too many pages")
		}
		resp, m := azReq(t, c, http.MethodGet, next, tok, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", next, resp.StatusCode, m)
		}
		v, ok := m["value"].([]any)
		if !ok {
			t.Fatalf("no value array: %v", m)
		}
		for _, it := range v {
			items = append(items, it.(map[string]any))
		}
		next, _ = m["nextLink"].(string)
	}
	return items, pages
}

func azFilter(f string) string { return "&$filter=" + url.QueryEscape(f) }

func props(m map[string]any) map[string]any { return m["properties"].(map[string]any) }

func byFriendlyName(t *testing.T, items []map[string]any, name string) map[string]any {
	t.Helper()
	for _, it := range items {
		if props(it)["friendlyName"] == name {
			return it
		}
	}
	t.Fatalf("no item %s", name)
	return nil
}

func TestAzureBackupAuthAndVaults(t *testing.T) {
	s, c := azStart(t, nil)

	resp, m := azGet(t, c, s, azRSVaults+azRSVer, "")
	azErrCode(t, resp, m, 401, "InvalidAuthenticationToken")
	if !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
	}
	resp, m = azGet(t, c, s, azRSVault+"/backupJobs"+azBkVer, "not-a-token")
	azErrCode(t, resp, m, 401, "InvalidAuthenticationToken")

	tok := azToken(t, c, s)
	vaults, _ := azAll(t, c, s, azRSVaults+azRSVer, tok)
	if len(vaults) != 2 || vaults[0]["name"] != "demo-rsv" || vaults[1]["name"] != "demo-rsv-dr" {
		t.Fatalf("vaults %v", vaults)
	}
	v := vaults[0]
	p := props(v)
	if v["id"] != azRSVault || v["type"] != "Microsoft.RecoveryServices/vaults" || v["location"] != "westeurope" ||
		v["sku"].(map[string]any)["name"] != "Standard" || p["provisioningState"] != "Succeeded" ||
		p["redundancySettings"].(map[string]any)["standardTierStorageRedundancy"] != "GeoRedundant" {
		t.Fatalf("vault %v", v)
	}
	if sd := p["securitySettings"].(map[string]any)["softDeleteSettings"].(map[string]any); sd["softDeleteState"] != "Enabled" {
		t.Errorf("soft delete %v", sd)
	}

	resp, m = azGet(t, c, s, azRSVaults+"/demo-rsv-dr"+azRSVer, tok)
	if resp.StatusCode != 200 || m["location"] != "northeurope" ||
		props(m)["redundancySettings"].(map[string]any)["standardTierStorageRedundancy"] != "LocallyRedundant" {
		t.Fatalf("get vault: %d %v", resp.StatusCode, m)
	}
	resp, m = azGet(t, c, s, azRSVaults+"/nope"+azRSVer, tok)
	if msg := azErrCode(t, resp, m, 404, "ResourceNotFound"); !strings.Contains(msg, "Microsoft.RecoveryServices/vaults/nope") {
		t.Errorf("message %q", msg)
	}
	resp, m = azGet(t, c, s, azRSVaults+"/nope/backupJobs"+azBkVer, tok)
	azErrCode(t, resp, m, 404, "ParentResourceNotFound")
	resp, m = azGet(t, c, s, "/subscriptions/"+azSub+"/resourceGroups/nope/providers/Microsoft.RecoveryServices/vaults"+azRSVer, tok)
	azErrCode(t, resp, m, 404, "ResourceGroupNotFound")

	// Faults apply, in the ARM error format.
	if err := s.AddFault(Fault{API: AzureAPI, Path: "/backupJobs$", Status: 503, Times: 1}); err != nil {
		t.Fatal(err)
	}
	resp, m = azGet(t, c, s, azRSVault+"/backupJobs"+azBkVer, tok)
	azErrCode(t, resp, m, 503, "ServiceUnavailable")
}

func TestAzureBackupAPIVersion(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)

	resp, m := azGet(t, c, s, azRSVaults+"?api-version=2016-06-01", tok)
	msg := azErrCode(t, resp, m, 400, "NoRegisteredProviderFound")
	if !strings.HasPrefix(msg, "No registered resource provider found for location 'westeurope' and API version '2016-06-01' for type 'vaults'.") ||
		!strings.Contains(msg, "The supported api-versions are '") || !strings.Contains(msg, AzureRecoveryServicesAPIVersion) {
		t.Errorf("message %q", msg)
	}
	resp, m = azGet(t, c, s, azRSVault+"/backupJobs?api-version=2024-04-01", tok)
	if msg := azErrCode(t, resp, m, 400, "NoRegisteredProviderFound"); !strings.Contains(msg, "for type 'vaults/backupJobs'") {
		t.Errorf("message %q", msg)
	}
	for _, path := range []string{"/backupProtectedItems", "/backupProtectableItems", "/backupJobs/4b1e0f2a-6c35-4d8e-9a57-0c3f2d1e8b01"} {
		resp, m = azGet(t, c, s, azRSVault+path+"?api-version=2025-08-01-preview", tok)
		azErrCode(t, resp, m, 400, "NoRegisteredProviderFound")
	}
	// The vaults have versions that the backup routes have not.
	if resp, m = azGet(t, c, s, azRSVaults+"?api-version=2026-02-01", tok); resp.StatusCode != 200 {
		t.Fatalf("vaults 2026-02-01: %d %v", resp.StatusCode, m)
	}
	resp, m = azGet(t, c, s, azRSVault+"/backupJobs?api-version=2026-02-01", tok)
	azErrCode(t, resp, m, 400, "NoRegisteredProviderFound")
	for _, v := range []string{"2025-02-01", "2025-08-01", "2026-01-01"} {
		if resp, m = azGet(t, c, s, azRSVault+"/backupJobs?api-version="+v, tok); resp.StatusCode != 200 {
			t.Fatalf("backupJobs %s: %d %v", v, resp.StatusCode, m)
		}
	}
	resp, m = azGet(t, c, s, azRSVault+"/backupJobs", tok)
	azErrCode(t, resp, m, 400, "MissingApiVersionParameter")
}

func TestAzureBackupProtectedItems(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)
	list := azRSVault + "/backupProtectedItems" + azBkVer

	items, _ := azAll(t, c, s, list, tok)
	if len(items) != 7 {
		t.Fatalf("%d items", len(items))
	}
	web := byFriendlyName(t, items, "web-01")
	vm := "/subscriptions/" + azSub + "/resourceGroups/demo-rg/providers/Microsoft.Compute/virtualMachines/web-01"
	if web["id"] != azRSVault+"/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;demo-rg;web-01/protectedItems/VM;iaasvmcontainerv2;demo-rg;web-01" ||
		web["name"] != "VM;iaasvmcontainerv2;demo-rg;web-01" ||
		web["type"] != "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems" {
		t.Fatalf("web-01 %v", web)
	}
	wp := props(web)
	for k, want := range map[string]any{
		"protectedItemType": "Microsoft.Compute/virtualMachines", "backupManagementType": "AzureIaasVM", "workloadType": "VM",
		"containerName": "iaasvmcontainerv2;demo-rg;web-01", "sourceResourceId": vm, "virtualMachineId": vm,
		"policyId": azRSVault + "/backupPolicies/DailyPolicy", "policyName": "DailyPolicy", "vaultId": azRSVault,
		"protectionState": "Protected", "protectionStatus": "Healthy", "healthStatus": "Passed",
		"lastBackupStatus": "Completed", "lastBackupTime": "2026-11-23T22:01:12Z", "lastRecoveryPoint": "2026-11-23T22:38:40Z",
		"policyType": "V2",
	} {
		if wp[k] != want {
			t.Errorf("web-01 %s = %v, want %v", k, wp[k], want)
		}
	}
	for _, k := range []string{"extendedInfo", "isScheduledForDeferredDelete", "kpisHealths", "healthDetails", "serverName"} {
		if _, ok := wp[k]; ok {
			t.Errorf("web-01 has %s: %v", k, wp[k])
		}
	}

	db := props(byFriendlyName(t, items, "db-01"))
	hd := db["healthDetails"].([]any)[0].(map[string]any)
	kpi := db["kpisHealths"].(map[string]any)["BackupHealth"].(map[string]any)
	if db["healthStatus"] != "ActionRequired" || db["protectionState"] != "ProtectionError" || db["lastBackupStatus"] != "Failed" ||
		hd["code"] != 400043.0 || hd["title"] != "UserErrorGuestAgentStatusUnavailable" || len(hd["recommendations"].([]any)) != 1 ||
		kpi["resourceHealthStatus"] != "TransientUnhealthy" || len(kpi["resourceHealthDetails"].([]any)) != 1 {
		t.Errorf("db-01 %v", db)
	}
	legacy := props(byFriendlyName(t, items, "legacy-01"))
	if legacy["protectionState"] != "ProtectionStopped" || legacy["isScheduledForDeferredDelete"] != true ||
		legacy["deferredDeleteTimeInUTC"] != "2026-11-20T09:15:00Z" {
		t.Errorf("legacy-01 %v", legacy)
	}
	fin := byFriendlyName(t, items, "finance")
	fp := props(fin)
	if fin["name"] != "AzureFileShare;finance" || fp["protectedItemType"] != "AzureFileShareProtectedItem" ||
		fp["backupManagementType"] != "AzureStorage" || fp["workloadType"] != "AzureFileShare" || fp["lastBackupStatus"] != "Healthy" ||
		fp["sourceResourceId"] != "/subscriptions/"+azSub+"/resourceGroups/demo-rg/providers/Microsoft.Storage/storageAccounts/demofiles01" ||
		!strings.Contains(fin["id"].(string), "/protectionContainers/StorageContainer;Storage;demo-rg;demofiles01/") {
		t.Errorf("finance %v", fin)
	}
	if _, ok := fp["healthStatus"]; ok {
		t.Errorf("file share has healthStatus: %v", fp)
	}
	if k := props(byFriendlyName(t, items, "archive"))["kpisHealths"].(map[string]any)["BackupHealth"].(map[string]any); k["resourceHealthStatus"] != "PersistentUnhealthy" {
		t.Errorf("archive kpi %v", k)
	}
	hr := byFriendlyName(t, items, "hrdb")
	hp := props(hr)
	if hr["name"] != "SQLDataBase;MSSQLSERVER;hrdb" || hp["protectedItemType"] != "AzureVmWorkloadSQLDatabase" ||
		hp["backupManagementType"] != "AzureWorkload" || hp["workloadType"] != "SQLDataBase" || hp["lastBackupStatus"] != "IRPending" ||
		hp["protectionState"] != "IRPending" || hp["protectedItemHealthStatus"] != "IRPending" || hp["serverName"] != "sql-01" ||
		hp["parentName"] != "MSSQLSERVER" || !strings.Contains(hr["id"].(string), "/protectionContainers/VMAppContainer;Compute;demo-rg;sql-01/") {
		t.Errorf("hrdb %v", hr)
	}

	for f, want := range map[string]int{
		"backupManagementType eq 'AzureIaasVM'":                          3,
		"backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'":     3,
		"BackupManagementType  eq  'azureiaasvm'  AND  itemType eq 'vm'": 3,
		"itemType eq 'AzureFileShare'":                                   2,
		"backupManagementType eq 'AzureWorkload'":                        2,
		"backupManagementType eq 'MAB'":                                  0,
		"healthState eq 'ActionRequired'":                                1,
		"policyName eq 'SQLPolicy'":                                      2,
		"friendlyName eq 'finance'":                                      1,
		"containerName eq 'iaasvmcontainerv2;demo-rg;db-01'":             1,
		"containerName eq 'VMAppContainer;Compute;demo-rg;sql-01'":       2,
		"fabricName eq 'Azure' and itemType eq 'VM'":                     3,
		" ": 7,
	} {
		got, _ := azAll(t, c, s, list+azFilter(f), tok)
		if len(got) != want {
			t.Errorf("%q: %d items, want %d", f, len(got), want)
		}
	}
	for _, f := range []string{
		"backupManagementType = 'AzureIaasVM'",
		"backupManagementType eq AzureIaasVM",
		"backupManagementType eq 'AzureIaasVM",
		"backupManagementType eq 'Nope'",
		"itemType eq 'VirtualMachine'",
		"colour eq 'red'",
		"backupManagementType eq 'AzureIaasVM' or itemType eq 'VM'",
		"backupManagementType eq 'AzureIaasVM' and",
		"itemType eq 'VM' and itemType eq 'VM'",
		"backupManagementType ne 'AzureIaasVM'",
	} {
		resp, m := azGet(t, c, s, list+azFilter(f), tok)
		if msg := azErrCode(t, resp, m, 400, "InvalidFilter"); !strings.Contains(msg, "$filter") {
			t.Errorf("%q: message %q", f, msg)
		}
	}
}

func TestAzureBackupPaging(t *testing.T) {
	sc := GenerateAzureBackup(azSub, 1, 7, 2, time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
	sc.PageSize = 3
	s, c := azStart(t, sc)
	tok := azToken(t, c, s)
	base := azRSVaults + "/rsv-01"

	// 7 items: pages of 3, 3, 1; nextLink keeps the api-version and $filter.
	next := s.URL() + base + "/backupProtectedItems" + azBkVer + azFilter("fabricName eq 'Azure'")
	var names []string
	pages := 0
	for next != "" {
		pages++
		if pages > 5 {
			t.Fatal("too many pages")
		}
		if !strings.HasPrefix(next, s.URL()+base+"/backupProtectedItems?") || !strings.Contains(next, "api-version="+AzureBackupAPIVersion) ||
			!strings.Contains(next, "filter=") {
			t.Fatalf("nextLink %q", next)
		}
		resp, m := azReq(t, c, http.MethodGet, next, tok, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %v", resp.StatusCode, m)
		}
		for _, v := range m["value"].([]any) {
			names = append(names, props(v.(map[string]any))["friendlyName"].(string))
		}
		next, _ = m["nextLink"].(string)
	}
	want := []string{"vm-0001", "vm-0002", "share-0003", "vm-0004", "vm-0005", "db-0006", "vm-0007"}
	if pages != 3 || !reflect.DeepEqual(names, want) {
		t.Fatalf("%d pages: %v", pages, names)
	}

	// 14 jobs (7 items x 2 days), filtered and paged: 5 pages, newest first.
	jobs, pages := azAll(t, c, s, base+"/backupJobs"+azBkVer+azFilter("operation eq 'Backup'"), tok)
	if len(jobs) != 14 || pages != 5 {
		t.Fatalf("%d jobs in %d pages", len(jobs), pages)
	}
	for i := 1; i < len(jobs); i++ {
		if props(jobs[i])["startTime"].(string) > props(jobs[i-1])["startTime"].(string) {
			t.Fatalf("not newest first at %d: %v", i, jobs)
		}
	}
	resp, m := azGet(t, c, s, base+"/backupJobs"+azBkVer+"&$skiptoken=garbage", tok)
	azErrCode(t, resp, m, 400, "InvalidSkipToken")
}

func TestAzureBackupJobsFilter(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)
	list := azRSVault + "/backupJobs" + azBkVer

	all, _ := azAll(t, c, s, list, tok)
	if len(all) != 12 {
		t.Fatalf("%d jobs", len(all))
	}
	var starts []string
	for _, j := range all {
		p := props(j)
		starts = append(starts, p["startTime"].(string))
		if !strings.HasPrefix(j["id"].(string), "/Subscriptions/"+azSub+"/resourceGroups/demo-rg/providers/Microsoft.RecoveryServices/vaults/demo-rsv/backupJobs/") ||
			j["type"] != "Microsoft.RecoveryServices/vaults/backupJobs" || p["activityId"] == "" || !strings.HasPrefix(p["duration"].(string), "P") {
			t.Fatalf("job %v", j)
		}
		if _, ok := p["extendedInfo"]; ok {
			t.Fatalf("listed job has extendedInfo: %v", j)
		}
	}
	if !sort.SliceIsSorted(starts, func(a, b int) bool { return starts[a] > starts[b] }) {
		t.Errorf("not newest first: %v", starts)
	}

	for f, want := range map[string]int{
		"startTime eq '2026-11-23 00:00:00 AM' and endTime eq '2026-11-24 00:00:00 AM'":                           4,
		"startTime eq '2026-11-23 10:00:00 PM' and endTime eq '2026-11-23 11:59:59 PM'":                           3,
		"startTime eq '2026-11-23 12:00:00 AM' and endTime eq '2026-11-23 12:00:00 PM'":                           1,
		"operation eq 'Backup' and startTime eq '2026-11-24 00:00:00 AM' and endTime eq '2026-11-25 00:00:00 AM'": 3,
		"operation eq 'ConfigureBackup'":                  1,
		"operation eq 'DisableBackup'":                    1,
		"status eq 'Failed'":                              3,
		"status eq 'InProgress'":                          1,
		"status eq 'CompletedWithWarnings'":               1,
		"status eq 'Cancelled'":                           1,
		"backupManagementType eq 'AzureStorage'":          3,
		"backupManagementType eq 'AzureWorkload'":         3,
		"startTime eq '2026-11-24 00:00:00 AM'":           4,
		"endTime eq '2026-11-21 00:00:00 AM'":             1,
		"jobId eq '4b1e0f2a-6c35-4d8e-9a57-0c3f2d1e8b01'": 1,
		// The documented example with every filter.
		"startTime eq '2026-11-24 00:00:00 AM' and endTime eq '2026-11-25 00:00:00 AM' and operation eq 'Backup' and backupManagementType eq 'AzureIaasVM' and status eq 'InProgress'": 1,
	} {
		got, _ := azAll(t, c, s, list+azFilter(f), tok)
		if len(got) != want {
			t.Errorf("%q: %d jobs, want %d", f, len(got), want)
		}
	}
	for _, f := range []string{
		"startTime eq '2026-11-23T00:00:00Z'",
		"startTime eq '2026-11-23 13:00:00 PM'",
		"startTime eq '2026-11-23 00:00:00'",
		"startTime eq '2026-11-24 00:00:00 AM' and endTime eq '2026-11-23 00:00:00 AM'",
		"status eq 'Running'",
		"operation eq 'Snapshot'",
		"operation eq 'Backup' and operation eq 'Restore'",
		"entityFriendlyName eq 'web-01'",
	} {
		resp, m := azGet(t, c, s, list+azFilter(f), tok)
		azErrCode(t, resp, m, 400, "InvalidFilter")
	}
}

func TestAzureBackupJobDetails(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)
	jobs := azRSVault + "/backupJobs/"

	resp, m := azGet(t, c, s, jobs+"4b1e0f2a-6c35-4d8e-9a57-0c3f2d1e8b01"+azBkVer, tok)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, m)
	}
	p := props(m)
	x := p["extendedInfo"].(map[string]any)
	tasks := x["tasksList"].([]any)
	if m["name"] != "4b1e0f2a-6c35-4d8e-9a57-0c3f2d1e8b01" || p["jobType"] != "AzureIaaSVMJob" || p["status"] != "InProgress" ||
		p["operation"] != "Backup" || p["entityFriendlyName"] != "web-01" || p["backupManagementType"] != "AzureIaasVM" ||
		p["virtualMachineVersion"] != "Compute" || p["containerName"] != "iaasvmcontainerv2;demo-rg;web-01" ||
		p["isUserTriggered"] != true || !reflect.DeepEqual(p["actionsInfo"], []any{"Cancellable"}) ||
		x["progressPercentage"] != 42.0 || x["propertyBag"].(map[string]any)["VM Name"] != "web-01" || len(tasks) != 2 ||
		tasks[0].(map[string]any)["taskId"] != "Take Snapshot" || tasks[1].(map[string]any)["taskId"] != "Transfer data to vault" ||
		tasks[1].(map[string]any)["status"] != "InProgress" || tasks[1].(map[string]any)["progressPercentage"] != 42.0 {
		t.Fatalf("in progress job %v", m)
	}
	if _, ok := p["endTime"]; ok {
		t.Errorf("running job has endTime: %v", p)
	}

	// The job's id, "/Subscriptions/...", can be followed.
	resp, m2 := azGet(t, c, s, m["id"].(string)+azBkVer, tok)
	if resp.StatusCode != 200 || m2["name"] != m["name"] {
		t.Fatalf("GET id: %d %v", resp.StatusCode, m2)
	}

	_, m = azGet(t, c, s, jobs+"4b1e0f2a-6c35-4d8e-9a57-0c3f2d1e8b03"+azBkVer, tok)
	p = props(m)
	e := p["errorDetails"].([]any)[0].(map[string]any)
	x = p["extendedInfo"].(map[string]any)
	if p["status"] != "Failed" || p["endTime"] != "2026-11-23T22:02:15Z" || p["duration"] != "PT1M34S" ||
		e["errorCode"] != 400043.0 || e["errorTitle"] != "UserErrorGuestAgentStatusUnavailable" || e["errorString"] == "" ||
		len(e["recommendations"].([]any)) != 1 || x["dynamicErrorMessage"] != e["errorString"] {
		t.Fatalf("failed job %v", m)
	}
	if _, ok := x["progressPercentage"]; ok {
		t.Errorf("failed job has a progress: %v", x)
	}
	if _, ok := p["actionsInfo"]; ok {
		t.Errorf("failed job has actionsInfo: %v", p)
	}

	// A file-share and a SQL job, found in the list.
	all, _ := azAll(t, c, s, azRSVault+"/backupJobs"+azBkVer, tok)
	find := func(entity, status string) map[string]any {
		for _, j := range all {
			if props(j)["entityFriendlyName"] == entity && props(j)["status"] == status {
				_, m := azGet(t, c, s, jobs+j["name"].(string)+azBkVer, tok)
				return m
			}
		}
		t.Fatalf("no %s job of %s", status, entity)
		return nil
	}
	fs := props(find("finance", "CompletedWithWarnings"))
	fe := fs["errorDetails"].([]any)[0].(map[string]any)
	if fs["jobType"] != "AzureStorageJob" || fs["backupManagementType"] != "AzureStorage" || fs["storageAccountName"] != "demofiles01" ||
		fs["endTime"] != "2026-11-23T01:34:40Z" || fe["errorCode"] != 200010.0 || fs["isUserTriggered"] != false {
		t.Fatalf("file share job %v", fs)
	}
	if _, ok := fe["errorTitle"]; ok {
		t.Errorf("storage error has a title: %v", fe)
	}
	if _, ok := fs["extendedInfo"].(map[string]any)["progressPercentage"]; ok {
		t.Errorf("storage job has progressPercentage: %v", fs)
	}
	sq := props(find("salesdb", "Cancelled"))
	if sq["jobType"] != "AzureWorkloadJob" || sq["backupManagementType"] != "AzureWorkload" || sq["workloadType"] != "SQLDataBase" ||
		sq["endTime"] != "2026-11-22T23:05:00Z" || sq["duration"] != "PT4M56S" {
		t.Fatalf("sql job %v", sq)
	}

	dr, _ := azAll(t, c, s, azRSVaults+"/demo-rsv-dr/backupJobs"+azBkVer+azFilter("status eq 'Cancelling'"), tok)
	if len(dr) != 1 {
		t.Fatalf("cancelling jobs %v", dr)
	}
	if _, ok := props(dr[0])["endTime"]; ok {
		t.Errorf("cancelling job has endTime: %v", dr[0])
	}

	resp, m = azGet(t, c, s, jobs+"00000000-0000-0000-0000-000000000000"+azBkVer, tok)
	azErrCode(t, resp, m, 404, "ResourceNotFound")
}

func TestAzureBackupProtectableItems(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)
	list := azRSVault + "/backupProtectableItems" + azBkVer

	all, _ := azAll(t, c, s, list, tok)
	if len(all) != 5 {
		t.Fatalf("%d protectable items", len(all))
	}
	vms, _ := azAll(t, c, s, list+azFilter("backupManagementType eq 'AzureIaasVM'"), tok)
	if len(vms) != 3 {
		t.Fatalf("vms %v", vms)
	}
	n := vms[0]
	np := props(n)
	if n["name"] != "VM;iaasvmcontainerv2;demo-rg;new-app-01" ||
		n["type"] != "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectableItems" ||
		n["id"] != azRSVault+"/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;demo-rg;new-app-01/protectableItems/VM;iaasvmcontainerv2;demo-rg;new-app-01" ||
		np["protectableItemType"] != "Microsoft.Compute/virtualMachines" || np["workloadType"] != "VM" || np["protectionState"] != "NotProtected" ||
		np["virtualMachineId"] != "/subscriptions/"+azSub+"/resourceGroups/demo-rg/providers/Microsoft.Compute/virtualMachines/new-app-01" {
		t.Fatalf("protectable vm %v", n)
	}
	var states []string
	for _, v := range vms {
		states = append(states, props(v)["protectionState"].(string))
	}
	if !reflect.DeepEqual(states, []string{"NotProtected", "Protected", "Protecting"}) {
		t.Errorf("states %v", states)
	}
	fs, _ := azAll(t, c, s, list+azFilter("backupManagementType eq 'AzureStorage'"), tok)
	if len(fs) != 1 || props(fs[0])["protectableItemType"] != "AzureFileShare" || props(fs[0])["parentContainerFriendlyName"] != "demofiles01" ||
		props(fs[0])["workloadType"] != "AzureFileShare" {
		t.Fatalf("file shares %v", fs)
	}
	sq, _ := azAll(t, c, s, list+azFilter("backupManagementType eq 'AzureWorkload' and workloadType eq 'SQLDataBase'"), tok)
	if len(sq) != 1 || props(sq[0])["protectableItemType"] != "SQLDataBase" || props(sq[0])["serverName"] != "sql-01" {
		t.Fatalf("sql %v", sq)
	}
	if got, _ := azAll(t, c, s, list+azFilter("status eq 'NotProtected'"), tok); len(got) != 3 {
		t.Errorf("not protected: %d", len(got))
	}
	resp, m := azGet(t, c, s, list+azFilter("backupManagementType eq 'Cloud'"), tok)
	azErrCode(t, resp, m, 400, "InvalidFilter")
	resp, m = azGet(t, c, s, list+azFilter("itemType eq 'VM'"), tok)
	azErrCode(t, resp, m, 400, "InvalidFilter")
}

func TestGenerateAzureBackup(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	a := GenerateAzureBackup(azSub, 2, 50, 7, now)
	if b := GenerateAzureBackup(azSub, 2, 50, 7, now); !reflect.DeepEqual(a, b) {
		t.Fatal("not deterministic")
	}
	vaults := a.Subscriptions[0].ResourceGroups[0].RecoveryServicesVaults
	if len(vaults) != 2 || vaults[1].Name != "rsv-02" {
		t.Fatalf("vaults %v", len(vaults))
	}
	kinds, states, jobStates := map[string]int{}, map[string]int{}, map[string]int{}
	var deferred, unhealthyKPI, jobs int
	for _, v := range vaults {
		if len(v.ProtectedItems) != 50 || len(v.ProtectableItems) != 3 {
			t.Fatalf("vault %s: %d items, %d protectable", v.Name, len(v.ProtectedItems), len(v.ProtectableItems))
		}
		for _, it := range v.ProtectedItems {
			kinds[it.Kind]++
			states[firstNonEmpty(it.ProtectionState, "Protected")]++
			if it.ScheduledForDeferredDelete {
				deferred++
			}
			if h, ok := it.KPIsHealths["BackupHealth"]; ok && strings.HasSuffix(h.Status, "Unhealthy") {
				unhealthyKPI++
			}
		}
		for _, j := range v.Jobs {
			jobs++
			jobStates[j.Status]++
			if st, _ := time.Parse(time.RFC3339, j.StartTime); st.After(now) {
				t.Errorf("job in the future: %+v", j)
			}
		}
	}
	if kinds[RSKindVM] != 70 || kinds[RSKindFileShare] != 20 || kinds[RSKindSQL] != 10 {
		t.Errorf("kinds %v", kinds)
	}
	if states["ProtectionStopped"] != 4 || states["IRPending"] != 2 || states["ProtectionError"] != 4 || deferred != 2 || unhealthyKPI != 10 {
		t.Errorf("states %v, %d deferred, %d unhealthy KPIs", states, deferred, unhealthyKPI)
	}
	for _, st := range []string{"Completed", "CompletedWithWarnings", "InProgress", "Cancelling", "Failed", "Cancelled"} {
		if jobStates[st] == 0 {
			t.Errorf("no %s job: %v", st, jobStates)
		}
	}
	if jobs != (100-2)*7+2 { // IRPending items have one ConfigureBackup job
		t.Errorf("%d jobs", jobs)
	}

	// Served, with a large page.
	a.PageSize = 200
	s, c := azStart(t, a)
	tok := azToken(t, c, s)
	items, pages := azAll(t, c, s, azRSVaults+"/rsv-01/backupProtectedItems"+azBkVer, tok)
	if len(items) != 50 || pages != 1 {
		t.Fatalf("%d items in %d pages", len(items), pages)
	}
	last, _ := azAll(t, c, s, azRSVaults+"/rsv-02/backupJobs"+azBkVer+azFilter(
		"operation eq 'Backup' and startTime eq '2026-12-01 12:00:00 PM' and endTime eq '2026-12-02 12:00:00 PM'"), tok)
	if len(last) < 45 || len(last) > 50 {
		t.Errorf("%d backup jobs of the last day", len(last))
	}
	running, _ := azAll(t, c, s, azRSVaults+"/rsv-01/backupJobs"+azBkVer+azFilter("status eq 'InProgress' and backupManagementType eq 'AzureIaasVM'"), tok)
	if len(running) == 0 {
		t.Fatal("no running VM job")
	}
	_, m := azGet(t, c, s, azRSVaults+"/rsv-01/backupJobs/"+running[0]["name"].(string)+azBkVer, tok)
	if pct, ok := props(m)["extendedInfo"].(map[string]any)["progressPercentage"].(float64); !ok || pct < 5 || pct >= 95 {
		t.Errorf("running job %v", m)
	}

	if z := GenerateAzureBackup(azSub, 0, 10, 7, now); len(z.Subscriptions[0].ResourceGroups[0].RecoveryServicesVaults) != 0 {
		t.Error("vaults from 0")
	}
}

func TestAzureBackupScenario(t *testing.T) {
	for name, yml := range map[string]string{
		"kind":         `{name: v, protected_items: [{name: x, kind: tape}]}`,
		"file share":   `{name: v, protected_items: [{name: x, kind: file_share}]}`,
		"state":        `{name: v, protected_items: [{name: x, protection_state: Sleeping}]}`,
		"kpi":          `{name: v, protected_items: [{name: x, kpis_healths: {BackupHealth: {status: Bad}}}]}`,
		"sql status":   `{name: v, protected_items: [{name: x, kind: sql, server: s, last_backup_status: Completed}]}`,
		"job item":     `{name: v, jobs: [{item: nope, start_time: "2026-11-24T01:00:00Z"}]}`,
		"job status":   `{name: v, jobs: [{status: Running, start_time: "2026-11-24T01:00:00Z"}]}`,
		"job time":     `{name: v, jobs: [{start_time: "yesterday"}]}`,
		"no start":     `{name: v, jobs: [{status: Completed}]}`,
		"duplicate":    `{name: v, jobs: [{name: a, start_time: "2026-11-24T01:00:00Z"}, {name: A, start_time: "2026-11-24T02:00:00Z"}]}`,
		"protectable":  `{name: v, protectable_items: [{name: x, protection_state: Protectedish}]}`,
		"vault name":   `{protected_items: []}`,
		"duplicate it": `{name: v, protected_items: [{name: x}, {name: X}]}`,
	} {
		sc, err := ParseScenario(strings.NewReader("azure:\n  subscriptions:\n    - id: s\n      resource_groups:\n        - name: g\n          recovery_services_vaults:\n            - " + yml + "\n"))
		if err != nil {
			t.Fatalf("%s: parse: %v", name, err)
		}
		if s, err := Start(Options{Scenario: sc}); err == nil {
			s.Close()
			t.Errorf("%s: started", name)
		} else if !strings.Contains(err.Error(), "recovery_services_vaults[0]") {
			t.Errorf("%s: %v", name, err)
		}
	}

	sc, err := ParseScenario(strings.NewReader(`
azure:
  subscriptions:
    - id: s
      resource_groups:
        - name: g
          recovery_services_vaults:
            - name: v
              protected_items:
                - {name: vm1, last_backup_time: "2026-11-24T01:00:00Z", deferred_delete_time: "2026-11-20T01:00:00Z", last_recovery_point_time: "2026-11-24T01:30:00Z"}
              jobs:
                - {item: vm1, start_time: "2026-11-24T01:00:00Z", end_time: "2026-11-24T01:30:00Z"}
`))
	if err != nil {
		t.Fatal(err)
	}
	sc.Rebase(25 * time.Hour)
	v := sc.Azure.Subscriptions[0].ResourceGroups[0].RecoveryServicesVaults[0]
	it, j := v.ProtectedItems[0], v.Jobs[0]
	if it.LastBackupTime != "2026-11-25T02:00:00Z" || it.DeferredDeleteTime != "2026-11-21T02:00:00Z" || it.LastRecoveryPointTime != "2026-11-25T02:30:00Z" ||
		j.StartTime != "2026-11-25T02:00:00Z" || j.EndTime != "2026-11-25T02:30:00Z" {
		t.Errorf("rebased %+v %+v", it, j)
	}
}

func TestAzureBackupMutatorsAndDuration(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)

	start := time.Now().Add(-90 * time.Minute).UTC().Truncate(time.Second)
	s.AddRSJob(azSub, "demo-rg", "demo-rsv", RSJob{Name: "11111111-2222-4333-8444-555555555555", Item: "web-01",
		Status: "InProgress", StartTime: start.Format(time.RFC3339), ProgressPercentage: azPtr(10.0)})
	s.AddRSJob(azSub, "demo-rg", "new-vault", RSJob{Kind: RSKindFileShare, Entity: "docs", StartTime: start.Format(time.RFC3339),
		EndTime: start.Add(26*time.Hour + 3*time.Minute).Format(time.RFC3339)})
	_, m := azGet(t, c, s, azRSVault+"/backupJobs/11111111-2222-4333-8444-555555555555"+azBkVer, tok)
	if d := props(m)["duration"].(string); !strings.HasPrefix(d, "PT1H30M") {
		t.Errorf("running duration %q", d)
	}
	jobs, _ := azAll(t, c, s, azRSVaults+"/new-vault/backupJobs"+azBkVer, tok)
	if len(jobs) != 1 || props(jobs[0])["duration"] != "P1DT2H3M" || props(jobs[0])["jobType"] != "AzureStorageJob" ||
		props(jobs[0])["entityFriendlyName"] != "docs" {
		t.Fatalf("new vault jobs %v", jobs)
	}

	err := s.UpdateRSVault(azSub, "demo-rg", "demo-rsv", func(v *RSVault) {
		v.ProtectedItems[0].LastBackupStatus = "Failed"
	})
	if err != nil {
		t.Fatal(err)
	}
	items, _ := azAll(t, c, s, azRSVault+"/backupProtectedItems"+azBkVer, tok)
	if props(byFriendlyName(t, items, "web-01"))["lastBackupStatus"] != "Failed" {
		t.Error("update not served")
	}
	if err := s.UpdateRSVault(azSub, "demo-rg", "nope", func(*RSVault) {}); err == nil {
		t.Error("updated a missing vault")
	}
}

func TestISODuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                            "PT0S",
		-time.Second:                 "PT0S",
		9878279100 * time.Nanosecond: "PT9.8782791S",
		time.Hour + 2*time.Minute + 3*time.Second: "PT1H2M3S",
		5 * time.Minute: "PT5M",
		26 * time.Hour:  "P1DT2H",
		48 * time.Hour:  "P2D",
	} {
		if got := isoDuration(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

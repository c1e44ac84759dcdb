package simulator

import (
	"strings"
	"testing"
	"time"
)

const (
	azDPVaults = "/subscriptions/" + azSub + "/resourceGroups/demo-rg/providers/Microsoft.DataProtection/backupVaults"
	azDPVault  = azDPVaults + "/demo-bv"
	azDPVer    = "?api-version=" + DataProtectionAPIVersion
)

func byName(t *testing.T, items []map[string]any, name string) map[string]any {
	t.Helper()
	for _, it := range items {
		if it["name"] == name {
			return it
		}
	}
	t.Fatalf("no item %s in %d", name, len(items))
	return nil
}

func TestDataProtectionVaults(t *testing.T) {
	s, c := azStart(t, nil)
	resp, m := azGet(t, c, s, azDPVaults+azDPVer, "")
	azErrCode(t, resp, m, 401, "InvalidAuthenticationToken")

	tok := azToken(t, c, s)
	for _, list := range []string{azDPVaults, "/subscriptions/" + azSub + "/providers/Microsoft.DataProtection/backupVaults"} {
		vaults, _ := azAll(t, c, s, list+azDPVer, tok)
		if len(vaults) != 2 || vaults[0]["name"] != "demo-bv" || vaults[1]["name"] != "demo-bv-dr" {
			t.Fatalf("%s: vaults %v", list, vaults)
		}
		v := vaults[0]
		// The lists' examples write BackupVaults.
		if v["id"] != strings.Replace(azDPVault, "/backupVaults/", "/BackupVaults/", 1) || v["type"] != "Microsoft.DataProtection/BackupVaults" ||
			v["location"] != "westeurope" || props(v)["provisioningState"] != "Succeeded" {
			t.Errorf("vault %v", v)
		}
		st := props(vaults[1])["storageSettings"].([]any)[0].(map[string]any)
		if st["datastoreType"] != "VaultStore" || st["type"] != "GeoRedundant" {
			t.Errorf("storage settings %v", st)
		}
	}
	resp, m = azGet(t, c, s, azDPVaults+"/demo-bv-dr"+azDPVer, tok)
	if resp.StatusCode != 200 || m["location"] != "northeurope" || m["identity"].(map[string]any)["type"] != "SystemAssigned" {
		t.Fatalf("get vault: %d %v", resp.StatusCode, m)
	}
	resp, m = azGet(t, c, s, azDPVaults+"/nope"+azDPVer, tok)
	if msg := azErrCode(t, resp, m, 404, "ResourceNotFound"); !strings.Contains(msg, "Microsoft.DataProtection/backupVaults/nope") {
		t.Errorf("message %q", msg)
	}
	for _, l := range []string{"backupInstances", "backupJobs", "backupPolicies"} {
		resp, m = azGet(t, c, s, azDPVaults+"/nope/"+l+azDPVer, tok)
		azErrCode(t, resp, m, 404, "ParentResourceNotFound")
	}
	resp, m = azGet(t, c, s, "/subscriptions/"+azSub+"/resourceGroups/nope/providers/Microsoft.DataProtection/backupVaults"+azDPVer, tok)
	azErrCode(t, resp, m, 404, "ResourceGroupNotFound")
	resp, m = azGet(t, c, s, "/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.DataProtection/backupVaults"+azDPVer, tok)
	azErrCode(t, resp, m, 404, "SubscriptionNotFound")
	resp, m = azGet(t, c, s, azDPVault+"/backupJobs?api-version=2021-01-01", tok)
	if msg := azErrCode(t, resp, m, 400, "NoRegisteredProviderFound"); !strings.Contains(msg, "for type 'backupVaults/backupJobs'") || !strings.Contains(msg, DataProtectionAPIVersion) {
		t.Errorf("message %q", msg)
	}
	for _, v := range dpAPIVersions {
		if resp, m = azGet(t, c, s, azDPVault+"/backupInstances?api-version="+v, tok); resp.StatusCode != 200 {
			t.Errorf("api-version %s: %d %v", v, resp.StatusCode, m)
		}
	}

	// Faults apply, in the ARM error format.
	if err := s.AddFault(Fault{API: AzureAPI, Path: "/backupInstances$", Status: 503, Times: 1}); err != nil {
		t.Fatal(err)
	}
	resp, m = azGet(t, c, s, azDPVault+"/backupInstances"+azDPVer, tok)
	azErrCode(t, resp, m, 503, "ServiceUnavailable")
}

func TestDataProtectionInstances(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)
	items, _ := azAll(t, c, s, azDPVault+"/backupInstances"+azDPVer, tok)
	if len(items) != 7 {
		t.Fatalf("%d instances", len(items))
	}
	web := byName(t, items, "web-disk-01")
	p := props(web)
	ds := p["dataSourceInfo"].(map[string]any)
	if web["id"] != azDPVault+"/backupInstances/web-disk-01" || web["type"] != "Microsoft.DataProtection/backupVaults/backupInstances" ||
		ds["resourceID"] != "/subscriptions/"+azSub+"/resourceGroups/rg-app/providers/Microsoft.Compute/disks/web-disk-01" ||
		ds["resourceName"] != "web-disk-01" || ds["datasourceType"] != "Microsoft.Compute/disks" || ds["objectType"] != "Datasource" ||
		p["friendlyName"] != "web-disk-01" || p["objectType"] != "BackupInstance" ||
		p["policyInfo"].(map[string]any)["policyId"] != azDPVault+"/backupPolicies/disk-daily" ||
		p["currentProtectionState"] != "ProtectionConfigured" || p["protectionStatus"].(map[string]any)["status"] != "ProtectionConfigured" {
		t.Errorf("instance %v", web)
	}
	if _, ok := p["protectionErrorDetails"]; ok {
		t.Errorf("protectionErrorDetails without an error: %v", p)
	}
	for name, want := range map[string][2]string{
		"new-disk-01": {"NotProtected", "ConfiguringProtection"},
		"legacy-disk": {"ProtectionStopped", "ProtectionStopped"},
		"media-blobs": {"ProtectionConfigured", "ProtectionConfigured"},
	} {
		p := props(byName(t, items, name))
		if p["currentProtectionState"] != want[0] || p["protectionStatus"].(map[string]any)["status"] != want[1] {
			t.Errorf("%s: %v, %v; want %v", name, p["currentProtectionState"], p["protectionStatus"], want)
		}
	}
	if ds := props(byName(t, items, "media-blobs"))["dataSourceInfo"].(map[string]any); ds["datasourceType"] != "Microsoft.Storage/storageAccounts/blobServices" || ds["resourceName"] != "demomedia01" {
		t.Errorf("blob datasource %v", ds)
	}
	resp, m := azGet(t, c, s, azDPVault+"/backupInstances/WEB-DISK-01"+azDPVer, tok)
	if resp.StatusCode != 200 || m["name"] != "web-disk-01" {
		t.Errorf("get instance: %d %v", resp.StatusCode, m)
	}
	resp, m = azGet(t, c, s, azDPVault+"/backupInstances/nope"+azDPVer, tok)
	azErrCode(t, resp, m, 404, "ResourceNotFound")
	resp, m = azGet(t, c, s, azDPVault+"/backupInstances/nope/recoveryPoints"+azDPVer, tok)
	azErrCode(t, resp, m, 404, "ParentResourceNotFound")

	// An instance's errors, as UserFacingError objects.
	if err := s.UpdateDPVault(azSub, "demo-rg", "demo-bv", func(v *DPVault) {
		v.Instances[0].ProtectionState = "ProtectionError"
		v.Instances[0].ProtectionError = &DPError{Code: "UserErrorDiskNotFound", Message: "gone"}
		v.Instances[0].StatusError = &DPError{Code: "Other", Message: "status", Retryable: true}
	}); err != nil {
		t.Fatal(err)
	}
	resp, m = azGet(t, c, s, azDPVault+"/backupInstances/web-disk-01"+azDPVer, tok)
	p = props(m)
	pe := p["protectionErrorDetails"].(map[string]any)
	se := p["protectionStatus"].(map[string]any)["errorDetails"].(map[string]any)
	if resp.StatusCode != 200 || p["currentProtectionState"] != "ProtectionError" || pe["code"] != "UserErrorDiskNotFound" || pe["isUserError"] != true ||
		se["message"] != "status" || se["isRetryable"] != true {
		t.Errorf("instance errors: %v", p)
	}
}

func TestDataProtectionJobs(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)
	// Jobs_List takes no $filter: one given changes nothing.
	for _, q := range []string{"", azFilter("status eq 'Failed'")} {
		jobs, _ := azAll(t, c, s, azDPVault+"/backupJobs"+azDPVer+q, tok)
		if len(jobs) != 10 {
			t.Fatalf("%q: %d jobs", q, len(jobs))
		}
		var last time.Time
		for i, j := range jobs {
			p := props(j)
			start, err := time.Parse(time.RFC3339, p["startTime"].(string))
			if err != nil || (i > 0 && start.After(last)) {
				t.Errorf("job %d not newest first: %v", i, p["startTime"])
			}
			last = start
			if !strings.HasPrefix(j["id"].(string), "/subscriptions/"+azSub+"/resourceGroups/demo-rg/providers/Microsoft.DataProtection/Backupvaults/demo-bv/backupJobs/") ||
				j["type"] != "Microsoft.DataProtection/Backupvaults/backupJobs" || p["vaultName"] != "demo-bv" {
				t.Errorf("job %v", j)
			}
			if _, ok := p["extendedInfo"]; ok {
				t.Errorf("a listed job carries extendedInfo: %v", p)
			}
			for _, k := range []string{"activityID", "backupInstanceFriendlyName", "dataSourceId", "dataSourceLocation", "dataSourceName", "dataSourceType",
				"isUserTriggered", "operation", "operationCategory", "progressEnabled", "sourceResourceGroup", "sourceSubscriptionID", "startTime", "status",
				"subscriptionId", "supportedActions", "vaultName", "backupInstanceId", "duration"} {
				if _, ok := p[k]; !ok {
					t.Errorf("job %s lacks %s", j["name"], k)
				}
			}
		}
	}
	jobs, _ := azAll(t, c, s, azDPVault+"/backupJobs"+azDPVer, tok)
	var running, failed, restore map[string]any
	for _, j := range jobs {
		p := props(j)
		switch {
		case p["status"] == "InProgress":
			running = j
		case p["status"] == "Failed":
			failed = j
		case p["operationCategory"] == "Restore":
			restore = j
		}
	}
	if running == nil || failed == nil || restore == nil {
		t.Fatalf("running %v failed %v restore %v", running, failed, restore)
	}
	rp := props(running)
	if _, ok := rp["endTime"]; ok || rp["backupInstanceId"] != azDPVault+"/backupInstances/orders-pg" || rp["isUserTriggered"] != true ||
		rp["dataSourceType"] != "Microsoft.DBforPostgreSQL/flexibleServers" || rp["policyName"] != "pg-weekly" {
		t.Errorf("running job %v", rp)
	}
	fp := props(failed)
	errs := fp["errorDetails"].([]any)
	if fp["endTime"] != "2026-11-24T02:01:02Z" || fp["duration"] != "00:00:27" || len(errs) != 1 ||
		errs[0].(map[string]any)["code"] != "UserErrorMissingDiskBackupReaderRole" {
		t.Errorf("failed job %v (times are the demo's, --keep-times)", fp)
	}
	if p := props(restore); p["operation"] != "Restore" || p["endTime"] == nil {
		t.Errorf("restore %v", p)
	}

	// Jobs_Get: extendedInfo, with the bytes moved so far.
	resp, m := azGet(t, c, s, azDPVault+"/backupJobs/"+running["name"].(string)+azDPVer, tok)
	x, _ := props(m)["extendedInfo"].(map[string]any)
	if resp.StatusCode != 200 || x == nil || x["dataTransferredInBytes"] != float64(5368709120) || len(x["subTasks"].([]any)) != 1 {
		t.Errorf("job details: %d %v", resp.StatusCode, m)
	}
	resp, m = azGet(t, c, s, azDPVault+"/backupJobs/"+failed["name"].(string)+azDPVer, tok)
	if x, _ := props(m)["extendedInfo"].(map[string]any); resp.StatusCode != 200 || x == nil || x["dataTransferredInBytes"] != nil {
		t.Errorf("failed job details: %v", m)
	}
	resp, m = azGet(t, c, s, azDPVault+"/backupJobs/00000000-0000-0000-0000-000000000000"+azDPVer, tok)
	azErrCode(t, resp, m, 404, "ResourceNotFound")
}

func TestDataProtectionPaging(t *testing.T) {
	sc := GenerateDataProtection(azSub, 1, 25, 3, time.Now())
	sc.PageSize = 4
	s, c := azStart(t, sc)
	tok := azToken(t, c, s)
	vault := "/subscriptions/" + azSub + "/resourceGroups/" + DefaultAzureResourceGroup + "/providers/Microsoft.DataProtection/backupVaults/bv-01"
	items, pages := azAll(t, c, s, vault+"/backupInstances"+azDPVer, tok)
	if len(items) != 25 || pages != 7 {
		t.Errorf("%d instances in %d pages, want 25 in 7", len(items), pages)
	}
	jobs, pages := azAll(t, c, s, vault+"/backupJobs"+azDPVer, tok)
	if want := len(sc.Subscriptions[0].ResourceGroups[0].DataProtectionVaults[0].Jobs); len(jobs) != want || pages != (want+3)/4 {
		t.Errorf("%d jobs in %d pages, want %d", len(jobs), pages, want)
	}
	seen := map[string]bool{}
	for _, j := range jobs {
		if seen[j["name"].(string)] {
			t.Errorf("job %s twice", j["name"])
		}
		seen[j["name"].(string)] = true
	}
}

func TestDataProtectionRecoveryPoints(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)
	points, _ := azAll(t, c, s, azDPVault+"/backupInstances/web-disk-01/recoveryPoints"+azDPVer, tok)
	if len(points) != 3 {
		t.Fatalf("%d points", len(points))
	}
	p := props(points[0])
	if p["recoveryPointTime"] != "2026-11-24T02:01:12Z" || p["expiryTime"] != "2026-12-01T02:01:12Z" || p["recoveryPointState"] != "Completed" ||
		p["objectType"] != "AzureBackupDiscreteRecoveryPoint" || p["recoveryPointType"] != "Incremental" ||
		!strings.HasPrefix(points[0]["id"].(string), azDPVault+"/backupInstances/web-disk-01/recoveryPoints/") {
		t.Errorf("newest point %v", points[0])
	}
	// One by one, by name.
	resp, m := azGet(t, c, s, azDPVault+"/backupInstances/web-disk-01/recoveryPoints/"+points[1]["name"].(string)+azDPVer, tok)
	if resp.StatusCode != 200 || props(m)["recoveryPointTime"] != "2026-11-23T02:01:05Z" {
		t.Errorf("get point: %d %v", resp.StatusCode, m)
	}
	filtered, _ := azAll(t, c, s, azDPVault+"/backupInstances/web-disk-01/recoveryPoints"+azDPVer+azFilter("startDate eq '2026-11-23T00:00:00Z' and endDate eq '2026-11-23T23:59:59Z'"), tok)
	if len(filtered) != 1 || props(filtered[0])["recoveryPointTime"] != "2026-11-23T02:01:05Z" {
		t.Errorf("filtered %v", filtered)
	}
	resp, m = azGet(t, c, s, azDPVault+"/backupInstances/web-disk-01/recoveryPoints"+azDPVer+azFilter("state eq 'x'"), tok)
	azErrCode(t, resp, m, 400, "InvalidFilter")
	resp, m = azGet(t, c, s, azDPVault+"/backupInstances/web-disk-01/recoveryPoints"+azDPVer+azFilter("startDate eq 'yesterday'"), tok)
	azErrCode(t, resp, m, 400, "InvalidFilter")
	none, _ := azAll(t, c, s, azDPVault+"/backupInstances/new-disk-01/recoveryPoints"+azDPVer, tok)
	if len(none) != 0 {
		t.Errorf("points of an unprotected instance: %v", none)
	}
}

func TestDataProtectionPolicies(t *testing.T) {
	s, c := azStart(t, nil)
	tok := azToken(t, c, s)
	pols, _ := azAll(t, c, s, azDPVault+"/backupPolicies"+azDPVer, tok)
	if len(pols) != 5 {
		t.Fatalf("%d policies", len(pols))
	}
	resp, m := azGet(t, c, s, azDPVault+"/backupPolicies/pg-weekly"+azDPVer, tok)
	rules := props(m)["policyRules"].([]any)
	backup := rules[0].(map[string]any)
	trigger := backup["trigger"].(map[string]any)
	if resp.StatusCode != 200 || m["id"] != azDPVault+"/backupPolicies/pg-weekly" || len(rules) != 2 ||
		backup["objectType"] != "AzureBackupRule" || trigger["objectType"] != "ScheduleBasedTriggerContext" ||
		trigger["schedule"].(map[string]any)["repeatingTimeIntervals"].([]any)[0] != "R/2026-01-04T03:00:00+00:00/P1W" ||
		rules[1].(map[string]any)["objectType"] != "AzureRetentionRule" ||
		props(m)["datasourceTypes"].([]any)[0] != "Microsoft.DBforPostgreSQL/flexibleServers" {
		t.Errorf("policy %v", m)
	}
	resp, m = azGet(t, c, s, azDPVault+"/backupPolicies/blob-continuous"+azDPVer, tok)
	if rules := props(m)["policyRules"].([]any); resp.StatusCode != 200 || len(rules) != 1 || rules[0].(map[string]any)["objectType"] != "AzureRetentionRule" {
		t.Errorf("continuous policy %v", m)
	}
	resp, m = azGet(t, c, s, azDPVault+"/backupPolicies/nope"+azDPVer, tok)
	azErrCode(t, resp, m, 404, "ResourceNotFound")
}

func TestGenerateDataProtection(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	sc := GenerateDataProtection(azSub, 2, 100, 7, now)
	if err := sc.validateDataProtection(); err != nil {
		t.Fatal(err)
	}
	vaults := sc.Subscriptions[0].ResourceGroups[0].DataProtectionVaults
	if len(vaults) != 2 || len(vaults[0].Instances) != 100 || len(vaults[1].Instances) != 101 {
		t.Fatalf("%d vaults", len(vaults))
	}
	// The last vault's extra instance protects the first vault's first disk.
	if extra := vaults[1].Instances[100]; extra.ResourceID != vaults[0].Instances[0].ResourceID || extra.Policy != DPPolicyDisk4h {
		t.Errorf("extra instance %+v", extra)
	}
	inst := func(k int) (*DPVault, *DPInstance) {
		v := &vaults[(k-1)/100]
		return v, &v.Instances[(k-1)%100]
	}
	newest := func(k int) *DPJob {
		v, it := inst(k)
		var out *DPJob
		for i := range v.Jobs {
			j := &v.Jobs[i]
			if j.Instance == it.Name && firstNonEmpty(j.OperationCategory, "Backup") == "Backup" && (out == nil || j.StartTime > out.StartTime) {
				out = j
			}
		}
		return out
	}
	for _, c := range []struct {
		k     int
		check func(*DPInstance, *DPJob) bool
	}{
		{4, func(_ *DPInstance, j *DPJob) bool {
			return j.Status == "InProgress" && j.EndTime == "" && j.DataTransferredInBytes != nil
		}},
		{14, func(_ *DPInstance, j *DPJob) bool { return j.Status == "Started" }}, // k%7 == 0: the REST examples' statuses
		{13, func(_ *DPInstance, j *DPJob) bool { return j.Status == "Failed" && len(j.Errors) == 1 }},
		{21, func(it *DPInstance, j *DPJob) bool { return it.ProtectionState == "NotProtected" && j == nil }},
		{37, func(it *DPInstance, j *DPJob) bool {
			return it.ProtectionState == "ProtectionStopped" && j.StartTime < "2026-11-21T12"
		}},
		{11, func(_ *DPInstance, j *DPJob) bool { return j.StartTime < "2026-11-20T12" }}, // stale
		{45, func(it *DPInstance, _ *DPJob) bool {
			return it.ProtectionState == "ProtectionError" && it.ProtectionError != nil
		}},
		{95, func(it *DPInstance, _ *DPJob) bool { return it.ProtectionState == "SoftDeleted" }},
		{18, func(it *DPInstance, j *DPJob) bool {
			return it.Policy == DPPolicyBlob && j == nil && len(it.RecoveryPoints) == 0
		}},
		{17, func(it *DPInstance, j *DPJob) bool { return it.Policy == DPPolicyPGWeekly && j != nil }},
		{16, func(it *DPInstance, _ *DPJob) bool { return it.Policy == DPPolicyDisk4h }},
		{19, func(it *DPInstance, _ *DPJob) bool { return it.Policy == DPPolicyAKSDaily }},
		{1, func(it *DPInstance, j *DPJob) bool { return j.Status == "Completed" && len(it.RecoveryPoints) >= 6 }},
	} {
		_, it := inst(c.k)
		if j := newest(c.k); !c.check(it, j) {
			t.Errorf("instance %d: %+v, newest job %+v", c.k, it, j)
		}
	}
	// Deterministic.
	again := GenerateDataProtection(azSub, 2, 100, 7, now)
	if got, want := len(again.Subscriptions[0].ResourceGroups[0].DataProtectionVaults[0].Jobs), len(vaults[0].Jobs); got != want {
		t.Errorf("%d jobs, then %d", want, got)
	}
}

func TestDataProtectionScenarioErrors(t *testing.T) {
	valid := func() *AzureScenario {
		return &AzureScenario{Subscriptions: []AzureSubscription{{ID: azSub, ResourceGroups: []AzureResourceGroup{{Name: "rg",
			DataProtectionVaults: []DPVault{{Name: "bv", Policies: []DPPolicy{{Name: "p", Schedules: []string{"R/2026-01-01T00:00:00Z/P1D"}}},
				Instances: []DPInstance{{Name: "i", ResourceID: "/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/disks/d", Policy: "p"}},
				Jobs:      []DPJob{{Instance: "i", StartTime: "2026-11-24T02:00:00Z"}}}}}}}}}
	}
	if err := valid().validateDataProtection(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(v *DPVault)
		want string
	}{
		{"status", func(v *DPVault) { v.Jobs[0].Status = "Done" }, `status "Done"`},
		{"job instance", func(v *DPVault) { v.Jobs[0].Instance = "other" }, `instance "other"`},
		{"start", func(v *DPVault) { v.Jobs[0].StartTime = "" }, "no start_time"},
		{"policy", func(v *DPVault) { v.Instances[0].Policy = "q" }, `policy "q"`},
		{"state", func(v *DPVault) { v.Instances[0].ProtectionState = "Fine" }, `protection_state "Fine"`},
		{"resource", func(v *DPVault) { v.Instances[0].ResourceID = "disk" }, "not an ARM ID"},
		{"schedule", func(v *DPVault) { v.Policies[0].Schedules = []string{"P1D"} }, "repeating interval"},
		{"point", func(v *DPVault) { v.Instances[0].RecoveryPoints = []DPRecoveryPoint{{RecoveryPointTime: "soon"}} }, "recovery_point_time"},
		{"point state", func(v *DPVault) {
			v.Instances[0].RecoveryPoints = []DPRecoveryPoint{{RecoveryPointTime: "2026-11-24T02:00:00Z", State: "Fine"}}
		}, `state "Fine"`},
	} {
		sc := valid()
		tc.edit(&sc.Subscriptions[0].ResourceGroups[0].DataProtectionVaults[0])
		if err := sc.validateDataProtection(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		s := &Server{}
		if err := s.SetAzureScenario(sc); err == nil {
			t.Errorf("%s: SetAzureScenario accepted it", tc.name)
		}
	}
}

func TestDotnetTimeSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                           "00:00:00",
		27 * time.Second:            "00:00:27",
		131*time.Second + 972438700: "00:02:11.9724387",
		26 * time.Hour:              "1.02:00:00",
		-time.Second:                "00:00:00",
	} {
		if got := dotnetTimeSpan(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

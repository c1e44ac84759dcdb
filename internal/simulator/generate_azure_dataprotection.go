package simulator

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"
)

// Generated Backup vaults' policies: their names, datasource types and
// schedules.
const (
	DPPolicyDiskDaily = "disk-daily" // Microsoft.Compute/disks, P1D at 02:00 UTC
	DPPolicyDisk4h    = "disk-4h"    // Microsoft.Compute/disks, PT4H
	DPPolicyPGWeekly  = "pg-weekly"  // Microsoft.DBforPostgreSQL/flexibleServers, P1W
	DPPolicyBlob      = "blob-continuous"
	DPPolicyAKSDaily  = "aks-daily" // Microsoft.ContainerService/managedClusters, P1D
)

// GenerateDataProtection returns a deterministic Azure scenario of Backup
// vaults: the demo tenant and client (as GenerateAzure), and subscription
// sub with resource group DefaultAzureResourceGroup holding vaults
// "bv-01", ... of instancesPerVault backup instances each, with the jobs
// of the last jobDays days up to now and a Completed recovery point per
// succeeded job.
//
// Instances are numbered k = 1, 2, ... across the vaults; their resources
// are in resource group "rg-app". By k%10: 0 to 5 are managed disks
// "disk-00001", ... (policy disk-daily: a job a day at 02:00 UTC and a few
// minutes), 6 disks with policy disk-4h (a job every 4 hours over the last
// two days at most), 7 PostgreSQL flexible servers "pg-00007", ...
// (pg-weekly: a job a week, at 03:00 on the day k%7 days before the
// newest), 8 storage accounts' blobs "sablob00008", ... (blob-continuous:
// no scheduled backup, no job), 9 AKS clusters "aks-00009", ...
// (aks-daily). Every seventh instance writes its jobs' statuses as the REST
// examples do (Started, Succeeded) instead of InProgress, Completed. Their
// states:
//
//   - k%10 == 4: the newest job runs (InProgress or Started), with the
//     bytes moved so far in its own GET;
//   - k%10 == 3: the two newest jobs Failed with error details;
//   - k%25 == 11: stale: its jobs stopped 4 days ago;
//   - k%50 == 21: NotProtected (no job, no recovery point);
//   - k%50 == 37: ProtectionStopped, its jobs ending 3 days ago;
//   - k%100 == 45: ProtectionError with protectionErrorDetails;
//   - k%100 == 95: SoftDeleted;
//   - k%30 == 0: also a Restore job yesterday;
//   - of the other jobs about 3% Failed and 2% CompletedWithWarnings.
//
// With two vaults or more, the last vault also protects the first vault's
// first resource (an instance of policy disk-4h, healthy): one resource,
// two instances.
func GenerateDataProtection(sub string, vaults, instancesPerVault, jobDays int, now time.Time) *AzureScenario {
	h := fnv.New64a()
	h.Write([]byte(sub))
	rng := rand.New(rand.NewPCG(0xdb70, h.Sum64()))
	now = now.UTC()
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	const app = "rg-app"
	resource := func(typ, name string) string {
		return "/subscriptions/" + sub + "/resourceGroups/" + app + "/providers/" + typ + "/" + name
	}
	policies := []DPPolicy{
		{Name: DPPolicyDiskDaily, DatasourceType: "Microsoft.Compute/disks", Schedules: []string{"R/2026-01-01T02:00:00+00:00/P1D"}, RetentionDays: 7},
		{Name: DPPolicyDisk4h, DatasourceType: "Microsoft.Compute/disks", Schedules: []string{"R/2026-01-01T00:00:00+00:00/PT4H"}, RetentionDays: 2},
		{Name: DPPolicyPGWeekly, DatasourceType: "Microsoft.DBforPostgreSQL/flexibleServers", Schedules: []string{"R/2026-01-04T03:00:00+00:00/P1W"}, RetentionDays: 90},
		{Name: DPPolicyBlob, DatasourceType: "Microsoft.Storage/storageAccounts/blobServices", RetentionDays: 30},
		{Name: DPPolicyAKSDaily, DatasourceType: "Microsoft.ContainerService/managedClusters", Schedules: []string{"R/2026-01-01T01:00:00+00:00/P1D"}, RetentionDays: 7},
	}
	failure := func(k int) DPError {
		switch k % 10 {
		case 7:
			return DPError{Code: "UserErrorPostgresServerNotReachable", Message: "The PostgreSQL server could not be reached from the Backup vault.",
				RecommendedAction: []string{"Allow access from Azure services in the server's networking settings."}}
		case 9:
			return DPError{Code: "UserErrorBackupExtensionNotHealthy", Message: "The backup extension of the AKS cluster is not healthy.", Retryable: true}
		}
		return DPError{Code: "UserErrorMissingDiskBackupReaderRole", Message: "The Backup vault's managed identity lacks the Disk Backup Reader role on the disk.",
			RecommendedAction: []string{"Assign the Disk Backup Reader role to the vault's identity."}}
	}

	var out []DPVault
	// resources are the backed-up resources in rg-app, with their owners'
	// tags (azureGeneratedTags), as Resource Graph's Resources table has
	// them.
	var resources []AzureResource
	k := 0
	for vi := 1; vi <= vaults; vi++ {
		v := DPVault{Name: fmt.Sprintf("bv-%02d", vi), Location: DefaultAzureLocation, Policies: policies,
			StorageRedundancy: []string{"LocallyRedundant", "GeoRedundant", "ZoneRedundant"}[vi%3]}
		for n := 0; n < instancesPerVault; n++ {
			k++
			it := DPInstance{Name: fmt.Sprintf("bi-%05d", k)}
			every, at, dur := 24*time.Hour, 2*time.Hour, [2]int{1, 6}
			switch k % 10 {
			case 6:
				it.ResourceID, it.Policy = resource("Microsoft.Compute/disks", fmt.Sprintf("disk-%05d", k)), DPPolicyDisk4h
				every, at = 4*time.Hour, 0
			case 7:
				it.ResourceID, it.Policy = resource("Microsoft.DBforPostgreSQL/flexibleServers", fmt.Sprintf("pg-%05d", k)), DPPolicyPGWeekly
				every, at, dur = 7*24*time.Hour, 3*time.Hour-time.Duration(k%7)*24*time.Hour, [2]int{20, 60}
			case 8:
				it.ResourceID, it.Policy = resource("Microsoft.Storage/storageAccounts", fmt.Sprintf("sablob%05d", k)), DPPolicyBlob
				every = 0
			case 9:
				it.ResourceID, it.Policy = resource("Microsoft.ContainerService/managedClusters", fmt.Sprintf("aks-%05d", k)), DPPolicyAKSDaily
				at, dur = time.Hour, [2]int{5, 20}
			default:
				it.ResourceID, it.Policy = resource("Microsoft.Compute/disks", fmt.Sprintf("disk-%05d", k)), DPPolicyDiskDaily
			}
			typ, name, _ := strings.Cut(strings.TrimPrefix(it.ResourceID, "/subscriptions/"+sub+"/resourceGroups/"+app+"/providers/"), "/")
			if i := strings.LastIndex(name, "/"); i >= 0 {
				typ, name = typ+"/"+name[:i], name[i+1:]
			}
			resources = append(resources, AzureResource{Type: typ, Name: name, Location: DefaultAzureLocation, Tags: azureGeneratedTags(k)})
			rest := k%7 == 0 // the REST examples' statuses
			done, running := "Completed", "InProgress"
			if rest {
				done, running = "Succeeded", "Started"
			}
			newest := now
			switch {
			case k%50 == 21:
				it.ProtectionState = "NotProtected"
				it.ProtectionStatus = "ConfiguringProtection"
				every = 0
			case k%50 == 37:
				it.ProtectionState = "ProtectionStopped"
				newest = now.Add(-3 * 24 * time.Hour)
			case k%25 == 11:
				newest = now.Add(-4 * 24 * time.Hour)
			}
			switch {
			case k%100 == 45:
				it.ProtectionState = "ProtectionError"
				it.ProtectionError = &DPError{Code: "UserErrorDiskNotFound", Message: "The disk was deleted, moved or renamed."}
			case k%100 == 95:
				it.ProtectionState = "SoftDeleted"
			}
			if every > 0 {
				// The runs of the schedule from the oldest of the window to
				// the newest at or before newest.
				span := time.Duration(jobDays) * 24 * time.Hour
				if every < 24*time.Hour {
					span = min(span, 2*24*time.Hour)
				}
				day := time.Date(newest.Year(), newest.Month(), newest.Day(), 0, 0, 0, 0, time.UTC).Add(at)
				last := day
				for last.Add(every).Before(newest) || last.Add(every).Equal(newest) {
					last = last.Add(every)
				}
				for last.After(newest) {
					last = last.Add(-every)
				}
				var runs []time.Time
				for t := last; t.After(newest.Add(-span)); t = t.Add(-every) {
					runs = append([]time.Time{t}, runs...)
				}
				for ri, start := range runs {
					start = start.Add(time.Duration(rng.IntN(600)) * time.Second)
					if start.After(now) {
						start = now.Add(-time.Minute)
					}
					length := time.Duration(dur[0]+rng.IntN(dur[1]-dur[0]+1))*time.Minute + time.Duration(rng.IntN(60000))*time.Millisecond
					j := DPJob{Name: stableUUID("dpjob", v.Name, it.Name, ts(start)), Instance: it.Name, Status: done, StartTime: ts(start), EndTime: ts(start.Add(length))}
					newestRun := ri == len(runs)-1
					r := rng.Float64()
					switch {
					case newestRun && k%10 == 4 && newest.Equal(now):
						j.Status, j.EndTime = running, ""
						j.DataTransferredInBytes = azPtr(int64(1+rng.IntN(200)) << 26)
						if start.Add(length).After(now) {
							j.StartTime = ts(now.Add(-length / 2))
						}
					case ri >= len(runs)-2 && k%10 == 3:
						j.Status, j.Errors = "Failed", []DPError{failure(k)}
					case r < 0.03:
						j.Status, j.Errors = "Failed", []DPError{failure(k)}
					case r < 0.05:
						j.Status = "CompletedWithWarnings"
						j.Errors = []DPError{{Code: "UserErrorSnapshotConsistencyPartial", Message: "The snapshot is crash-consistent only."}}
					}
					v.Jobs = append(v.Jobs, j)
					if j.Status == done || j.Status == "CompletedWithWarnings" {
						it.RecoveryPoints = append(it.RecoveryPoints, DPRecoveryPoint{
							RecoveryPointTime: ts(start.Add(time.Minute)),
							ExpiryTime:        ts(start.Add(time.Minute + time.Duration(policyRetention(policies, it.Policy))*24*time.Hour)),
						})
					}
				}
			}
			if k%30 == 0 && it.ProtectionState != "NotProtected" {
				start := now.Add(-20 * time.Hour)
				v.Jobs = append(v.Jobs, DPJob{Name: stableUUID("dpjob", v.Name, it.Name, "restore"), Instance: it.Name, OperationCategory: "Restore", Operation: "Restore", Status: done,
					StartTime: ts(start), EndTime: ts(start.Add(12 * time.Minute)), UserTriggered: true})
			}
			v.Instances = append(v.Instances, it)
		}
		out = append(out, v)
	}
	if len(out) >= 2 && len(out[0].Instances) > 0 {
		last := &out[len(out)-1]
		first := out[0].Instances[0]
		it := DPInstance{Name: "bi-dr-00001", ResourceID: first.ResourceID, Policy: DPPolicyDisk4h}
		start := time.Date(now.Year(), now.Month(), now.Day(), now.Hour()/4*4, 0, 0, 0, time.UTC)
		if start.Add(5 * time.Minute).After(now) {
			start = start.Add(-4 * time.Hour)
		}
		last.Jobs = append(last.Jobs, DPJob{Instance: it.Name, Status: "Completed", StartTime: ts(start), EndTime: ts(start.Add(3 * time.Minute))})
		it.RecoveryPoints = []DPRecoveryPoint{{RecoveryPointTime: ts(start.Add(time.Minute)), ExpiryTime: ts(start.Add(49 * time.Hour))}}
		last.Instances = append(last.Instances, it)
	}
	return &AzureScenario{
		Tenants: []AzureTenant{{
			ID:      DefaultAzureTenantID,
			Clients: []AzureClient{{ClientID: DefaultAzureClientID, ClientSecret: DefaultAzureClientSecret}},
		}},
		Subscriptions: []AzureSubscription{{ID: sub, ResourceGroups: []AzureResourceGroup{
			{Name: DefaultAzureResourceGroup, DataProtectionVaults: out},
			{Name: app, Resources: resources},
		}}},
	}
}

func policyRetention(ps []DPPolicy, name string) int {
	for _, p := range ps {
		if p.Name == name {
			return orDefault(p.RetentionDays, 7)
		}
	}
	return 7
}

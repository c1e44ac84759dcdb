package simulator

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// GenerateAzureBackup returns a deterministic Azure scenario of Azure
// Backup: the demo tenant and client (as GenerateAzure), and subscription
// sub with resource group DefaultAzureResourceGroup holding Recovery
// Services vaults "rsv-01", ... of itemsPerVault protected items each,
// with a daily scheduled backup job (22:00 UTC, a few minutes' jitter) per
// item for each of the last jobDays days, the newest at or before now.
//
// Items are numbered k = 1, 2, ... across the vaults. Most are Azure VMs
// "vm-0001", ...; those with k%10 == 3 or 8 are file shares "share-0003"
// in storage account "sa01", ... (five shares an account), and those with
// k%10 == 6 SQL databases "db-0006" on VM "sqlvm-01", ... Their states:
//
//   - k%10 == 4: the newest job is InProgress (VM jobs with a progress);
//   - k%10 == 7: the two newest jobs Failed with error details, last backup
//     Failed (VM) or Unhealthy, health ActionRequired (VM), KPI BackupHealth
//     TransientUnhealthy (PersistentUnhealthy and, unless stopped,
//     protection state ProtectionError when k%20 == 17);
//   - k%25 == 12: ProtectionStopped, its jobs ending three days ago; when
//     k%50 == 12 it is also scheduled for deferred delete;
//   - k%50 == 29: the newest job is Cancelling;
//   - k%40 == 33: IRPending, no backup yet (one ConfigureBackup job);
//   - of the other jobs about 4% Failed, 3% CompletedWithWarnings and 1%
//     Cancelled.
//
// Each vault also has three protectable items: a NotProtected VM, a
// Protecting VM and a NotProtected SQL database.
//
// The resource group also holds the items' source resources as Resource
// Graph lists them (Resources): the VMs (tagged by azureGeneratedTags, but
// for the VM of an item scheduled for deferred delete, which is gone), the
// storage accounts (team storage) and the SQL VMs (team dba).
func GenerateAzureBackup(sub string, vaults, itemsPerVault, jobDays int, now time.Time) *AzureScenario {
	h := fnv.New64a()
	h.Write([]byte(sub))
	rng := rand.New(rand.NewPCG(0xb4c0, h.Sum64()))
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 22, 0, 0, 0, time.UTC)
	if day.After(now) {
		day = day.AddDate(0, 0, -1)
	}
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }

	var out []RSVault
	var resources []AzureResource
	declared := map[string]bool{}
	declare := func(typ, name string, tags map[string]string) {
		if k := typ + "/" + name; !declared[k] {
			declared[k] = true
			resources = append(resources, AzureResource{Type: typ, Name: name, Location: DefaultAzureLocation, Tags: tags})
		}
	}
	k := 0
	for vi := 1; vi <= vaults; vi++ {
		v := RSVault{
			Name:              fmt.Sprintf("rsv-%02d", vi),
			Location:          DefaultAzureLocation,
			StorageRedundancy: []string{"GeoRedundant", "LocallyRedundant", "ZoneRedundant"}[vi%3],
		}
		for n := 0; n < itemsPerVault; n++ {
			k++
			it := RSProtectedItem{Kind: RSKindVM, Name: fmt.Sprintf("vm-%04d", k), Policy: "DailyPolicy"}
			switch k % 10 {
			case 3, 8:
				it.Kind = RSKindFileShare
				it.Name = fmt.Sprintf("share-%04d", k)
				it.StorageAccount = fmt.Sprintf("sa%02d", (k-1)/50+1)
				it.Policy = "FileSharePolicy"
			case 6:
				it.Kind = RSKindSQL
				it.Name = fmt.Sprintf("db-%04d", k)
				it.Server = fmt.Sprintf("sqlvm-%02d", (k-1)/100+1)
				it.Policy = "SQLPolicy"
			}
			// The source resources, with tags, for Resource Graph; the VM
			// of an item scheduled for deferred delete is gone.
			switch it.Kind {
			case RSKindVM:
				if k%50 != 12 {
					declare("Microsoft.Compute/virtualMachines", it.Name, azureGeneratedTags(k))
				}
			case RSKindFileShare:
				declare("Microsoft.Storage/storageAccounts", it.StorageAccount, map[string]string{"team": "storage", "cost-center": "cc-files"})
			case RSKindSQL:
				declare("Microsoft.Compute/virtualMachines", it.Server, map[string]string{"team": "dba"})
			}
			inProgress, failing := k%10 == 4, k%10 == 7
			stopped, cancelling, irPending := k%25 == 12, k%50 == 29, k%40 == 33
			newest := day
			if stopped {
				newest = day.AddDate(0, 0, -3)
				it.ProtectionState = "ProtectionStopped"
				if k%50 == 12 {
					it.ScheduledForDeferredDelete = true
					it.DeferredDeleteTime = ts(now.Add(-36 * time.Hour))
				}
			}
			var minutes [2]int
			switch it.Kind {
			case RSKindVM:
				minutes = [2]int{15, 60}
			case RSKindFileShare:
				minutes = [2]int{2, 10}
			default:
				minutes = [2]int{5, 30}
			}

			if irPending {
				it.ProtectionState = "IRPending"
				if it.Kind == RSKindSQL {
					it.LastBackupStatus = "IRPending"
					it.ItemHealthStatus = "IRPending"
				}
				start := now.Add(-time.Duration(30+rng.IntN(120)) * time.Minute)
				v.Jobs = append(v.Jobs, RSJob{Item: it.Name, Operation: "ConfigureBackup", Status: "Completed",
					StartTime: ts(start), EndTime: ts(start.Add(time.Duration(20+rng.IntN(40)) * time.Second)), UserTriggered: true})
				v.ProtectedItems = append(v.ProtectedItems, it)
				continue
			}

			var lastDone, lastGood *RSJob
			for j := jobDays - 1; j >= 0; j-- { // oldest first
				start := newest.AddDate(0, 0, -j).Add(time.Duration(rng.IntN(900)) * time.Second)
				if start.After(now) {
					start = now.Add(-time.Minute)
				}
				dur := time.Duration(minutes[0]+rng.IntN(minutes[1]-minutes[0]+1))*time.Minute + time.Duration(rng.IntN(60000))*time.Millisecond
				job := RSJob{Item: it.Name, Operation: "Backup", Status: "Completed", StartTime: ts(start), EndTime: ts(start.Add(dur))}
				r := rng.Float64()
				switch {
				case j == 0 && inProgress && !stopped:
					job.Status = "InProgress"
					job.EndTime = ""
					if it.Kind == RSKindVM {
						job.ProgressPercentage = azPtr(float64(5 + rng.IntN(90)))
					}
				case j == 0 && cancelling && !stopped:
					job.Status = "Cancelling"
					job.EndTime = ""
				case j <= 1 && failing:
					job.Status = "Failed"
					job.Errors = []RSJobError{rsGeneratedError(it.Kind)}
				case r < 0.04:
					job.Status = "Failed"
					job.Errors = []RSJobError{rsGeneratedError(it.Kind)}
				case r < 0.07:
					job.Status = "CompletedWithWarnings"
					job.Errors = []RSJobError{{Code: 200010, Title: "Backup completed with warnings",
						Message:         "The backup completed, but some files could not be read and were skipped.",
						Recommendations: []string{"Check that the skipped files are not locked by another process."}}}
				case r < 0.08:
					job.Status = "Cancelled"
					job.EndTime = ts(start.Add(dur / 3))
				}
				v.Jobs = append(v.Jobs, job)
				if !rsRunning(job.Status) && job.Status != "Cancelled" {
					lastDone = &job
					if job.Status != "Failed" {
						lastGood = &job
					}
				}
			}
			if lastDone != nil {
				it.LastBackupTime = lastDone.StartTime
				switch {
				case it.Kind == RSKindVM:
					it.LastBackupStatus = lastDone.Status
				case lastDone.Status == "Failed":
					it.LastBackupStatus = "Unhealthy"
				default:
					it.LastBackupStatus = "Healthy"
				}
			}
			if lastGood != nil {
				it.LastRecoveryPointTime = lastGood.EndTime
			}
			if it.Kind == RSKindSQL {
				it.ItemHealthStatus = "Healthy"
			}
			if failing {
				kpi := "TransientUnhealthy"
				if k%20 == 17 {
					kpi = "PersistentUnhealthy"
					if !stopped {
						it.ProtectionState = "ProtectionError"
					}
				}
				e := rsGeneratedError(it.Kind)
				it.KPIsHealths = map[string]RSKPIHealth{"BackupHealth": {Status: kpi, Details: []RSHealthDetail{{
					Code: e.Code, Title: e.Title, Message: e.Message, Recommendations: e.Recommendations}}}}
				switch it.Kind {
				case RSKindVM:
					it.HealthStatus = "ActionRequired"
					it.HealthDetails = []RSHealthDetail{{Code: e.Code, Title: e.Title, Message: e.Message, Recommendations: e.Recommendations}}
				case RSKindSQL:
					it.ItemHealthStatus = "Unhealthy"
					it.LastBackupError = &RSErrorDetail{Code: e.Title, Message: e.Message, Recommendations: e.Recommendations}
				}
			}
			v.ProtectedItems = append(v.ProtectedItems, it)
		}
		declare("Microsoft.Compute/virtualMachines", fmt.Sprintf("new-vm-%02d", vi), map[string]string{"team": "platform"})
		declare("Microsoft.Compute/virtualMachines", fmt.Sprintf("onboarding-vm-%02d", vi), nil)
		declare("Microsoft.Compute/virtualMachines", fmt.Sprintf("sqlvm-%02d", vi), map[string]string{"team": "dba"})
		v.ProtectableItems = []RSProtectableItem{
			{Kind: RSKindVM, Name: fmt.Sprintf("new-vm-%02d", vi)},
			{Kind: RSKindVM, Name: fmt.Sprintf("onboarding-vm-%02d", vi), ProtectionState: "Protecting"},
			{Kind: RSKindSQL, Name: fmt.Sprintf("reports-%02d", vi), Server: fmt.Sprintf("sqlvm-%02d", vi)},
		}
		out = append(out, v)
	}
	return &AzureScenario{
		Tenants: []AzureTenant{{
			ID:      DefaultAzureTenantID,
			Clients: []AzureClient{{ClientID: DefaultAzureClientID, ClientSecret: DefaultAzureClientSecret}},
		}},
		Subscriptions: []AzureSubscription{{ID: sub, ResourceGroups: []AzureResourceGroup{{
			Name: DefaultAzureResourceGroup, RecoveryServicesVaults: out, Resources: resources,
		}}}},
	}
}

// azureGeneratedTags are the tags of the k-th generated VM: a team
// ("payments", "search" or "platform", with the casing a person gives it:
// "Team" on some) and a cost center on three of four, none on the fourth.
func azureGeneratedTags(k int) map[string]string {
	if k%4 == 0 {
		return nil
	}
	key := "team"
	if k%7 == 0 {
		key = "Team"
	}
	return map[string]string{key: []string{"payments", "search", "platform"}[k%3], "cost-center": fmt.Sprintf("cc-%d", k%5)}
}

// rsGeneratedError is the failure of a generated job of an item kind.
func rsGeneratedError(kind string) RSJobError {
	switch kind {
	case RSKindFileShare:
		return RSJobError{Code: 400310, Title: "UserErrorFileShareNotFound",
			Message:         "The file share could not be found in the storage account.",
			Recommendations: []string{"Check that the file share exists, or stop protection of the item."}}
	case RSKindSQL:
		return RSJobError{Code: 400506, Title: "UserErrorSQLNoSysadminMembership",
			Message:         "The Azure Backup service has no sysadmin privileges on the SQL instance.",
			Recommendations: []string{"Add the NT SERVICE\\AzureWLBackupPluginSvc account to the sysadmin role of the instance."}}
	default:
		return RSJobError{Code: 400043, Title: "UserErrorGuestAgentStatusUnavailable",
			Message:         "The VM agent is unable to communicate with the Azure Backup service.",
			Recommendations: []string{"Check that the VM agent is installed, running and up to date, and that the VM can reach Azure."}}
	}
}

// AzureSubscriptionN is the n-th generated subscription's ID after
// DefaultAzureSubscriptionID (n ≥ 1): its last twelve digits are n.
func AzureSubscriptionN(n int) string {
	id := DefaultAzureSubscriptionID
	return id[:len(id)-12] + fmt.Sprintf("%012d", n)
}

package simulator

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// GenerateAzure returns a deterministic Azure scenario: the demo tenant and
// client (DefaultAzureTenantID, DefaultAzureClientID,
// DefaultAzureClientSecret), and subscription sub with resource group
// DefaultAzureResourceGroup holding
//
//   - NetApp account DefaultAzureNetAppAccount with pools "pool-01", ... of
//     volumesPerPool volumes "vol-001", ... each (numbered across pools),
//     backed up daily (7 days, 02:00 UTC) into vault "demo-vault". Every
//     tenth volume (4, 14, ...) is transferring with its newest backup
//     Creating; every tenth (7, 17, ...) is unhealthy (mirror Broken,
//     relationship Failed) with its two newest backups Failed; the last
//     volume (when there are two or more) has no backup configured; about
//     4% of the other backups failed.
//   - servers PostgreSQL flexible servers "pg-server-01", ... with
//     opsPerServer weekly long-term-retention backups (Sundays 03:00 UTC),
//     about 10% Failed; the newest of servers 2, 5, 8, ... is Running; the
//     last server (when there are two or more) has none.
//
// Every volume and server but every fifth is tagged team (storage,
// payments or search) and cost-center.
func GenerateAzure(sub string, pools, volumesPerPool, servers, opsPerServer int, now time.Time) *AzureScenario {
	h := fnv.New64a()
	h.Write([]byte(sub))
	rng := rand.New(rand.NewPCG(0xa201e, h.Sum64()))
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 2, 0, 0, 0, time.UTC)
	if day.After(now) {
		day = day.AddDate(0, 0, -1)
	}
	const backupDays = 7
	const vault = "demo-vault"

	acc := ANFAccount{Name: DefaultAzureNetAppAccount, Location: DefaultAzureLocation}
	bv := ANFBackupVault{Name: vault}
	total := pools * volumesPerPool
	k := 0
	for p := 1; p <= pools; p++ {
		pool := ANFPool{Name: fmt.Sprintf("pool-%02d", p)}
		for v := 1; v <= volumesPerPool; v++ {
			k++
			vol := ANFVolume{Name: fmt.Sprintf("vol-%03d", k), Tags: generatedTags(k)}
			if total >= 2 && k == total {
				pool.Volumes = append(pool.Volumes, vol) // no backup
				continue
			}
			base := int64(1+rng.IntN(500)) << 30
			transferring, unhealthy := k%10 == 4, k%10 == 7
			last := base / int64(20+rng.IntN(30))
			totalBytes := base + last*backupDays
			st := &ANFVolumeBackup{
				Enabled: true, Vault: vault, Policy: "daily-7",
				Healthy: true, RelationshipStatus: "Idle", MirrorState: "Mirrored",
				LastTransferSize: azPtr(last), LastTransferType: "incremental", TotalTransferBytes: azPtr(totalBytes),
			}
			switch {
			case transferring:
				st.RelationshipStatus = "Transferring"
				st.TransferProgressBytes = azPtr(last * int64(10+rng.IntN(80)) / 100)
			case unhealthy:
				st.Healthy = false
				st.RelationshipStatus = "Failed"
				st.MirrorState = "Broken"
				st.UnhealthyReason = "Transfer failed: the destination backup vault is unreachable"
				st.ErrorMessage = "Backup transfer failed with error: Failed to connect to the object store endpoint (timeout after 300s)."
			}
			vol.Backup = st
			pool.Volumes = append(pool.Volumes, vol)

			for j := backupDays - 1; j >= 0; j-- { // oldest first
				start := day.AddDate(0, 0, -j).Add(time.Duration(rng.IntN(900)) * time.Second)
				dur := time.Duration(3+rng.IntN(40)) * time.Minute
				size := base + last*int64(backupDays-j)
				b := ANFBackup{
					Name:           fmt.Sprintf("%s-daily-%s", vol.Name, start.Format("20060102")),
					Volume:         pool.Name + "/" + vol.Name,
					State:          "Succeeded",
					CreationDate:   start.Format(time.RFC3339),
					CompletionDate: start.Add(dur).Format(time.RFC3339),
					Size:           azPtr(size),
					BackupType:     "Scheduled",
				}
				r := rng.Float64()
				switch {
				case j == 0 && transferring:
					b.State = "Creating"
					b.CompletionDate = ""
					b.Size = nil
					if start.After(now) {
						b.CreationDate = now.Format(time.RFC3339)
					}
				case j <= 1 && unhealthy, r < 0.04:
					b.State = "Failed"
					b.Size = nil
					b.FailureReason = "Backup transfer failed: unable to copy snapshot data to the backup vault (object store timeout)."
				}
				bv.Backups = append(bv.Backups, b)
			}
		}
		acc.Pools = append(acc.Pools, pool)
	}
	if pools > 0 {
		acc.BackupVaults = []ANFBackupVault{bv}
	}

	week := time.Date(now.Year(), now.Month(), now.Day(), 3, 0, 0, 0, time.UTC)
	week = week.AddDate(0, 0, -int(week.Weekday())) // Sunday
	if week.After(now) {
		week = week.AddDate(0, 0, -7)
	}
	var pgs []PGServer
	for i := 1; i <= servers; i++ {
		sv := PGServer{Name: fmt.Sprintf("pg-server-%02d", i), Location: DefaultAzureLocation, Version: []string{"14", "15", "16", "17"}[rng.IntN(4)], Tags: generatedTags(i)}
		if servers >= 2 && i == servers {
			pgs = append(pgs, sv)
			continue
		}
		size := int64(5+rng.IntN(400)) << 30
		for j := opsPerServer - 1; j >= 0; j-- {
			start := week.AddDate(0, 0, -7*j).Add(time.Duration(rng.IntN(1200)) * time.Second)
			dur := time.Duration(10+rng.IntN(120)) * time.Minute
			ds := size + int64(opsPerServer-j)*(size/100)
			op := PGOperation{
				Name:                   fmt.Sprintf("ltr-%s-%s", sv.Name, start.Format("20060102")),
				Status:                 "Succeeded",
				StartTime:              start.Format(time.RFC3339),
				EndTime:                start.Add(dur).Format(time.RFC3339),
				PercentComplete:        azPtr(100.0),
				DatasourceSizeInBytes:  azPtr(ds),
				DataTransferredInBytes: azPtr(ds * int64(40+rng.IntN(30)) / 100),
			}
			switch {
			case j == 0 && i%3 == 2:
				pct := float64(5 + rng.IntN(90))
				op.Status = "Running"
				op.EndTime = ""
				op.PercentComplete = azPtr(pct)
				op.DataTransferredInBytes = azPtr(int64(float64(*op.DataTransferredInBytes) * pct / 100))
				if start.After(now) {
					op.StartTime = now.Format(time.RFC3339)
				}
			case rng.Float64() < 0.1:
				op.Status = "Failed"
				op.PercentComplete = azPtr(float64(rng.IntN(90)))
				op.DataTransferredInBytes = nil
				op.ErrorCode = "BackupOperationFailed"
				op.ErrorMessage = "The long-term retention backup failed: the backup storage account could not be reached. Retry the operation."
			}
			sv.LTROperations = append(sv.LTROperations, op)
		}
		pgs = append(pgs, sv)
	}

	rg := AzureResourceGroup{Name: DefaultAzureResourceGroup, PostgresServers: pgs}
	if pools > 0 {
		rg.NetAppAccounts = []ANFAccount{acc}
	}
	return &AzureScenario{
		Tenants: []AzureTenant{{
			ID:      DefaultAzureTenantID,
			Clients: []AzureClient{{ClientID: DefaultAzureClientID, ClientSecret: DefaultAzureClientSecret}},
		}},
		Subscriptions: []AzureSubscription{{ID: sub, ResourceGroups: []AzureResourceGroup{rg}}},
	}
}

func azPtr[T any](v T) *T { return &v }

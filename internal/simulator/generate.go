package simulator

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// GenerateAstra returns a deterministic account with apps apps of
// backupsPerApp daily backups each, the newest taken at 01:00 UTC on or
// before now. App i (from 1) is "app-%03d" with ID
// "a0000000-0000-4000-8000-%012d". Most backups completed; about 4% failed
// (half of those with a failed hook), about 2% completed with a failed
// hook, and the newest backup of every tenth app (3, 13, 23, ...) is
// running. Every app but every fifth has a metadata label team
// (storage, payments or search).
func GenerateAstra(accountID string, apps, backupsPerApp int, now time.Time) *AstraScenario {
	h := fnv.New64a()
	h.Write([]byte(accountID))
	rng := rand.New(rand.NewPCG(0x5eed, h.Sum64()))
	now = now.UTC()
	newest := time.Date(now.Year(), now.Month(), now.Day(), 1, 0, 0, 0, time.UTC)
	if newest.After(now) {
		newest = newest.AddDate(0, 0, -1)
	}
	acc := AstraAccount{ID: accountID}
	for i := 1; i <= apps; i++ {
		app := AstraApp{
			ID:                fmt.Sprintf("a0000000-0000-4000-8000-%012d", i),
			Name:              fmt.Sprintf("app-%03d", i),
			Namespace:         fmt.Sprintf("ns-%03d", i),
			CreationTimestamp: newest.AddDate(0, 0, -backupsPerApp-1).Format(time.RFC3339),
		}
		if team := generatedOwner(i); team != "" {
			app.Labels = []AstraLabel{{Name: "team", Value: team}}
		}
		base := int64(1+rng.IntN(200)) << 30
		for j := backupsPerApp - 1; j >= 0; j-- { // oldest first
			start := newest.AddDate(0, 0, -j).Add(time.Duration(rng.IntN(600)) * time.Second)
			dur := time.Duration(5+rng.IntN(55)) * time.Minute
			size := base + rng.Int64N(base/10+1) - base/20
			b := AstraBackup{
				ID:                fmt.Sprintf("b%07d-%04d-4000-8000-%012d", i, j, backupsPerApp-j),
				Name:              fmt.Sprintf("%s-daily-%s", app.Name, start.Format("20060102")),
				BucketID:          "0afbe357-a717-4c7a-8b3d-d0368959c8de",
				ScheduleID:        fmt.Sprintf("5c000000-0000-4000-8000-%012d", i),
				State:             "completed",
				StateUnready:      []string{},
				HookState:         "success",
				CreationTimestamp: start.Format(time.RFC3339),
			}
			p := rng.Float64()
			switch {
			case j == 0 && i%10 == 3:
				pct := float64(5 + rng.IntN(90))
				done := int64(float64(size) * pct / 100)
				b.State = "running"
				b.HookState = ""
				b.TotalBytes, b.BytesDone, b.PercentDone = &size, &done, &pct
				b.ModificationTimestamp = now.Format(time.RFC3339)
				if start.After(now) {
					b.CreationTimestamp = now.Format(time.RFC3339)
				}
			case p < 0.04:
				b.State = "failed"
				b.StateUnready = []string{"Backup failed: unable to copy volume data to the object store bucket"}
				if p < 0.02 {
					b.HookState = "failed"
					b.HookStateDetails = []AstraHookDetail{{
						Type:   "https://astra.netapp.io/stateDetails/3",
						Title:  "Hook failed",
						Detail: "Execution hook pre-backup-quiesce failed with exit code 1",
					}}
				}
				b.ModificationTimestamp = start.Add(dur).Format(time.RFC3339)
			default:
				if p < 0.06 {
					b.HookState = "failed"
					b.HookStateDetails = []AstraHookDetail{{
						Type:   "https://astra.netapp.io/stateDetails/3",
						Title:  "Hook failed",
						Detail: "Execution hook post-backup-unquiesce failed with exit code 2",
					}}
				}
				pct := 100.0
				total := size
				b.TotalBytes, b.BytesDone, b.PercentDone = &total, &total, &pct
				b.BackupCreationTimestamp = start.Add(dur).Format(time.RFC3339)
			}
			app.Backups = append(app.Backups, b)
		}
		acc.Apps = append(acc.Apps, app)
	}
	return &AstraScenario{Token: AstraDefaultToken, Accounts: []AstraAccount{acc}}
}

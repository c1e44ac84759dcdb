package simulator

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// GenerateHuawei returns a deterministic CBR scenario (demo token and
// AK/SK) with one project of resources resources, each with
// backupsPerResource daily backups, the newest taken at 02:00 UTC (plus
// up to 10 minutes) on or before now. Resource i (from 1) has ID
// "e0000000-0000-4000-8000-%012d"; it is a volume ("evs-%03d",
// OS::Cinder::Volume) when i is a multiple of 3, else a server
// ("ecs-%03d", OS::Nova::Server, whose backups have a system-disk child),
// except that resources 7, 17, 27, ... are always servers with two disks,
// whose newest backup is available but has its data-disk child in error.
// Most backups are available; about 4% are in error; the newest backup
// of resources 3, 13, 23, ... is protecting, with a progress. The servers'
// vault is tagged team (platform) and cost-center; the volumes' vault has
// no tags.
func GenerateHuawei(project string, resources, backupsPerResource int, now time.Time) *HuaweiScenario {
	h := fnv.New64a()
	h.Write([]byte(project))
	rng := rand.New(rand.NewPCG(0x48574342, h.Sum64()))
	now = now.UTC()
	newest := time.Date(now.Year(), now.Month(), now.Day(), 2, 0, 0, 0, time.UTC)
	if newest.After(now) {
		newest = newest.AddDate(0, 0, -1)
	}
	const (
		serverVault = "7a000000-0000-4000-8000-000000000001"
		volumeVault = "7a000000-0000-4000-8000-000000000002"
	)
	ts := func(t time.Time) *string { return ptr(t.Format(HuaweiTimeFormat)) }
	p := HuaweiProject{ID: project}
	for i := 1; i <= resources; i++ {
		childErr := i%10 == 7
		volume := i%3 == 0 && !childErr
		resID := fmt.Sprintf("e0000000-0000-4000-8000-%012d", i)
		name, typ, vault := fmt.Sprintf("ecs-%03d", i), huaweiResourceServer, serverVault
		size := 40 + 10*rng.IntN(5)
		if volume {
			name, typ, vault = fmt.Sprintf("evs-%03d", i), huaweiResourceVolume, volumeVault
			size = 10 * (1 + rng.IntN(50))
		}
		disks := 0
		if !volume {
			disks = 1
			if childErr {
				disks = 2
			}
		}
		for j := backupsPerResource - 1; j >= 0; j-- { // oldest first
			start := newest.AddDate(0, 0, -j).Add(time.Duration(rng.IntN(600)) * time.Second)
			dur := time.Duration(3+rng.IntN(40))*time.Minute + time.Duration(rng.IntN(1e6))*time.Microsecond
			if start.After(now) {
				start = now
			}
			b := HuaweiBackup{
				ID:           fmt.Sprintf("b%07d-%04d-4000-8000-%012d", i, j, backupsPerResource-j),
				Name:         fmt.Sprintf("autobk_%04x_%s", rng.IntN(0x10000), name),
				Status:       "available",
				ResourceID:   resID,
				ResourceName: name,
				ResourceType: typ,
				ResourceSize: ptr(size),
				ResourceAZ:   ptr("az1.dc1"),
				VaultID:      vault,
				CreatedAt:    start.Format(HuaweiTimeFormat),
				UpdatedAt:    ts(start.Add(dur)),
				ProtectedAt:  ts(start.Add(dur)),
				ExpiredAt:    ts(start.AddDate(0, 0, 30)),
				ImageType:    "backup",
			}
			childStatus := []string{"available", "available"}
			roll := rng.Float64()
			switch {
			case j == 0 && i%10 == 3:
				b.Status = "protecting"
				b.Progress = ptr(5 + rng.IntN(90))
				b.UpdatedAt, b.ProtectedAt = ts(now), nil
				childStatus = []string{"protecting", "protecting"}
			case j == 0 && childErr:
				childStatus[1] = "error"
			case roll < 0.04:
				b.Status = "error"
				b.ProtectedAt = nil
				childStatus = []string{"error", "error"}
			}
			for d := 0; d < disks; d++ {
				diskSize := size
				diskName := name + "-sys"
				if d == 1 {
					diskSize, diskName = 100, name+"-data"
				}
				b.Children = append(b.Children, HuaweiBackup{
					ID:           fmt.Sprintf("c%07d-%04d-4000-8000-%012d", i, j, 10*(backupsPerResource-j)+d),
					Name:         b.Name,
					Status:       childStatus[d],
					ResourceID:   fmt.Sprintf("e0000000-0000-4000-9000-%08d%04d", i, d),
					ResourceName: diskName,
					ResourceType: huaweiResourceVolume,
					ResourceSize: ptr(diskSize),
					VaultID:      vault,
					CreatedAt:    b.CreatedAt,
					UpdatedAt:    b.UpdatedAt,
					ProtectedAt:  b.ProtectedAt,
					ExpiredAt:    b.ExpiredAt,
					ImageType:    "backup",
					Progress:     b.Progress,
				})
			}
			p.Backups = append(p.Backups, b)
		}
	}
	p.Vaults = []HuaweiVault{
		{ID: serverVault, Name: "vault-servers", Tags: []HuaweiTag{{Key: "team", Value: ptr("platform")}, {Key: "cost-center", Value: ptr("cc-100")}}},
		{ID: volumeVault, Name: "vault-disks"},
	}
	return &HuaweiScenario{
		Tokens:      []string{HuaweiDemoToken},
		Credentials: []HuaweiCredential{{AccessKey: HuaweiDemoAccessKey, SecretKey: HuaweiDemoSecretKey}},
		Projects:    []HuaweiProject{p},
	}
}

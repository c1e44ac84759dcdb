package cloudnativepg

import (
	"math"
	"testing"
	"time"

	json "github.com/segmentio/encoding/json"
	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// FuzzCloudNativePGLists decodes a list body as Clusters, Backups,
// ScheduledBackups and ObjectStores, and builds the records from them as
// the provider does: never a panic, a record per Cluster, each ID once,
// no interval below zero, no time that is not finite.
func FuzzCloudNativePGLists(f *testing.F) {
	providertest.SeedFiles(f, "testdata/*.json")
	p := testProvider(zap.NewNop())
	p.now = func() time.Time { return time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC) }
	f.Fuzz(func(t *testing.T, body []byte) {
		var l lists
		var cs struct {
			Items []cluster `json:"items"`
		}
		var bs struct {
			Items []backup `json:"items"`
		}
		var ss struct {
			Items []scheduledBackup `json:"items"`
		}
		var stores struct {
			Items []objectStore `json:"items"`
		}
		_ = json.Unmarshal(body, &cs)
		_ = json.Unmarshal(body, &bs)
		_ = json.Unmarshal(body, &ss)
		_ = json.Unmarshal(body, &stores)
		l.clusters, l.backups, l.scheduled, l.stores, l.pluginRead = cs.Items, bs.Items, ss.Items, stores.Items, true
		rs := p.resources(&l)
		if len(rs) != len(cs.Items) {
			t.Fatalf("%d records for %d Clusters", len(rs), len(cs.Items))
		}
		for _, r := range rs {
			if r.ExpectedInterval < 0 {
				t.Fatalf("negative interval %v", r.ExpectedInterval)
			}
			for _, v := range []time.Time{r.LastSuccess, r.LastFailure, r.OldestSuccess} {
				if s := toolkit.UnixSeconds(v); !v.IsZero() && (math.IsNaN(s) || math.IsInf(s, 0)) {
					t.Fatalf("time %v", v)
				}
			}
		}
	})
}

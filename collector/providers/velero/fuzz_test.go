package velero

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// FuzzVeleroLists decodes a list body as Namespaces, Backups, Schedules
// and BackupStorageLocations (globs, selectors, phases and times as the
// upstream wrote them) and builds the records from them as the provider
// does, in every coverage mode: never a panic, one record per distinct
// resource namespace, no negative interval, and a latest backup exactly
// where backups are counted.
func FuzzVeleroLists(f *testing.F) {
	// Small seeds: each body is decoded as every kind, so one item can be a
	// namespace, a Backup, a Schedule and a storage location at once (the
	// golden's lists, at 15 KB, slow the fuzzer to a crawl).
	providertest.SeedFiles(f, "testdata/official_namespaces.json")
	providertest.SeedFiles(f, "testdata/backupstoragelocations.json")
	f.Add([]byte(`{"items":[{"metadata":{"name":"a","creationTimestamp":"2026-01-01T00:00:00Z"},"spec":{"schedule":"@every 1s","includedNamespaces":["{a,[!b]*}"],"template":{"includedNamespaces":["*"],"excludedNamespaces":["a*","["]}},"status":{"phase":"Completed","startTimestamp":"2026-02-01T00:00:00Z","progress":{"totalItems":1,"itemsBackedUp":9}}}]}`))
	f.Add([]byte(`{"items":[{"metadata":{"name":"shop","labels":{"velero.io/exclude-from-backup":"false"}},"spec":{"schedule":"CRON_TZ=Asia/Tokyo 0 2 * * 1-5","paused":true,"includedNamespaces":["shop","bill*"],"labelSelector":{"matchLabels":{"app":"db"}},"storageLocation":"x","template":{"includedNamespaces":["shop"],"orLabelSelectors":[{"matchLabels":{"a":"b"}}]}},"status":{"phase":"Enabled","expiration":"2026-12-01T00:00:00Z","hookStatus":{"hooksAttempted":2,"hooksFailed":1}}},{"metadata":{"name":"x","deletionTimestamp":"2026-11-01T00:00:00Z"},"spec":{"default":true,"schedule":"61 * * * *"},"status":{"phase":"Unavailable","validationErrors":["v"]}}]}`))
	f.Fuzz(fuzzOne)
}

func fuzzOne(t *testing.T, body []byte) {
	{
		var nss struct{ Items []namespace }
		var bs struct{ Items []backup }
		var ss struct{ Items []backupSchedule }
		var ls struct{ Items []storageLocation }
		_ = json.Unmarshal(body, &nss)
		_ = json.Unmarshal(body, &bs)
		_ = json.Unmarshal(body, &ss)
		_ = json.Unmarshal(body, &ls)
		for _, mode := range []string{CoverageNamed, CoverageAll, CoverageNone} {
			p := &provider{
				env: toolkit.NewEnv(nil, nil, zap.NewNop(), nil, nil), namespace: DefaultNamespace,
				exclude: compileSet([]string{"kube-*"}), coverage: mode, storageLocations: true, warned: map[string]bool{},
			}
			out, latest, err := p.records(context.Background(), nss.Items, bs.Items, ss.Items, ls.Items, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != len(latest) {
				t.Fatalf("%d records, %d latest", len(out), len(latest))
			}
			for i, r := range out {
				if r.ExpectedInterval < 0 {
					t.Fatalf("negative interval %v", r.ExpectedInterval)
				}
				listed := 0
				for _, n := range r.Counts {
					listed += n
				}
				if (r.Latest != nil) != (listed > 0) || (latest[i] != nil) != (r.Latest != nil) {
					t.Fatalf("%s: latest %v, latest object %v, %d backups counted", r.ID, r.Latest, latest[i], listed)
				}
			}
		}
	}
}

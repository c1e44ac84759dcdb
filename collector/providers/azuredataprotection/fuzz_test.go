package azuredataprotection

import (
	"math"
	"strings"
	"testing"
	"time"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// FuzzAzureDataProtectionItems decodes one body as a page of instances,
// of jobs, of recovery points, and as a policy, and builds the records
// as the provider does (each instance with the jobs of its ID, the
// policy, the points; then every record merged into one): never a panic,
// never a time before 1970 or a value outside its domain.
func FuzzAzureDataProtectionItems(f *testing.F) {
	providertest.SeedFiles(f, "testdata/*.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		var page struct {
			Instances []backupInstance `json:"value"`
		}
		var jobs struct {
			Value []job `json:"value"`
		}
		var points struct {
			Value []recoveryPoint `json:"value"`
		}
		var pol backupPolicy
		_ = json.Unmarshal(body, &page)
		_ = json.Unmarshal(body, &jobs)
		_ = json.Unmarshal(body, &points)
		_ = json.Unmarshal(body, &pol)
		byInstance := map[string][]*job{}
		for i := range jobs.Value {
			j := &jobs.Value[i]
			if j.inWindow(time.Time{}) {
				k := strings.ToLower(j.Properties.BackupInstanceID)
				byInstance[k] = append(byInstance[k], j)
			}
		}
		sched := pol.schedule()
		var records []toolkit.Resource
		for i := range page.Instances {
			it := &page.Instances[i]
			_ = it.Check()
			_, _ = childPath(it.ID, "backupInstances")
			for _, policy := range []*policySchedule{nil, &sched} {
				d := instanceData{inst: it, jobs: byInstance[strings.ToLower(it.ID)], policy: policy,
					points: points.Value, pointsRead: true, allPoints: policy == nil}
				if len(jobs.Value) > 0 {
					d.detail = &jobs.Value[0]
				}
				r := d.record()
				check(t, &r)
				records = append(records, r)
			}
		}
		if len(records) > 0 {
			r := merge(records)
			check(t, &r)
		}
	})
}

func check(t *testing.T, r *toolkit.Resource) {
	t.Helper()
	if r.ExpectedInterval < 0 {
		t.Fatalf("interval %v", r.ExpectedInterval)
	}
	for _, ts := range []time.Time{r.LastSuccess, r.LastFailure, r.OldestSuccess} {
		if !ts.IsZero() && ts.Unix() < -62135596800 {
			t.Fatalf("time %v", ts)
		}
	}
	if r.Latest != nil && r.Latest.Transferred != nil && math.IsNaN(*r.Latest.Transferred) {
		t.Fatalf("transferred NaN")
	}
	for s, n := range r.Counts {
		if n < 0 || s == "" {
			t.Fatalf("count %q %d", s, n)
		}
	}
}

package longhorn

import (
	"math"
	"testing"
	"time"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// FuzzLonghornLists decodes a list body as each of the five resources and
// builds the Volumes' records from them, as the provider does: never a
// panic, and every number in its domain.
func FuzzLonghornLists(f *testing.F) {
	providertest.SeedFiles(f, "testdata/*.json")
	f.Fuzz(func(t *testing.T, body []byte) {
		var l lists
		decode := func(items any) {
			_ = json.Unmarshal(body, &struct {
				Items any `json:"items"`
			}{items})
		}
		decode(&l.volumes)
		decode(&l.backups)
		decode(&l.backupVolumes)
		decode(&l.jobs)
		decode(&l.targets)
		if len(l.volumes) == 0 {
			l.volumes = []volume{{}}
		}
		ix := newIndex(&l, time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC), func(string, string, error) {})
		for i := range l.volumes {
			r := ix.resource(&l.volumes[i])
			if r.ExpectedInterval < 0 {
				t.Fatalf("negative interval %v", r.ExpectedInterval)
			}
			if b := r.Latest; b != nil {
				if p := b.Progress; p != nil && (*p < 0 || *p > 1 || math.IsNaN(*p)) {
					t.Fatalf("progress %v", *p)
				}
				for _, n := range []*float64{b.Size, b.Transferred} {
					if n != nil && (*n < 0 || math.IsInf(*n, 0)) {
						t.Fatalf("bytes %v", *n)
					}
				}
			}
			if !r.Protected && (r.Latest != nil || r.Error != nil) {
				t.Fatalf("unprotected with a backup or error: %+v", r)
			}
		}
	})
}

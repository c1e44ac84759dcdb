package collector

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// FuzzRenderedExposition: whatever strings upstream sends as names,
// statuses and messages, the exposition parses.
func FuzzRenderedExposition(f *testing.F) {
	f.Add("vol-001", "daily-1", "Idle", "E1", "failed: timeout")
	f.Add("a\"b\\c\nd", "\xff\xfe", "", "", "ünïcode")
	f.Fuzz(func(t *testing.T, name, backup, status, code, message string) {
		rs := []toolkit.Resource{{ID: "id-" + name, Name: name, Protected: true, Healthy: true, RawStatus: status,
			Latest: &toolkit.Backup{Name: backup, RawStatus: status, State: toolkit.StateUnknown, Error: &toolkit.ErrorInfo{Code: code, Message: message}},
			Extra:  famTestCounter.Value(toolkit.Float(1))}}
		e := testExporter(t, testKind(func() []toolkit.Resource { return rs }), "cache_ttl: 0", "t")
		var out bytes.Buffer
		if err := e.WriteExposition(context.Background(), e.Targets(), nil, &out, false, nil); err != nil {
			t.Fatal(err)
		}
		parseExposition(t, bytes.NewReader(out.Bytes()))
	})
}

// FuzzHostileExposition: whatever IDs, names and numbers upstream sends
// (NaN, infinities, huge, negative; IDs past the cut, invalid UTF-8,
// equal after sanitising), the exposition parses, has no duplicate
// series and no value outside its domain.
func FuzzHostileExposition(f *testing.F) {
	long := strings.Repeat("x", 1100)
	f.Add(long+"a", long+"b", "name\n\x1b[2K", 2.5, -5.0, math.Inf(1), math.NaN())
	f.Add("\xff", "\xfe", "", math.NaN(), math.Inf(-1), math.Copysign(0, -1), 1e308)
	f.Add("same", "same", "ünïcode", 0.5, 0.0, 1.0, 42.0)
	f.Fuzz(func(t *testing.T, id1, id2, name string, progress, size, transferred, extra float64) {
		rs := func() []toolkit.Resource {
			mk := func(id string) toolkit.Resource {
				return toolkit.Resource{ID: id, Name: name, Protected: true, Healthy: true,
					Latest: &toolkit.Backup{Name: name, RawStatus: name, State: toolkit.StateRunning, Progress: toolkit.Float(progress), Size: toolkit.Float(size), Transferred: toolkit.Float(transferred)},
					Extra:  famTestCounter.Value(toolkit.Float(extra))}
			}
			return []toolkit.Resource{mk(id1), mk(id2)}
		}
		_, mfs := exposition(t, rs)
		for _, m := range mfs["backup_progress_ratio"].GetMetric() {
			if v := m.GetGauge().GetValue(); !(v >= 0 && v <= 1) {
				t.Errorf("progress %v exposed", v)
			}
		}
		for _, fam := range []string{"backup_size_bytes", "backup_transferred_bytes"} {
			for _, m := range mfs[fam].GetMetric() {
				if v := m.GetGauge().GetValue(); !(v >= 0) || math.IsInf(v, 0) {
					t.Errorf("%s %v exposed", fam, v)
				}
			}
		}
		for _, m := range mfs[famTestCounter.Name].GetMetric() {
			if v := m.GetCounter().GetValue(); math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s %v exposed", famTestCounter.Name, v)
			}
		}
		// Two distinct IDs are two resources.
		if want := map[bool]int{true: 1, false: 2}[id1 == id2]; len(resourceIDs(mfs)) != want {
			t.Errorf("%d resources for IDs %q and %q, want %d", len(resourceIDs(mfs)), id1, id2, want)
		}
	})
}

package collector

import (
	"bytes"
	"context"
	"testing"
)

// FuzzRenderedExposition: whatever strings upstream sends as names,
// statuses and messages, the exposition parses.
func FuzzRenderedExposition(f *testing.F) {
	f.Add("vol-001", "daily-1", "Idle", "E1", "failed: timeout")
	f.Add("a\"b\\c\nd", "\xff\xfe", "", "", "ünïcode")
	f.Fuzz(func(t *testing.T, name, backup, status, code, message string) {
		rs := []Resource{{ID: "id-" + name, Name: name, Protected: true, Healthy: true, RawStatus: status,
			Latest: &Backup{Name: backup, RawStatus: status, State: StateUnknown, Error: &ErrorInfo{Code: code, Message: message}},
			Extra:  famTestCounter.Value(Float(1))}}
		e := testExporter(t, testKind(func() []Resource { return rs }), "cache_ttl: 0", "t")
		var out bytes.Buffer
		if err := e.WriteExposition(context.Background(), e.Targets(), nil, &out, false, nil); err != nil {
			t.Fatal(err)
		}
		parseExposition(t, bytes.NewReader(out.Bytes()))
	})
}

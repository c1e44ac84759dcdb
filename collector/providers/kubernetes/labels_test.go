package kubernetes

import (
	"maps"
	"testing"

	json "github.com/segmentio/encoding/json"
)

// TestLabels: metadata.labels a record needs decode as a map (nil when
// empty or null) and fail their object when malformed; owners' labels
// are none when malformed.
func TestLabels(t *testing.T) {
	for _, tc := range []struct {
		raw     string
		want    map[string]string
		strict  bool // Labels fails
		lenient map[string]string
	}{
		{raw: `{"team":"shop","app.kubernetes.io/name":"db"}`, want: map[string]string{"team": "shop", "app.kubernetes.io/name": "db"}},
		{raw: `{}`},
		{raw: `null`},
		{raw: `["team=shop"]`, strict: true},
		{raw: `"team=shop"`, strict: true},
		{raw: `{"team":1}`, strict: true},
	} {
		var obj struct {
			Labels Labels `json:"labels"`
		}
		err := json.Unmarshal([]byte(`{"labels":`+tc.raw+`}`), &obj)
		if (err != nil) != tc.strict {
			t.Errorf("%s: error %v, want one: %v", tc.raw, err, tc.strict)
		}
		if !tc.strict && (!maps.Equal(obj.Labels, tc.want) || (len(tc.want) == 0 && obj.Labels != nil)) {
			t.Errorf("%s: Labels %#v, want %#v", tc.raw, obj.Labels, tc.want)
		}
		if got := OwnerLabels(json.RawMessage(tc.raw)); !maps.Equal(got, tc.want) || (len(tc.want) == 0 && got != nil) {
			t.Errorf("%s: OwnerLabels %#v, want %#v", tc.raw, got, tc.want)
		}
	}
	if OwnerLabels(nil) != nil {
		t.Error("absent labels are not nil")
	}
}

// TestLabelsOwnSize: labels are decoded into a map of their own size, not
// one the decoder makes with room for 64 entries (about 5 kB each, kept
// in every record that shows its owners).
func TestLabelsOwnSize(t *testing.T) {
	raw := []byte(`{"labels":{"team":"shop","app.kubernetes.io/name":"db"}}`)
	for name, decode := range map[string]func(){
		"Labels": func() {
			var obj struct {
				Labels Labels `json:"labels"`
			}
			_ = json.Unmarshal(raw, &obj)
		},
		"OwnerLabels": func() { OwnerLabels(raw[10 : len(raw)-1]) },
	} {
		res := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				decode()
			}
		})
		if bytes := res.AllocedBytesPerOp(); bytes > 1024 {
			t.Errorf("%s: %d bytes allocated for two labels", name, bytes)
		}
	}
}

package azure

import (
	"fmt"
	"testing"

	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// TestTags: an ARM resource's tags are Azure's (names without case); a
// `tags` that is absent, null, empty or not a map of strings gives none,
// never an error (tags are no field a record needs).
func TestTags(t *testing.T) {
	for raw, want := range map[string]string{
		`{"team":"payments","Cost-Center":"cc-1"}`: "map[Cost-Center:cc-1 team:payments]",
		``:                 "map[]",
		`null`:             "map[]",
		`{}`:               "map[]",
		`"team=payments"`:  "map[]",
		`{"team":{"a":1}}`: "map[]",
		`[1,2]`:            "map[]",
	} {
		tags := Tags(json.RawMessage(raw))
		if tags.Kind != toolkit.CloudTags || !tags.CaseInsensitive || fmt.Sprint(tags.Values) != want {
			t.Errorf("Tags(%s) = %+v, want %s", raw, tags, want)
		}
	}
}

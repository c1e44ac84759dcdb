package azure

import (
	json "github.com/segmentio/encoding/json"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// Tags are the tags of an ARM resource as its `tags` (a tracked
// resource's string map) came in a list: Azure tag names compare without
// case. A `tags` that is absent, null or not a map of strings gives none:
// tags are no field a record needs.
func Tags(raw json.RawMessage) toolkit.Tags {
	tags := toolkit.Tags{Kind: toolkit.CloudTags, CaseInsensitive: true}
	if len(raw) > 0 {
		// A map made here: decoding into a nil map, segmentio's decoder
		// makes one for 64 entries, 4 kB kept per resource.
		values := map[string]string{}
		if json.Unmarshal(raw, &values) == nil && len(values) > 0 {
			tags.Values = values
		}
	}
	return tags
}

// LookedUpTags are the tags of the ARM resource id, to be looked up in
// Resource Graph (ResourceGraphTags): a backup item's or instance's own
// tags are not its resource's. "" looks up nothing.
func LookedUpTags(id string) toolkit.Tags {
	return toolkit.Tags{Kind: toolkit.CloudTags, CaseInsensitive: true, Lookup: id}
}

package toolkit

import (
	"context"

	"github.com/backup-exporter/backup_exporter/config"
)

// TagBatch is the most resources one tag look-up names: Resource Graph
// takes groups of 100 IDs (its throttling guidance), the Resource Groups
// Tagging API a ResourceARNList of at most 100.
const TagBatch = 100

// MaxTagsPerResource bounds the tags kept of one resource: Azure and AWS
// allow 50, so more is an upstream gone wrong; the keys past the bound (in
// sorted order) are left out.
const MaxTagsPerResource = 128

// TagLookup looks up the tags of resources whose listings carry none
// (their records name them in Resource.Tags.Lookup). The orchestrator
// calls it after a poll, for the targets that set resource_labels, with
// the IDs whose tags are older than resource_labels_refresh, at most
// TagBatch at a time, under the poll's deadline; a failed look-up keeps
// the last tags (for max_staleness) and never takes the target down.
type TagLookup struct {
	// API names the look-up in logs ("Azure Resource Graph").
	API string
	// Fold is the form under which two IDs are the same resource, as the
	// cloud compares them (strings.ToLower for Azure IDs); nil: as given.
	Fold func(id string) string
	// Lookup returns the tags of ids (at most TagBatch, each named once),
	// keyed by the ID as given. An ID it does not return has no tags (the
	// resource is untagged, gone, or its ID cannot be looked up).
	Lookup func(ctx context.Context, ids []string) (map[string]map[string]string, error)
}

// Key is id as the look-up compares it.
func (l *TagLookup) Key(id string) string {
	if l.Fold == nil {
		return id
	}
	return l.Fold(id)
}

// NewTagLookup builds the TagLookup of one target (a provider type's
// Type.Tags).
type NewTagLookup func(t *config.Target, env *Env) (*TagLookup, error)

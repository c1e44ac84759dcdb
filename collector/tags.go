package collector

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// DefaultResourceLabelsRefresh is how often looked-up tags are refreshed
// when a target sets no resource_labels_refresh.
const DefaultResourceLabelsRefresh = time.Hour

// tagCache is what a target keeps of the tags it looked up (where its
// listings carry none): one entry per resource, by the look-up's form of
// its ID, for as long as the target lists the resource. It lives with the
// target's state, so a reload that changes the target drops it.
type tagCache struct {
	lookup *toolkit.TagLookup
	// refresh is resource_labels_refresh; staleness max_staleness: tags
	// whose refresh failed are kept until staleness after they were due.
	refresh, staleness time.Duration

	mu      sync.Mutex
	entries map[string]tagEntry
}

// lookupReserve is the least time left to a poll after its tag look-ups.
const lookupReserve = 500 * time.Millisecond

// tagEntry is one resource's tags, and when they were looked up.
type tagEntry struct {
	tags map[string]string
	at   time.Time
}

// tagOutcome is what one poll's look-ups came to.
type tagOutcome struct {
	// failed counts the resources whose tags were due and could not be
	// looked up; err is the first error.
	failed int
	err    error
}

func newTagCache(l *toolkit.TagLookup, refresh, staleness time.Duration) *tagCache {
	if refresh <= 0 {
		refresh = DefaultResourceLabelsRefresh
	}
	return &tagCache{lookup: l, refresh: refresh, staleness: staleness, entries: map[string]tagEntry{}}
}

// fill looks up, in batches of toolkit.TagBatch, the tags of the
// resources of rs that owns keeps and whose tags are missing or older
// than refresh, then sets each resource's Tags.Values from the cache:
// fresh tags, or tags whose refresh failed while they are within
// max_staleness of being due. Entries of resources no longer listed are
// dropped. The records are the poll's own, not yet served.
func (c *tagCache) fill(ctx context.Context, now func() time.Time, rs []toolkit.Resource, owns func(id string) bool) tagOutcome {
	start := now()
	listed := map[string]bool{}
	var due []string
	c.mu.Lock()
	for i := range rs {
		r := &rs[i]
		if r.Err != nil || r.Tags.Lookup == "" || len(r.Tags.Values) > 0 || !owns(r.ID) {
			continue
		}
		k := c.lookup.Key(r.Tags.Lookup)
		if listed[k] {
			continue
		}
		listed[k] = true
		if e, ok := c.entries[k]; !ok || start.Sub(e.at) >= c.refresh {
			due = append(due, r.Tags.Lookup)
		}
	}
	for k := range c.entries {
		if !listed[k] {
			delete(c.entries, k)
		}
	}
	c.mu.Unlock()

	slices.Sort(due)
	if deadline, ok := ctx.Deadline(); ok && len(due) > 0 {
		// The look-ups end a little before the poll's deadline, so that
		// a look-up that hangs leaves the poll time to be served (a
		// scrape with cache_ttl 0 waits for the poll up to the same
		// deadline): the target stays up whatever the look-ups do.
		reserve := max(time.Until(deadline)/10, lookupReserve)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-reserve))
		defer cancel()
	}
	var out tagOutcome
	failed := map[string]bool{}
	for batch := range slices.Chunk(due, toolkit.TagBatch) {
		var (
			found map[string]map[string]string
			err   = ctx.Err()
		)
		if err == nil {
			found, err = safeLookup(ctx, c.lookup, batch)
		}
		if err != nil {
			if out.err == nil {
				out.err = fmt.Errorf("look up the tags of %d resources in %s: %w", len(due), c.lookup.API, err)
			}
			for _, id := range batch {
				failed[c.lookup.Key(id)] = true
			}
			continue
		}
		at := now()
		c.mu.Lock()
		for _, id := range batch {
			c.entries[c.lookup.Key(id)] = tagEntry{tags: boundTags(found[id]), at: at}
		}
		c.mu.Unlock()
	}

	end := now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range rs {
		r := &rs[i]
		if r.Err != nil || r.Tags.Lookup == "" || len(r.Tags.Values) > 0 || !owns(r.ID) {
			continue
		}
		k := c.lookup.Key(r.Tags.Lookup)
		if failed[k] {
			out.failed++
		}
		if e, ok := c.entries[k]; ok && end.Sub(e.at) <= c.refresh+c.staleness {
			r.Tags.Values = e.tags
		}
	}
	return out
}

// safeLookup is one look-up, a panic in it turned into its error (and
// told to the poll).
func safeLookup(ctx context.Context, l *toolkit.TagLookup, ids []string) (found map[string]map[string]string, err error) {
	defer toolkit.Recover(ctx, &err)
	return l.Lookup(ctx, ids)
}

// boundTags keeps at most toolkit.MaxTagsPerResource tags (the first keys
// in sorted order); an untagged resource gets an empty, non-nil map, so
// that its look-up is known to have been made.
func boundTags(tags map[string]string) map[string]string {
	if len(tags) <= toolkit.MaxTagsPerResource {
		if tags == nil {
			return map[string]string{}
		}
		return tags
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make(map[string]string, toolkit.MaxTagsPerResource)
	for _, k := range keys[:toolkit.MaxTagsPerResource] {
		out[k] = tags[k]
	}
	return out
}

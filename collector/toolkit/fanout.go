package toolkit

import (
	"context"
)

// Why a listed item is not a resource of this poll (the reason label of
// backup_exporter_target_resources_dropped, and --once.dropped): every
// item a provider leaves out is left out for one of these, never
// silently.
const (
	// DropNotOwned: another shard's resource (--shard, --total-shards).
	DropNotOwned = "not_owned"
	// DropDuplicate: listed again (the same ID, or a second record of it).
	DropDuplicate = "duplicate"
	// DropChild: a part of another resource's backup (AWS Backup's child
	// jobs of a composite backup), not a resource of its own.
	DropChild = "child"
	// DropFiltered: left out by the target's own filters (resource_type,
	// backup_vault, workload_types).
	DropFiltered = "filtered"
)

// DropReasons are the reasons, in the order they are exposed.
var DropReasons = []string{DropNotOwned, DropDuplicate, DropChild, DropFiltered}

// Dropped is a listed item left out of a poll, and why.
type Dropped struct {
	ID, Name, Reason string
}

// Drop records that the listed item id (named name) is left out of this
// poll for reason: the orchestrator logs it at debug, counts it by reason
// and lists it in --once --once.dropped.
func Drop(ctx context.Context, id, name, reason string) {
	if s := scopeOf(ctx); s.Dropped != nil {
		s.Dropped(Dropped{ID: id, Name: name, Reason: reason})
	}
}

// FanOut turns the items of a listing into resources: it keeps those
// this replica's shard owns (the others are dropped as not_owned) and the
// first of each ID (a repeat is dropped as a duplicate), then reads each
// kept item with read, at most the credential's max_concurrency at once.
// An item whose read fails (or panics) is Resource{ID, Name, Err}: the
// orchestrator keeps its last good series. Every goroutine has ended when
// FanOut returns.
func FanOut[T any](ctx context.Context, env *Env, items []T, identity func(T) (id, name string), read func(context.Context, T) (Resource, error)) []Resource {
	s := NewStream(ctx, env, identity, read)
	for _, it := range items {
		s.Add(it)
	}
	return Resources(ctx, s.Wait(), identity, func(_ T, r Resource) (Resource, error) { return r, nil })
}

// Keep is FanOut for records a provider built from its lists alone (no
// call per resource): the shard's own, each ID once.
func Keep(ctx context.Context, env *Env, rs []Resource) []Resource {
	out := make([]Resource, 0, len(rs))
	seen := make(map[string]bool, len(rs))
	for _, r := range rs {
		switch {
		case !env.Owns(r.ID):
			Drop(ctx, r.ID, r.Name, DropNotOwned)
		case seen[r.ID]:
			Drop(ctx, r.ID, r.Name, DropDuplicate)
		default:
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	return out
}

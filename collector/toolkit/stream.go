package toolkit

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Stream is FanOut for items that arrive while their listing still runs:
// a provider hands each item to Add as its page arrives, so that the
// per-resource reads of a cold poll start with the first page of the
// first list instead of after the last page of every list (with 1,000
// ANF volumes at 50 ms, the lists are a fifth of the poll). The rules are
// FanOut's: the shard's own items, each ID once (the first added), at
// most the credential's max_concurrency reads at once, and a read that
// fails (or panics) fails its item alone.
//
// A read returns a value R rather than a Resource, so that a provider
// can build the records once what they also need has been listed (ANF's
// vault backups): Wait returns the reads, Resources builds the records.
type Stream[T, R any] struct {
	ctx      context.Context
	env      *Env
	identity func(T) (id, name string)
	read     func(context.Context, T) (R, error)
	g        errgroup.Group

	mu    sync.Mutex
	seen  map[string]bool
	reads []*Read[T, R]
}

// Read is an item a Stream kept and what reading it gave: Value, or Err
// (a panic of the read is a *PanicError).
type Read[T, R any] struct {
	Item  T
	Value R
	Err   error
}

// NewStream returns a Stream that reads each kept item with read under
// ctx; identity gives an item's ID (for the shard, the duplicates and
// the drops) and name.
func NewStream[T, R any](ctx context.Context, env *Env, identity func(T) (id, name string), read func(context.Context, T) (R, error)) *Stream[T, R] {
	s := &Stream[T, R]{ctx: ctx, env: env, identity: identity, read: read, seen: map[string]bool{}}
	s.g.SetLimit(max(env.Pool.MaxConcurrency(), 1))
	return s
}

// Add hands the stream one listed item. An item another shard owns, or
// whose ID was added before, is dropped (not_owned, duplicate) at once;
// the others are read in a goroutine of the stream. Add blocks while
// max_concurrency reads run (the listing then waits for a free slot, as
// it would for a request slot). It may be called from several goroutines
// at once (the lists of several pools); among them, the first to add an
// ID keeps it.
func (s *Stream[T, R]) Add(item T) {
	id, name := s.identity(item)
	if !s.env.Owns(id) {
		Drop(s.ctx, id, name, DropNotOwned)
		return
	}
	s.mu.Lock()
	if s.seen[id] {
		s.mu.Unlock()
		Drop(s.ctx, id, name, DropDuplicate)
		return
	}
	s.seen[id] = true
	r := &Read[T, R]{Item: item}
	s.reads = append(s.reads, r)
	s.mu.Unlock()
	s.g.Go(func() error {
		defer Recover(s.ctx, &r.Err)
		r.Value, r.Err = s.read(s.ctx, item)
		return nil
	})
}

// Wait waits for every read of the items added so far and returns them
// in the order they were added. Every goroutine of the stream has ended
// when it returns; call it on every path, the listing's errors included.
func (s *Stream[T, R]) Wait() []Read[T, R] {
	_ = s.g.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Read[T, R], len(s.reads))
	for i, r := range s.reads {
		out[i] = *r
	}
	return out
}

// Resources builds one record per read with build, in the order of
// reads: as MapResources, a read that failed, or a build that fails or
// panics, is Resource{ID, Name, Err} (identity gives its ID and name),
// and the orchestrator keeps that resource's last good series.
func Resources[T, R any](ctx context.Context, reads []Read[T, R], identity func(T) (id, name string), build func(T, R) (Resource, error)) []Resource {
	out := make([]Resource, len(reads))
	for i, r := range reads {
		err := r.Err
		if err == nil {
			func() {
				defer Recover(ctx, &err)
				out[i], err = build(r.Item, r.Value)
			}()
		}
		if err != nil {
			id, name := identity(r.Item)
			out[i] = Resource{ID: id, Name: name, Err: err}
		}
	}
	return out
}

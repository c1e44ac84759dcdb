package toolkit

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// MapConcurrent calls fn for every item, at most limit at a time (a
// provider passes its credential's max_concurrency, so that its calls use
// every request slot and no more goroutines wait than slots exist), and
// returns the results in the order of items. The first error (a panic of
// fn included) cancels the others and is returned; every goroutine has
// ended when MapConcurrent returns.
func MapConcurrent[T, R any](ctx context.Context, limit int, items []T, fn func(context.Context, T) (R, error)) ([]R, error) {
	out := make([]R, len(items))
	g := NewGroup(ctx, max(limit, 1))
	for i, item := range items {
		g.Go(func(ctx context.Context) error {
			r, err := fn(ctx, item)
			out[i] = r
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// ConcatConcurrent is MapConcurrent of a fn that returns a list: the
// lists joined in the order of items (nil when all are empty).
func ConcatConcurrent[T, R any](ctx context.Context, limit int, items []T, fn func(context.Context, T) ([]R, error)) ([]R, error) {
	lists, err := MapConcurrent(ctx, limit, items, fn)
	if err != nil {
		return nil, err
	}
	var out []R
	for _, l := range lists {
		out = append(out, l...)
	}
	return out, nil
}

// MapResources reads every item of a discovery target with fn, at most
// limit at a time, and returns one record per item in the order of items.
// One item that cannot be read (or whose read panics) does not fail the
// others: its record is Resource{ID, Name, Err} (identity gives its ID
// and name), and the orchestrator keeps its last good series. Every
// goroutine has ended when MapResources returns.
func MapResources[T any](ctx context.Context, limit int, items []T, identity func(T) (id, name string), fn func(context.Context, T) (Resource, error)) []Resource {
	out := make([]Resource, len(items))
	var g errgroup.Group
	g.SetLimit(max(limit, 1))
	for i, item := range items {
		g.Go(func() (err error) {
			defer func() {
				if err != nil {
					id, name := identity(item)
					out[i] = Resource{ID: id, Name: name, Err: err}
				}
			}()
			defer Recover(ctx, &err)
			out[i], err = fn(ctx, item)
			return err
		})
	}
	_ = g.Wait()
	return out
}

// Group runs a poll's concurrent calls: errgroup's, with each goroutine's
// panic recovered into its error (and told to the poll), so that a bug in
// one call cannot take the process down.
type Group struct {
	g   *errgroup.Group
	ctx context.Context
}

// NewGroup returns a Group whose goroutines get a context cancelled at
// the first error; limit above 0 bounds how many run at once.
func NewGroup(ctx context.Context, limit int) *Group {
	g, gctx := errgroup.WithContext(ctx)
	if limit > 0 {
		g.SetLimit(limit)
	}
	return &Group{g: g, ctx: gctx}
}

// Go runs fn in a goroutine of the group.
func (g *Group) Go(fn func(ctx context.Context) error) {
	g.g.Go(func() (err error) {
		defer Recover(g.ctx, &err)
		return fn(g.ctx)
	})
}

// Wait waits for every goroutine and returns the first error.
func (g *Group) Wait() error { return g.g.Wait() }

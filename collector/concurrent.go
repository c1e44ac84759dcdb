package collector

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// MapConcurrent calls fn for every item, at most limit at a time (a
// provider passes its credential's max_concurrency, so that its calls use
// every request slot and no more goroutines wait than slots exist), and
// returns the results in the order of items. The first error cancels the
// others and is returned; every goroutine has ended when MapConcurrent
// returns.
func MapConcurrent[T, R any](ctx context.Context, limit int, items []T, fn func(context.Context, T) (R, error)) ([]R, error) {
	out := make([]R, len(items))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(limit, 1))
	for i, item := range items {
		g.Go(func() error {
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

// MapResources reads every item of a discovery target with fn, at most
// limit at a time, and returns one record per item in the order of items.
// One item that cannot be read does not fail the others: its record is
// Resource{ID, Name, Err} (identity gives its ID and name), and the
// orchestrator keeps its last good series. Every goroutine has ended
// when MapResources returns.
func MapResources[T any](ctx context.Context, limit int, items []T, identity func(T) (id, name string), fn func(context.Context, T) (Resource, error)) []Resource {
	out := make([]Resource, len(items))
	var g errgroup.Group
	g.SetLimit(max(limit, 1))
	for i, item := range items {
		g.Go(func() error {
			r, err := fn(ctx, item)
			if err != nil {
				id, name := identity(item)
				r = Resource{ID: id, Name: name, Err: err}
			}
			out[i] = r
			return nil
		})
	}
	_ = g.Wait()
	return out
}

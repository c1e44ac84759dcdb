package collector

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// discoveryConcurrency bounds the per-resource calls of one poll (per-app
// lists, per-volume status reads); the credential's client bounds requests
// in flight across all targets.
const discoveryConcurrency = 8

// MapConcurrent calls fn for every item, at most discoveryConcurrency at a
// time, and returns the results in the order of items. The first error
// cancels the others and is returned; every goroutine has ended when
// MapConcurrent returns.
func MapConcurrent[T, R any](ctx context.Context, items []T, fn func(context.Context, T) (R, error)) ([]R, error) {
	out := make([]R, len(items))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(discoveryConcurrency)
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

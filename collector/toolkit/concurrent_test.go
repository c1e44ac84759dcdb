package toolkit

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestConcatConcurrent: the lists are joined in the order of the items,
// whichever ends first; none is nil; an error is returned alone.
func TestConcatConcurrent(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx := context.Background()
	got, err := ConcatConcurrent(ctx, 3, []int{3, 0, 1, 2}, func(_ context.Context, n int) ([]int, error) {
		time.Sleep(time.Duration(3-n) * time.Millisecond) // the last items end first
		out := make([]int, n)
		for i := range out {
			out[i] = 10*n + i
		}
		return out, nil
	})
	if want := []int{30, 31, 32, 10, 20, 21}; err != nil || !slices.Equal(got, want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	if got, err := ConcatConcurrent(ctx, 2, []int{0, 0}, func(context.Context, int) ([]string, error) { return nil, nil }); err != nil || got != nil {
		t.Errorf("empty lists: got %#v, %v; want nil", got, err)
	}
	boom := errors.New("boom")
	got, err = ConcatConcurrent(ctx, 2, []int{1, 2}, func(_ context.Context, n int) ([]int, error) {
		if n == 2 {
			return nil, boom
		}
		return []int{n}, nil
	})
	if !errors.Is(err, boom) || got != nil {
		t.Errorf("an error: got %v, %v", got, err)
	}
}

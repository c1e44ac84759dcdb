package toolkit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// recorder collects a poll's drops.
type recorder struct {
	mu    sync.Mutex
	drops []Dropped
}

func (r *recorder) add(d Dropped) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drops = append(r.drops, d)
}

func testEnv(t *testing.T, owns func(string) bool) *Env {
	t.Helper()
	pool, err := upstream.NewPool(upstream.Options{MaxConcurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	return NewEnv(&config.Credential{Name: "c"}, pool, nil, nil, owns)
}

// TestFanOutKeepsTheShardsOwnOnceAndSaysWhy: items another shard owns and
// repeats are dropped with their reason, the rest read (a failure is that
// item's error), each kept item once, in order.
func TestFanOutKeepsTheShardsOwnOnceAndSaysWhy(t *testing.T) {
	defer goleak.VerifyNone(t)
	var rec recorder
	ctx := WithPoll(context.Background(), Poll{Dropped: rec.add})
	env := testEnv(t, func(id string) bool { return id != "other" })
	items := []string{"a", "other", "b", "a", "bad"}
	rs := FanOut(ctx, env, items, func(s string) (string, string) { return s, "name-" + s },
		func(_ context.Context, s string) (Resource, error) {
			if s == "bad" {
				return Resource{}, errors.New("unreadable")
			}
			return Resource{ID: s, Name: "name-" + s, Protected: true}, nil
		})
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"a", "b", "bad"}) || rs[2].Err == nil || rs[2].Name != "name-bad" {
		t.Errorf("resources %v (%+v)", ids, rs)
	}
	want := []Dropped{{ID: "other", Name: "name-other", Reason: DropNotOwned}, {ID: "a", Name: "name-a", Reason: DropDuplicate}}
	if !slices.Equal(rec.drops, want) {
		t.Errorf("drops %+v, want %+v", rec.drops, want)
	}

	rec.drops = nil
	kept := Keep(ctx, env, []Resource{{ID: "x"}, {ID: "other"}, {ID: "x"}})
	if len(kept) != 1 || kept[0].ID != "x" || len(rec.drops) != 2 || rec.drops[0].Reason != DropNotOwned || rec.drops[1].Reason != DropDuplicate {
		t.Errorf("Keep: %+v, drops %+v", kept, rec.drops)
	}
	// Outside a poll a drop goes nowhere, and nothing breaks.
	Drop(context.Background(), "x", "x", DropFiltered)
}

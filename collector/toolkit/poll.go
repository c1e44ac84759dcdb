package toolkit

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backup-exporter/backup_exporter/config"
)

// Limits bound what one poll of a target may read, so that an upstream
// that keeps answering (a continuation token that never ends, a count of
// two billion) fails the poll with a clear error instead of running for
// the whole poll_timeout and filling memory.
type Limits struct {
	// MaxPagesPerList bounds the pages of one list walk.
	MaxPagesPerList int
	// MaxItemsPerPoll bounds the items of every list of one poll together.
	MaxItemsPerPoll int
}

// Poll is what the orchestrator gives each poll: its limits, and where
// the panics its helpers recover and the items they leave out go.
type Poll struct {
	Limits Limits
	// Recovered is told of every panic a helper recovered (nil: none).
	Recovered func(v any, stack []byte)
	// Dropped is told of every listed item left out, with why (nil:
	// none). It may be called from several goroutines at once.
	Dropped func(Dropped)
	// MaxStaleness is the target's max_staleness: how long a provider
	// may keep serving what it last read of a call whose failure does
	// not fail the poll (Huawei CBR's vault tags).
	MaxStaleness time.Duration
}

// MaxStaleness is the max_staleness of ctx's poll (0 outside a poll).
func MaxStaleness(ctx context.Context) time.Duration { return scopeOf(ctx).MaxStaleness }

// pollScope is what a poll carries in its context for the helpers that
// run inside it (Pager, FanOut, Drop, MapConcurrent, MapResources,
// Group): its Poll, and the items its lists have read so far.
type pollScope struct {
	Poll
	items atomic.Int64

	// held is how long the poll had at least one request held back by a
	// pacer (Hold): holding counts the requests held now, since when.
	heldMu  sync.Mutex
	holding int
	since   time.Time
	held    time.Duration
}

// Hold tells ctx's poll that one of its requests is held back to stay
// within an upstream's quota (a pacer), until release is called. The poll
// counts the time during which at least one request was held (Held): wall
// clock, not the sum over requests held side by side.
func Hold(ctx context.Context) (release func()) {
	s := scopeOf(ctx)
	s.heldMu.Lock()
	if s.holding == 0 {
		s.since = time.Now()
	}
	s.holding++
	s.heldMu.Unlock()
	return sync.OnceFunc(func() {
		s.heldMu.Lock()
		defer s.heldMu.Unlock()
		s.holding--
		if s.holding == 0 {
			s.held += time.Since(s.since)
		}
	})
}

// Held is how long ctx's poll has had at least one request held back
// (Hold), up to now.
func Held(ctx context.Context) time.Duration {
	s := scopeOf(ctx)
	s.heldMu.Lock()
	defer s.heldMu.Unlock()
	if s.holding > 0 {
		return s.held + time.Since(s.since)
	}
	return s.held
}

type scopeKey struct{}

// WithPoll returns ctx carrying a new poll, for the helpers that run
// inside it. The orchestrator starts every poll with it.
func WithPoll(ctx context.Context, p Poll) context.Context {
	return context.WithValue(ctx, scopeKey{}, &pollScope{Poll: p})
}

// scopeOf is ctx's poll scope; outside a poll (a provider called on its
// own, in a test or tool) a fresh one with the default limits.
func scopeOf(ctx context.Context) *pollScope {
	if s, ok := ctx.Value(scopeKey{}).(*pollScope); ok {
		return s
	}
	return &pollScope{Poll: Poll{Limits: Limits{MaxPagesPerList: config.DefaultMaxPagesPerList, MaxItemsPerPoll: config.DefaultMaxItemsPerPoll}}}
}

// Pager keeps one list walk within its poll's bounds. A provider makes
// one per list it walks and calls Page after every page.
type Pager struct {
	scope *pollScope
	list  string
	pages int
	seen  map[string]bool
}

// NewPager starts counting the pages of list (named in errors, e.g.
// "Astra apps") under ctx's poll.
func NewPager(ctx context.Context, list string) *Pager {
	return &Pager{scope: scopeOf(ctx), list: list}
}

// Page counts a page that held items and handed out next, the token or
// link of the page after it ("" when the list ends). It returns an error
// when the walk must stop: next was handed out before (the list would
// loop), or the list has reached max_pages_per_list, or the poll
// max_items_per_poll.
func (p *Pager) Page(items int, next string) error {
	p.pages++
	total := p.scope.items.Add(int64(items))
	if limit := p.scope.Limits.MaxItemsPerPoll; limit > 0 && total > int64(limit) {
		return fmt.Errorf("%s: more than %d items in one poll (max_items_per_poll): stopping", p.list, limit)
	}
	if next == "" {
		return nil
	}
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[next] {
		return fmt.Errorf("%s: page %d hands out a continuation it handed out before: stopping to avoid a loop", p.list, p.pages)
	}
	p.seen[next] = true
	if limit := p.scope.Limits.MaxPagesPerList; limit > 0 && p.pages >= limit {
		return fmt.Errorf("%s: still more after %d pages (max_pages_per_list): stopping", p.list, p.pages)
	}
	return nil
}

// Pages is how many pages were counted.
func (p *Pager) Pages() int { return p.pages }

// PanicError is a panic recovered in a poll: a bug, turned into the error
// of the target or resource whose goroutine panicked.
type PanicError struct {
	Value any
}

// Error implements error.
func (e *PanicError) Error() string {
	return fmt.Sprintf("provider panicked: %v (a bug: please report it)", e.Value)
}

// Recover turns a panic in the calling goroutine into *err (a
// *PanicError) and tells the poll (debug log with the stack, the panic
// counter). Deferred first thing in every goroutine a poll starts; the
// helpers of this package do it for theirs.
func Recover(ctx context.Context, err *error) {
	v := recover()
	if v == nil {
		return
	}
	stack := debug.Stack()
	if s := scopeOf(ctx); s.Recovered != nil {
		s.Recovered(v, stack)
	}
	*err = &PanicError{Value: v}
}

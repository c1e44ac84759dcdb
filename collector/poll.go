package collector

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/internal/upstream"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// pollResult is one complete reading of a target's upstream API.
type pollResult struct {
	resources []toolkit.Resource
	err       error
	duration  time.Duration
	// paced is how long the poll had requests held back by a pacer.
	paced time.Duration
	// at is when the poll finished.
	at time.Time
	// resourceErrors counts the resources that could not be read;
	// goodAt is when each resource served was last read successfully.
	resourceErrors int
	goodAt         map[string]time.Time
	// tags is what the poll's tag look-ups came to.
	tags tagOutcome

	// prepare builds final and rendered once, for every scrape the poll
	// answers.
	prepare sync.Once
	// final are the resources as exposed: deduplicated, with the
	// target's expected interval; ids their resource_id label values.
	final []toolkit.Resource
	ids   []string
	// rendered is their exposition, per family.
	rendered map[*toolkit.Family]*block
	// drops are the listed items the poll left out.
	drops *drops
}

// prepareFor builds the poll's resources as t exposes them, and their
// exposition with rd, once; logger says (at debug) what was left out and
// why.
func (r *pollResult) prepareFor(t *Target, rd *renderer, logger *zap.Logger) {
	r.prepare.Do(func() {
		for i := range r.resources {
			// A provider may derive a resource's interval (from its backup
			// schedules); the target's own expected_interval wins.
			res := &r.resources[i]
			if res.ExpectedInterval == 0 || t.ExpectedIntervalSet {
				res.ExpectedInterval = t.ExpectedInterval
			}
			res.ExpectedRetention = t.ExpectedRetention
			toolkit.DropOutOfDomain(res, func(field string, v float64) {
				logger.Debug("dropped a value outside its domain: no sample", zap.String("target", t.Name),
					zap.String("resource_id", idLabel(res.ID)), zap.String("field", field), zap.Float64("value", v))
			})
		}
		if r.drops == nil {
			r.drops = &drops{logger: logger.With(zap.String("target", t.Name))}
		}
		r.final, r.ids = dedupe(owned(t, r.resources, r.drops.add), func(dup *toolkit.Resource, _ string) {
			r.drops.add(toolkit.Dropped{ID: dup.ID, Name: dup.Name, Reason: toolkit.DropDuplicate})
		})
		// The poll keeps one copy of its records.
		r.resources = r.final
		var skipped int
		r.rendered, skipped = rd.resources(t, r.final, r.ids)
		if skipped > 0 {
			logger.Debug("left tag keys out of backup_resource_info: longer than 1,024 bytes, or past 100 labels of a resource",
				zap.String("target", t.Name), zap.Int("keys", skipped))
		}
	})
}

// pollSettings are how a target is polled.
type pollSettings struct {
	// ttl above 0: background refresh, scrapes served from the last
	// complete poll; 0: a poll per scrape under the scrape's deadline.
	ttl time.Duration
	// timeout is a background poll's budget.
	timeout time.Duration
	// staleness is how long the last good poll stays served after
	// failures.
	staleness time.Duration
	// limits bound what one poll reads.
	limits toolkit.Limits
	// recordDropped keeps the items each poll leaves out (--once.dropped).
	recordDropped bool
}

// targetState is what the exporter keeps of one target across scrapes,
// and across reloads that leave the target as it was: its provider, its
// last polls and, with a cache_ttl, the background loop refreshing them.
type targetState struct {
	target      *Target
	fingerprint string
	settings    pollSettings
	logger      *zap.Logger
	now         func() time.Time
	// countPanic counts a panic recovered in a poll of the target.
	countPanic func()
	// tags are the target's looked-up tags (nil: it looks none up).
	tags *tagCache
	// render renders the target's polls.
	render *renderer

	mu   sync.Mutex
	last *pollResult // the last completed poll
	good *pollResult // the last successful poll
	// flight is the poll in progress (cache_ttl 0).
	flight *flight
	// firstDone is closed when the first poll completes.
	firstDone chan struct{}
	// loggedErr is the error text last logged, to log state changes only.
	loggedErr       string
	loggedResources string
	loggedTags      string
	polled          bool

	// The background loop: cancel stops it, done is closed when it has.
	cancel context.CancelFunc
	done   chan struct{}
}

func newTargetState(t *Target, fingerprint string, s pollSettings, rd *renderer, logger *zap.Logger) *targetState {
	return &targetState{
		target:      t,
		fingerprint: fingerprint,
		settings:    s,
		render:      rd,
		logger:      logger,
		now:         time.Now,
		firstDone:   make(chan struct{}),
	}
}

// flight is one synchronous poll in flight and the scrapes waiting for it.
type flight struct {
	done    chan struct{} // closed when res is set
	res     *pollResult
	waiters int
	cancel  context.CancelFunc
	// deadline is the poll's (that of the scrape that started it); zero
	// when it has none.
	deadline time.Time
}

// serves reports whether a scrape under ctx may wait for f: f's deadline
// is not earlier than the scrape's own, so joining cannot cut the scrape
// short.
func (f *flight) serves(ctx context.Context) bool {
	if f.deadline.IsZero() {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !f.deadline.Before(d)
}

// answer returns the poll a scrape under ctx is answered with, and
// whether it came without waiting. With a cache_ttl it is the last
// complete poll (only the first is waited for, up to ctx's end, and left
// running); with cache_ttl 0 it is a fresh poll, shared by the scrapes
// that ask at the same time.
func (s *targetState) answer(ctx context.Context) (res *pollResult, hit bool) {
	if s.settings.ttl > 0 {
		s.mu.Lock()
		last := s.last
		s.mu.Unlock()
		if last != nil {
			return last, true
		}
		select {
		case <-s.firstDone:
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.last, false
		case <-ctx.Done():
			return &pollResult{err: fmt.Errorf("the first poll is still running: %w", waitError(ctx)), at: s.now()}, false
		}
	}
	return s.syncPoll(ctx), false
}

// syncPoll joins the poll in flight or starts one. A poll runs under the
// deadline of the scrape that started it but is not cancelled by that
// scrape alone: it is cancelled when every scrape waiting for it has gone,
// so it neither fails the scrapes that share it nor outlives them all. A
// scrape joins only a poll whose deadline is not shorter than its own: a
// scrape with a longer deadline starts its own poll (which later scrapes
// join), so that a short scrape never shortens another's.
func (s *targetState) syncPoll(ctx context.Context) *pollResult {
	s.mu.Lock()
	f := s.flight
	if f == nil || !f.serves(ctx) {
		f = s.startFlight(ctx)
	}
	f.waiters++
	s.mu.Unlock()

	select {
	case <-f.done:
		s.mu.Lock()
		f.waiters--
		s.mu.Unlock()
		return f.res
	case <-ctx.Done():
		s.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			f.cancel()
			if s.flight == f {
				s.flight = nil
			}
		}
		s.mu.Unlock()
		return &pollResult{err: waitError(ctx), at: s.now()}
	}
}

// startFlight begins a synchronous poll; s.mu is held.
func (s *targetState) startFlight(ctx context.Context) *flight {
	base := context.WithoutCancel(ctx)
	var (
		pctx   context.Context
		cancel context.CancelFunc
	)
	if deadline, ok := ctx.Deadline(); ok {
		pctx, cancel = context.WithDeadline(base, deadline)
	} else {
		pctx, cancel = context.WithCancel(base)
	}
	pctx = upstream.WithDeadlineName(pctx, "scrape")
	f := &flight{done: make(chan struct{}), cancel: cancel}
	f.deadline, _ = ctx.Deadline()
	s.flight = f
	go func() {
		defer cancel()
		r := s.poll(pctx)
		s.record(r)
		s.mu.Lock()
		if s.flight == f {
			s.flight = nil
		}
		s.mu.Unlock()
		f.res = r
		close(f.done)
	}()
	return f
}

// poll reads the target once under ctx, within the target's limits.
func (s *targetState) poll(ctx context.Context) *pollResult {
	start := s.now()
	logger := s.logger.With(zap.String("target", s.target.Name))
	drops := &drops{keep: s.settings.recordDropped, logger: logger}
	ctx = toolkit.WithPoll(ctx, toolkit.Poll{Limits: s.settings.limits, Recovered: panicLogger(logger, s.countPanic), Dropped: drops.add,
		MaxStaleness: s.settings.staleness})
	resources, err := safePoll(ctx, s.target.Provider.Collect)
	if err == nil {
		err = everyResourceFailed(resources)
	}
	var tags tagOutcome
	if err == nil && s.tags != nil {
		owns := func(string) bool { return true }
		if t := s.target; t.shard.Enabled() {
			owns = func(id string) bool { return t.shard.Owns(t.Name, id) }
		}
		tags = s.tags.fill(ctx, s.now, resources, owns)
	}
	return &pollResult{resources: resources, err: err, duration: s.now().Sub(start), paced: toolkit.Held(ctx), at: s.now(), drops: drops, tags: tags}
}

// drops are the listed items a poll left out: counted by reason, logged
// at debug, and kept (for --once.dropped) when keep is set.
type drops struct {
	keep   bool
	logger *zap.Logger

	mu     sync.Mutex
	counts map[string]int
	items  []toolkit.Dropped
}

func (d *drops) add(x toolkit.Dropped) {
	if ce := d.logger.Check(zap.DebugLevel, "left a listed item out of the poll"); ce != nil {
		ce.Write(zap.String("resource_id", idLabel(x.ID)), zap.String("resource_name", labelValue(x.Name, labelLimit)), zap.String("reason", x.Reason))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.counts == nil {
		d.counts = map[string]int{}
	}
	d.counts[x.Reason]++
	if d.keep {
		d.items = append(d.items, x)
	}
}

// snapshot returns the counts by reason and the items kept.
func (d *drops) snapshot() (map[string]int, []toolkit.Dropped) {
	if d == nil {
		return nil, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	counts := make(map[string]int, len(d.counts))
	for k, v := range d.counts {
		counts[k] = v
	}
	return counts, append([]toolkit.Dropped(nil), d.items...)
}

// everyResourceFailed is the target's error when it found resources and
// could read none of them.
func everyResourceFailed(rs []toolkit.Resource) error {
	for _, r := range rs {
		if r.Err == nil {
			return nil
		}
	}
	if len(rs) == 0 {
		return nil
	}
	return fmt.Errorf("none of the %d resources could be read; the first: %w", len(rs), rs[0].Err)
}

// keepGood replaces the records of r's resources that could not be read
// with their last good ones from good, while those are younger than
// max_staleness, and drops the others; it counts them.
func (s *targetState) keepGood(r, good *pollResult) (failed []toolkit.Resource) {
	r.goodAt = make(map[string]time.Time, len(r.resources))
	var prev map[string]*toolkit.Resource
	kept := r.resources[:0]
	for _, res := range r.resources {
		if res.Err == nil {
			r.goodAt[res.ID] = r.at
			kept = append(kept, res)
			continue
		}
		failed = append(failed, res)
		if good == nil || s.settings.staleness <= 0 {
			continue
		}
		if prev == nil {
			prev = make(map[string]*toolkit.Resource, len(good.resources))
			for i := range good.resources {
				prev[good.resources[i].ID] = &good.resources[i]
			}
		}
		if old, ok := prev[res.ID]; ok && r.at.Sub(good.goodAt[res.ID]) <= s.settings.staleness {
			r.goodAt[res.ID] = good.goodAt[res.ID]
			kept = append(kept, *old)
		}
	}
	r.resources = kept
	r.resourceErrors = len(failed)
	return failed
}

// record keeps r as the last poll (and the last good one) and logs the
// target's state when it changes: once when it fails, once when the error
// changes, once when it recovers.
func (s *targetState) record(r *pollResult) {
	msg := ""
	if r.err != nil {
		msg = r.err.Error()
	}
	var failed []toolkit.Resource
	if r.err == nil {
		s.mu.Lock()
		good := s.good
		s.mu.Unlock()
		failed = s.keepGood(r, good)
		// Rendered now, off the scrapes' path.
		r.prepareFor(s.target, s.render, s.logger)
	}
	s.logResourceErrors(failed)
	if r.err == nil && s.tags != nil {
		s.logTagLookups(r.tags)
	}
	s.mu.Lock()
	s.last = r
	if r.err == nil {
		s.good = r
	}
	prev, polled := s.loggedErr, s.polled
	s.loggedErr, s.polled = msg, true
	if !polled {
		close(s.firstDone)
	}
	s.mu.Unlock()

	fields := []zap.Field{zap.String("target", s.target.Name), zap.String("provider", s.target.Type)}
	switch {
	case r.err != nil && msg != prev:
		s.logger.Warn("polling target failed", append(fields, zap.Error(r.err))...)
	case r.err != nil:
		s.logger.Debug("polling target failed again", append(fields, zap.Error(r.err))...)
	case polled && prev != "":
		s.logger.Info("polling target recovered", fields...)
	}
}

// logResourceErrors logs the resources that could not be read when that
// set changes, naming at most 5, and once when they all recover.
func (s *targetState) logResourceErrors(failed []toolkit.Resource) {
	ids := make([]string, len(failed))
	for i, r := range failed {
		ids[i] = r.ID
	}
	key := strings.Join(ids, "\x00")
	s.mu.Lock()
	prev := s.loggedResources
	s.loggedResources = key
	s.mu.Unlock()
	fields := []zap.Field{zap.String("target", s.target.Name), zap.String("provider", s.target.Type)}
	switch {
	case key == prev:
	case len(failed) > 0:
		s.logger.Warn("resources of the target could not be read; their last good series are kept for max_staleness",
			append(fields, zap.Int("resources", len(failed)), zap.Strings("first", ids[:min(5, len(ids))]), zap.Error(failed[0].Err))...)
	default:
		s.logger.Info("every resource of the target is read again", fields...)
	}
}

// logTagLookups logs a failed tag look-up once when it starts (or its
// error changes), at warn, and once when look-ups succeed again: the
// target stays up either way.
func (s *targetState) logTagLookups(o tagOutcome) {
	msg := ""
	if o.err != nil {
		msg = o.err.Error()
	}
	s.mu.Lock()
	prev := s.loggedTags
	s.loggedTags = msg
	s.mu.Unlock()
	fields := []zap.Field{zap.String("target", s.target.Name), zap.String("provider", s.target.Type)}
	switch {
	case msg == prev:
	case o.err != nil:
		s.logger.Warn("tag look-up failed; the last known tags are kept for max_staleness", append(fields, zap.Int("resources", o.failed), zap.Error(o.err))...)
	default:
		s.logger.Info("tag look-ups succeed again", fields...)
	}
}

// served returns the last poll and the poll whose series are served: the
// last one when it succeeded, else the last good one while it is younger
// than max_staleness, else none.
func (s *targetState) served(last *pollResult) *pollResult {
	if last.err == nil {
		return last
	}
	s.mu.Lock()
	good := s.good
	s.mu.Unlock()
	if good != nil && s.settings.staleness > 0 && s.now().Sub(good.at) <= s.settings.staleness {
		return good
	}
	return nil
}

// lastSuccess is when the target was last polled successfully (zero when
// never).
func (s *targetState) lastSuccess() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.good == nil {
		return time.Time{}
	}
	return s.good.at
}

// start runs the background loop (cache_ttl above 0) until stop; slots
// bounds the background polls in flight across targets.
func (s *targetState) start(slots chan struct{}) {
	if s.settings.ttl <= 0 || s.done != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go s.run(ctx, slots)
}

// stop ends the background loop, cancelling a poll in progress, and
// waits for it.
func (s *targetState) stop() {
	if s.done == nil {
		return
	}
	s.cancel()
	<-s.done
}

func (s *targetState) run(ctx context.Context, slots chan struct{}) {
	defer close(s.done)
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		pctx, cancel := context.WithTimeout(upstream.WithDeadlineName(ctx, "poll"), s.settings.timeout)
		r := s.poll(pctx)
		cancel()
		<-slots
		if ctx.Err() != nil {
			// Stopped (reload, shutdown): not the target's failure.
			return
		}
		s.record(r)
		timer := time.NewTimer(s.next(r))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// next is how long to wait after poll r before the next one. After a
// success, the next poll starts cache_ttl after this one started, so that
// it ends about when this one's data expires (refresh-ahead); at least a
// tenth of cache_ttl passes between polls. After a failure the target is
// tried again sooner, after at most 30s.
func (s *targetState) next(r *pollResult) time.Duration {
	ttl := s.settings.ttl
	if r.err != nil {
		return min(ttl, 30*time.Second)
	}
	return max(ttl-r.duration, ttl/10)
}

// waitError says why a scrape stopped waiting for its target.
func waitError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within the scrape's deadline: %w", ctx.Err())
	}
	return fmt.Errorf("the scrape was cancelled before the target answered: %w", ctx.Err())
}

// safePoll turns a panic of a provider into that target's error, so that
// one provider's bug cannot take the process and every other target down
// (the goroutines a provider starts recover through the same scope).
func safePoll(ctx context.Context, poll func(context.Context) ([]toolkit.Resource, error)) (rs []toolkit.Resource, err error) {
	defer toolkit.Recover(ctx, &err)
	return poll(ctx)
}

// panicLogger returns the handler of panics recovered in a target's
// polls: a debug line with the stack, and the counter.
func panicLogger(logger *zap.Logger, count func()) func(any, []byte) {
	return func(v any, stack []byte) {
		logger.Debug("recovered a panic in a poll", zap.Any("panic", v), zap.ByteString("stack", stack))
		if count != nil {
			count()
		}
	}
}

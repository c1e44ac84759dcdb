// Package collector polls the configured backup targets through provider
// adapters and turns what they find into Prometheus metrics.
package collector

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// Target is a configured target with its provider.
type Target struct {
	Name             string
	Type             string
	ExpectedInterval time.Duration
	// ExpectedIntervalSet: the file set expected_interval, which then
	// overrides any interval the provider derives.
	ExpectedIntervalSet bool
	// ExpectedRetention is the target's expected_retention (0: none).
	ExpectedRetention time.Duration
	Provider          toolkit.Provider

	// shard keeps the resources this replica owns.
	shard Shard
	// Owners are the target's rules for backup_resource_info (nil: the
	// target sets neither resource_labels nor static_labels).
	Owners *toolkit.Owners
}

// Options are the process-wide dependencies of an Exporter.
type Options struct {
	// Registry is the set of provider kinds; every target's type must be
	// one of them.
	Registry     toolkit.Registry
	Logger       *zap.Logger
	APIMetrics   *upstream.Metrics
	CacheMetrics *CacheMetrics
	// UserAgent is sent upstream, e.g. "backup_exporter/1.0.0".
	UserAgent string
	// Shard is this replica's part of the estate (zero: all of it).
	Shard Shard
	// Previous is the running Exporter a reload replaces: the targets and
	// credentials that did not change are taken over from it, with their
	// clients, tokens, connections and polls.
	Previous *Exporter
	// WrapTransport, when set, wraps every upstream client's transport
	// (tests inject faults through it).
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// Unpaced turns the upstream pacers off (requests go as fast as
	// max_concurrency allows, quota or not): for the tests and benchmarks
	// that show what pacing prevents.
	Unpaced bool
	// RecordDropped keeps, with each poll, the listed items it left out
	// and why (Result.Dropped), for --once.dropped; their counts by reason
	// are always kept.
	RecordDropped bool
}

// backgroundPolls bounds the background polls in flight across targets
// (each poll's requests are bounded by its credential's max_concurrency).
const backgroundPolls = 16

// Exporter collects the targets of one configuration. A reload builds a
// new Exporter from the running one (Options.Previous) and Starts it.
type Exporter struct {
	targets       []*Target
	byName        map[string]*targetState
	scrapeTimeout time.Duration
	logger        *zap.Logger
	cacheMetrics  *CacheMetrics
	credentials   map[string]*credentialEnv
	// render is how the exporter renders resources: its families (the
	// shared ones, then the providers' own, in exposition order) and
	// their layouts.
	render *renderer
	// slots bounds background polls; kept across reloads.
	slots chan struct{}

	lifecycle sync.Mutex
	started   bool
	stopped   bool
}

// credentialEnv is what the targets of one credential share: its upstream
// pool and its shared state (tokens), kept across reloads while the
// credential and the global settings it is built from do not change.
type credentialEnv struct {
	fingerprint string
	pool        *upstream.Pool
	shared      *toolkit.Shared
}

// New builds the Exporter of cfg: one upstream pool per credential, one
// provider per target; with opts.Previous, unchanged targets and
// credentials are taken over instead of built anew. New starts nothing
// and changes nothing in opts.Previous: Start does, once the Exporter is
// served.
func New(cfg *config.Config, opts Options) (*Exporter, error) {
	logger := opts.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	creds := make(map[string]*config.Credential, len(cfg.Credentials))
	for i := range cfg.Credentials {
		c := &cfg.Credentials[i]
		creds[c.Name] = c
	}
	g := cfg.Global
	settings := pollSettings{ttl: time.Duration(g.CacheTTL), staleness: time.Duration(g.MaxStaleness)}
	e := &Exporter{
		byName:        make(map[string]*targetState, len(cfg.Targets)),
		scrapeTimeout: time.Duration(g.ScrapeTimeout),
		logger:        logger,
		cacheMetrics:  opts.CacheMetrics,
		credentials:   make(map[string]*credentialEnv, len(cfg.Credentials)),
		slots:         make(chan struct{}, backgroundPolls),
		render:        newRenderer(opts.Registry, g.CacheTTL > 0),
	}
	prev := opts.Previous
	if prev != nil {
		e.slots = prev.slots
	}
	for i := range cfg.Targets {
		t := &cfg.Targets[i]
		if toolkit.NewOwners(t.ResourceLabels, nil).AdmitsEveryKey() {
			logger.Warn(`resource_labels admits every key ("*"): each tag or label key of every resource becomes a label of backup_resource_info; allowlist only the keys you route on`,
				zap.String("target", t.Name))
		}
		kind, ok := opts.Registry.Lookup(t.Type)
		if !ok {
			return nil, fmt.Errorf("target %q: provider type %q is not supported", t.Name, t.Type)
		}
		cred := creds[t.Credential]
		if cred == nil {
			return nil, fmt.Errorf("target %q: credential %q is not defined", t.Name, t.Credential)
		}
		ce, err := e.credential(cred, g, opts)
		if err != nil {
			return nil, err
		}
		s := settings
		s.timeout = time.Duration(t.PollTimeout)
		s.limits = toolkit.Limits{MaxPagesPerList: t.MaxPagesPerList, MaxItemsPerPoll: t.MaxItemsPerPoll}
		s.recordDropped = opts.RecordDropped
		fp := config.Fingerprint(t, ce.fingerprint, s.ttl, s.timeout, s.staleness, opts.Shard)
		if old := prev.state(t.Name); old != nil && old.fingerprint == fp {
			e.add(old)
			continue
		}
		shard, name := opts.Shard, t.Name
		env := toolkit.NewEnv(cred, ce.pool, logger.With(zap.String("target", t.Name)), ce.shared, func(id string) bool { return shard.Owns(name, id) })
		p, err := kind.New(t, env)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", t.Name, err)
		}
		target := &Target{Name: t.Name, Type: t.Type, ExpectedInterval: time.Duration(t.ExpectedInterval), ExpectedIntervalSet: t.ExpectedIntervalSet, ExpectedRetention: time.Duration(t.ExpectedRetention), Provider: p, shard: opts.Shard,
			Owners: toolkit.NewOwners(t.ResourceLabels, t.StaticLabels)}
		state := newTargetState(target, fp, s, e.render, logger)
		state.countPanic = func() { opts.CacheMetrics.panicked(t.Type, t.Name) }
		if kind.Tags != nil && len(t.ResourceLabels) > 0 {
			// Tags are looked up only where an allowlist can show them.
			l, err := kind.Tags(t, env)
			if err != nil {
				return nil, fmt.Errorf("target %q: tag look-up: %w", t.Name, err)
			}
			state.tags = newTagCache(l, time.Duration(t.ResourceLabelsRefresh), s.staleness)
		}
		e.add(state)
	}
	return e, nil
}

// credential returns the pool and shared state of cred, taken over from
// the previous Exporter when unchanged.
func (e *Exporter) credential(cred *config.Credential, g config.Global, opts Options) (*credentialEnv, error) {
	if ce := e.credentials[cred.Name]; ce != nil {
		return ce, nil
	}
	fp := config.Fingerprint(cred.Fingerprint(), g.MaxConcurrency, g.BodySizeLimit, opts.UserAgent)
	if prev := opts.Previous; prev != nil {
		if ce := prev.credentials[cred.Name]; ce != nil && ce.fingerprint == fp {
			e.credentials[cred.Name] = ce
			return ce, nil
		}
	}
	tlsConfig, err := newTLSConfig(cred.TLSConfig)
	if err != nil {
		return nil, fmt.Errorf("credential %q: %w", cred.Name, err)
	}
	pool, err := upstream.NewPool(upstream.Options{
		TLS:            tlsConfig,
		MaxConcurrency: g.MaxConcurrency,
		BodySizeLimit:  int64(g.BodySizeLimit),
		UserAgent:      opts.UserAgent,
		Metrics:        opts.APIMetrics,
		Wrap:           opts.WrapTransport,
		Unpaced:        opts.Unpaced,
	})
	if err != nil {
		return nil, fmt.Errorf("credential %q: %w", cred.Name, err)
	}
	ce := &credentialEnv{fingerprint: fp, pool: pool, shared: toolkit.NewShared()}
	e.credentials[cred.Name] = ce
	return ce, nil
}

func (e *Exporter) add(s *targetState) {
	e.targets = append(e.targets, s.target)
	e.byName[s.target.Name] = s
}

// state returns the state of the target called name, or nil (also on a
// nil Exporter).
func (e *Exporter) state(name string) *targetState {
	if e == nil {
		return nil
	}
	return e.byName[name]
}

// Start starts the background polls of the targets that do not have them
// yet and retires prev (the Exporter this one replaces, or nil): the
// polls of its targets that were not taken over stop, and their
// self-metric series are deleted. Call it once the Exporter is served.
func (e *Exporter) Start(prev *Exporter) {
	e.lifecycle.Lock()
	e.begin()
	e.lifecycle.Unlock()
	if prev == nil {
		return
	}
	prev.lifecycle.Lock()
	defer prev.lifecycle.Unlock()
	prev.stopped = true
	for _, t := range prev.targets {
		old := prev.byName[t.Name]
		if e.state(t.Name) == old {
			continue
		}
		old.stop()
		if e.state(t.Name) == nil {
			e.cacheMetrics.forget(t.Name)
		}
	}
	for name, ce := range prev.credentials {
		if e.credentials[name] != ce {
			ce.pool.Close()
		}
	}
}

// begin starts the background polls and creates the targets' cache
// counters at 0; e.lifecycle is held.
func (e *Exporter) begin() {
	if e.started || e.stopped {
		return
	}
	e.started = true
	for _, t := range e.targets {
		e.byName[t.Name].start(e.slots)
		e.cacheMetrics.track(t.Name)
	}
}

// Stop stops every background poll and waits for them; for shutdown.
func (e *Exporter) Stop() {
	e.lifecycle.Lock()
	defer e.lifecycle.Unlock()
	e.stopped = true
	for _, s := range e.byName {
		s.stop()
	}
	for _, ce := range e.credentials {
		ce.pool.Close()
	}
}

// Targets returns the configured targets in configuration order.
func (e *Exporter) Targets() []*Target { return e.targets }

// Target returns the target called name, or nil.
func (e *Exporter) Target(name string) *Target {
	if s := e.byName[name]; s != nil {
		return s.target
	}
	return nil
}

// ScrapeTimeout is global.scrape_timeout.
func (e *Exporter) ScrapeTimeout() time.Duration { return e.scrapeTimeout }

// Result is the outcome of collecting one target.
type Result struct {
	Target *Target
	// Resources are the served resources: the last poll's, or after a
	// failed poll the last good one's while it is within max_staleness
	// (Stale is then true). Read, never modify: they are shared.
	Resources []toolkit.Resource
	// Err is the last poll's error (or why the scrape could not wait for
	// it): backup_exporter_target_up is 0.
	Err   error
	Stale bool
	// Duration is how long this collection of the target took.
	Duration time.Duration
	// PollDuration is how long the last completed poll took (zero when
	// none has).
	PollDuration time.Duration
	// PollPaced is how long the last completed poll had requests held
	// back by a pacer, to stay within the upstream's quota.
	PollPaced time.Duration
	// LastSuccess is when the target was last read successfully (zero when
	// never).
	LastSuccess time.Time
	// Cached is true when the answer came without waiting for a poll.
	Cached bool
	// ResourceErrors counts the resources whose own read failed in the
	// last poll.
	ResourceErrors int
	// TagLookupErrors counts the resources whose tags were due and could
	// not be looked up in the last poll (their last tags are kept for
	// max_staleness); LooksUpTags says whether the target looks tags up.
	TagLookupErrors int
	LooksUpTags     bool
	// Dropped counts the listed items the served poll left out, by
	// reason (toolkit.DropReasons); DroppedItems are those items when the
	// exporter records them (Options.RecordDropped).
	Dropped      map[string]int
	DroppedItems []toolkit.Dropped

	// served is true when a poll's series are served; poll is that poll
	// and rendered its exposition.
	served   bool
	poll     *pollResult
	rendered map[*toolkit.Family]*block
}

// Collect collects targets concurrently under ctx and returns their
// results in the order given. It returns when every target has answered
// or ctx has ended, whichever comes first; a target still polling then is
// reported down with the context's error.
func (e *Exporter) Collect(ctx context.Context, targets []*Target) []Result {
	results := make([]Result, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { results[i] = e.collectTarget(ctx, t) })
	}
	wg.Wait()
	return results
}

func (e *Exporter) collectTarget(ctx context.Context, t *Target) Result {
	start := time.Now()
	s := e.byName[t.Name]
	if s == nil || s.target != t {
		return Result{Target: t, Err: fmt.Errorf("target %q is not part of this configuration", t.Name)}
	}
	// Collected before Start (--once, tests): start now.
	e.lifecycle.Lock()
	e.begin()
	e.lifecycle.Unlock()
	res, hit := s.answer(ctx)
	e.cacheMetrics.record(t.Name, hit)
	r := Result{Target: t, Err: res.err, Cached: hit, LastSuccess: s.lastSuccess(), Duration: time.Since(start)}
	s.mu.Lock()
	if s.last != nil {
		r.PollDuration, r.PollPaced = s.last.duration, s.last.paced
	}
	s.mu.Unlock()
	served := s.served(res)
	if served == nil {
		return r
	}
	r.Stale = served != res
	if res.err == nil {
		r.ResourceErrors = res.resourceErrors
		r.TagLookupErrors = res.tags.failed
	}
	r.LooksUpTags = s.tags != nil
	served.prepareFor(t, e.render, e.logger)
	r.served, r.poll, r.Resources, r.rendered = true, served, served.final, served.rendered
	r.Dropped, r.DroppedItems = served.drops.snapshot()
	return r
}

// OwnerLabels are the labels of backup_resource_info of the served
// resource i (after the identity labels), values bounded as exposed; nil
// when the target sets neither resource_labels nor static_labels.
func (r *Result) OwnerLabels(i int) []toolkit.Label {
	if r.Target == nil || r.Target.Owners == nil || i < 0 || i >= len(r.Resources) {
		return nil
	}
	labels, _ := r.Target.Owners.Labels(r.Resources[i].Tags)
	for j := range labels {
		labels[j].Value = labelValue(labels[j].Value, labelLimit)
	}
	return labels
}

// TargetStatus is what a target's last poll found, as the landing page
// shows it.
type TargetStatus struct {
	Name, Type string
	// Polled is false until the target's first poll has completed.
	Polled bool
	// Err is the last poll's error (the target is down).
	Err error
	// Resources counts the served resources: the last poll's, or the last
	// good poll's while it is served after failures (Stale).
	Resources int
	Stale     bool
	// LastSuccess is when the target was last read successfully.
	LastSuccess time.Time
	// ResourceLabels and StaticLabels are the target's allowlist and the
	// names of its static labels (backup_resource_info); nil when unset.
	ResourceLabels, StaticLabels []string
}

// Status returns the state of every target, in configuration order, from
// the polls already made: it never starts one.
func (e *Exporter) Status() []TargetStatus {
	out := make([]TargetStatus, len(e.targets))
	for i, t := range e.targets {
		s := e.byName[t.Name]
		st := TargetStatus{Name: t.Name, Type: t.Type, LastSuccess: s.lastSuccess()}
		st.ResourceLabels, st.StaticLabels = t.Owners.Keys()
		s.mu.Lock()
		last := s.last
		s.mu.Unlock()
		if last != nil {
			st.Polled, st.Err = true, last.err
			if served := s.served(last); served != nil {
				served.prepareFor(t, e.render, e.logger)
				st.Resources, st.Stale = len(served.final), served != last
			}
		}
		out[i] = st
	}
	return out
}

// owned keeps the resources of t that this replica's shard owns (a
// provider's FanOut or Keep already did: this is the orchestrator's
// guarantee); dropped is told of the others.
func owned(t *Target, rs []toolkit.Resource, dropped func(toolkit.Dropped)) []toolkit.Resource {
	if !t.shard.Enabled() {
		return rs
	}
	out := rs[:0]
	for _, r := range rs {
		if t.shard.Owns(t.Name, r.ID) {
			out = append(out, r)
		} else {
			dropped(toolkit.Dropped{ID: r.ID, Name: r.Name, Reason: toolkit.DropNotOwned})
		}
	}
	return out
}

// dedupe keeps the first record of each exposed resource_id (sorted by
// it for a stable exposition), since a duplicate series would fail the
// whole scrape, and returns the records with their resource_id label
// values; dropped is told of each record left out.
func dedupe(rs []toolkit.Resource, dropped func(r *toolkit.Resource, id string)) ([]toolkit.Resource, []string) {
	ids := make([]string, len(rs))
	order := make([]int, len(rs))
	for i := range rs {
		ids[i], order[i] = idLabel(rs[i].ID), i
	}
	sort.SliceStable(order, func(a, b int) bool { return ids[order[a]] < ids[order[b]] })
	out := make([]toolkit.Resource, 0, len(rs))
	outIDs := make([]string, 0, len(rs))
	for n, i := range order {
		if n > 0 && ids[i] == ids[order[n-1]] {
			dropped(&rs[i], ids[i])
			continue
		}
		out = append(out, rs[i])
		outIDs = append(outIDs, ids[i])
	}
	return out, outIDs
}

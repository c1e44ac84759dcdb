// Package collector polls the configured backup targets through provider
// adapters and turns what they find into Prometheus metrics.
package collector

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// Provider fetches the backup state of one configured target.
type Provider interface {
	// Collect returns the protected resources of the target. It honours ctx
	// and returns a wrapped error when the target could not be read.
	Collect(ctx context.Context) ([]Resource, error)
}

// Target is a configured target with its provider.
type Target struct {
	Name             string
	Type             string
	ExpectedInterval time.Duration
	Provider         Provider
}

// Options are the process-wide dependencies of an Exporter.
type Options struct {
	// Registry is the set of provider kinds; every target's type must be
	// one of them.
	Registry     Registry
	Logger       *zap.Logger
	APIMetrics   *upstream.Metrics
	CacheMetrics *CacheMetrics
	// UserAgent is sent upstream, e.g. "backup_exporter/1.0.0".
	UserAgent string
}

// Exporter collects the targets of one configuration. A reload builds a
// new Exporter and swaps it in.
type Exporter struct {
	targets       []*Target
	byName        map[string]*Target
	scrapeTimeout time.Duration
	cache         *cache
	logger        *zap.Logger
	cacheMetrics  *CacheMetrics

	mu      sync.Mutex
	lastErr map[string]string // per target, to log state changes only
}

// New builds the Exporter of cfg: one upstream pool per credential, one
// provider per target.
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
	type credentialEnv struct {
		pool   *upstream.Pool
		shared *credentialState
	}
	envs := make(map[string]*credentialEnv, len(cfg.Credentials))
	e := &Exporter{
		byName:        make(map[string]*Target, len(cfg.Targets)),
		scrapeTimeout: time.Duration(cfg.Global.ScrapeTimeout),
		cache:         newCache(time.Duration(cfg.Global.CacheTTL)),
		logger:        logger,
		cacheMetrics:  opts.CacheMetrics,
		lastErr:       map[string]string{},
	}
	for i := range cfg.Targets {
		t := &cfg.Targets[i]
		kind, ok := opts.Registry.lookup(t.Type)
		if !ok {
			return nil, fmt.Errorf("target %q: provider type %q is not supported", t.Name, t.Type)
		}
		cred := creds[t.Credential]
		if cred == nil {
			return nil, fmt.Errorf("target %q: credential %q is not defined", t.Name, t.Credential)
		}
		ce := envs[cred.Name]
		if ce == nil {
			pool, err := upstream.NewPool(upstream.Options{
				TLS:            cred.TLSConfig,
				MaxConcurrency: cfg.Global.MaxConcurrency,
				BodySizeLimit:  int64(cfg.Global.BodySizeLimit),
				UserAgent:      opts.UserAgent,
				Metrics:        opts.APIMetrics,
			})
			if err != nil {
				return nil, fmt.Errorf("credential %q: %w", cred.Name, err)
			}
			ce = &credentialEnv{pool: pool, shared: &credentialState{values: map[string]any{}}}
			envs[cred.Name] = ce
		}
		env := &Env{Credential: cred, Pool: ce.pool, Logger: logger.With(zap.String("target", t.Name)), shared: ce.shared}
		p, err := kind.New(t, env)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", t.Name, err)
		}
		target := &Target{Name: t.Name, Type: t.Type, ExpectedInterval: time.Duration(t.ExpectedInterval), Provider: p}
		e.targets = append(e.targets, target)
		e.byName[t.Name] = target
		opts.CacheMetrics.track(t.Name)
	}
	return e, nil
}

// Targets returns the configured targets in configuration order.
func (e *Exporter) Targets() []*Target { return e.targets }

// Target returns the target called name, or nil.
func (e *Exporter) Target(name string) *Target { return e.byName[name] }

// ScrapeTimeout is global.scrape_timeout.
func (e *Exporter) ScrapeTimeout() time.Duration { return e.scrapeTimeout }

// Result is the outcome of collecting one target.
type Result struct {
	Target    *Target
	Resources []Resource
	Err       error
	Duration  time.Duration
	// LastSuccess is when the target was last read successfully (zero when
	// never).
	LastSuccess time.Time
	// Cached is true when the answer came from the cache. Resources may
	// then be shared with other scrapes: read, never modify.
	Cached bool

	// metrics are the Resources' metrics, built once per poll.
	metrics []prometheus.Metric
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
	res, hit := e.cache.get(ctx, t.Name, t.Provider.Collect)
	e.cacheMetrics.record(t.Name, hit)
	r := Result{Target: t, Err: res.err, Cached: hit, LastSuccess: e.cache.lastSuccessOf(t.Name)}
	if hit {
		r.Duration = res.duration
	} else {
		r.Duration = time.Since(start)
	}
	if r.Err == nil {
		res.prepare.Do(func() {
			rs := make([]Resource, len(res.resources))
			for i, resource := range res.resources {
				resource.ExpectedInterval = t.ExpectedInterval
				rs[i] = resource
			}
			res.final = dedupe(rs)
			res.metrics = e.resourceMetrics(t, res.final)
		})
		r.Resources, r.metrics = res.final, res.metrics
	}
	e.logOutcome(t, r.Err)
	return r
}

// logOutcome logs a target's failure when it starts or changes, and its
// recovery, so that a target that stays down does not log every scrape
// at warn level.
func (e *Exporter) logOutcome(t *Target, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	e.mu.Lock()
	prev, seen := e.lastErr[t.Name]
	e.lastErr[t.Name] = msg
	e.mu.Unlock()
	fields := []zap.Field{zap.String("target", t.Name), zap.String("provider", t.Type)}
	switch {
	case err != nil && msg != prev:
		e.logger.Warn("collecting target failed", append(fields, zap.Error(err))...)
	case err != nil:
		e.logger.Debug("collecting target failed again", append(fields, zap.Error(err))...)
	case seen && prev != "":
		e.logger.Info("collecting target recovered", fields...)
	}
}

// Collector returns a prometheus.Collector that collects targets under
// ctx: build one per scrape so that the scrape's deadline reaches every
// upstream call.
func (e *Exporter) Collector(ctx context.Context, targets []*Target) prometheus.Collector {
	return &scrape{e: e, ctx: ctx, targets: targets}
}

type scrape struct {
	e       *Exporter
	ctx     context.Context
	targets []*Target
}

// Describe sends nothing: the set of series depends on what upstream
// returns, so this is an unchecked collector.
func (s *scrape) Describe(chan<- *prometheus.Desc) {}

// Collect collects every target and sends its metrics.
func (s *scrape) Collect(ch chan<- prometheus.Metric) {
	for _, r := range s.e.Collect(s.ctx, s.targets) {
		s.e.emit(ch, r)
	}
}

func (e *Exporter) emit(ch chan<- prometheus.Metric, r Result) {
	labels := []string{r.Target.Type, r.Target.Name}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descTargetUp, boolFloat(r.Err == nil))
	gauge(descTargetDuration, r.Duration.Seconds())
	if !r.LastSuccess.IsZero() {
		gauge(descTargetLastSuccess, UnixSeconds(r.LastSuccess))
	}
	if r.Err != nil {
		return
	}
	gauge(descTargetResources, float64(len(r.Resources)))
	for _, m := range r.metrics {
		ch <- m
	}
}

// resourceMetrics builds the metrics of a target's resources. They are
// immutable, so one poll's are built once and shared by every scrape that
// the cache answers with it.
func (e *Exporter) resourceMetrics(t *Target, rs []Resource) []prometheus.Metric {
	var out []prometheus.Metric
	send := func(m prometheus.Metric) { out = append(out, m) }
	for i := range rs {
		emitResource(send, t.Type, t.Name, &rs[i])
	}
	return out
}

// dedupe keeps the first record of each resource ID (sorted by ID for a
// stable exposition), since a duplicate series would fail the whole
// scrape.
func dedupe(rs []Resource) []Resource {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	out := rs[:0]
	for i, r := range rs {
		if i > 0 && r.ID == rs[i-1].ID {
			continue
		}
		out = append(out, r)
	}
	return out
}

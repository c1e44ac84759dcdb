package collector

import (
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/version"
)

// APIMetrics are the exporter's counters of upstream traffic. They live
// for the whole process (across reloads), so they are ordinary metrics
// registered once, not built per scrape.
type APIMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	// armReads is ARM's x-ms-ratelimit-remaining-subscription-reads, as
	// last seen per subscription.
	armReads *prometheus.GaugeVec
}

// NewAPIMetrics creates the upstream traffic metrics and registers them.
func NewAPIMetrics(reg prometheus.Registerer) *APIMetrics {
	m := &APIMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backup_exporter_api_requests_total",
			Help: "Upstream HTTP requests by provider and status code (\"error\" when no response arrived).",
		}, []string{"provider", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "backup_exporter_api_request_duration_seconds",
			Help:    "Latency of upstream HTTP requests.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"provider"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backup_exporter_api_retries_total",
			Help: "Upstream requests retried, by reason (throttled, server_error, network).",
		}, []string{"provider", "reason"}),
		armReads: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "backup_exporter_azure_ratelimit_remaining_reads",
			Help: "ARM read requests left in the current throttling window (x-ms-ratelimit-remaining-subscription-reads), as last seen.",
		}, []string{"subscription_id"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.retries, m.armReads)
	}
	return m
}

func (m *APIMetrics) observe(provider, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(provider, code).Inc()
	m.duration.WithLabelValues(provider).Observe(d.Seconds())
}

func (m *APIMetrics) armReadsRemaining(subscription string, v float64) {
	if m == nil {
		return
	}
	m.armReads.WithLabelValues(subscription).Set(v)
}

func (m *APIMetrics) retry(provider, reason string) {
	if m == nil {
		return
	}
	m.retries.WithLabelValues(provider, reason).Inc()
}

// CacheMetrics count scrapes answered from the cache, or not, per target.
type CacheMetrics struct {
	hits   *prometheus.CounterVec
	misses *prometheus.CounterVec
}

// NewCacheMetrics creates the cache counters and registers them.
func NewCacheMetrics(reg prometheus.Registerer) *CacheMetrics {
	m := &CacheMetrics{
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backup_exporter_cache_hits_total",
			Help: "Collections of a target answered from the cache.",
		}, []string{"target"}),
		misses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backup_exporter_cache_misses_total",
			Help: "Collections of a target that polled the upstream API (or joined a poll in flight).",
		}, []string{"target"}),
	}
	if reg != nil {
		reg.MustRegister(m.hits, m.misses)
	}
	return m
}

// track creates a target's counters at 0, so that rates and ratios exist
// from the first scrape on.
func (m *CacheMetrics) track(target string) {
	if m == nil {
		return
	}
	m.hits.WithLabelValues(target)
	m.misses.WithLabelValues(target)
}

func (m *CacheMetrics) record(target string, hit bool) {
	if m == nil {
		return
	}
	if hit {
		m.hits.WithLabelValues(target).Inc()
	} else {
		m.misses.WithLabelValues(target).Inc()
	}
}

// NewBuildInfo returns backup_exporter_build_info with exactly the labels
// of the metrics contract (version, revision, goversion).
func NewBuildInfo() prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "backup_exporter_build_info",
		Help: "A metric with a constant '1' value labelled by the version, revision and Go version of backup_exporter.",
		ConstLabels: prometheus.Labels{
			"version":   version.Version,
			"revision":  version.GetRevision(),
			"goversion": runtime.Version(),
		},
	})
	g.Set(1)
	return g
}

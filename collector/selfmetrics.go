package collector

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/version"
)

// CacheMetrics are the orchestrator's process-wide counters: scrapes
// answered from the cache, or not, per target, and the panics recovered
// in polls.
type CacheMetrics struct {
	hits   *prometheus.CounterVec
	misses *prometheus.CounterVec
	panics *prometheus.CounterVec
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
		panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backup_exporter_panics_total",
			Help: "Panics recovered in polls of a target (a bug: the target or resource is reported down, the stack is in the debug log).",
		}, []string{"provider", "target"}),
	}
	if reg != nil {
		reg.MustRegister(m.hits, m.misses, m.panics)
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

// forget deletes a removed target's counters.
func (m *CacheMetrics) forget(target string) {
	if m == nil {
		return
	}
	m.hits.DeleteLabelValues(target)
	m.misses.DeleteLabelValues(target)
	m.panics.DeletePartialMatch(prometheus.Labels{"target": target})
}

// panicked counts a panic recovered in a poll of a target.
func (m *CacheMetrics) panicked(provider, target string) {
	if m == nil {
		return
	}
	m.panics.WithLabelValues(provider, target).Inc()
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

package collector

import (
	"runtime"

	"github.com/backup-exporter/backup_exporter/internal/metricinfo"
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
		hits:   infoCacheHits.CounterVec(),
		misses: infoCacheMisses.CounterVec(),
		panics: infoPanics.CounterVec(),
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
	return infoBuild.ConstGauge(1, runtime.Version(), version.GetRevision(), version.Version)
}

// The orchestrator's process-wide metrics.
var (
	infoCacheHits = metricinfo.Info{Name: "backup_exporter_cache_hits_total", Type: metricinfo.Counter, Labels: []string{"target"},
		Help: "Collections of a target answered from the cache."}
	infoCacheMisses = metricinfo.Info{Name: "backup_exporter_cache_misses_total", Type: metricinfo.Counter, Labels: []string{"target"},
		Help: "Collections of a target that polled the upstream API (or joined a poll in flight)."}
	infoPanics = metricinfo.Info{Name: "backup_exporter_panics_total", Type: metricinfo.Counter, Labels: []string{"provider", "target"},
		Help: "Panics recovered in polls of a target (a bug: the target or resource is reported down, the stack is in the debug log)."}
	infoBuild = metricinfo.Info{Name: "backup_exporter_build_info", Type: metricinfo.Gauge, Labels: []string{"goversion", "revision", "version"},
		Help: "A metric with a constant '1' value labelled by the version, revision and Go version of backup_exporter."}
	infoShard = metricinfo.Info{Name: "backup_exporter_shard_info", Type: metricinfo.Gauge, Labels: []string{"shard", "total"},
		Help: "The shard of the estate this replica serves (kube-state-metrics style sharding): shard of total."}
)

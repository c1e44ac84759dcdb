package collector

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/metricinfo"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// MetricInfo describes one metric family the exporter exposes.
type MetricInfo = metricinfo.Info

// Catalog lists every metric family the exporter itself defines (not the
// go_* and process_* collectors), for documentation and for the tests that
// check that dashboards and rules use only metrics that exist. The
// families, the per-target gauges and the process-wide metrics are each
// built from the very values listed here, so it cannot drift from what is
// served.
func Catalog(r toolkit.Registry) []MetricInfo {
	var out []MetricInfo
	families := families(r)
	seen := map[string]bool{}
	for _, f := range families {
		if seen[f.Name] {
			continue
		}
		seen[f.Name] = true
		out = append(out, MetricInfo{Name: f.Name, Help: f.Help, Type: typeName(f.Type), Labels: f.LabelNames()})
	}
	for _, tf := range targetFamilies {
		out = append(out, MetricInfo{Name: tf.name, Help: tf.help, Type: "gauge", Labels: tf.names})
	}
	for _, infos := range [][]metricinfo.Info{upstream.MetricInfos(), config.MetricInfos(),
		{infoCacheHits, infoCacheMisses, infoPanics, infoBuild, infoShard}} {
		out = append(out, infos...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func typeName(t prometheus.ValueType) string {
	if t == prometheus.CounterValue {
		return "counter"
	}
	return "gauge"
}

package collector

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// MetricInfo describes one metric family the exporter exposes.
type MetricInfo struct {
	Name string
	Help string
	// Type is "gauge", "counter" or "histogram".
	Type   string
	Labels []string
}

// Catalog lists every metric family the exporter itself defines (not the
// go_* and process_* collectors), for documentation and for the tests that
// check that dashboards and rules use only metrics that exist. It is read
// off the descriptors of the very constructors the exporter registers, so
// it cannot drift from what is served.
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
	for _, c := range SelfCollectors() {
		// A Gauge also has a Counter's methods: ask for it first.
		typ := "gauge"
		switch c.(type) {
		case *prometheus.GaugeVec, prometheus.Gauge:
		case *prometheus.CounterVec, prometheus.Counter:
			typ = "counter"
		case *prometheus.HistogramVec, prometheus.Histogram:
			typ = "histogram"
		}
		ch := make(chan *prometheus.Desc)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			out = append(out, describeDesc(d, typ))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// SelfCollectors returns, unregistered, the process-wide collectors that
// the exporter registers (upstream traffic, cache, reload, build info),
// built by the same constructors main uses.
func SelfCollectors() []prometheus.Collector {
	var c collectorList
	upstream.NewMetrics(&c)
	NewCacheMetrics(&c)
	config.NewLive("", nil, nil, &c)
	c.MustRegister(NewBuildInfo(), NewShardInfo(Shard{Index: 0, Total: 2}))
	return c
}

// collectorList is a prometheus.Registerer that only keeps what is
// registered.
type collectorList []prometheus.Collector

func (l *collectorList) Register(c prometheus.Collector) error   { *l = append(*l, c); return nil }
func (l *collectorList) MustRegister(cs ...prometheus.Collector) { *l = append(*l, cs...) }
func (l *collectorList) Unregister(prometheus.Collector) bool    { return false }

// descFields reads a Desc's String(), the only way client_golang offers
// to see a descriptor's name, help and labels.
var descFields = regexp.MustCompile(`^Desc\{fqName: ("(?:[^"\\]|\\.)*"), help: ("(?:[^"\\]|\\.)*"), (?:unit: "(?:[^"\\]|\\.)*", )?constLabels: \{([^}]*)\}, variableLabels: \{([^}]*)\}\}$`)

func describeDesc(d *prometheus.Desc, typ string) MetricInfo {
	m := descFields.FindStringSubmatch(d.String())
	if m == nil {
		// A client_golang whose Desc prints otherwise: TestCatalog fails.
		return MetricInfo{Type: typ}
	}
	name, _ := strconv.Unquote(m[1])
	help, _ := strconv.Unquote(m[2])
	var labels []string
	for _, part := range []string{m[3], m[4]} {
		for _, l := range strings.Split(part, ",") {
			if l = strings.TrimSpace(l); l != "" {
				l, _, _ = strings.Cut(l, "=")
				labels = append(labels, l)
			}
		}
	}
	return MetricInfo{Name: name, Help: help, Type: typ, Labels: labels}
}

func typeName(t prometheus.ValueType) string {
	if t == prometheus.CounterValue {
		return "counter"
	}
	return "gauge"
}

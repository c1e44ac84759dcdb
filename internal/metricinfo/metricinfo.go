// Package metricinfo declares the exporter's own metrics as data: a
// metric is an Info (name, help, type, labels), built from it and listed
// from it (the catalog and docs/metrics.md), so that the listing cannot
// drift from what is registered, and nothing has to read a descriptor
// back.
package metricinfo

import "github.com/prometheus/client_golang/prometheus"

// Metric types.
const (
	Counter   = "counter"
	Gauge     = "gauge"
	Histogram = "histogram"
)

// Info describes one metric family.
type Info struct {
	Name string
	Help string
	// Type is Counter, Gauge or Histogram.
	Type string
	// Labels are its label names: variable labels, or the constant ones
	// of a metric built by ConstGauge.
	Labels []string
}

// CounterVec builds the counter vector i describes.
func (i Info) CounterVec() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: i.Name, Help: i.Help}, i.Labels)
}

// GaugeVec builds the gauge vector i describes.
func (i Info) GaugeVec() *prometheus.GaugeVec {
	return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: i.Name, Help: i.Help}, i.Labels)
}

// HistogramVec builds the histogram vector i describes.
func (i Info) HistogramVec(buckets []float64) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: i.Name, Help: i.Help, Buckets: buckets}, i.Labels)
}

// Gauge builds the gauge i describes without labels.
func (i Info) Gauge() prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: i.Name, Help: i.Help})
}

// ConstGauge builds a gauge of value v whose labels (i.Labels, in order)
// have the constant values given (build info, shard info).
func (i Info) ConstGauge(v float64, values ...string) prometheus.Gauge {
	labels := prometheus.Labels{}
	for n, name := range i.Labels {
		labels[name] = values[n]
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: i.Name, Help: i.Help, ConstLabels: labels})
	g.Set(v)
	return g
}

package upstream

import (
	"time"

	"github.com/backup-exporter/backup_exporter/internal/metricinfo"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the exporter's counters of upstream traffic. They live for
// the whole process (across reloads), so they are ordinary metrics
// registered once, not built per scrape.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	// armReads is ARM's x-ms-ratelimit-remaining-subscription-reads, as
	// last seen per subscription.
	armReads *prometheus.GaugeVec
	// armPaced and armPacedSeconds count the ARM requests a pacer held
	// back to stay within a subscription's read quota, and how long.
	armPaced        *prometheus.CounterVec
	armPacedSeconds *prometheus.CounterVec
	// graphQuota is Resource Graph's x-ms-user-quota-remaining, as last
	// seen per credential.
	graphQuota *prometheus.GaugeVec
}

// The upstream traffic metrics.
var (
	infoRequests = metricinfo.Info{Name: "backup_exporter_api_requests_total", Type: metricinfo.Counter, Labels: []string{"provider", "code"},
		Help: "Upstream HTTP requests by provider and status code (\"error\" when no response arrived)."}
	infoDuration = metricinfo.Info{Name: "backup_exporter_api_request_duration_seconds", Type: metricinfo.Histogram, Labels: []string{"provider"},
		Help: "Latency of upstream HTTP requests."}
	infoRetries = metricinfo.Info{Name: "backup_exporter_api_retries_total", Type: metricinfo.Counter, Labels: []string{"provider", "reason"},
		Help: "Upstream requests retried, by reason (throttled, server_error, network)."}
	infoARMReads = metricinfo.Info{Name: "backup_exporter_azure_ratelimit_remaining_reads", Type: metricinfo.Gauge, Labels: []string{"subscription_id"},
		Help: "ARM read requests left in the current throttling window (x-ms-ratelimit-remaining-subscription-reads), as last seen."}
	infoARMPaced = metricinfo.Info{Name: "backup_exporter_azure_paced_requests_total", Type: metricinfo.Counter, Labels: []string{"subscription_id"},
		Help: "ARM requests held back so that the subscription's read quota (x-ms-ratelimit-remaining-subscription-reads) is not used up."}
	infoARMPacedSeconds = metricinfo.Info{Name: "backup_exporter_azure_paced_seconds_total", Type: metricinfo.Counter, Labels: []string{"subscription_id"},
		Help: "Time ARM requests were held back so that the subscription's read quota is not used up, summed over the requests."}
	infoGraphQuota = metricinfo.Info{Name: "backup_exporter_azure_resourcegraph_quota_remaining", Type: metricinfo.Gauge, Labels: []string{"credential"},
		Help: "Azure Resource Graph queries left in the credential's current quota window (x-ms-user-quota-remaining), as last seen."}
)

// MetricInfos describe the upstream traffic metrics.
func MetricInfos() []metricinfo.Info {
	return []metricinfo.Info{infoRequests, infoDuration, infoRetries, infoARMReads, infoARMPaced, infoARMPacedSeconds, infoGraphQuota}
}

// NewMetrics creates the upstream traffic metrics and registers them on
// reg (when not nil).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests:   infoRequests.CounterVec(),
		duration:   infoDuration.HistogramVec([]float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}),
		retries:    infoRetries.CounterVec(),
		armReads:   infoARMReads.GaugeVec(),
		graphQuota: infoGraphQuota.GaugeVec(),

		armPaced:        infoARMPaced.CounterVec(),
		armPacedSeconds: infoARMPacedSeconds.CounterVec(),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.retries, m.armReads, m.graphQuota, m.armPaced, m.armPacedSeconds)
	}
	return m
}

func (m *Metrics) observe(provider, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(provider, code).Inc()
	m.duration.WithLabelValues(provider).Observe(d.Seconds())
}

func (m *Metrics) retry(provider, reason string) {
	if m == nil {
		return
	}
	m.retries.WithLabelValues(provider, reason).Inc()
}

// Waited counts a wait before a request that a client made on its own
// (Resource Graph's spent quota, say) as a retry for reason.
func (m *Metrics) Waited(provider, reason string) { m.retry(provider, reason) }

// ResourceGraphQuotaRemaining records Resource Graph's remaining query
// quota of credential.
func (m *Metrics) ResourceGraphQuotaRemaining(credential string, v float64) {
	if m == nil {
		return
	}
	m.graphQuota.WithLabelValues(credential).Set(v)
}

// ARMReadsRemaining records ARM's remaining read quota of subscription.
func (m *Metrics) ARMReadsRemaining(subscription string, v float64) {
	if m == nil {
		return
	}
	m.armReads.WithLabelValues(subscription).Set(v)
}

// ARMPaced counts an ARM request of subscription held back for wait.
func (m *Metrics) ARMPaced(subscription string, wait time.Duration) {
	if m == nil {
		return
	}
	m.armPaced.WithLabelValues(subscription).Inc()
	m.armPacedSeconds.WithLabelValues(subscription).Add(wait.Seconds())
}

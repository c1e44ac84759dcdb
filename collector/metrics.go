package collector

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// MetricInfo describes one metric the exporter exposes.
type MetricInfo struct {
	Name   string
	Help   string
	Type   prometheus.ValueType
	Labels []string
}

var identity = []string{"provider", "target", "resource_id", "resource_name"}

func withIdentity(extra ...string) []string {
	return append(append([]string(nil), identity...), extra...)
}

// backupMetrics lists the per-resource metrics of metrics.md.
func backupMetrics() []MetricInfo {
	g, c := prometheus.GaugeValue, prometheus.CounterValue
	return []MetricInfo{
		{"backup_healthy", "1 when the resource's backup is healthy, else 0.", g, withIdentity()},
		{"backup_protected", "1 when the resource has backup configured or any backup listed, 0 for a discovered resource without.", g, withIdentity()},
		{"backup_state", "Normalised state of the latest backup (state set).", g, withIdentity("state")},
		{"backup_info", "The latest backup's name and raw provider status.", g, withIdentity("backup", "status")},
		{"backup_error_info", "Error reported by the latest backup.", g, withIdentity("code", "message")},
		{"backup_progress_ratio", "Progress of the latest backup, 0 to 1.", g, withIdentity()},
		{"backup_transferred_bytes", "Bytes moved by the latest or ongoing backup operation.", g, withIdentity()},
		{"backup_last_transfer_size_bytes", "Size of the last transfer (Azure NetApp Files).", g, withIdentity()},
		{"backup_transfer_bytes_total", "Total bytes transferred (Azure NetApp Files).", c, withIdentity()},
		{"backup_size_bytes", "Size of the latest backup or of its data source.", g, withIdentity()},
		{"backup_start_timestamp_seconds", "Start of the latest backup.", g, withIdentity()},
		{"backup_end_timestamp_seconds", "End of the latest backup, once it has ended.", g, withIdentity()},
		{"backup_last_success_timestamp_seconds", "End of the newest successful backup; 0 when all backups were listed and none succeeded.", g, withIdentity()},
		{"backup_last_failure_timestamp_seconds", "End (else start) of the newest failed backup.", g, withIdentity()},
		{"backup_expected_interval_seconds", "How often a good backup is due (the target's expected_interval).", g, withIdentity()},
		{"backup_expiry_timestamp_seconds", "Expiry of the latest backup.", g, withIdentity()},
		{"backup_backups", "Backups of the resource listed by the API, by normalised state.", g, withIdentity("state")},
		{"backup_mirror_state", "Azure NetApp Files mirror state (state set).", g, withIdentity("state")},
		{"backup_relationship_status", "Azure NetApp Files relationship status (state set).", g, withIdentity("status")},
	}
}

// targetMetrics lists the exporter's per-target metrics.
func targetMetrics() []MetricInfo {
	g := prometheus.GaugeValue
	l := []string{"provider", "target"}
	return []MetricInfo{
		{"backup_exporter_target_up", "1 when the last collection of the target succeeded.", g, l},
		{"backup_exporter_target_duration_seconds", "How long the last collection of the target took.", g, l},
		{"backup_exporter_target_last_success_timestamp_seconds", "When the target was last read successfully.", g, l},
		{"backup_exporter_target_resources", "Protected resources found for the target (including unprotected ones discovered).", g, l},
	}
}

// Catalog lists every metric the exporter itself defines (not the go_* and
// process_* collectors), for documentation and for tests that check that
// dashboards and rules only use metrics that exist.
func Catalog() []MetricInfo {
	c, g, h := prometheus.CounterValue, prometheus.GaugeValue, prometheus.UntypedValue
	out := append(backupMetrics(), targetMetrics()...)
	return append(out,
		MetricInfo{"backup_exporter_api_requests_total", "Upstream HTTP requests.", c, []string{"provider", "code"}},
		MetricInfo{"backup_exporter_api_request_duration_seconds", "Upstream request latency (histogram).", h, []string{"provider"}},
		MetricInfo{"backup_exporter_api_retries_total", "Upstream retries.", c, []string{"provider", "reason"}},
		MetricInfo{"backup_exporter_azure_ratelimit_remaining_reads", "ARM read requests left in the current throttling window, as last seen.", g, []string{"subscription_id"}},
		MetricInfo{"backup_exporter_cache_hits_total", "Collections answered from the cache.", c, []string{"target"}},
		MetricInfo{"backup_exporter_cache_misses_total", "Collections not answered from the cache.", c, []string{"target"}},
		MetricInfo{"backup_exporter_config_last_reload_successful", "1 when the last (re)load succeeded.", g, nil},
		MetricInfo{"backup_exporter_config_last_reload_success_timestamp_seconds", "When the configuration was last loaded successfully.", g, nil},
		MetricInfo{"backup_exporter_build_info", "Build information.", g, []string{"version", "revision", "goversion"}},
	)
}

// descs holds the descriptors of the metrics built at scrape time.
type descs map[string]*prometheus.Desc

func newDescs() descs {
	d := descs{}
	for _, m := range append(backupMetrics(), targetMetrics()...) {
		d[m.Name] = prometheus.NewDesc(m.Name, m.Help, m.Labels, nil)
	}
	return d
}

// errorMessageLimit is the longest backup_error_info message, in runes.
const errorMessageLimit = 256

// emitResource passes the metrics of one resource to send.
func (d descs) emitResource(send func(prometheus.Metric), provider, target string, r *Resource) {
	id := []string{provider, target, r.ID, r.Name}
	gauge := func(name string, v float64, extra ...string) {
		send(prometheus.MustNewConstMetric(d[name], prometheus.GaugeValue, v, append(id[:4:4], extra...)...))
	}
	optional := func(name string, v *float64) {
		if v != nil {
			gauge(name, *v)
		}
	}
	timestamp := func(name string, t time.Time) {
		if !t.IsZero() {
			gauge(name, unixSeconds(t))
		}
	}

	if !r.Protected {
		gauge("backup_protected", 0)
		return
	}
	gauge("backup_protected", 1)
	gauge("backup_healthy", boolFloat(r.Healthy))
	gauge("backup_expected_interval_seconds", r.ExpectedInterval.Seconds())

	if state := r.CurrentState(); state != "" {
		for _, s := range States {
			gauge("backup_state", boolFloat(s == state), string(s))
		}
	}
	if r.Latest != nil || r.CurrentRawStatus() != "" {
		name := ""
		if r.Latest != nil {
			name = r.Latest.Name
		}
		gauge("backup_info", 1, name, r.CurrentRawStatus())
	}
	if e := r.CurrentError(); e != nil {
		gauge("backup_error_info", 1, e.Code, truncateRunes(e.Message, errorMessageLimit))
	}
	if b := r.Latest; b != nil {
		optional("backup_progress_ratio", b.Progress)
		optional("backup_transferred_bytes", b.Transferred)
		optional("backup_size_bytes", b.Size)
		timestamp("backup_start_timestamp_seconds", b.Start)
		timestamp("backup_end_timestamp_seconds", b.End)
		timestamp("backup_expiry_timestamp_seconds", b.Expiry)
	}
	optional("backup_last_transfer_size_bytes", r.LastTransferSize)
	if r.TransferBytesTotal != nil {
		send(prometheus.MustNewConstMetric(d["backup_transfer_bytes_total"], prometheus.CounterValue, *r.TransferBytesTotal, id...))
	}
	switch {
	case !r.LastSuccess.IsZero():
		gauge("backup_last_success_timestamp_seconds", unixSeconds(r.LastSuccess))
	case r.NoSuccessListed:
		gauge("backup_last_success_timestamp_seconds", 0)
	}
	timestamp("backup_last_failure_timestamp_seconds", r.LastFailure)
	if r.Counts != nil {
		for _, s := range States {
			gauge("backup_backups", float64(r.Counts[s]), string(s))
		}
	}
	if r.MirrorState != "" {
		for _, s := range anfMirrorStates {
			gauge("backup_mirror_state", boolFloat(s == r.MirrorState), s)
		}
	}
	if r.RelationshipStatus != "" {
		for _, s := range anfRelationshipStatuses {
			gauge("backup_relationship_status", boolFloat(s == r.RelationshipStatus), s)
		}
	}
}

// unixSeconds is t in Unix seconds, correctly rounded: the float closest to
// the exact decimal value, which is what "1.748802622123e+09" in an
// exposition or a test parses to. float64(UnixNano)/1e9 rounds twice and
// can be off by one unit in the last place.
func unixSeconds(t time.Time) float64 {
	sec, nsec := t.Unix(), t.Nanosecond()
	if nsec == 0 {
		return float64(sec)
	}
	v, err := strconv.ParseFloat(strconv.FormatInt(sec, 10)+"."+fmt.Sprintf("%09d", nsec), 64)
	if err != nil {
		return float64(t.UnixNano()) / 1e9
	}
	return v
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// Float returns a pointer to v, for optional numeric fields.
func Float(v float64) *float64 { return &v }

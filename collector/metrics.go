package collector

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// The shared per-resource families of docs/metrics.md, filled by the rules in
// this package for every provider alike.
var (
	famHealthy          = NewFamily("backup_healthy", "1 when the resource's backup is healthy, else 0.", prometheus.GaugeValue)
	famProtected        = NewFamily("backup_protected", "1 when the resource has backup configured or any backup listed, 0 for a discovered resource without.", prometheus.GaugeValue)
	famState            = NewFamily("backup_state", "Normalised state of the latest backup (state set).", prometheus.GaugeValue, "state")
	famInfo             = NewFamily("backup_info", "The latest backup's name and raw provider status.", prometheus.GaugeValue, "backup", "status")
	famErrorInfo        = NewFamily("backup_error_info", "Error reported by the latest backup.", prometheus.GaugeValue, "code", "message")
	famProgress         = NewFamily("backup_progress_ratio", "Progress of the latest backup, 0 to 1.", prometheus.GaugeValue)
	famTransferred      = NewFamily("backup_transferred_bytes", "Bytes moved by the latest or ongoing backup operation.", prometheus.GaugeValue)
	famSize             = NewFamily("backup_size_bytes", "Size of the latest backup or of its data source.", prometheus.GaugeValue)
	famStart            = NewFamily("backup_start_timestamp_seconds", "Start of the latest backup.", prometheus.GaugeValue)
	famEnd              = NewFamily("backup_end_timestamp_seconds", "End of the latest backup, once it has ended.", prometheus.GaugeValue)
	famLastSuccess      = NewFamily("backup_last_success_timestamp_seconds", "End of the newest successful backup; 0 when all backups were listed and none succeeded.", prometheus.GaugeValue)
	famLastFailure      = NewFamily("backup_last_failure_timestamp_seconds", "End (else start) of the newest failed backup.", prometheus.GaugeValue)
	famExpectedInterval = NewFamily("backup_expected_interval_seconds", "How often a good backup is due (the target's expected_interval).", prometheus.GaugeValue)
	famExpiry           = NewFamily("backup_expiry_timestamp_seconds", "Expiry of the latest backup.", prometheus.GaugeValue)
	famBackups          = NewFamily("backup_backups", "Backups of the resource listed by the API, by normalised state.", prometheus.GaugeValue, "state")
	famOldestSuccess    = NewFamily("backup_oldest_success_timestamp_seconds", "End of the oldest successful backup still listed: how far back the resource can be restored (providers that list every backup).", prometheus.GaugeValue)
	famRetention        = NewFamily("backup_expected_retention_seconds", "How long backups should be kept (the target's expected_retention).", prometheus.GaugeValue)
)

// sharedFamilies lists the shared per-resource families.
func sharedFamilies() []*Family {
	return []*Family{
		famHealthy, famProtected, famState, famInfo, famErrorInfo, famProgress,
		famTransferred, famSize, famStart, famEnd, famLastSuccess, famLastFailure,
		famExpectedInterval, famExpiry, famBackups, famOldestSuccess, famRetention,
	}
}

// newTargetFamily declares one of the exporter's per-target gauges and
// how a result gives its value (none: no sample).
func newTargetFamily(name, help string, value func(r *Result) (float64, bool)) *targetFamily {
	return &targetFamily{
		name:   name,
		desc:   prometheus.NewDesc(name, help, targetLabelNames, nil),
		header: familyHeader(name, help, prometheus.GaugeValue),
		value:  value,
	}
}

var (
	descTargetUp = newTargetFamily("backup_exporter_target_up", "1 when the last collection of the target succeeded.",
		func(r *Result) (float64, bool) { return boolFloat(r.Err == nil), true })
	descTargetDuration = newTargetFamily("backup_exporter_target_duration_seconds", "How long this scrape's collection of the target took (answered from the last poll with a cache_ttl, which is near 0).",
		func(r *Result) (float64, bool) { return r.Duration.Seconds(), true })
	descTargetPollDuration = newTargetFamily("backup_exporter_target_poll_duration_seconds", "How long the last completed poll of the target took (background or synchronous).",
		func(r *Result) (float64, bool) { return r.PollDuration.Seconds(), r.PollDuration > 0 })
	descTargetLastSuccess = newTargetFamily("backup_exporter_target_last_success_timestamp_seconds", "When the target was last read successfully: the served data is that old (up to cache_ttl, or max_staleness after failed polls).",
		func(r *Result) (float64, bool) { return UnixSeconds(r.LastSuccess), !r.LastSuccess.IsZero() })
	descTargetResourceErrors = newTargetFamily("backup_exporter_target_resource_errors", "Resources of a discovery target whose own read failed in the last poll (their last good series are kept for max_staleness).",
		func(r *Result) (float64, bool) { return float64(r.ResourceErrors), r.served && r.Err == nil })
	descTargetResources = newTargetFamily("backup_exporter_target_resources", "Protected resources found for the target (including unprotected ones discovered).",
		func(r *Result) (float64, bool) { return float64(len(r.Resources)), r.served })
)

// targetFamilies are the per-target self-metrics, in exposition order.
var targetFamilies = []*targetFamily{descTargetUp, descTargetDuration, descTargetPollDuration, descTargetLastSuccess, descTargetResources, descTargetResourceErrors}

// Bounds of label values from upstream, in runes (a cut value ends in
// "…", within the bound): names, states, codes and messages 256, as
// docs/metrics.md bounds backup_error_info's message; resource IDs 1,024, as
// ARM IDs of nested resources run past 400 characters.
const (
	labelLimit   = 256
	idLabelLimit = 1024
)

// idLabel makes a resource ID the resource_id label value. An ID that is
// valid UTF-8 and within idLabelLimit runes is itself; another (cut, or
// with bytes replaced) ends in "#" and 12 hex digits of its SHA-256, so
// that two IDs that differ only past the cut, or only in invalid bytes,
// stay two resources (two label sets) rather than one hiding the other.
func idLabel(id string) string {
	if utf8.ValidString(id) && (len(id) <= idLabelLimit || utf8.RuneCountInString(id) <= idLabelLimit) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	suffix := "#" + hex.EncodeToString(sum[:6])
	v := strings.ToValidUTF8(id, "\uFFFD")
	if utf8.RuneCountInString(v) > idLabelLimit-utf8.RuneCountInString(suffix) {
		v = truncateRunes(v, idLabelLimit-len(suffix))
	}
	return v + suffix
}

// labelValue makes an upstream string a label value: valid UTF-8
// (invalid bytes become U+FFFD) and at most limit runes.
func labelValue(s string, limit int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return truncateRunes(s, limit)
}

// sink receives the series of resources: as prometheus.Metric values
// (metricSink) or as exposition text (textSink).
type sink interface {
	// add takes one series of f; labels are the values of f's labels, in
	// f's order (the identity labels first).
	add(f *Family, v float64, labels []string)
}

// metricSink turns series into const metrics.
type metricSink func(prometheus.Metric)

func (s metricSink) add(f *Family, v float64, labels []string) {
	s(prometheus.MustNewConstMetric(f.desc, f.Type, v, labels...))
}

// emitResource passes the series of one resource to out.
func emitResource(out sink, provider, target string, r *Resource) {
	id := []string{provider, target, r.labelID(), labelValue(r.Name, labelLimit)}
	gauge := func(f *Family, v float64, extra ...string) {
		out.add(f, v, append(id[:4:4], extra...))
	}
	optional := func(f *Family, v *float64) {
		if v != nil {
			gauge(f, *v)
		}
	}
	timestamp := func(f *Family, t time.Time) {
		if !t.IsZero() {
			gauge(f, UnixSeconds(t))
		}
	}

	if !r.Protected {
		gauge(famProtected, 0)
		return
	}
	gauge(famProtected, 1)
	gauge(famHealthy, boolFloat(r.Healthy))
	gauge(famExpectedInterval, r.ExpectedInterval.Seconds())

	if state := r.CurrentState(); state != "" {
		for _, s := range States {
			gauge(famState, boolFloat(s == state), string(s))
		}
	}
	if r.Latest != nil || r.CurrentRawStatus() != "" {
		name := ""
		if r.Latest != nil {
			name = r.Latest.Name
		}
		gauge(famInfo, 1, labelValue(name, labelLimit), labelValue(r.CurrentRawStatus(), labelLimit))
	}
	if e := r.CurrentError(); e != nil {
		gauge(famErrorInfo, 1, labelValue(e.Code, labelLimit), labelValue(e.Message, labelLimit))
	}
	if b := r.Latest; b != nil {
		optional(famProgress, b.Progress)
		optional(famTransferred, b.Transferred)
		optional(famSize, b.Size)
		timestamp(famStart, b.Start)
		timestamp(famEnd, b.End)
		timestamp(famExpiry, b.Expiry)
	}
	switch {
	case !r.LastSuccess.IsZero():
		gauge(famLastSuccess, UnixSeconds(r.LastSuccess))
	case r.NoSuccessListed:
		gauge(famLastSuccess, 0)
	}
	timestamp(famLastFailure, r.LastFailure)
	timestamp(famOldestSuccess, r.OldestSuccess)
	if r.ExpectedRetention > 0 {
		gauge(famRetention, r.ExpectedRetention.Seconds())
	}
	if r.Counts != nil {
		// Only states with backups, and succeeded and failed always, so
		// that `== 0` and `> 0` queries on them keep working.
		for _, s := range States {
			if n := r.Counts[s]; n > 0 || s == StateSucceeded || s == StateFailed {
				gauge(famBackups, float64(n), string(s))
			}
		}
	}
	for _, s := range r.Extra {
		extra := make([]string, len(s.Labels))
		for i, v := range s.Labels {
			extra[i] = labelValue(v, labelLimit)
		}
		out.add(s.Family, s.Value, append(id[:4:4], extra...))
	}
}

// UnixSeconds is t in Unix seconds, correctly rounded: the float closest to
// the exact decimal value, which is what "1.748802622123e+09" in an
// exposition or a test parses to. float64(UnixNano)/1e9 rounds twice and
// can be off by one unit in the last place.
func UnixSeconds(t time.Time) float64 {
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

// truncateRunes cuts s to at most n runes, the last one "…" when cut.
func truncateRunes(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for i = range s {
		if count == n-1 {
			break
		}
		count++
	}
	return s[:i] + "…"
}

package toolkit

import (
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The shared per-resource families of docs/metrics.md, in exposition
// order, each with the rule that fills it from a resource record: the
// same for every provider.
var (
	famHealthy = &Family{Name: "backup_healthy", Help: "1 when the resource's backup is healthy, else 0.", Type: prometheus.GaugeValue,
		Generate: func(r *Resource, emit func(float64, ...string)) { emit(boolFloat(r.Healthy)) }}
	famProtected = &Family{Name: "backup_protected", Help: "1 when the resource has backup configured or any backup listed, 0 for a discovered resource without.", Type: prometheus.GaugeValue,
		Unprotected: true, Generate: func(r *Resource, emit func(float64, ...string)) { emit(boolFloat(r.Protected)) }}
	famState = &Family{Name: "backup_state", Help: "Normalised state of the latest backup (state set).", Type: prometheus.GaugeValue, Labels: []string{"state"},
		Generate: func(r *Resource, emit func(float64, ...string)) {
			if state := r.CurrentState(); state != "" {
				for _, s := range States {
					emit(boolFloat(s == state), string(s))
				}
			}
		}}
	famInfo = &Family{Name: "backup_info", Help: "The latest backup's name and raw provider status.", Type: prometheus.GaugeValue, Labels: []string{"backup", "status"},
		Generate: func(r *Resource, emit func(float64, ...string)) {
			if r.Latest != nil || r.CurrentRawStatus() != "" {
				name := ""
				if r.Latest != nil {
					name = r.Latest.Name
				}
				emit(1, name, r.CurrentRawStatus())
			}
		}}
	famErrorInfo = &Family{Name: "backup_error_info", Help: "Error reported by the latest backup.", Type: prometheus.GaugeValue, Labels: []string{"code", "message"},
		Generate: func(r *Resource, emit func(float64, ...string)) {
			if e := r.CurrentError(); e != nil {
				emit(1, e.Code, e.Message)
			}
		}}
	famProgress = &Family{Name: "backup_progress_ratio", Help: "Progress of the latest backup, 0 to 1.", Type: prometheus.GaugeValue,
		Generate: latest(func(b *Backup) *float64 { return b.Progress })}
	famTransferred = &Family{Name: "backup_transferred_bytes", Help: "Bytes moved by the latest or ongoing backup operation.", Type: prometheus.GaugeValue,
		Generate: latest(func(b *Backup) *float64 { return b.Transferred }), nonNegative: true}
	famSize = &Family{Name: "backup_size_bytes", Help: "Size of the latest backup or of its data source.", Type: prometheus.GaugeValue,
		Generate: latest(func(b *Backup) *float64 { return b.Size }), nonNegative: true}
	famStart = &Family{Name: "backup_start_timestamp_seconds", Help: "Start of the latest backup.", Type: prometheus.GaugeValue,
		Generate: latestTime(func(b *Backup) time.Time { return b.Start })}
	famEnd = &Family{Name: "backup_end_timestamp_seconds", Help: "End of the latest backup, once it has ended.", Type: prometheus.GaugeValue,
		Generate: latestTime(func(b *Backup) time.Time { return b.End })}
	famLastSuccess = &Family{Name: "backup_last_success_timestamp_seconds", Help: "End of the newest successful backup; 0 when all backups were listed and none succeeded.", Type: prometheus.GaugeValue,
		Generate: func(r *Resource, emit func(float64, ...string)) {
			switch {
			case !r.LastSuccess.IsZero():
				emit(UnixSeconds(r.LastSuccess))
			case r.NoSuccessListed:
				emit(0)
			}
		}}
	famLastFailure = &Family{Name: "backup_last_failure_timestamp_seconds", Help: "End (else start) of the newest failed backup.", Type: prometheus.GaugeValue,
		Generate: timestamp(func(r *Resource) time.Time { return r.LastFailure })}
	famExpectedInterval = &Family{Name: "backup_expected_interval_seconds", Help: "How often a good backup is due (the target's expected_interval).", Type: prometheus.GaugeValue,
		Generate: func(r *Resource, emit func(float64, ...string)) { emit(r.ExpectedInterval.Seconds()) }}
	famExpiry = &Family{Name: "backup_expiry_timestamp_seconds", Help: "Expiry of the latest backup.", Type: prometheus.GaugeValue,
		Generate: latestTime(func(b *Backup) time.Time { return b.Expiry })}
	famBackups = &Family{Name: "backup_backups", Help: "Backups of the resource listed by the API, by normalised state.", Type: prometheus.GaugeValue, Labels: []string{"state"},
		Generate: func(r *Resource, emit func(float64, ...string)) {
			if r.Counts == nil {
				return
			}
			// Only states with backups, and succeeded and failed always, so
			// that `== 0` and `> 0` queries on them keep working.
			for _, s := range States {
				if n := r.Counts[s]; n > 0 || s == StateSucceeded || s == StateFailed {
					emit(float64(n), string(s))
				}
			}
		}}
	famOldestSuccess = &Family{Name: "backup_oldest_success_timestamp_seconds", Help: "End of the oldest successful backup still listed: how far back the resource can be restored (providers that list every backup).", Type: prometheus.GaugeValue,
		Generate: timestamp(func(r *Resource) time.Time { return r.OldestSuccess })}
	famResourceInfo = &Family{Name: "backup_resource_info", Help: "Who owns the resource: the target's static_labels and the resource's own tags (tag_*, vault_tag_*) or Kubernetes labels (label_*) that the target's resource_labels admit; 1 for every resource discovered, protected or not, of targets that set either.", Type: prometheus.GaugeValue,
		Unprotected: true, ownerLabels: true}
	famRetention = &Family{Name: "backup_expected_retention_seconds", Help: "How long backups should be kept (the target's expected_retention).", Type: prometheus.GaugeValue,
		Generate: func(r *Resource, emit func(float64, ...string)) {
			if r.ExpectedRetention > 0 {
				emit(r.ExpectedRetention.Seconds())
			}
		}}
)

// Families are the shared per-resource families, in exposition order.
func Families() []*Family {
	return []*Family{
		famHealthy, famProtected, famState, famInfo, famErrorInfo, famProgress,
		famTransferred, famSize, famStart, famEnd, famLastSuccess, famLastFailure,
		famExpectedInterval, famExpiry, famBackups, famOldestSuccess, famRetention,
		famResourceInfo,
	}
}

// latest generates the optional number field of the latest backup.
func latest(field func(*Backup) *float64) func(*Resource, func(float64, ...string)) {
	return func(r *Resource, emit func(float64, ...string)) {
		if r.Latest != nil {
			if v := field(r.Latest); v != nil {
				emit(*v)
			}
		}
	}
}

// latestTime generates a time of the latest backup (none when zero).
func latestTime(field func(*Backup) time.Time) func(*Resource, func(float64, ...string)) {
	return func(r *Resource, emit func(float64, ...string)) {
		if r.Latest != nil {
			if t := field(r.Latest); !t.IsZero() {
				emit(UnixSeconds(t))
			}
		}
	}
}

// timestamp generates a time of the resource (none when zero).
func timestamp(field func(*Resource) time.Time) func(*Resource, func(float64, ...string)) {
	return func(r *Resource, emit func(float64, ...string)) {
		if t := field(r); !t.IsZero() {
			emit(UnixSeconds(t))
		}
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

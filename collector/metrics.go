package collector

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// gauge is a target family's value function of one sample without labels
// of its own, when ok.
func gauge(value func(r *Result) (v float64, ok bool)) func(*Result, func(float64, ...string)) {
	return func(r *Result, emit func(float64, ...string)) {
		if v, ok := value(r); ok {
			emit(v)
		}
	}
}

var (
	descTargetUp = newTargetFamily("backup_exporter_target_up", "1 when the last collection of the target succeeded.", nil,
		gauge(func(r *Result) (float64, bool) { return boolFloat(r.Err == nil), true }))
	descTargetDuration = newTargetFamily("backup_exporter_target_duration_seconds", "How long this scrape's collection of the target took (answered from the last poll with a cache_ttl, which is near 0).", nil,
		gauge(func(r *Result) (float64, bool) { return r.Duration.Seconds(), true }))
	descTargetPollDuration = newTargetFamily("backup_exporter_target_poll_duration_seconds", "How long the last completed poll of the target took (background or synchronous).", nil,
		gauge(func(r *Result) (float64, bool) { return r.PollDuration.Seconds(), r.PollDuration > 0 }))
	descTargetPollPaced = newTargetFamily("backup_exporter_target_poll_paced_seconds", "How long the last completed poll of the target had requests held back to stay within the upstream's quota (wall clock; 0: not paced). Azure: ARM's read quota per subscription.", nil,
		gauge(func(r *Result) (float64, bool) { return r.PollPaced.Seconds(), r.PollDuration > 0 }))
	descTargetLastSuccess = newTargetFamily("backup_exporter_target_last_success_timestamp_seconds", "When the target was last read successfully: the served data is that old (up to cache_ttl, or max_staleness after failed polls).", nil,
		gauge(func(r *Result) (float64, bool) { return toolkit.UnixSeconds(r.LastSuccess), !r.LastSuccess.IsZero() }))
	descTargetResourceErrors = newTargetFamily("backup_exporter_target_resource_errors", "Resources of a discovery target whose own read failed in the last poll (their last good series are kept for max_staleness).", nil,
		gauge(func(r *Result) (float64, bool) { return float64(r.ResourceErrors), r.served && r.Err == nil }))
	descTargetTagLookupErrors = newTargetFamily("backup_exporter_target_tag_lookup_errors", "Resources of the target whose tags were due and could not be looked up in the last poll (Resource Graph, Resource Groups Tagging API): their last known tags are kept for max_staleness. Only for targets that look tags up.", nil,
		gauge(func(r *Result) (float64, bool) {
			return float64(r.TagLookupErrors), r.LooksUpTags && r.served && r.Err == nil
		}))
	descTargetResources = newTargetFamily("backup_exporter_target_resources", "Protected resources found for the target (including unprotected ones discovered).", nil,
		gauge(func(r *Result) (float64, bool) { return float64(len(r.Resources)), r.served }))
	descTargetResourcesDropped = newTargetFamily("backup_exporter_target_resources_dropped", "Items of the target's listings left out of the served poll, by reason: not_owned (another shard's), duplicate, child (part of another resource's backup), filtered (the target's filters).", []string{"reason"},
		func(r *Result, emit func(float64, ...string)) {
			if !r.served {
				return
			}
			for _, reason := range toolkit.DropReasons {
				emit(float64(r.Dropped[reason]), reason)
			}
		})
)

// targetFamilies are the per-target self-metrics, in exposition order.
var targetFamilies = []*targetFamily{descTargetUp, descTargetDuration, descTargetPollDuration, descTargetPollPaced, descTargetLastSuccess, descTargetResources, descTargetResourceErrors, descTargetTagLookupErrors, descTargetResourcesDropped}

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

package providertest

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// TargetSeries are the backup_* samples of reg's families for one target
// of e, the families named in drop left out, the target's name replaced
// by T, sorted: what two targets over one estate (say, read two ways)
// should share.
func TargetSeries(t testing.TB, e *collector.Exporter, reg toolkit.Registry, target string, drop ...string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(ScrapeText(t, e, BackupMetricNames(reg)...), "\n") {
		if !strings.Contains(line, `target="`+target+`"`) || slices.ContainsFunc(drop, func(m string) bool { return strings.HasPrefix(line, m+"{") }) {
			continue
		}
		out = append(out, strings.Replace(line, `target="`+target+`"`, `target="T"`, 1))
	}
	slices.Sort(out)
	return out
}

// reRunningDuration is a running job's duration sample, which grows
// between two targets' reads.
var reRunningDuration = regexp.MustCompile(`^backup_last_duration_seconds\{.*state="running".*`)

// SameSeries fails t with each sample only one of a and b has (named
// aName and bName), running jobs' durations aside.
func SameSeries(t testing.TB, aName string, a []string, bName string, b []string) {
	t.Helper()
	strip := func(s []string) []string {
		return slices.DeleteFunc(slices.Clone(s), func(l string) bool { return reRunningDuration.MatchString(l) })
	}
	a, b = strip(a), strip(b)
	for _, l := range a {
		if !slices.Contains(b, l) {
			t.Errorf("only %s: %s", aName, l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			t.Errorf("only %s: %s", bName, l)
		}
	}
}

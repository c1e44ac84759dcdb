package cloudnativepg

import (
	"context"
	"strings"
	"testing"
	"time"

	json "github.com/segmentio/encoding/json"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/collector/toolkit/schedule"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

func testProvider(logs *zap.Logger) *provider {
	return &provider{env: toolkit.NewEnv(nil, nil, logs, nil, nil), intervals: schedule.NewMemo(time.Hour), warned: map[string]bool{}}
}

func scheduled(name, expr string, suspend *bool) *scheduledBackup {
	s := &scheduledBackup{}
	s.Metadata.Namespace, s.Metadata.Name = "ns", name
	s.Spec.Cluster.Name, s.Spec.Schedule, s.Spec.Suspend = "pg", expr, suspend
	return s
}

// TestCloudNativePGCronForms: the interval rule through the provider, as
// CloudNativePG parses spec.schedule (robfig/cron v1 Parse: six fields
// seconds first, or five without the day of week, or a descriptor; no
// zone prefix), the shortest over the ScheduledBackups that are not
// suspended; those that yield none are logged once each, whatever the
// number of polls.
func TestCloudNativePGCronForms(t *testing.T) {
	august := time.Date(2026, 8, 22, 12, 0, 0, 0, time.UTC) // a Saturday
	march := time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)
	yes, no := true, false
	for _, tc := range []struct {
		name  string
		exprs []string
		now   time.Time
		want  time.Duration
		// warned is how many of exprs are logged as yielding none.
		warned int
	}{
		{"six fields, daily", []string{"0 0 0 * * *"}, august, 24 * time.Hour, 0},
		{"five fields: seconds to month, daily", []string{"0 0 0 * *"}, august, 24 * time.Hour, 0},
		{"weekdays", []string{"0 0 2 * * 1-5"}, august, 72 * time.Hour, 0},
		{"month start", []string{"0 0 3 1 * *"}, august, 31 * 24 * time.Hour, 0},
		// A crontab line pasted as is: minute 2 of every hour, January
		// to May (CloudNativePG's webhook only warns): outside its
		// season it fires beyond the window, and yields none.
		{"crontab line in August", []string{"0 2 * * 1-5"}, august, 0, 1},
		{"crontab line in March", []string{"0 2 * * 1-5"}, march, time.Hour, 0},
		{"descriptor", []string{"@weekly"}, august, 7 * 24 * time.Hour, 0},
		{"@every", []string{"@every 90m"}, august, 90 * time.Minute, 0},
		{"every minute", []string{"0 * * * * *"}, august, time.Minute, 0},
		{"the shortest wins", []string{"@daily", "0 0 */6 * * *", "@weekly"}, august, 6 * time.Hour, 0},
		{"zone prefix refused, as v1 refuses it", []string{"CRON_TZ=Europe/Berlin 0 0 0 * * *"}, august, 0, 1},
		{"TZ= without fields: no panic", []string{"TZ=UTC"}, august, 0, 1},
		{"seven fields", []string{"0 0 0 * * * 2026"}, august, 0, 1},
		{"garbage beside a good one", []string{"every day at noon", "@hourly"}, august, time.Hour, 1},
		{"empty", []string{""}, august, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.WarnLevel)
			p := testProvider(zap.New(core))
			var ss []*scheduledBackup
			for i, e := range tc.exprs {
				ss = append(ss, scheduled("s"+string(rune('a'+i)), e, nil))
			}
			for range 3 { // three polls
				if got := p.interval(ss, tc.now); got != tc.want {
					t.Errorf("%q at %s: %v, want %v", tc.exprs, tc.now.Format(time.DateOnly), got, tc.want)
				}
			}
			if n := logs.Len(); n != tc.warned {
				t.Errorf("%d warnings over three polls, want %d: %s", n, tc.warned, providertest.LogText(logs))
			}
			for _, e := range logs.All() {
				if e.ContextMap()["scheduled_backup"] == nil || e.ContextMap()["schedule"] == nil {
					t.Errorf("the warning does not name the ScheduledBackup and its schedule: %v", e.ContextMap())
				}
			}
		})
	}
	// Suspended ScheduledBackups say nothing about how often a backup is
	// due; explicitly not suspended ones do.
	p := testProvider(zap.NewNop())
	ss := []*scheduledBackup{scheduled("a", "@hourly", &yes), scheduled("b", "@daily", &no)}
	if got := p.interval(ss, august); got != 24*time.Hour {
		t.Errorf("suspended hourly and daily: %v, want 24h", got)
	}
	if got := p.interval(ss[:1], august); got != 0 {
		t.Errorf("only a suspended one: %v, want none (the default applies)", got)
	}
}

func decodeCluster(t *testing.T, js string) *cluster {
	t.Helper()
	var c cluster
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func decodeBackup(t *testing.T, js string) *backup {
	t.Helper()
	var b backup
	if err := json.Unmarshal([]byte(js), &b); err != nil {
		t.Fatal(err)
	}
	return &b
}

// TestCloudNativePGErrorPrecedence: backup_error_info is one series: the
// latest Backup's error when it has one, else, while WAL archiving fails,
// the ContinuousArchiving condition's; the resource is unhealthy for
// both, and --once gives both reasons.
func TestCloudNativePGErrorPrecedence(t *testing.T) {
	c := decodeCluster(t, `{"metadata":{"name":"pg","namespace":"ns"},"spec":{"backup":{"barmanObjectStore":{"destinationPath":"s3://b/"}}},
		"status":{"conditions":[{"type":"ContinuousArchiving","status":"False","reason":"ContinuousArchivingFailing","message":"archive_command failed"}]}}`)
	failed := decodeBackup(t, `{"metadata":{"name":"b2","namespace":"ns","creationTimestamp":"2026-12-02T00:00:00Z"},"spec":{"cluster":{"name":"pg"}},
		"status":{"phase":"failed","startedAt":"2026-12-02T00:00:01Z","error":"no space left on device","commandError":"exit status 1"}}`)
	done := decodeBackup(t, `{"metadata":{"name":"b1","namespace":"ns","creationTimestamp":"2026-12-01T00:00:00Z"},"spec":{"cluster":{"name":"pg"}},
		"status":{"phase":"completed","startedAt":"2026-12-01T00:00:01Z","stoppedAt":"2026-12-01T00:05:00Z"}}`)

	r := resource(c, []*backup{done, failed}, nil, window{}, 0)
	if e := r.CurrentError(); r.Healthy || e == nil || e.Code != "failed" || e.Message != "no space left on device" {
		t.Errorf("failed latest and archiving failing: healthy %v, error %+v", r.Healthy, e)
	}
	if !strings.Contains(r.Reason, "failed") || !strings.Contains(r.Reason, "WAL archiving is failing") {
		t.Errorf("reason %q does not give both", r.Reason)
	}
	if got := r.LastFailure; !got.Equal(time.Date(2026, 12, 2, 0, 0, 1, 0, time.UTC)) {
		t.Errorf("last failure %v: want the failed Backup's startedAt (no stoppedAt)", got)
	}

	r = resource(c, []*backup{done}, nil, window{}, 0)
	if e := r.CurrentError(); r.Healthy || e == nil || e.Code != "continuous_archiving" || e.Message != "archive_command failed" {
		t.Errorf("completed latest and archiving failing: healthy %v, error %+v", r.Healthy, e)
	}
	// Archiving flaps back: healthy again.
	c.Status.Conditions[0].Status = "True"
	if r := resource(c, []*backup{done}, nil, window{}, 0); !r.Healthy || r.CurrentError() != nil {
		t.Errorf("archiving working: healthy %v, error %+v", r.Healthy, r.CurrentError())
	}
}

// TestCloudNativePGLatestIsByStartedAt: the latest Backup is the newest
// by status.startedAt, else metadata.creationTimestamp, never list order;
// its start is startedAt else reconciliationStartedAt.
func TestCloudNativePGLatestIsByStartedAt(t *testing.T) {
	c := decodeCluster(t, `{"metadata":{"name":"pg","namespace":"ns"}}`)
	// Re-created from the catalog: created last, started first.
	old := decodeBackup(t, `{"metadata":{"name":"restored","namespace":"ns","creationTimestamp":"2026-12-03T00:00:00Z"},"spec":{"cluster":{"name":"pg"}},
		"status":{"phase":"completed","startedAt":"2026-11-01T00:00:00Z","stoppedAt":"2026-11-01T00:05:00Z"}}`)
	newer := decodeBackup(t, `{"metadata":{"name":"nightly","namespace":"ns","creationTimestamp":"2026-12-02T00:00:00Z"},"spec":{"cluster":{"name":"pg"}},
		"status":{"phase":"completed","startedAt":"2026-12-02T00:00:02Z","stoppedAt":"2026-12-02T00:05:00Z"}}`)
	queued := decodeBackup(t, `{"metadata":{"name":"queued","namespace":"ns","creationTimestamp":"2026-12-02T12:00:00Z"},"spec":{"cluster":{"name":"pg"}},
		"status":{"phase":"pending","reconciliationStartedAt":"2026-12-02T12:00:01Z"}}`)
	r := resource(c, []*backup{queued, newer, old}, nil, window{}, 0)
	if r.Latest == nil || r.Latest.Name != "queued" || !r.Latest.Start.Equal(time.Date(2026, 12, 2, 12, 0, 1, 0, time.UTC)) || !r.Latest.End.IsZero() {
		t.Errorf("latest %+v, want queued, started at its reconciliationStartedAt, not ended", r.Latest)
	}
	if !r.LastSuccess.Equal(time.Date(2026, 12, 2, 0, 5, 0, 0, time.UTC)) {
		t.Errorf("last success %v, want nightly's stoppedAt", r.LastSuccess)
	}
	if !r.OldestSuccess.IsZero() {
		t.Errorf("oldest success %v from Backup CRs: retention deletes completed ones, so it comes only from the recovery window", r.OldestSuccess)
	}
	r = resource(c, []*backup{old, newer}, nil, window{}, 0)
	if r.Latest.Name != "nightly" {
		t.Errorf("latest %s, want nightly (started last, created first)", r.Latest.Name)
	}
}

// TestCloudNativePGOwnerLabels: a Cluster's metadata.labels are its
// owners' labels (backup_resource_info), protected or not, when the
// target sets resource_labels; without (none, or static_labels alone)
// the records keep none.
func TestCloudNativePGOwnerLabels(t *testing.T) {
	srv := providertest.KubernetesServer(t, providertest.Files(t, routes(true), notFound))
	collect := func(keys string) map[string]toolkit.Tags {
		e := providertest.NewExporter(t, k8sConfig(srv, keys), kinds, collector.Options{})
		res := e.Collect(context.Background(), e.Targets())[0]
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		got := map[string]toolkit.Tags{}
		for _, r := range res.Resources {
			got[r.ID] = r.Tags
		}
		return got
	}
	got := collect(", resource_labels: [team]")
	for id, team := range map[string]string{"payments/pg-plugin": "payments", "shop/pg-none": "shop"} {
		if tags := got[id]; tags.Kind != toolkit.KubernetesLabels || tags.Values["team"] != team || tags.Lookup != "" {
			t.Errorf("%s: tags %+v, want its labels (team %s)", id, tags, team)
		}
	}
	if tags := got["analytics/pg-quarter"]; tags.Kind != toolkit.KubernetesLabels || tags.Values != nil {
		t.Errorf("a Cluster without labels: %+v", tags)
	}
	for _, keys := range []string{"", ", static_labels: {environment: test}"} {
		got := collect(keys)
		if len(got) == 0 {
			t.Fatal("no Cluster")
		}
		for id, tags := range got {
			if tags.Kind != toolkit.KubernetesLabels || tags.Values != nil {
				t.Errorf("%q: %s keeps labels %+v", keys, id, tags)
			}
		}
	}
}

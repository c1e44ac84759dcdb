package astra

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

const (
	astraToken   = "astra-test-token-5f2e"
	astraAccount = "/accounts/0a1b2c3d-0000-4000-8000-000000000001"
	astraAppID   = "4f1c2a8e-7d3b-4c56-9e01-a2b3c4d5e6f7"
)

// kinds is this provider alone.
var kinds = toolkit.Registry{Type}

// astraServer serves fixture files (routes as providertest.Files) to
// requests with the Bearer token, answering as Astra does otherwise. The
// app astraAppID is served without a name (its ID is then the
// resource_name) unless routes names it.
func astraServer(t *testing.T, token string, routes map[string]string) *providertest.Server {
	t.Helper()
	app := astraAccount + "/k8s/v2/apps/" + astraAppID
	if _, ok := routes[app]; !ok {
		routes[app] = "app_unnamed.json"
	}
	return providertest.NewServer(t, providertest.Options{
		Auth:         providertest.BearerAuth(token),
		Unauthorized: `{"type":"https://astra.netapp.io/problems/3","title":"Unauthorized","detail":"The supplied bearer token is invalid.","status":"401"}`,
	}, providertest.Files(t, routes, `{"type":"https://astra.netapp.io/problems/2","title":"Collection not found","detail":"The collection specified in the request URI wasn't found.","status":"404"}`))
}

func newTestExporter(t testing.TB, yml string, opts collector.Options) *collector.Exporter {
	t.Helper()
	return providertest.NewExporter(t, yml, kinds, opts)
}

// astraConfig is the YAML of a one-target Astra configuration.
func astraConfig(endpoint, caFile, token string, extra ...string) string {
	return fmt.Sprintf(`
global: {cache_ttl: 0, scrape_timeout: 10s}
credentials:
  - name: astra
    astra: {api_token: %q}
    tls_config: {ca_file: %q}
targets:
  - name: astra-test
    type: astra
    credential: astra
    endpoint: %s
    account_id: 0a1b2c3d-0000-4000-8000-000000000001
%s`, token, caFile, endpoint, providertest.Indent(extra))
}

func TestAstraGolden(t *testing.T) {
	appList := astraAccount + "/k8s/v1/apps/" + astraAppID + "/appBackups"
	tests := []struct {
		name   string
		routes map[string]string
		extra  []string
		golden string
	}{
		{
			name:   "document example, one backup of one app",
			routes: map[string]string{appList + "/bab39d53-2d04-5297-b92e-58df89a2117b": "doc_example.json"},
			extra:  []string{"app_id: " + astraAppID, "backup_id: bab39d53-2d04-5297-b92e-58df89a2117b"},
			golden: "doc_example.prom",
		},
		{
			name:   "per-app list, latest running, newest finished failed",
			routes: map[string]string{appList: "list_mixed.json"},
			extra:  []string{"app_id: " + astraAppID},
			golden: "list_mixed.prom",
		},
		{
			name:   "per-app list with include arrays",
			routes: map[string]string{appList: "list_mixed_arrays.json"},
			extra:  []string{"app_id: " + astraAppID},
			golden: "list_mixed.prom",
		},
		{
			name: "three pages joined through metadata.continue",
			routes: map[string]string{
				appList:                      "page1.json",
				appList + "?continue=page-2": "page2.json",
				appList + "?continue=page-3": "page3.json",
			},
			extra:  []string{"app_id: " + astraAppID},
			golden: "list_mixed.prom",
		},
		{
			name:   "latest failed with hookState failed and stateUnready",
			routes: map[string]string{appList: "list_failed_latest.json"},
			extra:  []string{"app_id: " + astraAppID},
			golden: "list_failed_latest.prom",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := astraServer(t, astraToken, tc.routes)
			e := newTestExporter(t, astraConfig(srv.URL, srv.CAFile, astraToken, tc.extra...), collector.Options{})
			providertest.Golden(t, e, kinds, tc.golden)
		})
	}
}

// TestAstraAppTargetNamedByTheApp: a target with app_id reads the app,
// and its name is the resource_name, with or without backup_id.
func TestAstraAppTargetNamedByTheApp(t *testing.T) {
	app := astraAccount + "/k8s/v2/apps/" + astraAppID
	backups := astraAccount + "/k8s/v1/apps/" + astraAppID
	for _, extra := range [][]string{
		{"app_id: " + astraAppID},
		{"app_id: " + astraAppID, "backup_id: bab39d53-2d04-5297-b92e-58df89a2117b"},
	} {
		t.Run(strings.Join(extra, " "), func(t *testing.T) {
			srv := astraServer(t, astraToken, map[string]string{
				app:                     "app_named.json",
				backups + "/appBackups": "list_mixed.json",
				backups + "/appBackups/bab39d53-2d04-5297-b92e-58df89a2117b": "doc_example.json",
			})
			e := newTestExporter(t, astraConfig(srv.URL, srv.CAFile, astraToken, extra...), collector.Options{})
			got := providertest.ScrapeText(t, e, "backup_protected")
			want := `backup_protected{provider="astra",resource_id="` + astraAppID + `",resource_name="wordpress",target="astra-test"} 1`
			if !strings.Contains(got, want) {
				t.Errorf("want %s in\n%s", want, got)
			}
		})
	}
}

func TestAstraListAsksForFieldsAndPages(t *testing.T) {
	appList := astraAccount + "/k8s/v1/apps/" + astraAppID + "/appBackups"
	srv := astraServer(t, astraToken, map[string]string{
		appList:                      "page1.json",
		appList + "?continue=page-2": "page2.json",
		appList + "?continue=page-3": "page3.json",
	})
	e := newTestExporter(t, astraConfig(srv.URL, srv.CAFile, astraToken, "app_id: "+astraAppID), collector.Options{})
	if up := providertest.TargetUp(t, e); up["astra-test"] != 1 {
		t.Fatalf("target down: %v", up)
	}
	reqs := srv.Requests()
	if len(reqs) != 4 || reqs[0] != astraAccount+"/k8s/v2/apps/"+astraAppID {
		t.Fatalf("requests = %v, want the app, then 3 pages", reqs)
	}
	reqs = reqs[1:]
	for _, want := range []string{"include=id%2Cname%2Cstate%2C", "limit=100"} {
		if !strings.Contains(reqs[0], want) {
			t.Errorf("first request %q lacks %q", reqs[0], want)
		}
	}
	if !strings.Contains(reqs[2], "continue=page-3") {
		t.Errorf("third request %q does not continue from page-3", reqs[2])
	}
}

// astraBackupJSON is one appBackup object; fields are given as raw JSON
// members so that tests can leave any of them out.
func astraBackupJSON(members ...string) string {
	return "{" + strings.Join(members, ",") + "}"
}

func serveAstraList(t *testing.T, items ...string) *providertest.Server {
	t.Helper()
	dir := t.TempDir()
	body := `{"type":"application/astra-appBackups","version":"1.2","items":[` + strings.Join(items, ",") + `],"metadata":{}}`
	if err := os.WriteFile(filepath.Join(dir, "list.json"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	rel := filepath.Join(dir, "list.json")
	return astraServer(t, astraToken, map[string]string{
		astraAccount + "/k8s/v1/apps/" + astraAppID + "/appBackups": rel,
	})
}

const astraLabels = `provider="astra",resource_id="` + astraAppID + `",resource_name="` + astraAppID + `",target="astra-test"`

func TestAstraEachState(t *testing.T) {
	tests := []struct {
		raw, state string
		healthy    float64
		ended      bool
	}{
		{"pending", "pending", 1, false},
		{"discovering", "pending", 1, false},
		{"running", "running", 1, false},
		{"completed", "succeeded", 1, true},
		{"failed", "failed", 0, false},
		{"removed", "removed", 1, false},
		{"unknown", "unknown", 1, false},
		{"exploding", "unknown", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			srv := serveAstraList(t, astraBackupJSON(
				`"id":"b1"`, `"name":"daily-1"`, `"state":"`+tc.raw+`"`,
				`"backupCreationTimestamp":"2026-11-24T01:30:00Z"`,
				`"metadata":{"creationTimestamp":"2026-11-24T01:00:00Z"}`))
			e := newTestExporter(t, astraConfig(srv.URL, srv.CAFile, astraToken, "app_id: "+astraAppID), collector.Options{})
			got := providertest.ScrapeText(t, e, "backup_state", "backup_healthy", "backup_info", "backup_end_timestamp_seconds")
			for _, w := range []string{
				astraLabelsWithState(tc.state) + "} 1",
				fmt.Sprintf(`backup_healthy{%s} %g`, astraLabels, tc.healthy),
				fmt.Sprintf(`backup_info{backup="daily-1",provider="astra",resource_id="%s",resource_name="%s",status="%s",target="astra-test"} 1`, astraAppID, astraAppID, tc.raw),
			} {
				if !strings.Contains(got, w) {
					t.Errorf("missing %s in\n%s", w, got)
				}
			}
			ones := 0
			for _, line := range strings.Split(got, "\n") {
				if strings.HasPrefix(line, "backup_state{") && strings.HasSuffix(line, "} 1") {
					ones++
				}
			}
			if ones != 1 {
				t.Errorf("%d states at 1, want exactly one", ones)
			}
			if ended := strings.Contains(got, "backup_end_timestamp_seconds{"); ended != tc.ended {
				t.Errorf("end timestamp present = %v, want %v", ended, tc.ended)
			}
		})
	}
}

func astraLabelsWithState(state string) string {
	return `backup_state{provider="astra",resource_id="` + astraAppID + `",resource_name="` + astraAppID + `",state="` + state + `",target="astra-test"`
}

func TestAstraOptionalFields(t *testing.T) {
	t.Run("absent or null fields give no sample", func(t *testing.T) {
		srv := serveAstraList(t, astraBackupJSON(`"id":"b1"`, `"name":"n"`, `"state":"running"`,
			`"totalBytes":null`, `"metadata":{}`))
		e := newTestExporter(t, astraConfig(srv.URL, srv.CAFile, astraToken, "app_id: "+astraAppID), collector.Options{})
		got := providertest.ScrapeText(t, e, providertest.BackupMetricNames(kinds)...)
		for _, absent := range []string{"backup_size_bytes", "backup_transferred_bytes", "backup_progress_ratio",
			"backup_start_timestamp_seconds", "backup_end_timestamp_seconds", "backup_error_info", "backup_last_failure_timestamp_seconds"} {
			if strings.Contains(got, absent+"{") {
				t.Errorf("%s has a sample though the API gave no value:\n%s", absent, got)
			}
		}
		// All backups were listed and none succeeded: freshness alerts
		// must fire, so the last success is 0 rather than absent.
		if !strings.Contains(got, "backup_last_success_timestamp_seconds{"+astraLabels+"} 0") {
			t.Errorf("last success not 0 for a never-succeeded listed resource:\n%s", got)
		}
	})
	t.Run("real zeros are samples", func(t *testing.T) {
		srv := serveAstraList(t, astraBackupJSON(`"id":"b1"`, `"name":"n"`, `"state":"running"`,
			`"totalBytes":0`, `"bytesDone":0`, `"percentDone":0`, `"metadata":{"creationTimestamp":"2026-11-24T01:00:00Z"}`))
		e := newTestExporter(t, astraConfig(srv.URL, srv.CAFile, astraToken, "app_id: "+astraAppID), collector.Options{})
		got := providertest.ScrapeText(t, e, providertest.BackupMetricNames(kinds)...)
		for _, present := range []string{"backup_size_bytes", "backup_transferred_bytes", "backup_progress_ratio"} {
			if !strings.Contains(got, present+"{"+astraLabels+"} 0") {
				t.Errorf("%s: real zero not exposed:\n%s", present, got)
			}
		}
	})
}

func TestAstraHookFailedCompletedIsUnhealthy(t *testing.T) {
	srv := serveAstraList(t, astraBackupJSON(`"id":"b1"`, `"name":"daily-1"`, `"state":"completed"`,
		`"hookState":"failed"`, `"stateUnready":[]`,
		`"hookStateDetails":[{"type":"https://astra.netapp.io/stateDetails/3","title":"Hook failed","detail":"pre-snapshot hook exited 1"}]`,
		`"backupCreationTimestamp":"2026-11-24T01:30:00Z"`, `"metadata":{"creationTimestamp":"2026-11-24T01:00:00Z"}`))
	e := newTestExporter(t, astraConfig(srv.URL, srv.CAFile, astraToken, "app_id: "+astraAppID), collector.Options{})
	want := `
# HELP backup_error_info Error reported by the latest backup.
# TYPE backup_error_info gauge
backup_error_info{code="hook_failed",message="pre-snapshot hook exited 1",` + astraLabels + `} 1
# HELP backup_healthy 1 when the resource's backup is healthy, else 0.
# TYPE backup_healthy gauge
backup_healthy{` + astraLabels + `} 0
# HELP backup_last_success_timestamp_seconds End of the newest successful backup; 0 when all backups were listed and none succeeded.
# TYPE backup_last_success_timestamp_seconds gauge
backup_last_success_timestamp_seconds{` + astraLabels + `} 1.7954838e+09
`
	err := testutil.GatherAndCompare(providertest.Gatherer(e), strings.NewReader(want),
		"backup_error_info", "backup_healthy", "backup_last_success_timestamp_seconds")
	if err != nil {
		t.Error(err)
	}
}

func TestAstraDiscoveryFindsUnprotectedApps(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, name)
	}
	apps := write("apps.json", `{"items":[["app-1","wordpress"],{"id":"app-2","name":"mysql"}],"metadata":{}}`)
	one := write("one.json", `{"items":[{"id":"b1","name":"daily-1","state":"completed","backupCreationTimestamp":"2026-11-24T01:30:00Z","metadata":{"creationTimestamp":"2026-11-24T01:00:00Z"}}],"metadata":{}}`)
	none := write("none.json", `{"items":[],"metadata":{}}`)
	srv := astraServer(t, astraToken, map[string]string{
		astraAccount + "/k8s/v2/apps":                  apps,
		astraAccount + "/k8s/v1/apps/app-1/appBackups": one,
		astraAccount + "/k8s/v1/apps/app-2/appBackups": none,
	})
	e := newTestExporter(t, astraConfig(srv.URL, srv.CAFile, astraToken), collector.Options{})
	want := `
# HELP backup_exporter_target_resources Protected resources found for the target (including unprotected ones discovered).
# TYPE backup_exporter_target_resources gauge
backup_exporter_target_resources{provider="astra",target="astra-test"} 2
# HELP backup_healthy 1 when the resource's backup is healthy, else 0.
# TYPE backup_healthy gauge
backup_healthy{provider="astra",resource_id="app-1",resource_name="wordpress",target="astra-test"} 1
# HELP backup_protected 1 when the resource has backup configured or any backup listed, 0 for a discovered resource without.
# TYPE backup_protected gauge
backup_protected{provider="astra",resource_id="app-1",resource_name="wordpress",target="astra-test"} 1
backup_protected{provider="astra",resource_id="app-2",resource_name="mysql",target="astra-test"} 0
`
	err := testutil.GatherAndCompare(providertest.Gatherer(e), strings.NewReader(want),
		"backup_exporter_target_resources", "backup_healthy", "backup_protected")
	if err != nil {
		t.Error(err)
	}
	if got := providertest.ScrapeText(t, e, providertest.BackupMetricNames(kinds)...); strings.Contains(got, `resource_id="app-2"`) &&
		strings.Count(got, `resource_id="app-2"`) != 1 {
		t.Errorf("unprotected app has series other than backup_protected:\n%s", got)
	}
}

// TestAstraBackupIDNeedsAppID: an appBackup names no app, so a target
// with backup_id and no app_id would label the resource with the backup's
// own ID: a configuration error naming the file, line and key (config.md).
func TestAstraBackupIDNeedsAppID(t *testing.T) {
	yml := astraConfig("https://astra.example", "", astraToken, "backup_id: b9")
	_, err := config.Parse([]byte(yml), "astra.yml", kinds.Config())
	want := "astra.yml:13: target \"astra-test\": backup_id needs app_id"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v, want one containing %q", err, want)
	}
	if _, err := config.Parse([]byte(astraConfig("https://astra.example", "", astraToken, "app_id: a1", "backup_id: b9")), "astra.yml", kinds.Config()); err != nil {
		t.Errorf("backup_id with app_id: %v", err)
	}
}

func TestAstraWrongTokenMarksTargetDownAndHidesToken(t *testing.T) {
	srv := astraServer(t, "the-right-one", map[string]string{})
	core, logs := observer.New(zap.DebugLevel)
	e := newTestExporter(t, astraConfig(srv.URL, srv.CAFile, astraToken, "app_id: "+astraAppID), collector.Options{Logger: zap.New(core)})
	if up := providertest.TargetUp(t, e); up["astra-test"] != 0 {
		t.Errorf("target_up = %v, want 0", up)
	}
	out := providertest.ScrapeText(t, e, "backup_exporter_target_up", "backup_healthy")
	logged := providertest.LogText(logs)
	if !strings.Contains(logged, "401") {
		t.Errorf("log does not say why: %s", logged)
	}
	for where, text := range map[string]string{"metrics": out, "logs": logged} {
		if strings.Contains(text, astraToken) {
			t.Errorf("token appears in %s", where)
		}
	}
}

func TestAstraErrorBodyIsReported(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"type":"https://astra.netapp.io/problems/2","title":"Collection not found","detail":"The collection specified in the request URI wasn't found.","status":"404"}`)
	}))
	defer srv.Close()
	cfg := strings.Replace(astraConfig(srv.URL, "", astraToken, "app_id: "+astraAppID), `tls_config: {ca_file: ""}`, "", 1)
	e := newTestExporter(t, cfg, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	want := "404 Not Found: Collection not found: The collection specified in the request URI wasn't found."
	if res.Err == nil || !strings.Contains(res.Err.Error(), want) {
		t.Errorf("error = %v, want it to contain %q", res.Err, want)
	}
}

func TestAstraNumbersAsStrings(t *testing.T) {
	srv := serveAstraList(t, astraBackupJSON(`"id":"b1"`, `"name":"n"`, `"state":"completed"`,
		`"totalBytes":"2048"`, `"bytesDone":2048`, `"percentDone":"100"`,
		`"backupCreationTimestamp":"2026-11-24T01:30:00Z"`, `"metadata":{"creationTimestamp":"2026-11-24T01:00:00Z"}`))
	e := newTestExporter(t, astraConfig(srv.URL, srv.CAFile, astraToken, "app_id: "+astraAppID), collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_size_bytes", "backup_transferred_bytes", "backup_progress_ratio")
	for _, want := range []string{
		"backup_size_bytes{" + astraLabels + "} 2048",
		"backup_transferred_bytes{" + astraLabels + "} 2048",
		"backup_progress_ratio{" + astraLabels + "} 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
}

package huaweicbr

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

const (
	cbrToken   = "cbr-test-token-91ac"
	cbrProject = "4229d7a45436489f8c3dc2b1d35d4987"
	cbrBackups = "/v3/" + cbrProject + "/backups"
	cbrDocID   = "6df2b54c-dd62-4059-a07c-1b8f24f2725d"
)

// kinds is this provider alone.
var kinds = toolkit.Registry{Type}

func newTestExporter(t testing.TB, yml string, opts collector.Options) *collector.Exporter {
	t.Helper()
	return providertest.NewExporter(t, yml, kinds, opts)
}

// newCBRServer serves handle behind X-Auth-Token authentication.
func newCBRServer(t *testing.T, handle http.HandlerFunc) *providertest.Server {
	t.Helper()
	return providertest.NewServer(t, providertest.Options{
		Auth:         func(r *http.Request) bool { return r.Header.Get("X-Auth-Token") == cbrToken },
		Unauthorized: `{"error_msg":"Incorrect IAM authentication information: decrypt token fail","error_code":"APIGW.0301","request_id":"c0ffee"}`,
	}, handle)
}

// serveCBRFiles answers each path with a file (relative to testdata/ or
// absolute).
func serveCBRFiles(t *testing.T, routes map[string]string) *providertest.Server {
	t.Helper()
	return newCBRServer(t, providertest.Files(t, routes, `{"error_code":"BackupService.6202","error_msg":"Backup not found"}`))
}

// serveCBRList answers the backup list with items (raw JSON objects),
// honouring limit and offset.
func serveCBRList(t *testing.T, items ...string) *providertest.Server {
	t.Helper()
	return newCBRServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != cbrBackups {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		end := min(offset+limit, len(items))
		page := []string{}
		if offset < end {
			page = items[offset:end]
		}
		fmt.Fprintf(w, `{"backups":[%s],"count":%d}`, strings.Join(page, ","), len(items))
	})
}

// cbrConfig is the YAML of a one-target CBR configuration; credential is
// the body of the `huawei:` map.
func cbrConfig(endpoint, caFile, credential string, extra ...string) string {
	return fmt.Sprintf(`
global: {cache_ttl: 0, scrape_timeout: 10s}
credentials:
  - name: huawei
    huawei: {%s}
    tls_config: {ca_file: %q}
targets:
  - name: cbr-test
    type: huawei_cbr
    credential: huawei
    endpoint: %s
    project_id: %s
%s`, credential, caFile, endpoint, cbrProject, providertest.Indent(extra))
}

func cbrTokenCred(token string) string { return fmt.Sprintf("auth_token: %q", token) }

func TestHuaweiCBRGolden(t *testing.T) {
	tests := []struct {
		name   string
		routes map[string]string
		extra  []string
		golden string
	}{
		{
			name:   "document example, one backup",
			routes: map[string]string{cbrBackups + "/" + cbrDocID: "doc_example.json"},
			extra:  []string{"backup_id: " + cbrDocID},
			golden: "doc_example.prom",
		},
		{
			name:   "project list: running, children in error, only failures, restoring",
			routes: map[string]string{cbrBackups: "list_mixed.json"},
			golden: "list_mixed.prom",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := serveCBRFiles(t, tc.routes)
			e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken), tc.extra...), collector.Options{})
			providertest.Golden(t, e, kinds, tc.golden)
		})
	}
}

// cbrBackupJSON is one backup object with the given members (raw JSON);
// the caller leaves out whatever the test needs absent.
func cbrBackupJSON(members ...string) string {
	return "{" + strings.Join(members, ",") + "}"
}

const (
	cbrResID     = "55555555-5555-4555-8555-555555555555"
	cbrLabels    = `provider="huawei_cbr",resource_id="` + cbrResID + `",resource_name="ecs-one",target="cbr-test"`
	cbrCreated   = "2026-11-24T01:00:00.000000"
	cbrUpdated   = "2026-11-24T01:40:00.000000"
	cbrProtected = "2026-11-24T01:30:00.250000"
)

func cbrUnix(s string) string {
	t := toolkit.ParseTime(s)
	return strconv.FormatFloat(toolkit.UnixSeconds(t), 'g', -1, 64)
}

func TestHuaweiCBREachState(t *testing.T) {
	tests := []struct {
		raw, state string
		healthy    float64
		protected  bool   // protected_at set
		end        string // "" when no end sample is expected
		success    string // last success value
	}{
		{"available", "succeeded", 1, true, cbrProtected, cbrProtected},
		{"available", "succeeded", 1, false, cbrUpdated, cbrUpdated},
		{"protecting", "running", 1, false, "", "0"},
		{"error", "failed", 0, false, cbrUpdated, "0"},
		{"error", "failed", 0, true, cbrProtected, "0"},
		{"deleting", "deleting", 1, true, cbrProtected, "0"},
		{"deleting", "deleting", 1, false, "", "0"},
		{"waiting_delete", "deleting", 1, true, cbrProtected, "0"},
		{"restoring", "restoring", 1, true, cbrProtected, cbrProtected},
		{"waiting_restore", "restoring", 1, true, cbrProtected, cbrProtected},
		{"waiting_protect", "pending", 1, false, "", "0"},
		{"frozen", "unknown", 1, true, cbrProtected, "0"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/protected_at=%v", tc.raw, tc.protected), func(t *testing.T) {
			protected := "null"
			if tc.protected {
				protected = strconv.Quote(cbrProtected)
			}
			srv := serveCBRList(t, cbrBackupJSON(
				`"id":"b1"`, `"name":"autobk_1"`, `"status":"`+tc.raw+`"`, `"parent_id":null`,
				`"resource_id":"`+cbrResID+`"`, `"resource_name":"ecs-one"`,
				`"created_at":"`+cbrCreated+`"`, `"updated_at":"`+cbrUpdated+`"`, `"protected_at":`+protected,
				`"children":[]`))
			e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken)), collector.Options{})
			got := providertest.ScrapeText(t, e, "backup_state", "backup_healthy", "backup_info", "backup_end_timestamp_seconds",
				"backup_last_success_timestamp_seconds", "backup_error_info")
			success := tc.success
			if success != "0" {
				success = cbrUnix(success)
			}
			want := []string{
				`backup_state{` + strings.Replace(cbrLabels, `resource_name="ecs-one",`, `resource_name="ecs-one",state="`+tc.state+`",`, 1) + `} 1`,
				fmt.Sprintf(`backup_healthy{%s} %g`, cbrLabels, tc.healthy),
				`backup_info{backup="autobk_1",` + strings.Replace(cbrLabels, `target=`, `status="`+tc.raw+`",target=`, 1) + `} 1`,
				`backup_last_success_timestamp_seconds{` + cbrLabels + `} ` + success,
			}
			if tc.end != "" {
				want = append(want, `backup_end_timestamp_seconds{`+cbrLabels+`} `+cbrUnix(tc.end))
			} else if strings.Contains(got, "backup_end_timestamp_seconds{") {
				t.Errorf("end timestamp of a backup that has not ended:\n%s", got)
			}
			for _, w := range want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %s in\n%s", w, got)
				}
			}
			if strings.Contains(got, "backup_error_info") {
				t.Errorf("CBR gives no error detail, yet:\n%s", got)
			}
		})
	}
}

func TestHuaweiCBRChildrenInError(t *testing.T) {
	parent := func(id, status, created string, children ...string) string {
		return cbrBackupJSON(`"id":"`+id+`"`, `"name":"`+id+`"`, `"status":"`+status+`"`, `"parent_id":null`,
			`"resource_id":"`+cbrResID+`"`, `"resource_name":"ecs-one"`,
			`"created_at":"`+created+`"`, `"protected_at":"`+created+`"`,
			`"children":[`+strings.Join(children, ",")+`]`)
	}
	child := func(id, parentID, status string) string {
		return cbrBackupJSON(`"id":"`+id+`"`, `"status":"`+status+`"`, `"parent_id":"`+parentID+`"`,
			`"resource_id":"disk-`+id+`"`, `"resource_name":"disk"`, `"children":[]`)
	}
	tests := []struct {
		name    string
		items   []string
		healthy float64
	}{
		{"newest finished has a child in error", []string{
			parent("new", "available", "2026-11-24T01:00:00", child("c1", "new", "available"), child("c2", "new", "error")),
			parent("old", "available", "2026-11-23T01:00:00", child("c3", "old", "available")),
		}, 0},
		{"an older backup has a child in error", []string{
			parent("new", "available", "2026-11-24T01:00:00", child("c1", "new", "available")),
			parent("old", "available", "2026-11-23T01:00:00", child("c3", "old", "error")),
		}, 1},
		{"running newest, newest finished has a child in error", []string{
			parent("run", "protecting", "2026-11-25T01:00:00", child("c0", "run", "protecting")),
			parent("new", "available", "2026-11-24T01:00:00", child("c2", "new", "error")),
		}, 0},
		{"child listed on its own, in error", []string{
			parent("new", "available", "2026-11-24T01:00:00"),
			child("c2", "new", "error"),
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := serveCBRList(t, tc.items...)
			e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken)), collector.Options{})
			res := e.Collect(context.Background(), e.Targets())[0]
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			if len(res.Resources) != 1 {
				t.Fatalf("resources = %+v, want the parent's resource only (children are not resources)", res.Resources)
			}
			got := providertest.ScrapeText(t, e, "backup_healthy")
			if want := fmt.Sprintf(`backup_healthy{%s} %g`, cbrLabels, tc.healthy); !strings.Contains(got, want) {
				t.Errorf("got\n%s\nwant %s", got, want)
			}
		})
	}
}

func TestHuaweiCBRNullFieldsAndZeros(t *testing.T) {
	names := []string{
		"backup_size_bytes", "backup_progress_ratio", "backup_start_timestamp_seconds",
		"backup_end_timestamp_seconds", "backup_expiry_timestamp_seconds",
	}
	t.Run("null", func(t *testing.T) {
		srv := serveCBRList(t, cbrBackupJSON(
			`"id":"b1"`, `"name":"autobk_1"`, `"status":"available"`, `"parent_id":null`,
			`"resource_id":"`+cbrResID+`"`, `"resource_name":"ecs-one"`, `"resource_size":null`,
			`"created_at":null`, `"updated_at":null`, `"protected_at":null`, `"expired_at":null`,
			`"extend_info":{"progress":null}`, `"children":null`))
		e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken)), collector.Options{})
		if got := providertest.ScrapeText(t, e, names...); got != "" {
			t.Errorf("null fields gave samples:\n%s", got)
		}
		// Still a succeeded backup of a listed resource.
		if got := providertest.ScrapeText(t, e, "backup_healthy"); !strings.Contains(got, "} 1") {
			t.Errorf("healthy:\n%s", got)
		}
	})
	t.Run("absent extend_info", func(t *testing.T) {
		srv := serveCBRList(t, cbrBackupJSON(`"id":"b1"`, `"status":"protecting"`, `"resource_id":"`+cbrResID+`"`, `"resource_name":"ecs-one"`))
		e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken)), collector.Options{})
		if got := providertest.ScrapeText(t, e, names...); got != "" {
			t.Errorf("absent fields gave samples:\n%s", got)
		}
	})
	t.Run("zeros", func(t *testing.T) {
		srv := serveCBRList(t, cbrBackupJSON(
			`"id":"b1"`, `"name":"autobk_1"`, `"status":"protecting"`, `"parent_id":null`,
			`"resource_id":"`+cbrResID+`"`, `"resource_name":"ecs-one"`, `"resource_size":0`,
			`"created_at":"`+cbrCreated+`"`, `"expired_at":"`+cbrCreated+`"`,
			`"extend_info":{"progress":0}`, `"children":[]`))
		e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken)), collector.Options{})
		got := providertest.ScrapeText(t, e, names...)
		for _, w := range []string{
			"backup_size_bytes{" + cbrLabels + "} 0",
			"backup_progress_ratio{" + cbrLabels + "} 0",
			"backup_start_timestamp_seconds{" + cbrLabels + "} " + cbrUnix(cbrCreated),
			"backup_expiry_timestamp_seconds{" + cbrLabels + "} " + cbrUnix(cbrCreated),
		} {
			if !strings.Contains(got, w) {
				t.Errorf("missing %s in\n%s", w, got)
			}
		}
	})
}

// cbrGenerated is backup i of n spread over resources resources, the
// newest of resource r being the last one listed for it.
func cbrGenerated(n, resources int) []string {
	items := make([]string, n)
	base := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)
	for i := range n {
		created := base.Add(time.Duration(i) * time.Hour).Format("2006-01-02T15:04:05.000000")
		items[i] = cbrBackupJSON(
			fmt.Sprintf(`"id":"b-%04d"`, i), fmt.Sprintf(`"name":"autobk_%04d"`, i), `"status":"available"`,
			fmt.Sprintf(`"resource_id":"res-%d"`, i%resources), fmt.Sprintf(`"resource_name":"ecs-%d"`, i%resources),
			`"created_at":"`+created+`"`, `"protected_at":"`+created+`"`, `"children":[]`)
	}
	return items
}

func TestHuaweiCBRListThreePages(t *testing.T) {
	srv := serveCBRList(t, cbrGenerated(250, 5)...)
	e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken),
		"vault_id: 3b5816b5-f29c-4172-9d9a-76c719a659ce"), collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Resources) != 5 {
		t.Fatalf("%d resources, want 5", len(res.Resources))
	}
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("requests = %v, want 3 pages", reqs)
	}
	for i, r := range reqs {
		u, err := url.Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if q.Get("limit") != "100" || q.Get("offset") != strconv.Itoa(100*i) || q.Get("vault_id") != "3b5816b5-f29c-4172-9d9a-76c719a659ce" {
			t.Errorf("request %d = %s", i, r)
		}
	}
	got := providertest.ScrapeText(t, e, "backup_backups", "backup_info")
	for _, w := range []string{
		`backup_backups{provider="huawei_cbr",resource_id="res-0",resource_name="ecs-0",state="succeeded",target="cbr-test"} 50`,
		// The newest backup of res-4 is the last of page 3.
		`backup_info{backup="autobk_0249",provider="huawei_cbr",resource_id="res-4",resource_name="ecs-4",status="available",target="cbr-test"} 1`,
		`backup_info{backup="autobk_0245",provider="huawei_cbr",resource_id="res-0",resource_name="ecs-0",status="available",target="cbr-test"} 1`,
	} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %s in\n%s", w, got)
		}
	}
}

func TestHuaweiCBRListGuards(t *testing.T) {
	items := cbrGenerated(150, 3)
	t.Run("empty page before count", func(t *testing.T) {
		srv := newCBRServer(t, func(w http.ResponseWriter, r *http.Request) {
			page := "[]"
			if r.URL.Query().Get("offset") == "0" {
				page = "[" + strings.Join(items[:100], ",") + "]"
			}
			fmt.Fprintf(w, `{"backups":%s,"count":150}`, page)
		})
		e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken)), collector.Options{})
		res := e.Collect(context.Background(), e.Targets())[0]
		if res.Err == nil || !strings.Contains(res.Err.Error(), "empty although count is 150") {
			t.Errorf("err = %v", res.Err)
		}
		if n := len(srv.Requests()); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
	t.Run("count changes once, then the walk restarts", func(t *testing.T) {
		var mu sync.Mutex
		calls := 0
		srv := newCBRServer(t, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			count := 150
			if n == 2 { // a backup appeared during the first walk
				count = 151
			}
			offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
			fmt.Fprintf(w, `{"backups":[%s],"count":%d}`, strings.Join(items[offset:min(offset+100, 150)], ","), count)
		})
		e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken)), collector.Options{})
		res := e.Collect(context.Background(), e.Targets())[0]
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if len(res.Resources) != 3 || res.Resources[0].Counts[toolkit.StateSucceeded] != 50 {
			t.Errorf("resources = %+v", res.Resources)
		}
		if n := len(srv.Requests()); n != 4 {
			t.Errorf("%d requests, want 4 (two of the first walk, two of the second)", n)
		}
	})
	t.Run("count keeps changing", func(t *testing.T) {
		var mu sync.Mutex
		calls := 0
		srv := newCBRServer(t, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
			fmt.Fprintf(w, `{"backups":[%s],"count":%d}`, strings.Join(items[offset:min(offset+100, 150)], ","), 150+n)
		})
		e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken)), collector.Options{})
		res := e.Collect(context.Background(), e.Targets())[0]
		if res.Err == nil || !strings.Contains(res.Err.Error(), "count changed") ||
			!strings.Contains(res.Err.Error(), `list CBR backups of project "`+cbrProject+`"`) {
			t.Errorf("err = %v", res.Err)
		}
	})
}

func TestHuaweiCBRResourceFilterWithoutBackups(t *testing.T) {
	srv := serveCBRList(t)
	e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken), "resource_id: "+cbrResID), collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_protected", "backup_healthy")
	want := `backup_protected{provider="huawei_cbr",resource_id="` + cbrResID + `",resource_name="` + cbrResID + `",target="cbr-test"} 0`
	if !strings.Contains(got, want) || strings.Contains(got, "backup_healthy") {
		t.Errorf("got\n%s\nwant only %s", got, want)
	}
	if reqs := srv.Requests(); len(reqs) != 1 || !strings.Contains(reqs[0], "resource_id="+cbrResID) {
		t.Errorf("requests = %v", reqs)
	}
}

func TestHuaweiCBRErrorBodies(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"error_code":"BackupService.6202","error_msg":"Backup not found"}`, "HTTP 404 Not Found: BackupService.6202: Backup not found"},
		{`{"error_msg":"The API does not exist","error_code":"APIGW.0101","request_id":"abc123"}`, "HTTP 404 Not Found: APIGW.0101: The API does not exist"},
		{`{"error":{"code":"IAM.0001","message":"bad"}}`, "HTTP 404 Not Found: IAM.0001: bad"},
		{`not json`, "HTTP 404 Not Found: not json"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			srv := newCBRServer(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNotFound)
				fmt.Fprint(w, tc.body)
			})
			e := newTestExporter(t, cbrConfig(srv.URL, srv.CAFile, cbrTokenCred(cbrToken), "backup_id: "+cbrDocID), collector.Options{})
			res := e.Collect(context.Background(), e.Targets())[0]
			if res.Err == nil || !strings.Contains(res.Err.Error(), tc.want) ||
				!strings.HasPrefix(res.Err.Error(), `get CBR backup "`+cbrDocID+`" of project "`+cbrProject+`": GET `) {
				t.Errorf("err = %v, want it to contain %q", res.Err, tc.want)
			}
		})
	}
}

func cbrAKSKCred(ak, skFile string) string {
	return fmt.Sprintf("access_key: %s, secret_key_file: %q", ak, skFile)
}

func generatedResourceID(i int) string { return fmt.Sprintf("e0000000-0000-4000-8000-%012d", i) }

func TestHuaweiSimulatorSignedRequests(t *testing.T) {
	sim, ca := providertest.StartHuawei(t, 25) // 125 backups: two pages
	core, logs := observer.New(zap.DebugLevel)
	cfg := cbrConfig(sim.URL(), ca, cbrAKSKCred(simulator.HuaweiDemoAccessKey, providertest.WriteSecret(t, simulator.HuaweiDemoSecretKey)))
	e := newTestExporter(t, cfg, collector.Options{Logger: zap.New(core)})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Resources) != 25 {
		t.Errorf("%d resources, want 25 (children are not resources)", len(res.Resources))
	}
	if n := sim.Stats().Requests["GET /v3/"+simulator.HuaweiDemoProject+"/backups"]; n != 2 {
		t.Errorf("%d list requests, want 2 pages: %v", n, sim.Stats().Requests)
	}
	got := providertest.ScrapeText(t, e, "backup_healthy", "backup_progress_ratio", "backup_state")
	for _, i := range []int{7, 17} { // newest backup available with a data disk in error
		want := fmt.Sprintf(`backup_healthy{provider="huawei_cbr",resource_id="%s",resource_name="ecs-%03d",target="cbr-test"} 0`, generatedResourceID(i), i)
		if !strings.Contains(got, want) {
			t.Errorf("missing %s", want)
		}
	}
	for _, i := range []int{3, 13, 23} { // newest backup protecting
		prefix := fmt.Sprintf(`backup_progress_ratio{provider="huawei_cbr",resource_id="%s",`, generatedResourceID(i))
		if !strings.Contains(got, prefix) {
			t.Errorf("no progress for resource %d", i)
		}
	}
	for _, entry := range logs.All() {
		if strings.Contains(fmt.Sprint(entry.Message, entry.ContextMap()), simulator.HuaweiDemoSecretKey) {
			t.Errorf("secret key logged: %v", entry)
		}
	}
}

func TestHuaweiSimulatorWrongSecretKeyIsNeverShown(t *testing.T) {
	const wrongSK = "wrong-sk-7f3a91c2"
	sim, ca := providertest.StartHuawei(t, 2)
	core, logs := observer.New(zap.DebugLevel)
	cfg := cbrConfig(sim.URL(), ca, fmt.Sprintf("access_key: %s, secret_key: %q", simulator.HuaweiDemoAccessKey, wrongSK))
	e := newTestExporter(t, cfg, collector.Options{Logger: zap.New(core)})
	if up := providertest.TargetUp(t, e); up["cbr-test"] != 0 {
		t.Errorf("target_up = %v with a wrong secret key", up)
	}
	out := providertest.ScrapeText(t, e, "backup_exporter_target_up", "backup_healthy")
	logged := providertest.LogText(logs)
	for _, want := range []string{"401", "APIGW.0301", "verify aksk signature fail"} {
		if !strings.Contains(logged, want) {
			t.Errorf("the log does not say %q: %s", want, logged)
		}
	}
	if strings.Contains(out+logged, wrongSK) {
		t.Error("the secret key appears in metrics or logs")
	}
	if strings.Contains(out, "backup_healthy") {
		t.Error("a target that is down still has backup series")
	}
}

func TestHuaweiSimulatorTokenMode(t *testing.T) {
	sim, ca := providertest.StartHuawei(t, 3)
	tokenFile := providertest.WriteSecret(t, simulator.HuaweiDemoToken)
	cfg := cbrConfig(sim.URL(), ca, fmt.Sprintf("auth_token_file: %q", tokenFile),
		"resource_id: "+generatedResourceID(2))
	e := newTestExporter(t, cfg, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Resources) != 1 || res.Resources[0].ID != generatedResourceID(2) || res.Resources[0].Counts[toolkit.StateSucceeded]+res.Resources[0].Counts[toolkit.StateFailed] != 5 {
		t.Errorf("resources = %+v", res.Resources)
	}
	// A rotated token file is read again on the next request.
	if err := os.WriteFile(tokenFile, []byte("revoked"), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := e.Collect(context.Background(), e.Targets())[0]; res.Err == nil || !strings.Contains(res.Err.Error(), "401") {
		t.Errorf("err = %v, want 401 with the rotated token", res.Err)
	}
}

func TestHuaweiSimulatorThrottledThenSuccess(t *testing.T) {
	sim, ca := providertest.StartHuawei(t, 2)
	if err := sim.AddFault(simulator.Fault{API: simulator.HuaweiAPI, Status: 429, RetryAfter: "1", Times: 1}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	cfg := cbrConfig(sim.URL(), ca, cbrAKSKCred(simulator.HuaweiDemoAccessKey, providertest.WriteSecret(t, simulator.HuaweiDemoSecretKey)))
	e := newTestExporter(t, cfg, collector.Options{APIMetrics: upstream.NewMetrics(reg)})
	providertest.AssertThrottledOnceThenServed(t, e, reg, "huawei_cbr")
	if got := sim.Stats().Total; got != 2 {
		t.Errorf("upstream requests = %d, want 2 (429 then 200)", got)
	}
}

// TestHuaweiSimulatorSingleBackup reads one backup by ID, signed.
func TestHuaweiSimulatorSingleBackup(t *testing.T) {
	sim, ca := providertest.StartHuawei(t, 1)
	sim.AddHuaweiBackup(simulator.HuaweiDemoProject, simulator.HuaweiBackup{
		ID: cbrDocID, Name: "manual", Status: "waiting_restore", ResourceID: cbrResID, ResourceName: "ecs-one",
		CreatedAt: cbrCreated, ProtectedAt: ptrTo(cbrProtected), ResourceSize: ptrTo(0),
	})
	cfg := cbrConfig(sim.URL(), ca, cbrAKSKCred(simulator.HuaweiDemoAccessKey, providertest.WriteSecret(t, simulator.HuaweiDemoSecretKey)),
		"backup_id: "+cbrDocID)
	e := newTestExporter(t, cfg, collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_healthy", "backup_last_success_timestamp_seconds", "backup_size_bytes", "backup_backups")
	for _, w := range []string{
		"backup_healthy{" + cbrLabels + "} 1",
		"backup_last_success_timestamp_seconds{" + cbrLabels + "} " + cbrUnix(cbrProtected),
		"backup_size_bytes{" + cbrLabels + "} 0",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %s in\n%s", w, got)
		}
	}
	if strings.Contains(got, "backup_backups") {
		t.Errorf("a single-backup target has no counts:\n%s", got)
	}
}

func ptrTo[T any](v T) *T { return &v }

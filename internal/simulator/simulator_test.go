package simulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testAccount = "demo-account"

func startDemo(t *testing.T) (*Server, *http.Client) {
	t.Helper()
	sc, err := LoadScenario(filepath.Join("..", "..", "examples", "simulator", "demo.yml"))
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	s, err := Start(Options{Scenario: sc, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	pem, err := os.ReadFile(caFile)
	if err != nil || string(pem) != string(s.CAPEM()) {
		t.Fatalf("CA file: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CAPEM()) {
		t.Fatal("bad CA PEM")
	}
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
	}}
	t.Cleanup(c.CloseIdleConnections)
	return s, c
}

func do(t *testing.T, c *http.Client, s *Server, method, path, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func get(t *testing.T, c *http.Client, s *Server, path string) (*http.Response, []byte) {
	return do(t, c, s, http.MethodGet, path, AstraDefaultToken)
}

type listResp struct {
	Type     string            `json:"type"`
	Items    []json.RawMessage `json:"items"`
	Metadata struct {
		Continue string `json:"continue"`
		Count    *int   `json:"count"`
	} `json:"metadata"`
}

func TestUnauthorized(t *testing.T) {
	s, c := startDemo(t)
	for _, tok := range []string{"", "wrong"} {
		resp, body := do(t, c, s, "GET", "/accounts/demo-account/k8s/v2/apps", tok)
		if resp.StatusCode != 401 {
			t.Fatalf("token %q: status %d", tok, resp.StatusCode)
		}
		var e map[string]any
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatal(err)
		}
		if e["status"] != "401" || !strings.HasPrefix(e["type"].(string), "https://astra.netapp.io/problems/") {
			t.Errorf("error body %s", body)
		}
	}
}

func TestListAppsAndBackups(t *testing.T) {
	s, c := startDemo(t)
	resp, body := get(t, c, s, "/accounts/demo-account/k8s/v2/apps")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var l listResp
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 5 {
		t.Fatalf("%d apps", len(l.Items))
	}

	resp, body = get(t, c, s, "/accounts/demo-account/topology/v1/appBackups")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	l = listResp{}
	json.Unmarshal(body, &l)
	if len(l.Items) != 8 || l.Metadata.Continue != "" {
		t.Fatalf("%d backups, continue %q", len(l.Items), l.Metadata.Continue)
	}
	var b astraBackupJSON
	json.Unmarshal(l.Items[len(l.Items)-1], &b)
	if b.State != "running" || b.PercentDone == nil || *b.PercentDone != 42 || b.Metadata.Labels[0].Value != "6a8c1f2e-1b7d-4c1e-9a51-2f3b4c5d6e05" {
		t.Errorf("running backup: %+v", b)
	}
	// Numbers are JSON numbers.
	if !strings.Contains(string(body), `"percentDone":42,`) || !strings.Contains(string(body), `"totalBytes":216895848448,`) {
		t.Errorf("numbers not JSON numbers: %s", body)
	}

	// One backup, topology and per app.
	for _, p := range []string{
		"/accounts/demo-account/topology/v1/appBackups/0b1e2c3d-0005-4a5b-8c6d-7e8f90a1b205",
		"/accounts/demo-account/k8s/v1/apps/6a8c1f2e-1b7d-4c1e-9a51-2f3b4c5d6e02/appBackups/0b1e2c3d-0005-4a5b-8c6d-7e8f90a1b205",
	} {
		resp, body = get(t, c, s, p)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
		b = astraBackupJSON{}
		json.Unmarshal(body, &b)
		if b.State != "failed" || len(b.StateUnready) != 2 || b.Type != "application/astra-appBackup" || b.Version != "1.2" {
			t.Errorf("%s: %s", p, body)
		}
	}

	// Per-app list; an app without backups has an empty list.
	resp, body = get(t, c, s, "/accounts/demo-account/k8s/v1/apps/6a8c1f2e-1b7d-4c1e-9a51-2f3b4c5d6e04/appBackups")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"items":[]`) {
		t.Errorf("empty app: %d %s", resp.StatusCode, body)
	}
}

func TestNotFound(t *testing.T) {
	s, c := startDemo(t)
	for _, p := range []string{
		"/accounts/demo-account/k8s/v1/apps/nope/appBackups",
		"/accounts/demo-account/k8s/v1/apps/nope/appBackups/x",
		"/accounts/nope/topology/v1/appBackups",
		"/accounts/demo-account/topology/v1/appBackups/nope",
		"/accounts/demo-account/nothing",
	} {
		resp, body := get(t, c, s, p)
		var e map[string]any
		if resp.StatusCode != 404 || json.Unmarshal(body, &e) != nil || e["status"] != "404" {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
}

func TestPaginationAndInclude(t *testing.T) {
	s, c := startDemo(t)
	var ids []string
	cont := ""
	pages := 0
	for {
		q := url.Values{"limit": {"3"}, "include": {"id,name,state,percentDone,metadata"}, "count": {"true"}}
		if cont != "" {
			q.Set("continue", cont)
		}
		resp, body := get(t, c, s, "/accounts/demo-account/topology/v1/appBackups?"+q.Encode())
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		var l listResp
		if err := json.Unmarshal(body, &l); err != nil {
			t.Fatal(err)
		}
		if l.Metadata.Count == nil || *l.Metadata.Count != 8 {
			t.Errorf("count %v", l.Metadata.Count)
		}
		for _, it := range l.Items {
			var arr []json.RawMessage
			if err := json.Unmarshal(it, &arr); err != nil || len(arr) != 5 {
				t.Fatalf("item %s is not a 5-array", it)
			}
			var id string
			json.Unmarshal(arr[0], &id)
			ids = append(ids, id)
			var md astraMetadata
			if err := json.Unmarshal(arr[4], &md); err != nil || md.CreationTimestamp == "" {
				t.Errorf("metadata %s", arr[4])
			}
		}
		pages++
		cont = l.Metadata.Continue
		if cont == "" {
			break
		}
		if pages > 10 {
			t.Fatal("no end")
		}
	}
	if pages != 3 || len(ids) != 8 {
		t.Fatalf("%d pages, %d ids", pages, len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("duplicate %s", id)
		}
		seen[id] = true
	}

	resp, body := get(t, c, s, "/accounts/demo-account/topology/v1/appBackups?include=bogus")
	if resp.StatusCode != 400 {
		t.Errorf("bad include: %d %s", resp.StatusCode, body)
	}
	resp, _ = get(t, c, s, "/accounts/demo-account/topology/v1/appBackups?continue=%21%21")
	if resp.StatusCode != 400 {
		t.Errorf("bad continue: %d", resp.StatusCode)
	}
}

func TestFaultRetryAfterOnce(t *testing.T) {
	s, c := startDemo(t)
	if err := s.AddFault(Fault{API: AstraAPI, Path: "/appBackups$", Status: 429, RetryAfter: "3", Times: 1}); err != nil {
		t.Fatal(err)
	}
	p := "/accounts/demo-account/topology/v1/appBackups"
	resp, body := get(t, c, s, p)
	var e map[string]any
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || json.Unmarshal(body, &e) != nil || e["status"] != "429" {
		t.Fatalf("fault: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, _ = get(t, c, s, p)
	if resp.StatusCode != 200 {
		t.Fatalf("after fault: %d", resp.StatusCode)
	}
	st := s.Stats()
	if st.Total != 2 || st.Requests["GET "+p] != 2 || st.APIs[AstraAPI] != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultsOverHTTPAndStats(t *testing.T) {
	s, c := startDemo(t)
	req, _ := http.NewRequest("POST", s.URL()+"/_sim/faults", strings.NewReader(`[{"api":"astra","method":"GET","path":"/k8s/v2/apps$","status":503,"times":2},{"latency":"10ms"}]`))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Fatalf("POST faults: %d", resp.StatusCode)
	}
	for i, want := range []int{503, 503, 200} {
		resp, _ := get(t, c, s, "/accounts/demo-account/k8s/v2/apps")
		if resp.StatusCode != want {
			t.Errorf("request %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	do(t, c, s, "GET", "/accounts/demo-account/k8s/v2/apps", "") // 401 counts too
	resp, body := do(t, c, s, "GET", "/_sim/stats", "")
	var st Stats
	if err := json.Unmarshal(body, &st); err != nil || resp.StatusCode != 200 {
		t.Fatalf("stats: %d %s", resp.StatusCode, body)
	}
	if st.Total != 4 || st.Requests["GET /accounts/demo-account/k8s/v2/apps"] != 4 {
		t.Errorf("stats %s", body)
	}
	do(t, c, s, "DELETE", "/_sim/stats", "")
	do(t, c, s, "DELETE", "/_sim/faults", "")
	if st := s.Stats(); st.Total != 0 {
		t.Errorf("after reset %+v", st)
	}
	resp, body = do(t, c, s, "POST", "/_sim/faults", "")
	if resp.StatusCode != 400 {
		t.Errorf("empty fault body: %d %s", resp.StatusCode, body)
	}
}

func TestFaultMalformed(t *testing.T) {
	s, c := startDemo(t)
	s.AddFault(Fault{Body: BodyMalformed})
	resp, body := get(t, c, s, "/accounts/demo-account/k8s/v2/apps")
	var v any
	if resp.StatusCode != 200 || json.Unmarshal(body, &v) == nil {
		t.Errorf("malformed: %d %s", resp.StatusCode, body)
	}
}

func TestFaultRaw(t *testing.T) {
	s, c := startDemo(t)
	if err := s.AddFault(Fault{Body: BodyRaw}); err == nil {
		t.Error("a raw fault without its body was accepted")
	}
	if err := s.AddFault(Fault{Raw: "{}"}); err == nil {
		t.Error("raw text without body raw was accepted")
	}
	if err := s.AddFault(Fault{API: AstraAPI, Body: BodyRaw, Raw: `{"items":[{}]}`, Times: 1}); err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, c, s, "/accounts/demo-account/k8s/v2/apps")
	if resp.StatusCode != 200 || string(body) != `{"items":[{}]}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("raw: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestFaultHuge(t *testing.T) {
	s, c := startDemo(t)
	s.AddFault(Fault{API: AstraAPI, Body: BodyHuge, Times: 2})
	req, _ := http.NewRequest("GET", s.URL()+"/accounts/demo-account/topology/v1/appBackups", nil)
	req.Header.Set("Authorization", "Bearer "+AstraDefaultToken)

	// Read it all once.
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n < HugeBodySize {
		t.Fatalf("huge body: %d bytes, %v", n, err)
	}

	// Read the first MiB, then go away.
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 1<<20)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(string(head), `{"items":[`) {
		t.Errorf("head %q", head[:40])
	}
}

func TestCloseWhileHanging(t *testing.T) {
	s, c := startDemo(t)
	s.AddFault(Fault{Hang: true})
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", s.URL()+"/accounts/demo-account/k8s/v2/apps", nil)
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		errc <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Total == 0 {
		if time.Now().After(deadline) {
			t.Fatal("request never arrived")
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	select {
	case <-errc:
	case <-time.After(5 * time.Second):
		t.Fatal("client still blocked")
	}
}

func TestLatencyFault(t *testing.T) {
	s, c := startDemo(t)
	s.AddFault(Fault{Latency: Duration(150 * time.Millisecond), Times: 1})
	start := time.Now()
	resp, _ := get(t, c, s, "/accounts/demo-account/k8s/v2/apps")
	if d := time.Since(start); resp.StatusCode != 200 || d < 150*time.Millisecond {
		t.Errorf("latency: %d after %v", resp.StatusCode, d)
	}
}

func TestMutators(t *testing.T) {
	s, c := startDemo(t)
	app := "6a8c1f2e-1b7d-4c1e-9a51-2f3b4c5d6e05"
	id := "0b1e2c3d-0008-4a5b-8c6d-7e8f90a1b208"
	if err := s.SetAstraBackupState(testAccount, app, id, "completed"); err != nil {
		t.Fatal(err)
	}
	_, body := get(t, c, s, "/accounts/demo-account/topology/v1/appBackups/"+id)
	if !strings.Contains(string(body), `"state":"completed"`) {
		t.Errorf("%s", body)
	}
	if err := s.SetAstraBackupState(testAccount, app, "nope", "x"); err == nil {
		t.Error("no error for unknown backup")
	}
	s.AddAstraBackup(testAccount, "new-app", AstraBackup{ID: "new-backup", Name: "n", State: "pending"})
	resp, body := get(t, c, s, "/accounts/demo-account/k8s/v1/apps/new-app/appBackups/new-backup")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"stateUnready":[]`) {
		t.Errorf("added: %d %s", resp.StatusCode, body)
	}
}

func TestScenarioStrict(t *testing.T) {
	if _, err := ParseScenario(strings.NewReader("astra:\n  tokn: x\n")); err == nil {
		t.Error("unknown key accepted")
	}
	if _, err := ParseScenario(strings.NewReader("faults:\n  - path: \"(\"\n")); err == nil {
		t.Error("bad regexp accepted")
	}
	sc, err := ParseScenario(strings.NewReader("faults:\n  - latency: 2s\n    retry_after: \"5\"\n"))
	if err != nil || time.Duration(sc.Faults[0].Latency) != 2*time.Second {
		t.Errorf("%v %+v", err, sc)
	}
	if sc, err := ParseScenario(strings.NewReader("")); err != nil || sc == nil {
		t.Errorf("empty: %v", err)
	}
}

func TestGenerateAstra(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	a := GenerateAstra("acc", 40, 30, now)
	b := GenerateAstra("acc", 40, 30, now)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("not deterministic")
	}
	states := map[string]int{}
	hookFailed := 0
	for _, app := range a.Accounts[0].Apps {
		if len(app.Backups) != 30 {
			t.Fatalf("%d backups", len(app.Backups))
		}
		newest := app.Backups[len(app.Backups)-1]
		if ts, _ := time.Parse(time.RFC3339, newest.CreationTimestamp); ts.After(now) || now.Sub(ts) > 24*time.Hour {
			t.Errorf("newest at %s", newest.CreationTimestamp)
		}
		for _, b := range app.Backups {
			states[b.State]++
			if b.HookState == "failed" {
				hookFailed++
			}
		}
	}
	if states["running"] != 4 || states["failed"] == 0 || hookFailed == 0 || states["completed"] < 1000 {
		t.Errorf("states %v, hook failed %d", states, hookFailed)
	}
}

func TestScenarioRebase(t *testing.T) {
	sc, err := ParseScenario(strings.NewReader(`
astra:
  accounts:
    - id: a
      apps:
        - id: app
          backups:
            - {id: b, state: completed, creation_timestamp: "2026-11-24T01:00:00Z", backup_creation_timestamp: "2026-11-24T01:10:00Z"}
huawei:
  projects:
    - id: p
      backups:
        - {id: c, created_at: "2026-11-24T01:00:00.000000", protected_at: "2026-11-24T01:05:00.000000"}
`))
	if err != nil {
		t.Fatal(err)
	}
	sc.Rebase(25 * time.Hour)
	b := sc.Astra.Accounts[0].Apps[0].Backups[0]
	if b.CreationTimestamp != "2026-11-25T02:00:00Z" || b.BackupCreationTimestamp != "2026-11-25T02:10:00Z" {
		t.Errorf("astra times = %q, %q", b.CreationTimestamp, b.BackupCreationTimestamp)
	}
	c := sc.Huawei.Projects[0].Backups[0]
	if c.CreatedAt != "2026-11-25T02:00:00.000000" || c.ProtectedAt == nil || *c.ProtectedAt != "2026-11-25T02:05:00.000000" {
		t.Errorf("huawei times = %q, %v", c.CreatedAt, c.ProtectedAt)
	}
}

// TestAstraAppsAtV2OrOnlyAtV1: apps are served at k8s/v2/apps (app 2.x);
// with apps_v1_only, as an Astra Control Center before App 2.0, at
// k8s/v1/apps only (app 1.x) and k8s/v2/apps answers 404. App backups are
// at k8s/v1 in both.
func TestAstraAppsAtV2OrOnlyAtV1(t *testing.T) {
	s, c := startDemo(t)
	const app = "6a8c1f2e-1b7d-4c1e-9a51-2f3b4c5d6e04"
	for _, v1only := range []bool{false, true} {
		sc, err := ParseScenario(strings.NewReader("astra:\n  apps_v1_only: " + strconv.FormatBool(v1only) + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		demo, err := LoadScenario(filepath.Join("..", "..", "examples", "simulator", "demo.yml"))
		if err != nil {
			t.Fatal(err)
		}
		demo.Astra.AppsV1Only = sc.Astra.AppsV1Only
		s.SetAstraScenario(demo.Astra)
		served, gone, version := "/k8s/v2/apps", "/k8s/v1/apps", "2.2"
		if v1only {
			served, gone, version = gone, served, "1.2"
		}
		for _, path := range []string{served, served + "/" + app} {
			resp, body := get(t, c, s, "/accounts/demo-account"+path)
			if resp.StatusCode != 200 || !strings.Contains(string(body), `"version":"`+version+`"`) {
				t.Errorf("v1 only %v: GET %s = %d %s, want app %s", v1only, path, resp.StatusCode, body, version)
			}
		}
		for _, path := range []string{gone, gone + "/" + app} {
			if resp, _ := get(t, c, s, "/accounts/demo-account"+path); resp.StatusCode != 404 {
				t.Errorf("v1 only %v: GET %s = %d, want 404", v1only, path, resp.StatusCode)
			}
		}
		if resp, _ := get(t, c, s, "/accounts/demo-account/k8s/v1/apps/"+app+"/appBackups"); resp.StatusCode != 200 {
			t.Errorf("v1 only %v: appBackups = %d", v1only, resp.StatusCode)
		}
	}
}

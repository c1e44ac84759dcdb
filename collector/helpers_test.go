package collector

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"go.uber.org/zap/zaptest/observer"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/backup-exporter/backup_exporter/config"
)

// fixtureServer serves JSON files from testdata over TLS. routes maps
// "path" or "path?continue=token" to a file (relative to testdata/); every request
// must carry the Authorization header want.
type fixtureServer struct {
	*httptest.Server
	CAFile string

	mu       sync.Mutex
	requests []string
}

func newFixtureServer(t *testing.T, wantAuth string, routes map[string]string) *fixtureServer {
	t.Helper()
	fs := &fixtureServer{}
	fs.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		fs.requests = append(fs.requests, r.URL.RequestURI())
		fs.mu.Unlock()
		if serveEntra(w, r) {
			return
		}
		if got := r.Header.Get("Authorization"); got != wantAuth {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"type":"https://astra.netapp.io/problems/3","title":"Unauthorized","detail":"The supplied bearer token is invalid.","status":"401"}`)
			return
		}
		key := r.URL.Path
		for _, page := range []string{"continue", "$skiptoken", "offset"} {
			if c := r.URL.Query().Get(page); c != "" && c != "0" {
				key += "?" + page + "=" + c
			}
		}
		file, ok := routes[key]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"type":"https://astra.netapp.io/problems/2","title":"Collection not found","detail":"The collection specified in the request URI wasn't found.","status":"404"}`)
			return
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join("testdata", file)
		}
		body, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("fixture %s: %v", file, err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bytes.ReplaceAll(body, []byte("{{base}}"), []byte("https://"+r.Host)))
	}))
	t.Cleanup(fs.Close)
	fs.CAFile = filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: fs.Certificate().Raw})
	if err := os.WriteFile(fs.CAFile, block, 0o600); err != nil {
		t.Fatal(err)
	}
	return fs
}

// fixtureARMToken is the access token the fixture server's Entra issues.
const fixtureARMToken = "fixture-arm-token"

// serveEntra answers the Microsoft Entra calls of azidentity's client
// secret flow (OpenID configuration, token), so that ARM fixtures are
// read through the real credential and pipeline.
func serveEntra(w http.ResponseWriter, r *http.Request) bool {
	base := "https://" + r.Host
	tenant, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration"):
		fmt.Fprintf(w, `{"token_endpoint":"%[1]s/%[2]s/oauth2/v2.0/token","authorization_endpoint":"%[1]s/%[2]s/oauth2/v2.0/authorize","issuer":"%[1]s/%[2]s/v2.0","jwks_uri":"%[1]s/%[2]s/discovery/v2.0/keys","response_types_supported":["code"],"subject_types_supported":["pairwise"],"id_token_signing_alg_values_supported":["RS256"]}`, base, tenant)
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token"):
		fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":%q}`, fixtureARMToken)
	default:
		w.Header().Del("Content-Type")
		return false
	}
	return true
}

// Requests returns the request URIs seen so far.
func (fs *fixtureServer) Requests() []string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]string(nil), fs.requests...)
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
%s`, token, caFile, endpoint, indent(extra))
}

func indent(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}

// newTestExporter builds an Exporter from YAML through config.Parse, as
// main does.
func newTestExporter(t *testing.T, yml string, opts Options) *Exporter {
	t.Helper()
	cfg := mustParse(t, yml)
	e, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func mustParse(t testing.TB, yml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yml), "test.yml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// backupMetricNames are the per-resource metrics compared by golden tests
// (the exporter's own metrics carry durations that vary run to run).
func backupMetricNames() []string {
	var names []string
	for _, m := range backupMetrics() {
		names = append(names, m.Name)
	}
	return names
}

// compareGolden collects every target of e once and compares the backup
// metrics with testdata/<golden>.
func compareGolden(t *testing.T, e *Exporter, golden string) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", golden))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := e.Collector(context.Background(), e.Targets())
	if err := testutil.CollectAndCompare(c, f, backupMetricNames()...); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// targetUp returns backup_exporter_target_up of each target after one
// collection.
func targetUp(t *testing.T, e *Exporter) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e.Collector(context.Background(), e.Targets()))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	up := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "backup_exporter_target_up" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "target" {
					up[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return up
}

// logText renders observed log entries as text, for checks of what was,
// and what must never be, logged.
func logText(logs *observer.ObservedLogs) string {
	var b strings.Builder
	for _, entry := range logs.All() {
		fmt.Fprintln(&b, entry.Message, entry.ContextMap())
	}
	return b.String()
}

// assertThrottledOnceThenServed collects e's only target, whose upstream
// answers one 429 with Retry-After: 1 and then succeeds: the target is up,
// the answer came after the Retry-After, and exactly one throttled retry
// of provider was counted in reg.
func assertThrottledOnceThenServed(t *testing.T, e *Exporter, reg *prometheus.Registry, provider string) {
	t.Helper()
	start := time.Now()
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatalf("not retried: %v", res.Err)
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("answered after %v: Retry-After 1 not respected", elapsed)
	}
	want := `
# HELP backup_exporter_api_retries_total Upstream requests retried, by reason (throttled, server_error, network).
# TYPE backup_exporter_api_retries_total counter
backup_exporter_api_retries_total{provider="` + provider + `",reason="throttled"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "backup_exporter_api_retries_total"); err != nil {
		t.Error(err)
	}
}

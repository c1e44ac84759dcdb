package server

import (
	"compress/gzip"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

const token = "server-test-token-31"

func newTestServer(t *testing.T) (*Server, *simulator.Server) {
	t.Helper()
	return newServer(t, 2, "cache_ttl: 0, scrape_timeout: 5s")
}

// newBenchServer serves 2 app targets of an account of 200 apps, cached.
func newBenchServer(b *testing.B) (*Server, *simulator.Server) {
	b.Helper()
	return newServer(b, 200, "cache_ttl: 1h, scrape_timeout: 5s")
}

func newServer(t testing.TB, apps int, global string) (*Server, *simulator.Server) {
	t.Helper()
	sc := &simulator.Scenario{Astra: simulator.GenerateAstra("acc", apps, 3, time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))}
	sc.Astra.Token = token
	ca := filepath.Join(t.TempDir(), "ca.pem")
	sim, err := simulator.Start(simulator.Options{Scenario: sc, CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	yml := fmt.Sprintf(`
global: {%s}
credentials:
  - {name: astra, astra: {api_token: %q}, tls_config: {ca_file: %q}}
targets:
  - {name: one, type: astra, credential: astra, endpoint: %q, account_id: acc, app_id: a0000000-0000-4000-8000-000000000001}
  - {name: two, type: astra, credential: astra, endpoint: %q, account_id: acc, app_id: a0000000-0000-4000-8000-000000000002}
  - {name: all, type: astra, credential: astra, endpoint: %q, account_id: acc, resource_labels: [team], static_labels: {environment: test}}
`, global, token, ca, sim.URL(), sim.URL(), sim.URL())
	cfg, err := config.Parse([]byte(yml), "test.yml", providers.All().Config())
	if err != nil {
		t.Fatal(err)
	}
	static := prometheus.NewRegistry()
	static.MustRegister(collector.NewBuildInfo())
	e, err := collector.New(cfg, collector.Options{
		Registry:     providers.All(),
		APIMetrics:   upstream.NewMetrics(static),
		CacheMetrics: collector.NewCacheMetrics(static),
	})
	if err != nil {
		t.Fatal(err)
	}
	reloads := 0
	s, err := New(Options{Static: static, TimeoutOffset: 500 * time.Millisecond, Registry: providers.All(), Reload: func() error {
		reloads++
		if reloads > 1 {
			return fmt.Errorf("bad.yml:3: unknown key \"x\"")
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	s.Swap(e)
	return s, sim
}

func get(t *testing.T, h http.Handler, method, target string, header ...string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func TestEndpoints(t *testing.T) {
	s, _ := newTestServer(t)
	tests := []struct {
		method, path string
		code         int
		contains     []string
		absent       []string
	}{
		{"GET", "/metrics", 200, []string{
			`backup_exporter_target_up{provider="astra",target="one"} 1`,
			`backup_exporter_target_up{provider="astra",target="two"} 1`,
			`backup_exporter_build_info{`,
		}, []string{token}},
		{"GET", "/probe?target=two", 200, []string{`backup_exporter_target_up{provider="astra",target="two"} 1`, `backup_healthy{`},
			[]string{`target="one"`, "backup_exporter_build_info"}},
		{"GET", "/probe?target=nope", 400, []string{`unknown target "nope"`}, nil},
		{"GET", "/probe", 400, []string{"target parameter is missing"}, nil},
		{"GET", "/-/healthy", 200, []string{"Healthy"}, nil},
		{"GET", "/-/ready", 200, []string{"Ready"}, nil},
		{"GET", "/-/reload", 405, nil, nil},
		{"POST", "/-/reload", 200, []string{"configuration reloaded"}, nil},
		{"POST", "/-/reload", 500, []string{"keeping the running configuration", `unknown key "x"`}, nil},
		{"GET", "/", 200, []string{"/metrics", "/probe", "Backup Exporter"}, []string{token}},
		{"GET", "/nothing-here", 404, nil, nil},
		{"POST", "/metrics", 405, []string{"only GET and HEAD"}, []string{"backup_"}},
		{"PUT", "/metrics", 405, nil, []string{"backup_"}},
		{"DELETE", "/probe?target=one", 405, nil, []string{"backup_"}},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			code, body := get(t, s, tc.method, tc.path)
			if code != tc.code {
				t.Errorf("status %d, want %d: %s", code, tc.code, body)
			}
			for _, want := range tc.contains {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %q:\n%s", want, body)
				}
			}
			for _, bad := range tc.absent {
				if strings.Contains(body, bad) {
					t.Errorf("body contains %q", bad)
				}
			}
		})
	}
}

func TestNotReadyBeforeConfig(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/-/ready", "/metrics", "/probe?target=x"} {
		if code, _ := get(t, s, "GET", path); code != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d before any configuration, want 503", path, code)
		}
	}
}

func TestScrapeTimeoutHeaderBoundsTheScrape(t *testing.T) {
	s, sim := newTestServer(t)
	if err := sim.AddFault(simulator.Fault{API: "astra", Path: "000000000001", Hang: true}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, body := get(t, s, "GET", "/metrics", "X-Prometheus-Scrape-Timeout-Seconds", "1.5")
	elapsed := time.Since(start)
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	// 1.5s header − 0.5s offset: the answer comes after about 1s, long
	// before the configured 5s.
	if elapsed > 4*time.Second {
		t.Errorf("scrape took %v despite a 1.5s Prometheus timeout", elapsed)
	}
	for _, want := range []string{
		`backup_exporter_target_up{provider="astra",target="one"} 0`,
		`backup_exporter_target_up{provider="astra",target="two"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s", want)
		}
	}
}

func TestScrapeTimeout(t *testing.T) {
	s := &Server{opts: Options{TimeoutOffset: 500 * time.Millisecond}}
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 30 * time.Second},
		{"10", 9500 * time.Millisecond},
		{"60", 30 * time.Second},
		{"0.4", 200 * time.Millisecond},
		{"garbage", 30 * time.Second},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("GET", "/metrics", nil)
		if tc.header != "" {
			r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", tc.header)
		}
		if got := s.scrapeTimeout(r, 30*time.Second); got != tc.want {
			t.Errorf("header %q: %v, want %v", tc.header, got, tc.want)
		}
	}
}

// TestSelfMetricsIncludeThisScrape checks that the upstream and cache
// counters already count the scrape that serves them, from the first.
func TestSelfMetricsIncludeThisScrape(t *testing.T) {
	s, _ := newTestServer(t)
	_, body := get(t, s, "GET", "/metrics")
	for _, want := range []string{
		`backup_exporter_api_requests_total{code="200",provider="astra"} 7`, // 2 apps (app, backups) + the discovery of 2
		`backup_exporter_cache_misses_total{target="one"} 1`,
		`backup_exporter_cache_hits_total{target="one"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("first scrape lacks %s", want)
		}
	}
}

func TestTelemetryPathValidated(t *testing.T) {
	for _, p := range []string{"metrics", "/", "/probe", "/-/healthy", "/a b"} {
		if _, err := New(Options{TelemetryPath: p}); err == nil {
			t.Errorf("telemetry path %q accepted", p)
		}
	}
	s, err := New(Options{TelemetryPath: "/backup/metrics"})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, s, "GET", "/backup/metrics"); code != http.StatusServiceUnavailable {
		t.Errorf("custom telemetry path not served: %d", code)
	}
}

// TestMetricsGzip: a scrape asking for gzip gets one gzip stream (the
// cached members of the series and this scrape's own), the same text.
func TestMetricsGzip(t *testing.T) {
	s, _ := newTestServer(t)
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Header().Get("Content-Encoding") != "gzip" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("status %d, headers %v", rec.Code, rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`backup_exporter_target_up{provider="astra",target="one"} 1`, `backup_healthy{`, `backup_exporter_build_info{`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("gunzipped body lacks %q", want)
		}
	}
	_, plain := get(t, s, "GET", "/metrics")
	if strings.Contains(plain, "\x1f\x8b") {
		t.Error("plain answer without Accept-Encoding is compressed")
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                       false,
		"gzip":                   true,
		"deflate, gzip;q=1.0, *": true,
		"gzip;q=0":               false,
		"identity, GZIP ; q=0.5": true,
		"br":                     false,
		"x-gzip":                 false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

var href = regexp.MustCompile(`href="([^"]*)"`)

// TestLandingPage: the landing page names every registered provider by its
// type, lists the configured targets with their state and a /probe link
// each, and links nothing that is not served.
func TestLandingPage(t *testing.T) {
	s, _ := newTestServer(t)
	code, body := get(t, s, "GET", "/")
	if code != 200 {
		t.Fatalf("GET / = %d", code)
	}
	for _, k := range providers.All() {
		if !strings.Contains(body, "<code>"+k.Name+"</code>: "+html.EscapeString(k.Title)) {
			t.Errorf("provider %s (%s) is not listed", k.Name, k.Title)
		}
	}
	for _, name := range []string{"one", "two", "all"} {
		if !strings.Contains(body, `href="probe?target=`+name+`"`) || !strings.Contains(body, "<td>"+name+"</td>") {
			t.Errorf("target %s is not listed with its /probe link", name)
		}
	}
	if strings.Contains(body, "debug/pprof") {
		t.Error("the page links pprof, which is not served")
	}
	if !strings.Contains(body, "not polled yet") {
		t.Error("a target never polled is not shown as such")
	}
	// After a scrape the targets are up, with their resources.
	get(t, s, "GET", "/metrics")
	_, body = get(t, s, "GET", "/")
	if !regexp.MustCompile(`<td>all</td><td><code>astra</code></td><td>up</td><td>2</td>`).MatchString(body) {
		t.Errorf("target all is not shown up with its 2 resources:\n%s", body)
	}
	// What backup_resource_info carries, per target.
	if !strings.Contains(body, "<td>resource_labels: team; static_labels: environment</td>") || !strings.Contains(body, "<td>-</td><td><a href=\"probe?target=one\"") {
		t.Errorf("the targets' owner keys are not shown:\n%s", body)
	}
	// No dead link: every link of the page is served.
	links := href.FindAllStringSubmatch(body, -1)
	if len(links) < 6 {
		t.Fatalf("only %d links: %v", len(links), links)
	}
	for _, m := range links {
		u := html.UnescapeString(m[1])
		if strings.HasPrefix(u, "http") {
			continue
		}
		if !strings.HasPrefix(u, "/") {
			u = "/" + u
		}
		if code, _ := get(t, s, "GET", u); code != 200 {
			t.Errorf("link %s: %d", u, code)
		}
	}
	// A target whose poll fails is shown down, with the error.
	down, sim := newServer(t, 1, "cache_ttl: 0, scrape_timeout: 5s")
	_ = sim.Close()
	get(t, down, "GET", "/probe?target=one")
	_, body = get(t, down, "GET", "/")
	if !regexp.MustCompile(`<td>one</td><td><code>astra</code></td><td>DOWN: [^<]+</td><td>-</td>`).MatchString(body) {
		t.Errorf("target one is not shown down with its error:\n%s", body)
	}
}

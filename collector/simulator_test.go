package collector

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

const simAccount = "sim-account"

// startSimulator serves a generated Astra account of apps apps over TLS
// and returns it with the path of its CA file.
func startSimulator(t testing.TB, apps int) (*simulator.Server, string) {
	t.Helper()
	sc := &simulator.Scenario{Astra: simulator.GenerateAstra(simAccount, apps, 5, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))}
	sc.Astra.Token = astraToken
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	sim, err := simulator.Start(simulator.Options{Scenario: sc, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim, caFile
}

// simConfig is a configuration with one Astra target per app index given
// (app_id set), or one discovering target when none is given.
func simConfig(sim *simulator.Server, caFile, global string, apps ...int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global: {%s}\ncredentials:\n  - name: astra\n    astra: {api_token: %q}\n    tls_config: {ca_file: %q}\ntargets:\n", global, astraToken, caFile)
	if len(apps) == 0 {
		fmt.Fprintf(&b, "  - {name: all, type: astra, credential: astra, endpoint: %q, account_id: %s}\n", sim.URL(), simAccount)
	}
	for _, i := range apps {
		fmt.Fprintf(&b, "  - {name: app%d, type: astra, credential: astra, endpoint: %q, account_id: %s, app_id: %s}\n",
			i, sim.URL(), simAccount, simulatedAppID(i))
	}
	return b.String()
}

// simulatedAppID is the ID GenerateAstra gives app i (1-based).
func simulatedAppID(i int) string { return fmt.Sprintf("a0000000-0000-4000-8000-%012d", i) }

func TestSimulatorThrottledThenSuccess(t *testing.T) {
	sim, ca := startSimulator(t, 2)
	if err := sim.AddFault(simulator.Fault{API: "astra", Path: "/appBackups$", Status: 429, RetryAfter: "1", Times: 1}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	e := newTestExporter(t, simConfig(sim, ca, "cache_ttl: 0", 1), Options{APIMetrics: NewAPIMetrics(reg)})
	assertThrottledOnceThenServed(t, e, reg, "astra")
	if got := sim.Stats().Total; got != 2 {
		t.Errorf("upstream requests = %d, want 2 (429 then 200)", got)
	}
}

func TestSimulatorServerErrorMarksOnlyThatTargetDown(t *testing.T) {
	sim, ca := startSimulator(t, 3)
	if err := sim.AddFault(simulator.Fault{API: "astra", Path: simulatedAppID(2), Status: 500}); err != nil {
		t.Fatal(err)
	}
	e := newTestExporter(t, simConfig(sim, ca, "cache_ttl: 0", 1, 2, 3), Options{})
	up := targetUp(t, e)
	if up["app1"] != 1 || up["app2"] != 0 || up["app3"] != 1 {
		t.Errorf("target_up = %v, want app2 down only", up)
	}
	got := scrapeText(t, e, "backup_healthy")
	for _, id := range []string{simulatedAppID(1), simulatedAppID(3)} {
		if !strings.Contains(got, id) {
			t.Errorf("healthy target %s not served:\n%s", id, got)
		}
	}
	if strings.Contains(got, simulatedAppID(2)) {
		t.Error("failed target still has backup series")
	}
}

func TestSimulatorHangStaysWithinScrapeTimeout(t *testing.T) {
	sim, ca := startSimulator(t, 2)
	if err := sim.AddFault(simulator.Fault{API: "astra", Path: simulatedAppID(1), Hang: true}); err != nil {
		t.Fatal(err)
	}
	e := newTestExporter(t, simConfig(sim, ca, "cache_ttl: 0, scrape_timeout: 1s", 1, 2), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), e.ScrapeTimeout())
	defer cancel()
	deadline, _ := ctx.Deadline()
	results := e.Collect(ctx, e.Targets())
	// The hanging request must be abandoned at the scrape deadline; the
	// margin only absorbs scheduling, it is not a performance bound.
	if late := time.Since(deadline); late > 2*time.Second {
		t.Errorf("Collect returned %v after the scrape deadline", late)
	}
	if results[0].Err == nil || results[1].Err != nil {
		t.Errorf("errors = %v / %v, want the hanging target down and the other up", results[0].Err, results[1].Err)
	}
	if !strings.Contains(results[0].Err.Error(), "deadline") {
		t.Errorf("error does not say it ran out of time: %v", results[0].Err)
	}
}

func TestSimulatorMalformedJSON(t *testing.T) {
	sim, ca := startSimulator(t, 1)
	if err := sim.AddFault(simulator.Fault{API: "astra", Body: simulator.BodyMalformed}); err != nil {
		t.Fatal(err)
	}
	e := newTestExporter(t, simConfig(sim, ca, "cache_ttl: 0", 1), Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), "decode response") {
		t.Errorf("err = %v, want a decode error", res.Err)
	}
}

func TestSimulatorHugeBodyIsRejectedWithBoundedMemory(t *testing.T) {
	sim, ca := startSimulator(t, 1)
	if err := sim.AddFault(simulator.Fault{API: "astra", Body: simulator.BodyHuge}); err != nil {
		t.Fatal(err)
	}
	e := newTestExporter(t, simConfig(sim, ca, "cache_ttl: 0, body_size_limit: 1MiB", 1), Options{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := e.Collect(context.Background(), e.Targets())[0]
	runtime.ReadMemStats(&after)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "exceeds the limit of 1MiB") {
		t.Fatalf("err = %v, want the body limit error", res.Err)
	}
	// The body is 50 MiB; reading stops at the 1 MiB limit.
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 16<<20 {
		t.Errorf("allocated %d MiB while rejecting a 50 MiB body", grown>>20)
	}
}

func TestSimulatorWrongTokenIsNeverShown(t *testing.T) {
	sim, ca := startSimulator(t, 1)
	core, logs := observer.New(zap.DebugLevel)
	cfg := strings.Replace(simConfig(sim, ca, "cache_ttl: 0", 1), astraToken, "wrong-token-8c1d", 1)
	e := newTestExporter(t, cfg, Options{Logger: zap.New(core)})
	if up := targetUp(t, e); up["app1"] != 0 {
		t.Errorf("target_up = %v with a wrong token", up)
	}
	out := scrapeText(t, e, "backup_exporter_target_up")
	logged := logText(logs)
	if !strings.Contains(logged, "401") {
		t.Errorf("the log does not say 401: %s", logged)
	}
	if strings.Contains(out+logged, "wrong-token-8c1d") {
		t.Error("the token appears in metrics or logs")
	}
}

func TestSimulatorConcurrentScrapesShareOnePoll(t *testing.T) {
	const apps = 4
	sim, ca := startSimulator(t, apps)
	if err := sim.AddFault(simulator.Fault{API: "astra", Latency: simulator.Duration(200 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	e := newTestExporter(t, simConfig(sim, ca, "cache_ttl: 5m"), Options{CacheMetrics: NewCacheMetrics(reg)})
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if up := targetUp(t, e); up["all"] != 1 {
				t.Errorf("target_up = %v", up)
			}
		})
	}
	wg.Wait()
	stats := sim.Stats()
	if want := 1 + apps; stats.Total != want {
		t.Errorf("upstream requests = %d, want %d (apps list + one list per app): %v", stats.Total, want, stats.Requests)
	}
	for path, n := range stats.Requests {
		if n != 1 {
			t.Errorf("%s requested %d times", path, n)
		}
	}
	hits := testutil.ToFloat64(e.cacheMetrics.hits.WithLabelValues("all"))
	misses := testutil.ToFloat64(e.cacheMetrics.misses.WithLabelValues("all"))
	if hits+misses != 10 || misses < 1 {
		t.Errorf("cache hits %v + misses %v, want 10 scrapes", hits, misses)
	}
}

func TestSimulatorDiscoveryOverManyApps(t *testing.T) {
	sim, ca := startSimulator(t, 250) // more than one page of apps
	e := newTestExporter(t, simConfig(sim, ca, "cache_ttl: 0"), Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Resources) != 250 {
		t.Errorf("found %d apps, want 250", len(res.Resources))
	}
}

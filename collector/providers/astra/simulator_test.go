package astra

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

func TestSimulatorThrottledThenSuccess(t *testing.T) {
	sim, ca := providertest.StartAstra(t, 2)
	if err := sim.AddFault(simulator.Fault{API: "astra", Path: "/appBackups$", Status: 429, RetryAfter: "1", Times: 1}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	e := newTestExporter(t, providertest.AstraConfig(sim, ca, "cache_ttl: 0", 1), collector.Options{APIMetrics: upstream.NewMetrics(reg)})
	providertest.AssertThrottledOnceThenServed(t, e, reg, "astra")
	if got := sim.Stats().Total; got != 3 {
		t.Errorf("upstream requests = %d, want 3 (the app, then 429 and 200 for its backups)", got)
	}
}

func TestSimulatorServerErrorMarksOnlyThatTargetDown(t *testing.T) {
	sim, ca := providertest.StartAstra(t, 3)
	if err := sim.AddFault(simulator.Fault{API: "astra", Path: providertest.SimulatedAppID(2), Status: 500}); err != nil {
		t.Fatal(err)
	}
	e := newTestExporter(t, providertest.AstraConfig(sim, ca, "cache_ttl: 0", 1, 2, 3), collector.Options{})
	up := providertest.TargetUp(t, e)
	if up["app1"] != 1 || up["app2"] != 0 || up["app3"] != 1 {
		t.Errorf("target_up = %v, want app2 down only", up)
	}
	got := providertest.ScrapeText(t, e, "backup_healthy")
	for _, id := range []string{providertest.SimulatedAppID(1), providertest.SimulatedAppID(3)} {
		if !strings.Contains(got, id) {
			t.Errorf("healthy target %s not served:\n%s", id, got)
		}
	}
	if strings.Contains(got, providertest.SimulatedAppID(2)) {
		t.Error("failed target still has backup series")
	}
}

func TestSimulatorHangStaysWithinScrapeTimeout(t *testing.T) {
	sim, ca := providertest.StartAstra(t, 2)
	if err := sim.AddFault(simulator.Fault{API: "astra", Path: providertest.SimulatedAppID(1), Hang: true}); err != nil {
		t.Fatal(err)
	}
	e := newTestExporter(t, providertest.AstraConfig(sim, ca, "cache_ttl: 0, scrape_timeout: 1s", 1, 2), collector.Options{})
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
	sim, ca := providertest.StartAstra(t, 1)
	if err := sim.AddFault(simulator.Fault{API: "astra", Body: simulator.BodyMalformed}); err != nil {
		t.Fatal(err)
	}
	e := newTestExporter(t, providertest.AstraConfig(sim, ca, "cache_ttl: 0", 1), collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), "decode response") {
		t.Errorf("err = %v, want a decode error", res.Err)
	}
}

func TestSimulatorHugeBodyIsRejectedWithBoundedMemory(t *testing.T) {
	sim, ca := providertest.StartAstra(t, 1)
	if err := sim.AddFault(simulator.Fault{API: "astra", Body: simulator.BodyHuge}); err != nil {
		t.Fatal(err)
	}
	e := newTestExporter(t, providertest.AstraConfig(sim, ca, "cache_ttl: 0, body_size_limit: 1MiB", 1), collector.Options{})
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
	sim, ca := providertest.StartAstra(t, 1)
	core, logs := observer.New(zap.DebugLevel)
	cfg := strings.Replace(providertest.AstraConfig(sim, ca, "cache_ttl: 0", 1), astraToken, "wrong-token-8c1d", 1)
	e := newTestExporter(t, cfg, collector.Options{Logger: zap.New(core)})
	if up := providertest.TargetUp(t, e); up["app1"] != 0 {
		t.Errorf("target_up = %v with a wrong token", up)
	}
	out := providertest.ScrapeText(t, e, "backup_exporter_target_up")
	logged := providertest.LogText(logs)
	if !strings.Contains(logged, "401") {
		t.Errorf("the log does not say 401: %s", logged)
	}
	if strings.Contains(out+logged, "wrong-token-8c1d") {
		t.Error("the token appears in metrics or logs")
	}
}

func TestSimulatorConcurrentScrapesShareOnePoll(t *testing.T) {
	const apps = 4
	sim, ca := providertest.StartAstra(t, apps)
	if err := sim.AddFault(simulator.Fault{API: "astra", Latency: simulator.Duration(200 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	e := newTestExporter(t, providertest.AstraConfig(sim, ca, "cache_ttl: 5m"), collector.Options{CacheMetrics: collector.NewCacheMetrics(reg)})
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if up := providertest.TargetUp(t, e); up["all"] != 1 {
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
	hits, _ := providertest.Value(t, reg, "backup_exporter_cache_hits_total", map[string]string{"target": "all"})
	misses, _ := providertest.Value(t, reg, "backup_exporter_cache_misses_total", map[string]string{"target": "all"})
	if hits+misses != 10 || misses < 1 {
		t.Errorf("cache hits %v + misses %v, want 10 scrapes", hits, misses)
	}
}

func TestSimulatorDiscoveryOverManyApps(t *testing.T) {
	sim, ca := providertest.StartAstra(t, 250) // more than one page of apps
	e := newTestExporter(t, providertest.AstraConfig(sim, ca, "cache_ttl: 0"), collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Resources) != 250 {
		t.Errorf("found %d apps, want 250", len(res.Resources))
	}
}

// TestOneFailingAppLeavesTheRestServed: one app whose backups cannot be
// read does not take the discovery target down: the others are served,
// it keeps its last good series while within max_staleness and is counted
// in backup_exporter_target_resource_errors; when every app fails the
// target is down.
func TestOneFailingAppLeavesTheRestServed(t *testing.T) {
	for _, staleness := range []string{"10m", "0s"} {
		t.Run("max_staleness "+staleness, func(t *testing.T) {
			sim, ca := providertest.StartAstra(t, 3)
			e := newTestExporter(t, providertest.AstraConfig(sim, ca, "cache_ttl: 0, max_staleness: "+staleness), collector.Options{})
			if res := e.Collect(context.Background(), e.Targets())[0]; res.Err != nil || len(res.Resources) != 3 {
				t.Fatalf("first poll: %v, %d resources", res.Err, len(res.Resources))
			}
			if err := sim.AddFault(simulator.Fault{API: "astra", Path: providertest.SimulatedAppID(2) + "/appBackups$", Status: 500}); err != nil {
				t.Fatal(err)
			}
			got := providertest.ScrapeText(t, e, "backup_exporter_target_up", "backup_exporter_target_resource_errors", "backup_protected")
			for _, want := range []string{
				`backup_exporter_target_up{provider="astra",target="all"} 1`,
				`backup_exporter_target_resource_errors{provider="astra",target="all"} 1`,
				`resource_id="` + providertest.SimulatedAppID(1) + `"`,
				`resource_id="` + providertest.SimulatedAppID(3) + `"`,
			} {
				if !strings.Contains(got, want) {
					t.Errorf("missing %s in\n%s", want, got)
				}
			}
			kept := strings.Contains(got, `resource_id="`+providertest.SimulatedAppID(2)+`"`)
			if kept != (staleness != "0s") {
				t.Errorf("failing app's last good series kept = %v with max_staleness %s:\n%s", kept, staleness, got)
			}

			if err := sim.AddFault(simulator.Fault{API: "astra", Path: "/appBackups$", Status: 500}); err != nil {
				t.Fatal(err)
			}
			if res := e.Collect(context.Background(), e.Targets())[0]; res.Err == nil || !strings.Contains(res.Err.Error(), "none of the 3 resources could be read") {
				t.Errorf("every app failing: err %v, want the target down", res.Err)
			}
		})
	}
}

package astra

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// appRequests counts the simulator's requests for app i (its own read and
// its backup lists).
func appRequests(stats map[string]int, i int) int {
	n := 0
	for path, c := range stats {
		if strings.Contains(path, providertest.SimulatedAppID(i)) {
			n += c
		}
	}
	return n
}

// TestReloadKeepsUnchangedTargets: a reload takes over the targets whose
// configuration did not change, with their polls (no upstream request),
// polls changed and added targets afresh, stops removed ones and deletes
// their series; after Stop no goroutine is left.
func TestReloadKeepsUnchangedTargets(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs last, after the simulator has closed
	sim, ca := providertest.StartAstra(t, 4)
	reg := prometheus.NewRegistry()
	cache := collector.NewCacheMetrics(reg)
	build := func(yml string, prev *collector.Exporter) *collector.Exporter {
		t.Helper()
		e, err := collector.New(providertest.Parse(t, yml, kinds), collector.Options{Registry: kinds, CacheMetrics: cache, Previous: prev})
		if err != nil {
			t.Fatal(err)
		}
		e.Start(prev)
		return e
	}
	first := build(providertest.AstraConfig(sim, ca, "cache_ttl: 1h", 1, 2, 3), nil)
	for _, r := range first.Collect(context.Background(), first.Targets()) {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Target.Name, r.Err)
		}
	}
	before := sim.Stats().Requests

	// app1 unchanged, app2 changed, app3 removed, app4 added.
	yml := providertest.AstraConfig(sim, ca, "cache_ttl: 1h", 1, 2, 4)
	yml = strings.Replace(yml, "{name: app2,", "{name: app2, expected_interval: 7d,", 1)
	second := build(yml, first)
	results := second.Collect(context.Background(), second.Targets())
	for _, r := range results {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Target.Name, r.Err)
		}
	}
	if !results[0].Cached || results[1].Cached || results[2].Cached {
		t.Errorf("answered from a kept poll: app1 %v app2 %v app4 %v; want app1 only", results[0].Cached, results[1].Cached, results[2].Cached)
	}
	after := sim.Stats().Requests
	for i, want := range map[int]int{1: 0, 2: 2, 3: 0, 4: 2} {
		if got := appRequests(after, i) - appRequests(before, i); got != want {
			t.Errorf("app%d: %d upstream requests after the reload, want %d", i, got, want)
		}
	}
	if _, ok := providertest.Value(t, reg, "backup_exporter_cache_misses_total", map[string]string{"target": "app3"}); ok {
		t.Error("the removed target's cache series are still exposed")
	}
	if _, ok := providertest.Value(t, reg, "backup_exporter_cache_misses_total", map[string]string{"target": "app4"}); !ok {
		t.Error("the added target has no cache series")
	}
	second.Stop()
}

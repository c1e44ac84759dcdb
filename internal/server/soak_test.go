package server

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// soakFaults are what the simulator injects at random during the soak.
var soakFaults = []simulator.Fault{
	{Status: 429, RetryAfter: "1", Times: 3},
	{Status: 429, Times: 3},
	{Status: 500, Times: 5},
	{Status: 503, Times: 5},
	{Status: 408, Times: 2},
	{Latency: simulator.Duration(300 * time.Millisecond), Times: 20},
	{Body: simulator.BodyMalformed, Times: 2},
	{Hang: true, Times: 2},
}

// TestSoak: 20 concurrent scrapers against every provider while the
// simulator injects random faults and the configuration is reloaded
// every tenth of the run; afterwards no scrape took longer than its
// timeout and goroutines and heap are back to where they were. The run
// lasts SOAK_DURATION (make soak: 60s; make test: 6s).
func TestSoak(t *testing.T) {
	d := 6 * time.Second
	// In make test every package runs at once with the race detector, and
	// on a 2-core machine a goroutine may wait for a CPU for hundreds of
	// milliseconds: the short run allows that much past the timeout. make
	// soak runs alone and holds every scrape to the timeout itself.
	slack := time.Second
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		slack = 0
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatal(err)
		}
	}
	const scrapers, timeout = 20, 2 * time.Second
	dir := t.TempDir()
	sc := &simulator.Scenario{
		Astra:  simulator.GenerateAstra("acc", 20, 3, time.Now()),
		Huawei: simulator.GenerateHuawei(simulator.HuaweiDemoProject, 20, 3, time.Now()),
		Azure:  simulator.GenerateAzure(simulator.DefaultAzureSubscriptionID, 2, 5, 5, 3, time.Now()),
	}
	sim, err := simulator.Start(simulator.Options{Scenario: sc, CAFile: filepath.Join(dir, "ca.pem")})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	baseGoroutines, baseHeap := settle()

	u := sim.URL()
	yml := func(interval int) string {
		return fmt.Sprintf(`global: {cache_ttl: 1s, max_staleness: 10s, scrape_timeout: 10s, poll_timeout: 3s}
credentials:
  - {name: astra, astra: {api_token: %q}, tls_config: {ca_file: %q}}
  - name: azure
    azure: {auth: client_secret, tenant_id: %s, client_id: %s, client_secret: %s, cloud: custom, authority_host: %s, resource_manager_endpoint: %s}
    tls_config: {ca_file: %q}
  - {name: huawei, huawei: {access_key: %s, secret_key: %s}, tls_config: {ca_file: %q}}
targets:
  - {name: astra, type: astra, credential: astra, endpoint: %q, account_id: acc, expected_interval: %dh}
  - {name: anf, type: azure_netapp_files, credential: azure, subscription_id: %s, resource_group: %s, account: %s}
  - {name: pg, type: azure_postgresql_ltr, credential: azure, subscription_id: %s, resource_group: %s}
  - {name: cbr, type: huawei_cbr, credential: huawei, endpoint: %q, project_id: %s}
`, simulator.AstraDefaultToken, filepath.Join(dir, "ca.pem"),
			simulator.DefaultAzureTenantID, simulator.DefaultAzureClientID, simulator.DefaultAzureClientSecret, u, u, filepath.Join(dir, "ca.pem"),
			simulator.HuaweiDemoAccessKey, simulator.HuaweiDemoSecretKey, filepath.Join(dir, "ca.pem"),
			u, 24+interval,
			simulator.DefaultAzureSubscriptionID, simulator.DefaultAzureResourceGroup, simulator.DefaultAzureNetAppAccount,
			simulator.DefaultAzureSubscriptionID, simulator.DefaultAzureResourceGroup,
			u, simulator.HuaweiDemoProject)
	}
	static := prometheus.NewRegistry()
	opts := collector.Options{Registry: providers.All(), APIMetrics: upstream.NewMetrics(static), CacheMetrics: collector.NewCacheMetrics(static)}
	build := func(i int, prev *collector.Exporter) *collector.Exporter {
		cfg, err := config.Parse([]byte(yml(i)), "soak.yml", providers.All().Config())
		if err != nil {
			t.Fatal(err)
		}
		o := opts
		o.Previous = prev
		e, err := collector.New(cfg, o)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	// The default --web.timeout-offset, as the exporter runs.
	s, err := New(Options{Static: static, TimeoutOffset: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	first := build(0, nil)
	s.Swap(first)
	first.Start(nil)
	hs := httptest.NewServer(s)

	var (
		mu       sync.Mutex
		scrapes  int
		slowest  time.Duration
		failures []string
	)
	until := time.Now().Add(d)
	var wg sync.WaitGroup
	wg.Go(func() { // faults
		for time.Now().Before(until) {
			f := soakFaults[rand.N(len(soakFaults))]
			f.API = []string{simulator.AstraAPI, simulator.AzureAPI, simulator.HuaweiAPI}[rand.N(3)]
			if err := sim.AddFault(f); err != nil {
				t.Error(err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		sim.ClearFaults()
	})
	wg.Go(func() { // reloads
		for i := 1; time.Now().Before(until); i++ {
			time.Sleep(d / 10)
			prev := s.Exporter()
			e := build(i, prev)
			s.Swap(e)
			e.Start(prev)
		}
	})
	client := &http.Client{}
	for range scrapers {
		wg.Go(func() {
			for time.Now().Before(until) {
				req, _ := http.NewRequest(http.MethodGet, hs.URL+"/metrics", nil)
				req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", fmt.Sprint(timeout.Seconds()))
				start := time.Now()
				resp, err := client.Do(req)
				var body []byte
				if err == nil {
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				took := time.Since(start)
				mu.Lock()
				scrapes++
				slowest = max(slowest, took)
				if err != nil || !strings.Contains(string(body), "backup_exporter_target_up{") {
					failures = append(failures, fmt.Sprint(err))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	hs.Close()
	s.Exporter().Stop()
	client.CloseIdleConnections()
	// The exporter's connections to the simulator (TLS, HTTP/2: a read
	// and a write loop each, on both ends) close asynchronously after
	// Stop; closing the simulator ends them on its side too, and the
	// check below waits for them to be gone instead of taking a count
	// while they are still closing.
	if err := sim.Close(); err != nil {
		t.Errorf("closing the simulator: %v", err)
	}

	t.Logf("%d scrapes in %v, slowest %v", scrapes, d, slowest)
	if len(failures) > 0 {
		t.Errorf("%d of %d scrapes failed, the first: %s", len(failures), scrapes, failures[0])
	}
	// With the offset, every answer must arrive within the timeout
	// Prometheus sends.
	if slowest > timeout+slack {
		t.Errorf("slowest scrape %v, over its %v timeout (+%v for a loaded machine)", slowest, timeout, slack)
	}
	goroutines := waitGoroutines(baseGoroutines+5, 30*time.Second)
	heap := heapInUse()
	if goroutines > baseGoroutines+5 {
		t.Errorf("goroutines %d after the soak, %d before", goroutines, baseGoroutines)
		buf := make([]byte, 1<<20)
		t.Logf("%s", buf[:runtime.Stack(buf, true)])
	}
	if heap > baseHeap+32<<20 {
		t.Errorf("heap %d MiB after the soak, %d MiB before", heap>>20, baseHeap>>20)
	}
	t.Logf("goroutines %d -> %d, heap %d -> %d KiB", baseGoroutines, goroutines, baseHeap>>10, heap>>10)
}

// settle waits for goroutines to finish (up to 10s) and returns their
// number and the heap in use after a GC.
func settle() (int, uint64) {
	var n int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		runtime.GC()
		if m := runtime.NumGoroutine(); m == n {
			break
		} else {
			n = m
		}
	}
	return runtime.NumGoroutine(), heapInUse()
}

// waitGoroutines waits until at most limit goroutines run, or for d, and
// returns how many run. A count that is merely stable for a moment is not
// enough: on a loaded machine connections still closing can hold a count
// for longer than one sampling interval. A leak never gets under the
// limit and fails the check after d.
func waitGoroutines(limit int, d time.Duration) int {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if n := runtime.NumGoroutine(); n <= limit {
			return n
		}
	}
	return runtime.NumGoroutine()
}

// heapInUse is the heap in use after a GC.
func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

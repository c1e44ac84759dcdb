package azurenetappfiles

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// pacedVolumes is the estate of TestPacedPollIsNotThrottled: 600 volumes
// (about 615 reads) by default, so that the test takes about 20 s at the
// published refill of 25 reads a second; BACKUP_EXPORTER_PACING_VOLUMES=
// 5000 runs the estate (about 5,040 reads: over 3 minutes a run).
func pacedVolumes(t *testing.T) int {
	v := os.Getenv("BACKUP_EXPORTER_PACING_VOLUMES")
	if v == "" {
		return 600
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 100 || n%100 != 0 {
		t.Fatalf("BACKUP_EXPORTER_PACING_VOLUMES=%q: want a multiple of 100", v)
	}
	return n
}

// TestPacedPollIsNotThrottled: ARM's read bucket as published (250 reads
// per subscription, refilled at 25 a second) against a poll of every
// volume of an account, whose status reads alone are one per volume.
// Without the pacer the poll empties the bucket and collects 429s (so this
// test can fail; on a machine too slow to empty it the test is skipped);
// with the pacer the same poll slows down as the bucket runs low and
// completes without a single 429, and says it was paced.
func TestPacedPollIsNotThrottled(t *testing.T) {
	if testing.Short() {
		t.Skip("paced at 25 reads a second: about 20 s")
	}
	volumes := pacedVolumes(t)
	// Without the pacer first: it shows that this machine sends the reads
	// faster than the bucket refills, so that the paced run must pace.
	throttledUnpaced := false
	for _, paced := range []bool{false, true} {
		t.Run(map[bool]string{true: "paced", false: "unpaced"}[paced], func(t *testing.T) {
			az := simulator.GenerateAzure(providertest.AzureSubscription, volumes/100, 100, 0, 0, time.Now())
			az.PageSize = 1000
			az.ReadBucket = &simulator.AzureReadBucket{Size: 250, RefillPerSecond: 25}
			az.Tenants = []simulator.AzureTenant{{ID: providertest.AzureTenant, Clients: []simulator.AzureClient{{ClientID: providertest.AzureClient, ClientSecret: providertest.AzureSecret}}}}
			sim, ca := providertest.Start(t, &simulator.Scenario{Azure: az})
			reg := prometheus.NewRegistry()
			deadline := time.Duration(volumes/25*2+60) * time.Second
			e := newTestExporter(t, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret,
				"cache_ttl: 0, scrape_timeout: "+deadline.String(),
				"name: anf, type: azure_netapp_files, account: "+simulator.DefaultAzureNetAppAccount),
				collector.Options{APIMetrics: upstream.NewMetrics(reg), Unpaced: !paced})
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			start := time.Now()
			res := e.Collect(ctx, e.Targets())[0]
			took := time.Since(start)
			throttled := sim.Stats().Codes["azure 429"]
			reads := sim.Stats().APIs[simulator.AzureAPI]
			t.Logf("%d volumes: %d ARM requests, %d answered 429, poll %v, paced %v", volumes, reads, throttled, took.Round(time.Millisecond), res.PollPaced.Round(time.Millisecond))
			if !paced {
				if throttled == 0 {
					// The bucket empties only if the reads beyond its 250
					// come faster than 25 a second: on a machine too
					// loaded for that, neither run can be throttled.
					if rate := float64(reads-250) / took.Seconds(); rate < 30 {
						t.Skipf("without the pacer %d reads took %v (%.0f a second beyond the bucket): too slow to empty it, the test cannot tell pacing from none here", reads, took, rate)
					}
					t.Fatalf("without the pacer the poll of %d reads in %v was never throttled", reads, took)
				}
				throttledUnpaced = true
				if res.PollPaced != 0 {
					t.Errorf("unpaced poll says it was paced for %v", res.PollPaced)
				}
				return
			}
			if res.Err != nil || res.ResourceErrors != 0 || len(res.Resources) != volumes {
				t.Fatalf("paced poll: err %v, %d resource errors, %d volumes of %d", res.Err, res.ResourceErrors, len(res.Resources), volumes)
			}
			if throttled != 0 {
				t.Errorf("paced poll was answered 429 %d times", throttled)
			}
			if got, _ := providertest.Value(t, reg, "backup_exporter_api_requests_total", map[string]string{"provider": Name, "code": "429"}); got != 0 {
				t.Errorf("the exporter counted %v answers 429", got)
			}
			if !throttledUnpaced {
				return // this machine is too slow to need pacing
			}
			// At least the reads beyond the bucket's 250 came at 25 a second.
			if least := time.Duration(float64(reads-250)/25*float64(time.Second)) * 8 / 10; took < least {
				t.Errorf("%d reads in %v: faster than the bucket allows (%v)", reads, took, least)
			}
			if res.PollPaced <= 0 || res.PollPaced > took {
				t.Errorf("poll paced for %v of %v", res.PollPaced, took)
			}
			sub := map[string]string{"subscription_id": providertest.AzureSubscription}
			// How many reads wait depends on how fast the machine sends
			// them; some do, or the bucket would have emptied.
			if n, _ := providertest.Value(t, reg, "backup_exporter_azure_paced_requests_total", sub); n <= 0 || n > float64(reads) {
				t.Errorf("%v requests counted as paced of %d reads", n, reads)
			}
			if s, _ := providertest.Value(t, reg, "backup_exporter_azure_paced_seconds_total", sub); s <= 0 {
				t.Errorf("paced seconds %v", s)
			}
			if left, _ := providertest.Value(t, reg, "backup_exporter_azure_ratelimit_remaining_reads", sub); left >= 250 {
				t.Errorf("remaining reads gauge %v", left)
			}
		})
	}
}

package awsbackup

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// TestAWSSimulatorRegion reads a generated region through the real SDK,
// its requests SigV4-signed and verified by the simulator, every list
// paged by 7: every resource is found with the states the generator
// documents.
func TestAWSSimulatorRegion(t *testing.T) {
	for _, role := range []bool{false, true} {
		sim, ca := providertest.StartAWS(t, 40, 5, 7)
		e := providertest.NewExporter(t, providertest.AWSSimConfig(sim, ca, "cache_ttl: 0", role, "name: aws"), kinds, collector.Options{RecordDropped: true})
		res := e.Collect(context.Background(), e.Targets())[0]
		if res.Err != nil {
			t.Fatalf("role %v: %v", role, res.Err)
		}
		// 40 resources; the stacks' nested tables and buckets (two of
		// each of the 4 stacks) are parts of their stacks, and dropped as
		// such.
		if n := len(res.Resources); n != 40 {
			t.Errorf("role %v: %d resources, want 40", role, n)
		}
		children := 0
		for _, d := range res.DroppedItems {
			if d.Reason == toolkit.DropChild {
				children++
			}
		}
		if children != 8 || len(res.DroppedItems) != 8 {
			t.Errorf("role %v: dropped %+v, want the 8 parts of stacks as children", role, res.DroppedItems)
		}
		for _, r := range res.Resources {
			if r.Err != nil {
				t.Errorf("%s: %v", r.Name, r.Err)
			}
		}
		for _, c := range []struct {
			metric, name string
			want         float64
		}{
			{"backup_protected", "vol-001", 1},
			{"backup_healthy", "vol-001", 1},
			{"backup_last_success_timestamp_seconds", "efs-017", 0}, // never a successful backup
			{"backup_state", "db-003", 1},                           // RUNNING
		} {
			labels := map[string]string{"resource_name": c.name}
			if c.metric == "backup_state" {
				labels["state"] = "running"
			}
			got, ok := providertest.ResourceValue(t, e, c.metric, labels)
			if !ok || got != c.want {
				t.Errorf("role %v: %s%v = %v (found %v), want %v", role, c.metric, labels, got, ok, c.want)
			}
		}
		if role {
			if sts := sim.Stats().Requests["POST /"]; sts != 1 {
				t.Errorf("%d STS requests, want one AssumeRole for the whole poll", sts)
			}
		}
	}
}

// TestAWSSimulatorThrottled: AWS Backup's throttling (HTTP 400,
// ThrottlingException) is retried once and counted as throttled.
func TestAWSSimulatorThrottled(t *testing.T) {
	sim, ca := providertest.StartAWS(t, 3, 2, 0)
	if err := sim.AddFault(simulator.Fault{API: simulator.AWSBackupAPI, Path: "^/resources", Status: 400, RetryAfter: "1", Times: 1}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	e := providertest.NewExporter(t, providertest.AWSSimConfig(sim, ca, "cache_ttl: 0", false, "name: aws"), kinds, collector.Options{APIMetrics: upstream.NewMetrics(reg)})
	providertest.AssertThrottledOnceThenServed(t, e, reg, Name)
}

// TestAWSSimulatorWrongSecret: the simulator's verifier refuses a
// signature made with another secret; the target is down with AWS's
// code, and the secret is nowhere in the error.
func TestAWSSimulatorWrongSecret(t *testing.T) {
	sim, ca := providertest.StartAWS(t, 3, 2, 0)
	const wrong = "wrongSecretAccessKey000000000000000000000"
	yml := strings.Replace(providertest.AWSSimConfig(sim, ca, "cache_ttl: 0", false, "name: aws"), simulator.AWSDemoSecretAccessKey, wrong, 1)
	e := providertest.NewExporter(t, yml, kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil {
		t.Fatal("up with a wrong secret")
	}
	if msg := res.Err.Error(); !strings.Contains(msg, "InvalidSignatureException") || strings.Contains(msg, wrong) || strings.Contains(msg, simulator.AWSDemoSecretAccessKey) {
		t.Errorf("error: %s", msg)
	}
}

package tridentprotect

import (
	"context"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// TestTridentSimulatorCluster reads a generated cluster through a
// kubeconfig (the cluster CA inline, a bearer token): every Application
// is a resource, intervals come from the schedules, appvaults are never
// read.
func TestTridentSimulatorCluster(t *testing.T) {
	sim, _ := providertest.StartTridentProtect(t, 3, 30, 2)
	kc := providertest.KubeconfigFile(t, sim, simulator.KubernetesDemoToken)
	e := providertest.NewExporter(t, providertest.TridentConfig(kc, "cache_ttl: 0", "name: tp"), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if n := len(res.Resources); n != 90 {
		t.Errorf("%d apps, want 90", n)
	}
	if n := sim.KubernetesRequestCount(simulator.TridentAppVaults); n != 0 {
		t.Errorf("%d appvaults requests", n)
	}
	// g%5 cycles Custom (every 6h), Hourly, Daily, Weekly, Monthly.
	intervals := map[time.Duration]int{}
	for _, r := range res.Resources {
		intervals[r.ExpectedInterval]++
	}
	for _, d := range []time.Duration{6 * time.Hour, time.Hour, 7 * 24 * time.Hour, 31 * 24 * time.Hour} {
		if intervals[d] == 0 {
			t.Errorf("no app with a %v interval: %v", d, intervals)
		}
	}
	unprotected := 0
	for _, r := range res.Resources {
		if !r.Protected {
			unprotected++
		}
	}
	if unprotected == 0 {
		t.Error("no app without backups and schedules (g=76: g%7 == 6 and g%11 == 10)")
	}
}

// TestTridentSimulatorExpiredContinue: a continue token that expires in
// the middle of a list restarts it, and the poll still reads every app.
func TestTridentSimulatorExpiredContinue(t *testing.T) {
	sim, _ := providertest.StartTridentProtect(t, 2, 300, 2)
	providertest.SimulatorExpiredContinue(t, sim, simConfig, kinds, 600, "apps")
}

func TestTridentSimulatorWrongToken(t *testing.T) {
	sim, _ := providertest.StartTridentProtect(t, 1, 2, 1)
	providertest.SimulatorWrongToken(t, sim, simConfig, kinds)
}

// simConfig is the configuration of one target reading the simulator
// through the kubeconfig file kc.
func simConfig(kc string) string { return providertest.TridentConfig(kc, "cache_ttl: 0", "name: tp") }

package longhorn

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// readsOnly matches the only requests the provider may make: lists of
// the five resources in Longhorn's namespace.
var readsOnly = regexp.MustCompile(`^GET /apis/longhorn\.io/v1beta2/namespaces/longhorn-system/(volumes|backups|backupvolumes|recurringjobs|backuptargets)$`)

// TestLonghornSimulatorCluster reads a generated cluster through a
// kubeconfig: every Volume is a resource, intervals come from the
// recurring jobs (the default group's daily, hourly and weekday jobs),
// volumes with only a snapshot job are unprotected, those on the
// unavailable target unhealthy; nothing but the five lists is read.
func TestLonghornSimulatorCluster(t *testing.T) {
	sim, _ := providertest.StartLonghorn(t, 230, 5)
	kc := providertest.KubeconfigFile(t, sim, simulator.KubernetesDemoToken)
	e := providertest.NewExporter(t, providertest.LonghornConfig(kc, "cache_ttl: 0", "name: lh"), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if n := len(res.Resources); n != 230 {
		t.Errorf("%d volumes, want 230", n)
	}
	intervals, unprotected, offsite, bound := map[time.Duration]int{}, 0, 0, 0
	for _, r := range res.Resources {
		if !r.Protected {
			unprotected++
			continue
		}
		intervals[r.ExpectedInterval]++
		if e := r.CurrentError(); e != nil && e.Code == "backup_target_unavailable" && !r.Healthy {
			offsite++
		}
		if strings.HasPrefix(r.Name, "app-") && strings.Contains(r.Name, "/data-") {
			bound++
		}
	}
	// g%10: 1 hourly, 2 weekdays, 9 snapshots only (unprotected), else daily.
	if unprotected != 23 || intervals[time.Hour] != 23 || intervals[72*time.Hour] != 23 || intervals[24*time.Hour] != 161 {
		t.Errorf("%d unprotected, intervals %v", unprotected, intervals)
	}
	// g%19 == 11: 12 volumes, one of them (g=49) unprotected.
	if offsite != 11 {
		t.Errorf("%d volumes unhealthy for the offsite target, want 11", offsite)
	}
	if bound == 0 {
		t.Error("no volume named by its PVC")
	}
	for path, n := range sim.Stats().Requests {
		if !readsOnly.MatchString(path) {
			t.Errorf("%d requests %s", n, path)
		}
	}
}

// TestLonghornSimulatorExpiredContinue: a continue token that expires in
// the middle of a list restarts it, and the poll still reads every volume.
func TestLonghornSimulatorExpiredContinue(t *testing.T) {
	sim, _ := providertest.StartLonghorn(t, 600, 2)
	providertest.SimulatorExpiredContinue(t, sim, simConfig, kinds, 600, "volumes")
}

// TestLonghornSimulatorRBAC: a service account granted exactly the five
// resources of the documented Role reads the target; one without
// backuptargets makes it down, naming the refused list; with
// backup_targets false it is not needed.
func TestLonghornSimulatorRBAC(t *testing.T) {
	for _, c := range []struct {
		resources []string
		target    string
		up        bool
	}{
		{[]string{"volumes", "backups", "backupvolumes", "recurringjobs", "backuptargets"}, "name: lh", true},
		{[]string{"volumes", "backups", "backupvolumes", "recurringjobs"}, "name: lh", false},
		{[]string{"volumes", "backups", "backupvolumes", "recurringjobs"}, "name: lh, backup_targets: false", true},
	} {
		sc := simulator.GenerateLonghorn(20, 2, time.Now())
		sc.ServiceAccounts = []simulator.KubernetesServiceAccount{{Namespace: "monitoring", Name: "backup-exporter", Token: "role-token",
			Resources: c.resources, APIGroups: []string{"longhorn.io"}, Namespaces: []string{"longhorn-system"}}}
		sim, _ := providertest.Start(t, &simulator.Scenario{Kubernetes: sc})
		kc := providertest.KubeconfigFile(t, sim, "role-token")
		e := providertest.NewExporter(t, providertest.LonghornConfig(kc, "cache_ttl: 0", c.target), kinds, collector.Options{})
		res := e.Collect(context.Background(), e.Targets())[0]
		switch {
		case c.up && (res.Err != nil || len(res.Resources) != 20):
			t.Errorf("%v: %v, %d volumes", c.resources, res.Err, len(res.Resources))
		case !c.up && (res.Err == nil || !strings.Contains(res.Err.Error(), "backuptargets") || !strings.Contains(res.Err.Error(), "403")):
			t.Errorf("%v: err = %v", c.resources, res.Err)
		}
	}
}

func TestLonghornSimulatorWrongToken(t *testing.T) {
	sim, _ := providertest.StartLonghorn(t, 2, 1)
	providertest.SimulatorWrongToken(t, sim, simConfig, kinds)
}

// simConfig is the configuration of one target reading the simulator
// through the kubeconfig file kc.
func simConfig(kc string) string { return providertest.LonghornConfig(kc, "cache_ttl: 0", "name: lh") }

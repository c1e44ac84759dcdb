package velero

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// TestVeleroSimulatorCluster reads a generated cluster with Velero's
// account of config.md's RBAC (a Role in velero, a ClusterRole listing
// namespaces), volume bytes on: every namespace but Velero's, kube-* and
// the labelled ones is a resource; the scratch namespaces no enabled
// Schedule covers are unprotected, the one a paused Schedule covers is
// protected and unhealthy; team 13's backups sit in an Unavailable
// location; the intervals are the covering Schedules' shortest; the
// selected volume copies give bytes; no Secret is asked for.
func TestVeleroSimulatorCluster(t *testing.T) {
	sc := simulator.GenerateVelero(300, 200, time.Now())
	sim, ca := providertest.Start(t, &simulator.Scenario{Kubernetes: sc})
	e := providertest.NewExporter(t, providertest.VeleroConfig(sim, ca, "cache_ttl: 0", `name: velero, exclude_namespaces: ["kube-*"], volume_bytes: true`), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil || res.ResourceErrors != 0 {
		t.Fatalf("%v, %d resource errors", res.Err, res.ResourceErrors)
	}
	want := 0
	for _, ns := range sc.Namespaces {
		if ns.Name != simulator.VeleroNamespace && ns.Name != "kube-system" && ns.Labels["velero.io/exclude-from-backup"] != "true" {
			want++
		}
	}
	rs := map[string]toolkit.Resource{}
	for _, r := range res.Resources {
		rs[r.ID] = r
	}
	if len(rs) != want || want < 290 {
		t.Fatalf("%d namespaces, want %d", len(rs), want)
	}
	var databases []string
	for _, s := range sc.CRDs["velero"].(*simulator.VeleroCRDs).Schedules {
		if s.Name == "databases" {
			databases = s.Template.IncludedNamespaces
		}
	}
	if len(databases) != 10 {
		t.Fatalf("databases schedule names %v", databases)
	}
	withBytes := 0
	for id, r := range rs {
		switch {
		case id == "scratch-00097":
			if !r.Protected || r.Healthy || !r.NoSuccessListed || !strings.Contains(r.Reason, "scratch-weekly") {
				t.Errorf("%s: %+v", id, r)
			}
		case strings.HasPrefix(id, "scratch-"):
			if r.Protected {
				t.Errorf("%s protected", id)
			}
		case strings.HasPrefix(id, "t13-"):
			if r.Healthy || !strings.Contains(r.Reason, "backup storage location dr is Unavailable") {
				t.Errorf("%s: healthy %v, %q", id, r.Healthy, r.Reason)
			}
		case !r.Protected:
			t.Errorf("%s unprotected", id)
		}
		if r.Latest != nil && r.Latest.Size != nil {
			withBytes++
		}
		wantEvery := 6 * time.Hour
		switch {
		case strings.HasPrefix(id, "t05-"):
			wantEvery = 24 * time.Hour // its weekday schedule's 72h, cluster-daily's 24h
		case strings.HasPrefix(id, "scratch-"):
			wantEvery = 24 * time.Hour // the default: the paused one gives none
		}
		if slices.Contains(databases, id) {
			wantEvery = time.Hour // the databases Schedule names it
		}
		if r.ExpectedInterval != wantEvery {
			t.Errorf("%s: interval %v, want %v", id, r.ExpectedInterval, wantEvery)
		}
	}
	if withBytes < 100 {
		t.Errorf("%d namespaces with volume bytes", withBytes)
	}
	if st := sim.Stats(); st.Secrets != 0 || len(st.Stray) != 0 {
		t.Errorf("secrets %d, stray %v", st.Secrets, st.Stray)
	}
}

// TestVeleroSimulatorNeedsTheNamespaceList: with Velero's Role but not
// the ClusterRole that lists namespaces, the target is down and says why
// (the namespaces are its resources).
func TestVeleroSimulatorNeedsTheNamespaceList(t *testing.T) {
	sc := simulator.GenerateVelero(20, 10, time.Now())
	for i := range sc.ServiceAccounts {
		sc.ServiceAccounts[i].Grants = nil
	}
	sim, ca := providertest.Start(t, &simulator.Scenario{Kubernetes: sc})
	e := providertest.NewExporter(t, providertest.VeleroConfig(sim, ca, "cache_ttl: 0", "name: velero"), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), `cannot list resource "namespaces" in API group "" at the cluster scope`) {
		t.Errorf("err = %v", res.Err)
	}
}

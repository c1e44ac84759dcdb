package astra

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// The apps of NetApp's toolkit examples (testdata/official/SOURCES).
const (
	officialWordpress = "79c608be-828d-4b3b-92d4-5589c0a4e515"
	officialCassandra = "79871ad1-2f69-4532-806a-42ba11cc45ac"
	officialManaged   = "40f27720-5e6d-4ab7-8647-cc05f2019319"
	officialClone     = "7c212175-9cbd-4bb9-96a4-3a61a8ea0fda"
)

// TestAstraOfficialExamples: what the provider exposes for the official
// examples: the app 2.0 list and resource of NetApp's toolkit at
// k8s/v2/apps, the API reference's appBackups list (items as arrays of
// id, name, state) and appBackup resource at k8s/v1.
func TestAstraOfficialExamples(t *testing.T) {
	v2, v1 := astraAccount+"/k8s/v2/apps", astraAccount+"/k8s/v1/apps"
	for _, tc := range []struct {
		name   string
		routes map[string]string
		extra  []string
	}{
		{"official_discovery", map[string]string{
			v2: "official/toolkit_list_apps_v2.json",
			v1 + "/" + officialWordpress + "/appBackups": "official/list_app_backups.json",
			v1 + "/" + officialCassandra + "/appBackups": "official/list_app_backups.json",
		}, nil},
		{"official_app", map[string]string{
			v2 + "/" + officialManaged:                 "official/toolkit_manage_app_v2.json",
			v1 + "/" + officialManaged + "/appBackups": "official/list_app_backups.json",
		}, []string{"app_id: " + officialManaged}},
		// The apps' metadata.labels as backup_resource_info's label_*:
		// the clone's read-only appType label, through a wildcard.
		{"official_owners", map[string]string{
			v2: "official/toolkit_list_apps_labels.json",
			v1 + "/" + officialWordpress + "/appBackups": "official/list_app_backups.json",
			v1 + "/" + officialCassandra + "/appBackups": "official/list_app_backups.json",
			v1 + "/" + officialClone + "/appBackups":     "official/list_app_backups.json",
		}, []string{`resource_labels: ["astra.netapp.io/labels/read-only/*"]`, "static_labels: {environment: production}"}},
		{"official_backup", map[string]string{
			v2 + "/" + officialManaged: "official/toolkit_manage_app_v2.json",
			v1 + "/" + officialManaged + "/appBackups/bab39d53-2d04-5297-b92e-58df89a2117b": "official/get_app_backup.json",
		}, []string{"app_id: " + officialManaged, "backup_id: bab39d53-2d04-5297-b92e-58df89a2117b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := astraServer(t, astraToken, tc.routes)
			e := newTestExporter(t, astraConfig(srv.URL, srv.CAFile, astraToken, tc.extra...), collector.Options{})
			providertest.Golden(t, e, kinds, tc.name+".prom")
			for _, r := range srv.Requests() {
				if strings.Contains(r, "/k8s/v1/apps") && !strings.Contains(r, "/appBackups") {
					t.Errorf("apps read at v1 from an Astra that serves v2: %s", r)
				}
			}
		})
	}
}

// TestAstraAppsV1Fallback: an Astra Control Center before App 2.0 answers
// 404 at k8s/v2/apps; discovery and app_id targets read apps at
// k8s/v1/apps instead, ask v2 once per target, and say so once.
func TestAstraAppsV1Fallback(t *testing.T) {
	sim, ca := providertest.StartAstraV1Only(t, 3)
	core, logs := observer.New(zap.InfoLevel)
	e := newTestExporter(t, providertest.AstraConfig(sim, ca, "cache_ttl: 0")+
		"  - {name: one, type: astra, credential: astra, endpoint: \""+sim.URL()+"\", account_id: "+providertest.AstraAccount+", app_id: "+providertest.SimulatedAppID(2)+"}\n",
		collector.Options{Logger: zap.New(core)})
	for poll := range 2 {
		for _, r := range e.Collect(context.Background(), e.Targets()) {
			if r.Err != nil {
				t.Fatalf("poll %d: target %s: %v", poll, r.Target.Name, r.Err)
			}
			want := map[string]int{"all": 3, "one": 1}[r.Target.Name]
			if len(r.Resources) != want {
				t.Errorf("poll %d: target %s found %d apps, want %d", poll, r.Target.Name, len(r.Resources), want)
			}
			for _, res := range r.Resources {
				if !res.Protected || res.Err != nil || res.Name == res.ID {
					t.Errorf("poll %d: app %+v not read whole", poll, res)
				}
			}
		}
	}
	st := sim.Stats()
	v2 := 0
	for req, n := range st.Requests {
		if strings.Contains(req, "/k8s/v2/apps") {
			v2 += n
		}
	}
	if v2 != 2 {
		t.Errorf("k8s/v2/apps asked %d times over two polls of two targets, want once per target: %v", v2, st.Requests)
	}
	if n := logs.FilterMessageSnippet("k8s/v1/apps").Len(); n != 2 {
		t.Errorf("fallback logged %d times, want once per target:\n%s", n, providertest.LogText(logs))
	}
}

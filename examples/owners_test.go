package examples

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// TestDemoShowsOwners: make demo's configuration and scenario show who
// owns the resources (backup_resource_info): a team on several resources
// of several providers (Velero's namespaces, CloudNativePG's Clusters and
// Longhorn's Volumes too), an unprotected volume, a never backed-up app,
// an unprotected Cluster and Longhorn Volume with their owners, and
// resources without any.
func TestDemoShowsOwners(t *testing.T) {
	if testing.Short() {
		t.Skip("polls the simulator")
	}
	sc, err := simulator.LoadScenario("simulator/demo.yml")
	if err != nil {
		t.Fatal(err)
	}
	written, err := time.Parse(time.RFC3339, sc.Now)
	if err != nil {
		t.Fatal(err)
	}
	sc.Rebase(time.Since(written))
	ca := filepath.Join(t.TempDir(), "ca.pem")
	sim, err := simulator.Start(simulator.Options{Scenario: sc, CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	b, err := os.ReadFile("demo.yml")
	if err != nil {
		t.Fatal(err)
	}
	yml := strings.NewReplacer("https://127.0.0.1:9443", sim.URL(), "../.demo/ca.pem", ca).Replace(string(b))
	cfg, err := config.Parse([]byte(yml), "demo.yml", providers.All().Config())
	if err != nil {
		t.Fatal(err)
	}
	e, err := collector.New(cfg, collector.Options{Registry: providers.All()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := e.WriteExposition(ctx, e.Targets(), nil, &out, false, nil); err != nil {
		t.Fatal(err)
	}
	var info []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "backup_resource_info{") {
			info = append(info, l)
		}
	}
	text := strings.Join(info, "\n")
	for _, want := range []string{
		`label_team="shop",provider="astra"`,
		`label_team="analytics",provider="astra",resource_id="6a8c1f2e-1b7d-4c1e-9a51-2f3b4c5d6e04",resource_name="reports-batch"`,
		`resource_name="scratch",tag_team="analytics",target="anf-demo"`,
		`tag_cost_center="cc-100",tag_team="shop"`,
		`resource_name="pg-demo-1",tag_team="billing"`,
		`target="cbr-demo",vault_tag_team="platform"`,
		`label_team="billing",provider="trident_protect"`,
		`provider="trident_protect",resource_id="sandbox/playground",resource_name="playground",target="trident-demo"} 1`,
		`label_team="payments",provider="velero",resource_id="payments",resource_name="payments",target="velero-demo"} 1`,
		`label_team="finance",provider="velero",resource_id="archive",resource_name="archive"`,
		`label_team="shop",provider="cloudnative_pg",resource_id="databases/pg-orders"`,
		`label_team="data",provider="cloudnative_pg",resource_id="databases/pg-scratch"`,
		`label_team="billing",provider="longhorn",resource_id="pvc-5f0c1d2e-0003-4a6b-9c1d-2e3f4a5b6c03"`,
		`label_team="data",provider="longhorn",resource_id="pvc-5f0c1d2e-0006-4a6b-9c1d-2e3f4a5b6c06",resource_name="sandbox/scratch"`,
		`{provider="longhorn",resource_id="pvc-5f0c1d2e-0005-4a6b-9c1d-2e3f4a5b6c05",resource_name="pvc-5f0c1d2e-0005-4a6b-9c1d-2e3f4a5b6c05",target="longhorn-demo"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("make demo does not show %s:\n%s", want, text)
		}
	}
}

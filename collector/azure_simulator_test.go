package collector

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

const (
	azTenant = simulator.DefaultAzureTenantID
	azClient = simulator.DefaultAzureClientID
	azSecret = "az-test-secret-6b1f"
	azSub    = simulator.DefaultAzureSubscriptionID
)

// startAzureSimulator serves a generated estate of pools×volumes NetApp
// volumes and servers PostgreSQL servers, with the test tenant and client.
func startAzureSimulator(t testing.TB, pools, volumes, servers int) (*simulator.Server, string) {
	t.Helper()
	return startAzureSimulatorPaged(t, pools, volumes, servers, 0)
}

// startAzureSimulatorPaged is startAzureSimulator with ARM lists of
// pageSize items (0: the simulator's default).
func startAzureSimulatorPaged(t testing.TB, pools, volumes, servers, pageSize int) (*simulator.Server, string) {
	t.Helper()
	az := simulator.GenerateAzure(azSub, pools, volumes, servers, 4, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	az.PageSize = pageSize
	az.Tenants = []simulator.AzureTenant{{ID: azTenant, Clients: []simulator.AzureClient{{ClientID: azClient, ClientSecret: azSecret}}}}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	sim, err := simulator.Start(simulator.Options{Scenario: &simulator.Scenario{Azure: az}, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim, caFile
}

// azureConfig is a configuration whose Azure credential logs in to the
// simulator (a custom cloud) with a client secret, and whose targets are
// given as YAML flow mappings without credential.
func azureConfig(url, caFile, secret, global string, targets ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global: {%s}
credentials:
  - name: az
    azure:
      auth: client_secret
      tenant_id: %s
      client_id: %s
      client_secret: %q
      cloud: custom
      authority_host: %s
      resource_manager_endpoint: %s
    tls_config: {ca_file: %q}
targets:
`, global, azTenant, azClient, secret, url, url, caFile)
	for _, t := range targets {
		fmt.Fprintf(&b, "  - {credential: az, subscription_id: %s, resource_group: %s, %s}\n", azSub, simulator.DefaultAzureResourceGroup, t)
	}
	return b.String()
}

func TestAzureSimulatorDiscoversPoolsAndVolumes(t *testing.T) {
	sim, ca := startAzureSimulator(t, 2, 3, 0)
	api := NewAPIMetrics(nil)
	e := newTestExporter(t, azureConfig(sim.URL(), ca, azSecret, "cache_ttl: 0",
		"name: anf, type: azure_netapp_files, account: "+simulator.DefaultAzureNetAppAccount), Options{APIMetrics: api})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Resources) != 6 {
		t.Fatalf("found %d volumes, want 2 pools × 3", len(res.Resources))
	}
	protected := 0
	for _, r := range res.Resources {
		if r.Protected {
			protected++
			if r.RelationshipStatus == "" || r.Counts == nil {
				t.Errorf("volume %s lacks status or vault backups: %+v", r.Name, r)
			}
		}
	}
	if protected != 5 {
		t.Errorf("%d protected volumes, want 5 (the generator leaves the last without backup)", protected)
	}
	// One list of pools, two of volumes, one of vaults, one of the vault's
	// backups and five status reads; the gauge holds whichever answer
	// came last, and the status reads run concurrently.
	quota := testutil.ToFloat64(api.armReads.WithLabelValues(azSub))
	if quota < simulator.AzureRateLimitReads-10 || quota > simulator.AzureRateLimitReads-6 {
		t.Errorf("remaining reads = %v, want 11990..11994 after 10 requests", quota)
	}

	// A volume deleted between scrapes disappears.
	if err := sim.DeleteANFVolume(azSub, simulator.DefaultAzureResourceGroup, simulator.DefaultAzureNetAppAccount, "pool-01", "vol-002"); err != nil {
		t.Fatal(err)
	}
	got := scrapeText(t, e, "backup_protected")
	if strings.Contains(got, `resource_name="vol-002"`) {
		t.Errorf("deleted volume still exposed:\n%s", got)
	}
	if n := strings.Count(got, "backup_protected{"); n != 5 {
		t.Errorf("%d volumes after deleting one, want 5:\n%s", n, got)
	}
}

func TestAzureSimulatorPostgreSQLDiscovery(t *testing.T) {
	sim, ca := startAzureSimulator(t, 0, 0, 3)
	e := newTestExporter(t, azureConfig(sim.URL(), ca, azSecret, "cache_ttl: 0", "name: pg, type: azure_postgresql_ltr"), Options{})
	got := scrapeText(t, e, "backup_protected", "backup_backups")
	for _, want := range []string{
		`backup_protected{provider="azure_postgresql_ltr",resource_id="/subscriptions/` + azSub + `/resourceGroups/demo-rg/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg-server-01",resource_name="pg-server-01",target="pg"} 1`,
		`resource_name="pg-server-03",target="pg"} 0`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
}

func TestAzureSimulatorThrottledThenSuccess(t *testing.T) {
	sim, ca := startAzureSimulator(t, 1, 1, 0)
	if err := sim.AddFault(simulator.Fault{API: simulator.AzureAPI, Path: "latestBackupStatus", Status: 429, RetryAfter: "1", Times: 1}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	e := newTestExporter(t, azureConfig(sim.URL(), ca, azSecret, "cache_ttl: 0",
		"name: anf, type: azure_netapp_files, account: demo-account, pool: pool-01, volume: vol-001"), Options{APIMetrics: NewAPIMetrics(reg)})
	assertThrottledOnceThenServed(t, e, reg, "azure_netapp_files")
}

func TestAzureSimulatorRetryAfterBeyondDeadlineFailsFast(t *testing.T) {
	sim, ca := startAzureSimulator(t, 1, 1, 0)
	if err := sim.AddFault(simulator.Fault{API: simulator.AzureAPI, Path: "latestBackupStatus", Status: 429, RetryAfter: "120"}); err != nil {
		t.Fatal(err)
	}
	e := newTestExporter(t, azureConfig(sim.URL(), ca, azSecret, "cache_ttl: 0, scrape_timeout: 20s",
		"name: anf, type: azure_netapp_files, account: demo-account, pool: pool-01, volume: vol-001"), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res := e.Collect(ctx, e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), "429") || !strings.Contains(res.Err.Error(), "TooManyRequests") {
		t.Errorf("err = %v, want the throttling error itself", res.Err)
	}
	if ctx.Err() != nil {
		t.Error("waited for the whole scrape budget instead of failing fast")
	}
}

func TestAzureSimulatorWrongSecret(t *testing.T) {
	sim, ca := startAzureSimulator(t, 1, 1, 0)
	core, logs := observer.New(zap.DebugLevel)
	const wrong = "wrong-secret-d41c"
	e := newTestExporter(t, azureConfig(sim.URL(), ca, wrong, "cache_ttl: 0",
		"name: anf, type: azure_netapp_files, account: demo-account"), Options{Logger: zap.New(core)})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil {
		t.Fatal("a wrong client secret was accepted")
	}
	msg := res.Err.Error()
	for _, want := range []string{"tenant " + azTenant, "client ID " + azClient, "AADSTS7000215"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("multi-line error: %q", msg)
	}
	out := scrapeText(t, e, "backup_exporter_target_up")
	if !strings.Contains(out, `backup_exporter_target_up{provider="azure_netapp_files",target="anf"} 0`) {
		t.Errorf("target not down:\n%s", out)
	}
	logged := logText(logs)
	if strings.Contains(msg+out+logged, wrong) {
		t.Error("the client secret appears in the error, metrics or logs")
	}
}

func TestAzureSimulatorClientCertificate(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM, err := simulator.NewClientCertificate()
	if err != nil {
		t.Fatal(err)
	}
	certFile := filepath.Join(dir, "client.crt")
	bundle := filepath.Join(dir, "client.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bundle, append(append([]byte{}, certPEM...), keyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	az := simulator.GenerateAzure(azSub, 1, 2, 0, 0, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	az.Tenants = []simulator.AzureTenant{{ID: azTenant, Clients: []simulator.AzureClient{{ClientID: azClient, CertificateFile: certFile}}}}
	caFile := filepath.Join(dir, "ca.pem")
	sim, err := simulator.Start(simulator.Options{Scenario: &simulator.Scenario{Azure: az}, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	cfg := strings.Replace(azureConfig(sim.URL(), caFile, "unused", "cache_ttl: 0",
		"name: anf, type: azure_netapp_files, account: demo-account"),
		"auth: client_secret", "auth: client_certificate", 1)
	cfg = strings.Replace(cfg, `client_secret: "unused"`, "certificate_file: "+bundle, 1)
	e := newTestExporter(t, cfg, Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Resources) != 2 {
		t.Errorf("found %d volumes, want 2", len(res.Resources))
	}
}

func TestAzureSimulatorEntraBodyIsLimited(t *testing.T) {
	sim, ca := startAzureSimulator(t, 1, 1, 0)
	if err := sim.AddFault(simulator.Fault{API: simulator.EntraAPI, Body: simulator.BodyHuge}); err != nil {
		t.Fatal(err)
	}
	e := newTestExporter(t, azureConfig(sim.URL(), ca, azSecret, "cache_ttl: 0, body_size_limit: 1MiB",
		"name: anf, type: azure_netapp_files, account: demo-account"), Options{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := e.Collect(context.Background(), e.Targets())[0]
	runtime.ReadMemStats(&after)
	if res.Err == nil {
		t.Fatal("a 50 MiB Entra answer was accepted")
	}
	if n := sim.Stats().Total; n != 1 {
		t.Errorf("%d Entra requests: a body over the limit must not be retried", n)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 16<<20 {
		t.Errorf("allocated %d MiB on a 50 MiB Entra answer with a 1 MiB limit: %v", grown>>20, res.Err)
	}
}

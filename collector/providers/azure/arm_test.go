package azure_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers/azurenetappfiles"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// kinds is an ARM provider to read through.
var kinds = toolkit.Registry{azurenetappfiles.Type}

func newTestExporter(t testing.TB, yml string, opts collector.Options) *collector.Exporter {
	t.Helper()
	return providertest.NewExporter(t, yml, kinds, opts)
}
func TestAzureSimulatorThrottledThenSuccess(t *testing.T) {
	sim, ca := providertest.StartAzure(t, 1, 1, 0, 0)
	if err := sim.AddFault(simulator.Fault{API: simulator.AzureAPI, Path: "latestBackupStatus", Status: 429, RetryAfter: "1", Times: 1}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	e := newTestExporter(t, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0",
		"name: anf, type: azure_netapp_files, account: demo-account, pool: pool-01, volume: vol-001"), collector.Options{APIMetrics: upstream.NewMetrics(reg)})
	providertest.AssertThrottledOnceThenServed(t, e, reg, "azure_netapp_files")
}

func TestAzureSimulatorRetryAfterBeyondDeadlineFailsFast(t *testing.T) {
	sim, ca := providertest.StartAzure(t, 1, 1, 0, 0)
	if err := sim.AddFault(simulator.Fault{API: simulator.AzureAPI, Path: "latestBackupStatus", Status: 429, RetryAfter: "120"}); err != nil {
		t.Fatal(err)
	}
	e := newTestExporter(t, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0, scrape_timeout: 20s",
		"name: anf, type: azure_netapp_files, account: demo-account, pool: pool-01, volume: vol-001"), collector.Options{})
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
	sim, ca := providertest.StartAzure(t, 1, 1, 0, 0)
	core, logs := observer.New(zap.DebugLevel)
	const wrong = "wrong-secret-d41c"
	e := newTestExporter(t, providertest.AzureConfig(sim.URL(), ca, wrong, "cache_ttl: 0",
		"name: anf, type: azure_netapp_files, account: demo-account"), collector.Options{Logger: zap.New(core)})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil {
		t.Fatal("a wrong client secret was accepted")
	}
	msg := res.Err.Error()
	for _, want := range []string{"tenant " + providertest.AzureTenant, "client ID " + providertest.AzureClient, "AADSTS7000215"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("multi-line error: %q", msg)
	}
	out := providertest.ScrapeText(t, e, "backup_exporter_target_up")
	if !strings.Contains(out, `backup_exporter_target_up{provider="azure_netapp_files",target="anf"} 0`) {
		t.Errorf("target not down:\n%s", out)
	}
	logged := providertest.LogText(logs)
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
	az := simulator.GenerateAzure(providertest.AzureSubscription, 1, 2, 0, 0, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	az.Tenants = []simulator.AzureTenant{{ID: providertest.AzureTenant, Clients: []simulator.AzureClient{{ClientID: providertest.AzureClient, CertificateFile: certFile}}}}
	caFile := filepath.Join(dir, "ca.pem")
	sim, err := simulator.Start(simulator.Options{Scenario: &simulator.Scenario{Azure: az}, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	cfg := strings.Replace(providertest.AzureConfig(sim.URL(), caFile, "unused", "cache_ttl: 0",
		"name: anf, type: azure_netapp_files, account: demo-account"),
		"auth: client_secret", "auth: client_certificate", 1)
	cfg = strings.Replace(cfg, `client_secret: "unused"`, "certificate_file: "+bundle, 1)
	e := newTestExporter(t, cfg, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Resources) != 2 {
		t.Errorf("found %d volumes, want 2", len(res.Resources))
	}
}

func TestAzureSimulatorEntraBodyIsLimited(t *testing.T) {
	sim, ca := providertest.StartAzure(t, 1, 1, 0, 0)
	if err := sim.AddFault(simulator.Fault{API: simulator.EntraAPI, Body: simulator.BodyHuge}); err != nil {
		t.Fatal(err)
	}
	// One volume and one vault named: a single ARM call asks for the
	// token (a discovery reads its lists in parallel, and each would).
	e := newTestExporter(t, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0, body_size_limit: 1MiB",
		"name: anf, type: azure_netapp_files, account: demo-account, pool: pool-01, volume: vol-001, backup_vault: demo-vault"), collector.Options{})
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

// TestNextLinkUnderAnotherSubscriptionMakesNoLabel (issue 18, finding 2):
// a nextLink under /subscriptions/%FF%FE/ made WithLabelValues panic
// ("label value is not valid UTF-8") in a goroutine no recover reached,
// and any other subscription in a nextLink minted a series. The read
// quota gauge is labelled only by the configured subscription now.
func TestNextLinkUnderAnotherSubscriptionMakesNoLabel(t *testing.T) {
	for _, sub := range []string{"%FF%FE", "11111111-1111-1111-1111-111111111111"} {
		t.Run(sub, func(t *testing.T) {
			sim, ca := providertest.StartAzure(t, 1, 1, 0, 0)
			if err := sim.AddFault(simulator.Fault{API: simulator.AzureAPI, Path: "/capacityPools/pool-01/volumes$", Body: simulator.BodyTemplate, Times: 1,
				Raw: `{"value":[],"nextLink":"{{url}}/subscriptions/` + sub + `/resourceGroups/demo-rg/providers/Microsoft.NetApp/netAppAccounts/demo-account/capacityPools/pool-01/volumes?api-version=2025-03-01"}`}); err != nil {
				t.Fatal(err)
			}
			reg := prometheus.NewRegistry()
			e := newTestExporter(t, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0",
				"name: anf, type: azure_netapp_files, account: demo-account"), collector.Options{APIMetrics: upstream.NewMetrics(reg)})
			res := e.Collect(context.Background(), e.Targets())[0]
			if res.Err == nil {
				t.Error("a page of another subscription was read as the pool's")
			}
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			configured := false
			for _, mf := range mfs {
				if mf.GetName() != "backup_exporter_azure_ratelimit_remaining_reads" {
					continue
				}
				for _, m := range mf.Metric {
					v := m.Label[0].GetValue()
					configured = configured || v == providertest.AzureSubscription
					if v != providertest.AzureSubscription {
						t.Errorf("a series for subscription %q", v)
					}
				}
			}
			if !configured {
				t.Error("no series for the configured subscription: the check would pass for nothing")
			}
		})
	}
}

// TestEntraTokenRedirectIsRefused (issue 18, finding 1): a 307 of the
// token request to plain HTTP on the same host and port, or to another
// port, was followed with client_secret in the body. It is refused: the
// simulator sees no request at the other origin or over plain HTTP.
func TestEntraTokenRedirectIsRefused(t *testing.T) {
	for _, to := range []string{simulator.RedirectHTTP, simulator.RedirectOtherOrigin} {
		t.Run(to, func(t *testing.T) {
			sim, ca := providertest.StartAzure(t, 1, 1, 0, 0)
			if err := sim.AddFault(simulator.Fault{API: simulator.EntraAPI, Path: "/oauth2/v2.0/token$", Redirect: to}); err != nil {
				t.Fatal(err)
			}
			e := newTestExporter(t, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0",
				"name: anf, type: azure_netapp_files, account: demo-account, pool: pool-01, volume: vol-001"), collector.Options{})
			res := e.Collect(context.Background(), e.Targets())[0]
			if res.Err == nil || !strings.Contains(res.Err.Error(), "refusing a redirect") {
				t.Errorf("err = %v, want the refused redirect", res.Err)
			}
			if stray := sim.Stats().Stray; len(stray) > 0 {
				t.Errorf("the token request followed the redirect: %+v", stray)
			}
			if strings.Contains(res.Err.Error(), providertest.AzureSecret) {
				t.Error("the secret is in the error")
			}
		})
	}
}

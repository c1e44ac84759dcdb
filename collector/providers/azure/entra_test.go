package azure_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// TestAzureEntraUnreachableSaysWhy: a token request that fails on the
// connection (here the CA does not match) says so, with the URL and the
// cause, not "Entra refused a token".
func TestAzureEntraUnreachableSaysWhy(t *testing.T) {
	sim, _ := providertest.StartAzure(t, 1, 1, 0, 0)
	cert, _, err := simulator.NewClientCertificate()
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(other, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	yml := providertest.AzureConfig(sim.URL(), other, providertest.AzureSecret, "cache_ttl: 0",
		"name: anf, type: azure_netapp_files, account: demo-account, pool: pool-01, volume: vol-001, backup_vault: demo-vault")
	e := newTestExporter(t, yml, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil {
		t.Fatal("up with a CA that did not sign the server's certificate")
	}
	msg := res.Err.Error()
	for _, want := range []string{"cannot reach Microsoft Entra", sim.URL() + "/", "certificate signed by unknown authority"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "?") || strings.Contains(msg, "refused") || strings.Contains(msg, "troubleshoot") {
		t.Errorf("error has a query, a false refusal or boilerplate: %s", msg)
	}
}

package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigCheckReportsEveryError: --config.check prints every error of
// the file, sorted by line, not only the first.
func TestConfigCheckReportsEveryError(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yml")
	yml := `targets:
  - name: x
    type: astra
    credential: none
    endpoint: https://astra.example
    account_id: acc
    colour: blue
global:
  scrape_timeout: 0s
  cache_ttl: soon
`
	if err := os.WriteFile(bad, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd("--config.check", "--config.file", bad)
	want := []string{
		bad + `:4: target "x": credential "none" is not defined under credentials`,
		bad + `:7: unknown key "colour" in targets[0]`,
		bad + `:10: global.cache_ttl: not a valid duration string: "soon"`,
	}
	if code != 1 || out != "" || strings.TrimSpace(errOut) != strings.Join(want, "\n") {
		t.Errorf("code %d, stdout %q, stderr:\n%s\nwant:\n%s", code, out, errOut, strings.Join(want, "\n"))
	}
}

// TestConfigCheckInClusterCredentialOutsideACluster: the in-cluster
// Kubernetes credential (an empty kubernetes: block) depends on where the
// exporter runs, not on the file: --config.check passes outside a
// cluster, and the target fails when it is polled, saying why.
func TestConfigCheckInClusterCredentialOutsideACluster(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	dir := t.TempDir()
	// The production example, its secret files stood in by dummies.
	example, err := os.ReadFile("../../examples/backup_exporter.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(example), "kubernetes: {}") {
		t.Fatal("examples/backup_exporter.yml has no in-cluster credential any more: the test checks nothing")
	}
	if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"azure-client-secret", "huawei-secret-key", "astra-token"} {
		if err := os.WriteFile(filepath.Join(dir, "secrets", name), []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "backup_exporter.yml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(example), "/etc/backup_exporter/", dir+"/")), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd("--config.check", "--config.file", path)
	if code != 0 || !strings.Contains(out, "configuration OK") {
		t.Errorf("--config.check of examples/backup_exporter.yml outside a cluster: code %d, stdout %q, stderr %q", code, out, errOut)
	}

	// At run time the target is down with the reason.
	trident := filepath.Join(dir, "trident.yml")
	if err := os.WriteFile(trident, []byte(`credentials: [{name: in-cluster, kubernetes: {}}]
targets: [{name: trident, type: trident_protect, credential: in-cluster}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd("--once", "--config.file", trident)
	if code == 0 || !strings.Contains(out, "TARGET DOWN") || !strings.Contains(out, "not running in a cluster") {
		t.Errorf("--once outside a cluster: code %d, want a failure with the reason:\n%s", code, out)
	}
}

// TestHealthcheckCommand: `backup_exporter healthcheck` is the image's
// HEALTHCHECK; it checks /-/healthy of a running exporter.
func TestHealthcheckCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/-/healthy" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	if code, _, errOut := runCmd("healthcheck", "--url", srv.URL+"/-/healthy"); code != 0 {
		t.Errorf("healthy exporter: code %d, %s", code, errOut)
	}
	if code, _, _ := runCmd("healthcheck", "--url", srv.URL+"/nothing"); code != 1 {
		t.Errorf("404: code %d, want 1", code)
	}
}

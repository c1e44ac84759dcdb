package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/backup-exporter/backup_exporter/config"
)

// TestExamplesLoad loads every configuration under examples/, with its
// /etc/backup_exporter/ secret files stood in by dummy files, so that the
// files users copy stay valid.
func TestExamplesLoad(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yml")
	if len(files) < 2 {
		t.Fatalf("examples: %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			text := strings.ReplaceAll(string(b), "/etc/backup_exporter/", dir+"/")
			for _, name := range []string{"secrets/azure-client-secret", "secrets/huawei-secret-key", "secrets/astra-token"} {
				if err := os.MkdirAll(filepath.Join(dir, "secrets"), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte("x\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			// The demo's CA file is written by the simulator at run time.
			text = strings.ReplaceAll(text, "tls_config: {ca_file: ../.demo/ca.pem}", "")
			cfg, err := Parse([]byte(text), f, kinds)
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Targets) < 4 {
				t.Errorf("%d targets: the examples show every provider", len(cfg.Targets))
			}
		})
	}
}

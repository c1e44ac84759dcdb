package config_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/backup-exporter/backup_exporter/config"
)

// FuzzParse: any file gives a configuration or an error, never a panic,
// and a configuration prints.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yml")
	examples, _ := filepath.Glob("../examples/*.yml")
	for _, file := range append(files, examples...) {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.yml", kinds)
		if err == nil {
			_ = cfg.String()
		}
	})
}

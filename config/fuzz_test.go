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
	for _, pattern := range []string{"testdata/*.yml", "../examples/*.yml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.yml", kinds)
		if err == nil {
			_ = cfg.String()
		}
	})
}

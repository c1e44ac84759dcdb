package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector/providers"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// TestServesEveryProvider: the simulator plays the API of every provider
// the exporter registers, and its --help says so, naming each type.
func TestServesEveryProvider(t *testing.T) {
	var served []string
	for _, s := range simulator.Serves {
		served = append(served, s.Types...)
	}
	want := providers.All().Types()
	slices.Sort(served)
	slices.Sort(want)
	if !slices.Equal(served, want) {
		t.Errorf("simulator.Serves covers %v, the registry has %v", served, want)
	}
	help := description()
	for _, typ := range want {
		if !strings.Contains(help, typ) {
			t.Errorf("--help does not name %s: %s", typ, help)
		}
	}
}

package collector

import (
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

var metricName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// TestCatalog checks that every descriptor was read (name, help, labels)
// and that the self-metrics registered by the constructors are listed.
func TestCatalog(t *testing.T) {
	byName := map[string]MetricInfo{}
	for _, m := range Catalog(nil) {
		if !metricName.MatchString(m.Name) || m.Help == "" {
			t.Errorf("descriptor not read: %+v", m)
		}
		byName[m.Name] = m
	}
	for name, want := range map[string]MetricInfo{
		"backup_exporter_api_requests_total":            {Type: "counter", Labels: []string{"provider", "code"}},
		"backup_exporter_api_request_duration_seconds":  {Type: "histogram", Labels: []string{"provider"}},
		"backup_exporter_build_info":                    {Type: "gauge", Labels: []string{"goversion", "revision", "version"}},
		"backup_exporter_config_last_reload_successful": {Type: "gauge"},
		"backup_exporter_target_up":                     {Type: "gauge", Labels: []string{"provider", "target"}},
		"backup_state":                                  {Type: "gauge", Labels: []string{"provider", "target", "resource_id", "resource_name", "state"}},
	} {
		got, ok := byName[name]
		if !ok || got.Type != want.Type || !slices.Equal(got.Labels, want.Labels) {
			t.Errorf("%s = %+v, want type %s labels %v", name, got, want.Type, want.Labels)
		}
	}
}

// TestEmitUsesCatalogFamilies checks that every series a resource can
// have belongs to a family of the catalog.
func TestEmitUsesCatalogFamilies(t *testing.T) {
	extra := toolkit.NewFamily("backup_test_extra", "A provider's own family.", prometheus.GaugeValue, "state")
	catalog := map[string]bool{}
	for _, m := range Catalog(toolkit.Registry{{Families: []*toolkit.Family{extra}}}) {
		catalog[m.Name] = true
	}
	now := time.Now()
	r := toolkit.Resource{
		ID: "id", Name: "name", Protected: true, Healthy: true, LastSuccess: now, LastFailure: now,
		Counts: map[toolkit.State]int{toolkit.StateSucceeded: 1},
		Latest: &toolkit.Backup{Name: "b", RawStatus: "x", State: toolkit.StateSucceeded, Start: now, End: now, Expiry: now,
			Progress: toolkit.Float(1), Transferred: toolkit.Float(1), Size: toolkit.Float(1), Error: &toolkit.ErrorInfo{Code: "c", Message: "m"}},
		Extra:            extra.StateSet([]string{"a", "b"}, "a"),
		ExpectedInterval: time.Hour,
	}
	seen := map[string]bool{}
	reg := toolkit.Registry{{Families: []*toolkit.Family{extra}}}
	rd := newRenderer(reg, false)
	rendered, _ := rd.resources(&Target{Name: "t", Type: "p"}, []toolkit.Resource{r}, []string{r.ID})
	for f := range rendered {
		seen[f.Name] = true
		if !catalog[f.Name] {
			t.Errorf("%s is emitted but not in the catalog", f.Name)
		}
	}
	if len(seen) < 15 {
		t.Errorf("only %d families emitted for a resource with every field: %v", len(seen), seen)
	}
}

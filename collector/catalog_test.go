package collector

import (
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
	extra := NewFamily("backup_test_extra", "A provider's own family.", prometheus.GaugeValue, "state")
	catalog := map[string]bool{}
	for _, m := range Catalog(Registry{{Families: []*Family{extra}}}) {
		catalog[m.Name] = true
	}
	now := time.Now()
	r := Resource{
		ID: "id", Name: "name", Protected: true, Healthy: true, LastSuccess: now, LastFailure: now,
		Counts: map[State]int{StateSucceeded: 1},
		Latest: &Backup{Name: "b", RawStatus: "x", State: StateSucceeded, Start: now, End: now, Expiry: now,
			Progress: Float(1), Transferred: Float(1), Size: Float(1), Error: &ErrorInfo{Code: "c", Message: "m"}},
		Extra:            extra.StateSet([]string{"a", "b"}, "a"),
		ExpectedInterval: time.Hour,
	}
	seen := map[string]bool{}
	emitResource(metricSink(func(m prometheus.Metric) {
		name := describeDesc(m.Desc(), "").Name
		seen[name] = true
		if !catalog[name] {
			t.Errorf("%s is emitted but not in the catalog", name)
		}
	}), "p", "t", &r)
	if len(seen) < 15 {
		t.Errorf("only %d families emitted for a resource with every field: %v", len(seen), seen)
	}
}

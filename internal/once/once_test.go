package once

import (
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector"
)

func TestRows(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		r                    collector.Resource
		state, healthy, aged string
	}{
		{collector.Resource{Protected: true, Healthy: true, State: collector.StateSucceeded, LastSuccess: now.Add(-26 * time.Hour)}, "succeeded", "yes", "26h0m0s"},
		{collector.Resource{Protected: true, State: collector.StateFailed, NoSuccessListed: true}, "failed", "NO", "never"},
		{collector.Resource{Protected: true, Healthy: true, Latest: &collector.Backup{State: collector.StateRunning}}, "running", "yes", "-"},
		{collector.Unprotected("id", "name"), "unprotected", "-", "-"},
	}
	for _, tc := range tests {
		if got := state(&tc.r); got != tc.state {
			t.Errorf("state = %q, want %q", got, tc.state)
		}
		if got := healthy(&tc.r); got != tc.healthy {
			t.Errorf("healthy = %q, want %q", got, tc.healthy)
		}
		if got := age(&tc.r, now); got != tc.aged {
			t.Errorf("age = %q, want %q", got, tc.aged)
		}
	}
}

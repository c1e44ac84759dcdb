package toolkit

import (
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 11, 24, h, 0, 0, 0, time.UTC) }
	ok := func(start, end int) Backup {
		return Backup{State: StateSucceeded, Start: at(start), End: at(end)}
	}
	tests := []struct {
		name        string
		backups     []Backup
		listedAll   bool
		latestStart time.Time
		healthy     bool
		lastSuccess time.Time
		lastFailure time.Time
		neverOK     bool
		protected   bool
	}{
		{
			name: "latest by start, not list order; newest success's end even if an older one ended later",
			backups: []Backup{
				ok(1, 9), // started first, ended last
				ok(3, 4),
				{State: StateRunning, Start: at(5)},
			},
			listedAll: true, latestStart: at(5), healthy: true, lastSuccess: at(4), protected: true,
		},
		{
			name: "newest finished failed: unhealthy; failure time is its end, else its start",
			backups: []Backup{
				ok(1, 2),
				{State: StateFailed, Start: at(3)},
				{State: StateFailed, Start: at(2), End: at(6)},
				{State: StateRunning, Start: at(4)},
			},
			listedAll: true, latestStart: at(4), healthy: false, lastSuccess: at(2), lastFailure: at(3), protected: true,
		},
		{
			name:      "cancelled is unhealthy but no failure",
			backups:   []Backup{ok(1, 2), {State: StateCancelled, Start: at(3), End: at(3)}},
			listedAll: true, latestStart: at(3), healthy: false, lastSuccess: at(2), protected: true,
		},
		{
			name:      "a complete but degraded newest backup is unhealthy and still a success",
			backups:   []Backup{{State: StateSucceeded, Degraded: true, Start: at(3), End: at(4)}},
			listedAll: true, latestStart: at(3), healthy: false, lastSuccess: at(4), protected: true,
		},
		{
			name:      "restoring counts as a success (Complete)",
			backups:   []Backup{{State: StateRestoring, Complete: true, Start: at(3), End: at(4)}},
			listedAll: true, latestStart: at(3), healthy: true, lastSuccess: at(4), protected: true,
		},
		{
			name:      "all listed, none succeeded: last success 0",
			backups:   []Backup{{State: StateFailed, Start: at(3)}},
			listedAll: true, latestStart: at(3), healthy: false, lastFailure: at(3), neverOK: true, protected: true,
		},
		{
			name:      "single backup without success: no last success at all",
			backups:   []Backup{{State: StateFailed, Start: at(3)}},
			listedAll: false, latestStart: at(3), healthy: false, lastFailure: at(3), protected: true,
		},
		{
			name: "listed and empty: unprotected", listedAll: true, healthy: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Summarize("id", "name", tc.backups, tc.listedAll)
			var latest time.Time
			if r.Latest != nil {
				latest = r.Latest.Start
			}
			if !latest.Equal(tc.latestStart) || r.Healthy != tc.healthy || !r.LastSuccess.Equal(tc.lastSuccess) ||
				!r.LastFailure.Equal(tc.lastFailure) || r.NoSuccessListed != tc.neverOK || r.Protected != tc.protected {
				t.Errorf("got latest %v healthy %v success %v failure %v never %v protected %v",
					latest, r.Healthy, r.LastSuccess, r.LastFailure, r.NoSuccessListed, r.Protected)
			}
		})
	}
}

func TestRequireNamesTheMissingFieldsOnly(t *testing.T) {
	if err := Require("id", "x", "state", "completed"); err != nil {
		t.Errorf("complete record refused: %v", err)
	}
	err := Require("id", "", "state", "s3cr3t", "name", "")
	if err == nil {
		t.Fatal("a record without id and name was accepted")
	}
	if got, want := err.Error(), "the answer lacks the required field(s) id, name"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

// TestSummarizeOldestSuccess: the recovery window is the end (else the
// start) of the oldest successful backup, only when every backup is
// listed.
func TestSummarizeOldestSuccess(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	backups := []Backup{
		{Name: "new", State: StateSucceeded, Start: t0.Add(48 * time.Hour), End: t0.Add(49 * time.Hour)},
		{Name: "failed-oldest", State: StateFailed, Start: t0.Add(-24 * time.Hour)},
		{Name: "old", State: StateSucceeded, Start: t0, End: t0.Add(time.Hour)},
		{Name: "no-end", State: StateSucceeded, Start: t0.Add(24 * time.Hour)},
	}
	if got := Summarize("id", "n", backups, true).OldestSuccess; !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("oldest success %v, want %v", got, t0.Add(time.Hour))
	}
	if got := Summarize("id", "n", backups, false).OldestSuccess; !got.IsZero() {
		t.Errorf("a single backup gave a recovery window: %v", got)
	}
	if got := Summarize("id", "n", backups[1:2], true).OldestSuccess; !got.IsZero() {
		t.Errorf("no success, yet a recovery window: %v", got)
	}
}

// TestSummarizeReason: when the newest finished backup makes a resource
// unhealthy, the record says why, for --once.
func TestSummarizeReason(t *testing.T) {
	now := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		backups []Backup
		want    string
	}{
		{"failed, a new one running", []Backup{
			{Name: "b2", State: StateRunning, Start: now},
			{Name: "b1", State: StateFailed, Start: now.Add(-time.Hour)},
		}, "the newest finished backup b1 failed"},
		{"cancelled", []Backup{{State: StateCancelled, Start: now}}, "the newest finished backup cancelled"},
		{"degraded, with the provider's reason", []Backup{{Name: "b", State: StateSucceeded, Start: now, Degraded: true, Reason: "part of the backup in error: disk-2"}}, "part of the backup in error: disk-2"},
		{"degraded", []Backup{{Name: "b", State: StateSucceeded, Start: now, Degraded: true}}, "the newest finished backup b is degraded"},
		{"healthy", []Backup{{Name: "b", State: StateSucceeded, Start: now}}, ""},
	} {
		r := Summarize("id", "name", tc.backups, true)
		if r.Reason != tc.want || r.Healthy != (tc.want == "") {
			t.Errorf("%s: healthy %v, reason %q; want %q", tc.name, r.Healthy, r.Reason, tc.want)
		}
	}
}

// TestSummarizeSortedIsSummarize: given Summarize's own order (unique,
// newest start first), SummarizeSorted gives the same record, and its
// latest is a copy: the caller's backups are not kept or changed.
func TestSummarizeSortedIsSummarize(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	sorted := []*Backup{
		{ID: "c", Name: "c", State: StateRunning, Start: t0.Add(3 * time.Hour)},
		{ID: "b", Name: "b", State: StateFailed, Start: t0.Add(2 * time.Hour)},
		{ID: "a", Name: "a", State: StateSucceeded, Start: t0, End: t0.Add(time.Hour)},
	}
	values := []Backup{*sorted[2], *sorted[0], *sorted[1]}
	want := Summarize("id", "n", values, true)
	got := SummarizeSorted("id", "n", sorted, true)
	if got.Latest == sorted[0] || got.Latest.Name != want.Latest.Name || got.Healthy != want.Healthy ||
		!got.LastSuccess.Equal(want.LastSuccess) || !got.LastFailure.Equal(want.LastFailure) ||
		!got.OldestSuccess.Equal(want.OldestSuccess) || got.Reason != want.Reason ||
		got.Counts[StateFailed] != 1 || got.Counts[StateRunning] != 1 || got.Counts[StateSucceeded] != 1 {
		t.Errorf("SummarizeSorted %+v, Summarize %+v", got, want)
	}
	if r := SummarizeSorted("id", "n", nil, true); r.Protected || r.Latest != nil {
		t.Errorf("no backups listed: %+v", r)
	}
}

package upstream

import (
	"net/http"
	"testing"
	"time"
)

func TestQuotaResetsAfter(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"00:00:03", 3 * time.Second, true},
		{"00:01:00", time.Minute, true},
		{"01:00:00.5", time.Hour + 500*time.Millisecond, true},
		{"1.00:00:01", 24*time.Hour + time.Second, true},
		{"", 0, false},
		{"3", 0, false},
		{"00:60:00", 0, false},
		{"-00:00:01", 0, false},
		{"00:00:NaN", 0, false},
		{"99999999999999999999:00:00", 0, false},
	} {
		h := http.Header{}
		h.Set("x-ms-user-quota-resets-after", tc.v)
		got, ok := QuotaResetsAfter(h)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%q: %v %v, want %v %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

// TestRetryAfterReadsResourceGraphsReset: a 429 of Resource Graph carries
// x-ms-user-quota-resets-after instead of Retry-After; Retry-After wins
// when both are there.
func TestRetryAfterReadsResourceGraphsReset(t *testing.T) {
	h := http.Header{}
	h.Set("x-ms-user-quota-resets-after", "00:00:02")
	if got := retryAfter(h, time.Millisecond); got != 2*time.Second {
		t.Errorf("wait %v, want 2s", got)
	}
	h.Set("Retry-After", "1")
	if got := retryAfter(h, time.Millisecond); got != time.Second {
		t.Errorf("wait %v, want Retry-After's 1s", got)
	}
}

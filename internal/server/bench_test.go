package server

import (
	"net/http/httptest"
	"testing"
)

// BenchmarkMetricsParallel is the load harness of the HTTP path: many
// concurrent scrapes of /metrics (as several Prometheus replicas and
// dashboards would), answered from the cache after the first, through the
// whole handler: deadline, per-scrape registry, gathering and encoding.
func BenchmarkMetricsParallel(b *testing.B) {
	s, _ := newBenchServer(b)
	get := func() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
	get()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			get()
		}
	})
}

package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// BenchmarkKubernetesListWalk lists every Backup of an estate page by page
// (limit 500, following continue), as a client walks a large list. The
// handler is called directly (no TLS, no network), so that the figure is
// the simulator's own: ns/object must stay flat from 10k to 100k objects.
func BenchmarkKubernetesListWalk(b *testing.B) {
	for _, size := range []struct{ namespaces, apps, backups int }{
		{10, 10, 110},  // ~10,000 Backups
		{100, 10, 110}, // ~100,000 Backups
	} {
		sc := GenerateTridentProtect(size.namespaces, size.apps, size.backups, time.Now())
		total := 0
		for _, ns := range sc.Namespaces {
			total += len(ns.Backups)
		}
		b.Run(fmt.Sprintf("objects=%d", total), func(b *testing.B) {
			s, err := Start(Options{Scenario: &Scenario{Kubernetes: sc}})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if got := k8sWalk(b, s, k8sGV+"/backups", 500, true); got != total {
				b.Fatalf("walked %d of %d", got, total)
			}
			b.ResetTimer()
			for range b.N {
				k8sWalk(b, s, k8sGV+"/backups", 500, false)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*total), "ns/object")
		})
	}
}

// k8sWalk lists path with limit through the server's handler, following
// continue, and returns the number of pages, or of items when count is
// set (decoding whole pages; otherwise only up to metadata.continue, so
// that the client's decoding does not weigh in the figure).
func k8sWalk(b *testing.B, s *Server, path string, limit int, count bool) int {
	b.Helper()
	n, cont := 0, ""
	for {
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		if cont != "" {
			q.Set("continue", cont)
		}
		req := httptest.NewRequest(http.MethodGet, path+"?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer "+KubernetesDemoToken)
		rec := httptest.NewRecorder()
		s.mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", req.URL, rec.Code, rec.Body)
		}
		if !count {
			n++
			if cont = k8sContinueOf(b, rec.Body.Bytes()); cont == "" {
				return n
			}
			continue
		}
		var page struct {
			Metadata struct {
				Continue string `json:"continue"`
			} `json:"metadata"`
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			b.Fatal(err)
		}
		n += len(page.Items)
		if cont = page.Metadata.Continue; cont == "" {
			return n
		}
	}
}

// k8sContinueOf reads a list's metadata.continue, which comes before its
// items, without reading the items.
func k8sContinueOf(b *testing.B, body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil {
		b.Fatal(err)
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			b.Fatal(err)
		}
		if key == "metadata" {
			var md struct {
				Continue string `json:"continue"`
			}
			if err := dec.Decode(&md); err != nil {
				b.Fatal(err)
			}
			return md.Continue
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			b.Fatal(err)
		}
	}
	b.Fatal("no metadata")
	return ""
}

package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// testClient is an "astra" client with fast backoff and its metrics.
type testClient struct {
	*Client
	metrics *Metrics
}

func newTestClient(t *testing.T, limit int64) (*testClient, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	pool, err := NewPool(Options{MaxConcurrency: 4, BodySizeLimit: limit, UserAgent: "backup_exporter/test", Metrics: m,
		Retry: RetryPolicy{MaxAttempts: 4, BaseBackoff: 10 * time.Millisecond, MaxBackoff: 8 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return &testClient{Client: pool.Client("astra", nil), metrics: m}, reg
}

// sequence answers the i-th request with statuses[i] (the last one
// repeats) and counts requests.
func sequence(t *testing.T, retryAfter string, statuses ...int) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		status := statuses[min(i, len(statuses)-1)]
		if status != http.StatusOK && retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		if got := r.Header.Get("User-Agent"); got != "backup_exporter/test" {
			t.Errorf("User-Agent = %q", got)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestClientRetries(t *testing.T) {
	tests := []struct {
		name       string
		statuses   []int
		retryAfter string
		wantErr    bool
		wantCalls  int64
		reason     string
	}{
		{"429 then success", []int{429, 200}, "", false, 2, "throttled"},
		{"503 twice then success", []int{503, 503, 200}, "", false, 3, "server_error"},
		{"502 and 504 are retried", []int{502, 504, 200}, "", false, 3, "server_error"},
		{"500 twice then success", []int{500, 500, 200}, "", false, 3, "server_error"},
		{"408 then success", []int{408, 200}, "", false, 2, "server_error"},
		{"500 forever: 3 retries, then its error", []int{500}, "", true, 4, "server_error"},
		{"404 is not retried", []int{404}, "", true, 1, ""},
		{"gives up after 4 attempts", []int{503}, "", true, 4, "server_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, reg := newTestClient(t, 0)
			srv, calls := sequence(t, tt.retryAfter, tt.statuses...)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := c.Do(ctx, Request{URL: srv.URL})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("requests = %d, want %d", got, tt.wantCalls)
			}
			if got := testutil.CollectAndCount(reg, "backup_exporter_api_requests_total"); got == 0 {
				t.Error("no backup_exporter_api_requests_total series")
			}
			if tt.reason != "" {
				want := float64(tt.wantCalls - 1)
				if got := testutil.ToFloat64(c.metrics.retries.WithLabelValues("astra", tt.reason)); got != want {
					t.Errorf("retries{reason=%q} = %v, want %v", tt.reason, got, want)
				}
			}
		})
	}
}

func TestClientHonoursRetryAfter(t *testing.T) {
	c, _ := newTestClient(t, 0)
	srv, calls := sequence(t, "1", 429, 200)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := c.Do(ctx, Request{URL: srv.URL}); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("retried after %v, before Retry-After: 1", elapsed)
	}
	if calls.Load() != 2 {
		t.Errorf("requests = %d, want 2", calls.Load())
	}
}

func TestClientRetryAfterBeyondDeadline(t *testing.T) {
	c, _ := newTestClient(t, 0)
	srv, calls := sequence(t, "120", 429, 200)
	ctx, cancel := context.WithTimeout(WithDeadlineName(context.Background(), "scrape"), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Do(ctx, Request{URL: srv.URL})
	var httpErr *HTTPError
	if !errors.As(err, &httpErr) || httpErr.StatusCode != 429 {
		t.Fatalf("err = %v, want the 429", err)
	}
	if !strings.Contains(err.Error(), "would not fit the scrape deadline") {
		t.Errorf("err = %v, want it to say why it gave up", err)
	}
	if time.Since(start) > time.Second || calls.Load() != 1 {
		t.Errorf("waited %v and sent %d requests; want an immediate answer after 1", time.Since(start), calls.Load())
	}
}

// TestRetryGiveUpNamesTheDeadline: the error says which deadline a
// retry would not fit, the poll's or the scrape's, or just "the deadline"
// when the caller did not say.
func TestRetryGiveUpNamesTheDeadline(t *testing.T) {
	for name, want := range map[string]string{"": "would not fit the deadline", "poll": "would not fit the poll deadline", "scrape": "would not fit the scrape deadline"} {
		c, _ := newTestClient(t, 0)
		srv, _ := sequence(t, "120", 429, 200)
		ctx := context.Background()
		if name != "" {
			ctx = WithDeadlineName(ctx, name)
		}
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := c.Do(ctx, Request{URL: srv.URL})
		cancel()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("deadline name %q: err = %v, want %q", name, err, want)
		}
	}
}

func TestClientBodyLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		chunk := []byte(strings.Repeat("x", 64<<10))
		for range 64 { // 4 MiB, streamed without Content-Length
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c, _ := newTestClient(t, 1<<20)
	_, err := c.Do(context.Background(), Request{URL: srv.URL})
	var tooLarge *BodyTooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("err = %v, want BodyTooLargeError", err)
	}
	if !strings.Contains(err.Error(), "1MiB") {
		t.Errorf("err = %v, want it to name the limit", err)
	}
}

func TestClientNetworkErrorIsRetried(t *testing.T) {
	// A listener that accepts and closes at once: every attempt fails at
	// the network level.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int64
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conn.Close()
		}
	}()
	c, reg := newTestClient(t, 0)
	_, err = c.Do(context.Background(), Request{URL: "http://" + ln.Addr().String() + "/x?token=abc"})
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), "token=abc") {
		t.Errorf("error carries the query string: %v", err)
	}
	if got := testutil.ToFloat64(c.metrics.retries.WithLabelValues("astra", "network")); got != 3 {
		t.Errorf("network retries = %v, want 3", got)
	}
	if got := testutil.ToFloat64(c.metrics.requests.WithLabelValues("astra", "error")); got != 4 {
		t.Errorf(`requests{code="error"} = %v, want 4`, got)
	}
	_ = reg
}

func TestClientConcurrencyBound(t *testing.T) {
	var inFlight, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}))
	defer srv.Close()
	pool, err := NewPool(Options{MaxConcurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := pool.Client("astra", nil)
	done := make(chan struct{})
	for range 10 {
		go func() {
			defer func() { done <- struct{}{} }()
			if _, err := c.Do(context.Background(), Request{URL: srv.URL}); err != nil {
				t.Error(err)
			}
		}()
	}
	for range 10 {
		<-done
	}
	if p := peak.Load(); p > 2 {
		t.Errorf("peak requests in flight = %d, want at most max_concurrency 2", p)
	}
}

// TestClientCertificateErrorIsNotRetried: a server whose certificate does
// not verify is asked once.
func TestClientCertificateErrorIsNotRetried(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	defer srv.Close()
	c, _ := newTestClient(t, 0)
	_, err := c.Do(context.Background(), Request{URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want a certificate error", err)
	}
	if got := testutil.ToFloat64(c.metrics.retries.WithLabelValues("astra", "network")); got != 0 {
		t.Errorf("%v network retries of a certificate error", got)
	}
}

// TestClientAWSThrottlingIsRetried: AWS answers throttling with 400 and
// the code in X-Amzn-ErrorType; that 400 is retried as throttled, any
// other 400 is not.
func TestClientAWSThrottlingIsRetried(t *testing.T) {
	for _, tc := range []struct {
		errorType string
		calls     int64
	}{
		{"ThrottlingException", 2},
		{"ThrottlingException:http://internal.amazon.com/coral/com.amazonaws.backup/", 2},
		{"TooManyRequestsException", 2},
		{"InvalidParameterValueException", 1},
		{"", 1},
	} {
		var n atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				if tc.errorType != "" {
					w.Header().Set("X-Amzn-ErrorType", tc.errorType)
				}
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"message":"Rate exceeded"}`))
				return
			}
			_, _ = w.Write([]byte(`{}`))
		}))
		c, _ := newTestClient(t, 0)
		_, err := c.Do(context.Background(), Request{URL: srv.URL})
		srv.Close()
		if got := n.Load(); got != tc.calls {
			t.Errorf("%q: %d requests, want %d", tc.errorType, got, tc.calls)
		}
		if (err == nil) != (tc.calls == 2) {
			t.Errorf("%q: err = %v", tc.errorType, err)
		}
		if want := float64(tc.calls - 1); testutil.ToFloat64(c.metrics.retries.WithLabelValues("astra", ReasonThrottled)) != want {
			t.Errorf("%q: throttled retries != %v", tc.errorType, want)
		}
	}
}

func TestExcerptOfAnHTMLPageIsItsTitle(t *testing.T) {
	for body, want := range map[string]string{
		"<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>": `an HTML page, not the API's answer: "502 Bad Gateway"`,
		"<!DOCTYPE html>\n<html><body>down</body></html>":                                   "an HTML page, not the API's answer",
		`{"error":"x"}`: `{"error":"x"}`,
	} {
		if got := Excerpt([]byte(body)); got != want {
			t.Errorf("Excerpt(%q) = %q, want %q", body, got, want)
		}
	}
	if got := Excerpt([]byte(strings.Repeat("é", 300))); !utf8.ValidString(got) {
		t.Errorf("cut in a rune: %q", got)
	}
}

// TestPoolWithTLS: the derived pool trusts what adjust adds, and shares
// the request slots of its parent.
func TestPoolWithTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{}`)) }))
	defer srv.Close()
	pool, err := NewPool(Options{MaxConcurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Client("k", nil).Do(context.Background(), Request{URL: srv.URL}); err == nil {
		t.Fatal("the parent trusted the test server")
	}
	derived, err := pool.WithTLS(func(tc *tls.Config) error {
		tc.RootCAs = x509.NewCertPool()
		tc.RootCAs.AddCert(srv.Certificate())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := derived.Client("k", nil).Do(context.Background(), Request{URL: srv.URL}); err != nil {
		t.Errorf("the derived pool does not trust the added CA: %v", err)
	}
	if derived.slots != pool.slots {
		t.Error("the derived pool has request slots of its own")
	}
}

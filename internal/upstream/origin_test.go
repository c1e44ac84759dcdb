package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRetryAfterHugeGivesUpAtOnce (issue 18, finding 10): Retry-After:
// 1e10 overflowed into a negative wait, 4 requests in 20 ms; it saturates
// now, and a wait that cannot fit the deadline gives up after one.
func TestRetryAfterHugeGivesUpAtOnce(t *testing.T) {
	for _, v := range []string{"1e10", "99999999999999999999", "1e400", "Inf"} {
		t.Run(v, func(t *testing.T) {
			c, _ := newTestClient(t, 0)
			srv, calls := sequence(t, v, 429)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			_, err := c.Do(ctx, Request{URL: srv.URL})
			var httpErr *HTTPError
			if !errors.As(err, &httpErr) || httpErr.StatusCode != 429 {
				t.Fatalf("err = %v, want the 429", err)
			}
			if n := calls.Load(); n != 1 || time.Since(start) > time.Second {
				t.Errorf("%d requests in %v, want 1 and an immediate answer", n, time.Since(start))
			}
		})
	}
	if got := retryAfter(http.Header{"Retry-After": {"1e10"}}, 0); got != maxWait {
		t.Errorf("1e10 s = %v, want the saturated %v", got, maxWait)
	}
	if got := retryAfter(http.Header{"Retry-After": {"-3"}}, time.Second); got != time.Second {
		t.Errorf("a negative Retry-After = %v, want the backoff", got)
	}
}

// TestRedirectsStayWithinTheOrigin (issue 18, finding 1): a redirect that
// changed scheme or port was followed, and the authorizer re-added the
// credentials on the new hop. A redirect within the origin is followed.
func TestRedirectsStayWithinTheOrigin(t *testing.T) {
	var plainHits, otherHits atomic.Int64
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
	}))
	defer plain.Close()
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
	}))
	defer other.Close()
	var authorized atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-http":
			// Same host and port, scheme downgraded: the credentials
			// would travel in clear to this very port.
			http.Redirect(w, r, "http://"+r.Host+"/x", http.StatusTemporaryRedirect)
		case "/to-http-port":
			http.Redirect(w, r, plain.URL+"/x", http.StatusTemporaryRedirect)
		case "/to-other-port":
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		case "/moved":
			http.Redirect(w, r, "/here", http.StatusMovedPermanently)
		case "/here":
			if r.Header.Get("Authorization") == "Bearer t" {
				authorized.Add(1)
			}
		}
	}))
	defer srv.Close()
	pool, err := NewPool(Options{MaxConcurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	pool.transport.(*http.Transport).TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
	c := pool.Client("astra", func(r *http.Request) error { r.Header.Set("Authorization", "Bearer t"); return nil })
	for _, path := range []string{"/to-http", "/to-http-port", "/to-other-port"} {
		_, err := c.Do(context.Background(), Request{URL: srv.URL + path})
		if !IsOriginError(err) || !strings.Contains(err.Error(), "refusing a redirect") {
			t.Errorf("%s: err = %v, want the redirect refused", path, err)
		}
	}
	if plainHits.Load() != 0 || otherHits.Load() != 0 {
		t.Errorf("requests reached plain HTTP (%d) or another port (%d)", plainHits.Load(), otherHits.Load())
	}
	if _, err := c.Do(context.Background(), Request{URL: srv.URL + "/moved"}); err != nil || authorized.Load() != 1 {
		t.Errorf("a redirect within the origin: %v, authorized %d", err, authorized.Load())
	}
}

func TestOrigin(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"https://h.example", "https://H.example:443/x?y", true},
		{"https://h.example", "http://h.example", false},
		{"https://h.example", "https://h.example:8443", false},
		{"https://h.example", "https://other.example", false},
		{"http://h.example", "http://h.example:80/p", true},
		{"https://h.example", "/relative", false},
		{"https://h.example", "https://h.example\x7f", false},
	} {
		if got := SameOrigin(c.a, c.b); got != c.same {
			u, _ := url.Parse(c.b)
			t.Errorf("SameOrigin(%q, %q) = %v (%v)", c.a, c.b, got, u)
		}
	}
}

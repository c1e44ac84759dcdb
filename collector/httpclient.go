package collector

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/units"

	"github.com/backup-exporter/backup_exporter/config"
)

// Retry reasons, the `reason` label of backup_exporter_api_retries_total.
const (
	retryThrottled   = "throttled"
	retryServerError = "server_error"
	retryNetwork     = "network"
)

// HTTPClient is the one upstream HTTP client. One is built per credential
// so that its transport (TLS settings, connection pool) and its bound on
// requests in flight are shared by every target using the credential.
// Every request honours its context's deadline, is retried on throttling,
// gateway errors and network errors with exponential backoff and jitter
// (honouring Retry-After while it fits the deadline), and has its response
// body size-limited.
type HTTPClient struct {
	client    *http.Client
	sem       chan struct{}
	bodyLimit int64
	userAgent string
	metrics   *APIMetrics

	// maxAttempts counts the first try.
	maxAttempts int
	baseBackoff time.Duration
	maxBackoff  time.Duration
}

// HTTPClientOptions configures NewHTTPClient.
type HTTPClientOptions struct {
	TLS            config.TLSConfig
	MaxConcurrency int
	BodySizeLimit  units.Base2Bytes
	UserAgent      string
	Metrics        *APIMetrics
}

// NewHTTPClient builds the client of one credential.
func NewHTTPClient(opts HTTPClientOptions) (*HTTPClient, error) {
	tlsConfig, err := newTLSConfig(opts.TLS)
	if err != nil {
		return nil, err
	}
	concurrency := max(opts.MaxConcurrency, 1)
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   concurrency,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
	limit := int64(opts.BodySizeLimit)
	if limit <= 0 {
		limit = int64(config.DefaultBodySizeLimit)
	}
	return &HTTPClient{
		client:      &http.Client{Transport: transport, CheckRedirect: noRedirectAcrossHosts},
		sem:         make(chan struct{}, concurrency),
		bodyLimit:   limit,
		userAgent:   opts.UserAgent,
		metrics:     opts.Metrics,
		maxAttempts: 4,
		baseBackoff: 250 * time.Millisecond,
		maxBackoff:  8 * time.Second,
	}, nil
}

// noRedirectAcrossHosts stops a redirect from carrying credentials to
// another host.
func noRedirectAcrossHosts(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("refusing redirect to another host %q", req.URL.Host)
	}
	return nil
}

func newTLSConfig(c config.TLSConfig) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // the user asked for it
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read tls_config.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls_config.ca_file %s holds no PEM certificate", c.CAFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// Transport returns the client's transport, for SDK pipelines that bring
// their own retry logic but must share TLS settings and connections.
func (c *HTTPClient) Transport() http.RoundTripper { return c.client.Transport }

// Request is one upstream request. Authorize, when set, is called before
// every attempt, so signatures carry a fresh date and tokens are re-read.
type Request struct {
	Method    string
	URL       string
	Header    http.Header
	Authorize func(*http.Request) error
	// DecodeError turns an error response body into a message; nil keeps
	// a short excerpt of the body.
	DecodeError func(status int, body []byte) string
}

// Response is a successful upstream response with its body read.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// HTTPError is an upstream answer with a status of 300 or more.
type HTTPError struct {
	Method     string
	URL        string
	StatusCode int
	Message    string
}

// Error implements error.
func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("%s %s: HTTP %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// BodyTooLargeError reports a response body over the configured limit.
type BodyTooLargeError struct {
	URL   string
	Limit int64
}

// Error implements error.
func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("response body exceeds the limit of %s", units.Base2Bytes(e.Limit))
}

// Do sends req for provider (the label of the request metrics), retrying
// as described on HTTPClient, and returns the response of a 2xx answer.
func (c *HTTPClient) Do(ctx context.Context, provider string, req Request) (*Response, error) {
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	for attempt := 1; ; attempt++ {
		resp, err := c.attempt(ctx, provider, req)
		reason, wait := c.retryable(resp, err, attempt)
		if reason == "" || attempt >= c.maxAttempts || ctx.Err() != nil {
			return c.result(req, resp, err)
		}
		if !fitsDeadline(ctx, wait) {
			last, lastErr := c.result(req, resp, err)
			if lastErr == nil {
				return last, nil
			}
			return nil, fmt.Errorf("%w (a retry after %s would not fit the scrape deadline)", lastErr, wait.Round(time.Millisecond))
		}
		c.metrics.retry(provider, reason)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return c.result(req, resp, err)
		case <-timer.C:
		}
	}
}

// GetJSON GETs url and decodes the JSON answer into out.
func (c *HTTPClient) GetJSON(ctx context.Context, provider string, req Request, out any) (*Response, error) {
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	resp, err := c.Do(ctx, provider, req)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return nil, fmt.Errorf("%s %s: decode response: %w", req.Method, redactURL(req.URL), err)
	}
	return resp, nil
}

// attempt sends one request; a non-nil Response may come with an error
// when the status is not 2xx.
func (c *HTTPClient) attempt(ctx context.Context, provider string, req Request) (*Response, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()

	hreq, err := http.NewRequestWithContext(ctx, req.Method, req.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, v := range req.Header {
		hreq.Header[k] = v
	}
	if hreq.Header.Get("Accept") == "" {
		hreq.Header.Set("Accept", "application/json")
	}
	hreq.Header.Set("User-Agent", c.userAgent)
	if req.Authorize != nil {
		if err := req.Authorize(hreq); err != nil {
			return nil, fmt.Errorf("authorize request: %w", err)
		}
	}

	start := time.Now()
	hresp, err := c.client.Do(hreq)
	if err != nil {
		c.metrics.observe(provider, "error", time.Since(start))
		// url.Error repeats the URL with its query; result adds the
		// redacted one.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, err
	}
	if err := c.limitBody(hresp, redactURL(req.URL), func() {}); err != nil {
		c.metrics.observe(provider, strconv.Itoa(hresp.StatusCode), time.Since(start))
		return nil, err
	}
	defer hresp.Body.Close()
	body, err := io.ReadAll(hresp.Body)
	c.metrics.observe(provider, strconv.Itoa(hresp.StatusCode), time.Since(start))
	var tooLarge *BodyTooLargeError
	if errors.As(err, &tooLarge) {
		return nil, tooLarge
	}
	if err != nil {
		return nil, fmt.Errorf("read response body: %w", err)
	}
	return &Response{StatusCode: hresp.StatusCode, Header: hresp.Header, Body: body}, nil
}

// retryable says why the outcome of attempt number n deserves another try
// ("" when it does not) and how long to wait first.
func (c *HTTPClient) retryable(resp *Response, err error, n int) (string, time.Duration) {
	backoff := c.backoff(n)
	if err != nil {
		return retryReason(0, err), backoff
	}
	reason := retryReason(resp.StatusCode, nil)
	if reason == "" {
		return "", 0
	}
	return reason, retryAfter(resp.Header, backoff)
}

// retryReason is the one rule of what is retried, shared with the ARM
// pipeline: network errors (not a body over the limit, not the scrape's
// own end), 429 (throttled) and 502/503/504 (server_error). It returns the
// backup_exporter_api_retries_total reason, or "" for no retry.
func retryReason(status int, err error) string {
	if err != nil {
		var tooLarge *BodyTooLargeError
		if errors.As(err, &tooLarge) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return ""
		}
		return retryNetwork
	}
	switch status {
	case http.StatusTooManyRequests:
		return retryThrottled
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return retryServerError
	}
	return ""
}

// fitsDeadline reports whether waiting wait still leaves ctx time to retry.
func fitsDeadline(ctx context.Context, wait time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) >= wait
}

// limitBody enforces the body limit on resp: it refuses a Content-Length
// over the limit at once, else makes reads past the limit fail with
// BodyTooLargeError. release runs when the body is closed (or refused).
func (c *HTTPClient) limitBody(resp *http.Response, url string, release func()) error {
	if resp.ContentLength > c.bodyLimit {
		resp.Body.Close()
		release()
		return &BodyTooLargeError{URL: url, Limit: c.bodyLimit}
	}
	resp.Body = &limitedBody{rc: resp.Body, limit: c.bodyLimit, url: url, release: release}
	return nil
}

// backoff is full-jitter exponential backoff for attempt n (1-based).
func (c *HTTPClient) backoff(n int) time.Duration {
	ceiling := min(c.baseBackoff<<(n-1), c.maxBackoff)
	return ceiling/2 + rand.N(ceiling/2+1)
}

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(h http.Header, fallback time.Duration) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return fallback
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return fallback
}

// result turns the last attempt into Do's answer.
func (c *HTTPClient) result(req Request, resp *Response, err error) (*Response, error) {
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, redactURL(req.URL), err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	var msg string
	if req.DecodeError != nil {
		msg = req.DecodeError(resp.StatusCode, resp.Body)
	}
	if msg == "" {
		msg = excerpt(resp.Body)
	}
	return nil, &HTTPError{Method: req.Method, URL: redactURL(req.URL), StatusCode: resp.StatusCode, Message: msg}
}

// excerpt keeps error bodies short enough for a log line.
func excerpt(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// redactURL drops the query string, where signed URLs and tokens live.
func redactURL(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// limitedBody fails a read past the body limit and gives the request slot
// back when closed.
type limitedBody struct {
	rc          io.ReadCloser
	limit, read int64
	url         string
	release     func()
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.read > b.limit {
		return 0, &BodyTooLargeError{URL: b.url, Limit: b.limit}
	}
	if room := b.limit + 1 - b.read; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.rc.Read(p)
	b.read += int64(n)
	if b.read > b.limit {
		return n, &BodyTooLargeError{URL: b.url, Limit: b.limit}
	}
	return n, err
}

func (b *limitedBody) Close() error {
	defer b.release()
	return b.rc.Close()
}

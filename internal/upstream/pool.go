package upstream

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"
)

// Pool is what the targets of one credential share upstream: its
// transport (TLS settings, proxy, connection pool), its request slots
// (max_concurrency), its body limit and the request metrics.
type Pool struct {
	transport http.RoundTripper
	slots     chan struct{}
	bodyLimit int64
	userAgent string
	metrics   *Metrics
	retry     RetryPolicy
	wrap      func(http.RoundTripper) http.RoundTripper
	unpaced   bool
}

// DefaultBodySizeLimit bounds a response body when Options does not (the
// configuration's default).
const DefaultBodySizeLimit = 32 << 20

// Options configures NewPool.
type Options struct {
	// TLS is how upstream servers are verified (nil: the system's roots,
	// TLS 1.2 at least).
	TLS            *tls.Config
	MaxConcurrency int
	// BodySizeLimit bounds every response body; 0 means
	// DefaultBodySizeLimit.
	BodySizeLimit int64
	UserAgent     string
	// Metrics may be nil (no metrics).
	Metrics *Metrics
	// Retry is the retry policy; the zero value means DefaultRetryPolicy.
	Retry RetryPolicy
	// Wrap, when set, wraps the whole stack of every client of the pool:
	// for tests and tools that inject faults the simulator cannot (a
	// panic in a provider's call, say) or record requests.
	Wrap func(http.RoundTripper) http.RoundTripper
	// Unpaced ignores the pacers of PacedTransport: for the tests and
	// benchmarks that show what pacing prevents.
	Unpaced bool
}

// NewPool builds the upstream pool of one credential.
func NewPool(opts Options) (*Pool, error) {
	tlsConfig := opts.TLS
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
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
	limit := opts.BodySizeLimit
	if limit <= 0 {
		limit = DefaultBodySizeLimit
	}
	retry := opts.Retry
	if retry == (RetryPolicy{}) {
		retry = DefaultRetryPolicy
	}
	return &Pool{
		transport: transport,
		slots:     make(chan struct{}, concurrency),
		bodyLimit: limit,
		userAgent: opts.UserAgent,
		metrics:   opts.Metrics,
		retry:     retry,
		wrap:      opts.Wrap,
		unpaced:   opts.Unpaced,
	}, nil
}

// WithTLS returns a pool sharing p's request slots, body limit, metrics
// and retries, whose connections use p's TLS settings changed by adjust
// (a kubeconfig's cluster CA and client certificate, say). Keep the
// result: each call makes a new connection pool.
func (p *Pool) WithTLS(adjust func(*tls.Config) error) (*Pool, error) {
	base, ok := p.transport.(*http.Transport)
	if !ok {
		return nil, errors.New("upstream: the pool's transport is not an *http.Transport")
	}
	t := base.Clone()
	tc := t.TLSClientConfig.Clone()
	if tc == nil {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if err := adjust(tc); err != nil {
		return nil, err
	}
	t.TLSClientConfig = tc
	derived := *p
	derived.transport = t
	return &derived, nil
}

// Authorizer adds credentials to one attempt of a request. It runs before
// every attempt on a clone that it may modify.
type Authorizer func(*http.Request) error

// Transport returns the layered RoundTripper for provider (the label of
// the request and retry metrics), authorizing each attempt with auth
// (nil: none).
func (p *Pool) Transport(provider string, auth Authorizer) http.RoundTripper {
	return p.PacedTransport(provider, auth, nil)
}

// PacedTransport is Transport with pacer (nil: none) holding each attempt
// back before it takes a request slot, and told of its answer: inside the
// retry layer, so that retries are paced too, and outside the slots, so
// that a request waiting for its quota holds no slot that another
// subscription's request could use.
func (p *Pool) PacedTransport(provider string, auth Authorizer, pacer Pacer) http.RoundTripper {
	var rt http.RoundTripper = p.transport
	rt = &metricsLayer{next: rt, provider: provider, metrics: p.metrics}
	rt = &bodyLimitLayer{next: rt, limit: p.bodyLimit}
	rt = &slotsLayer{next: rt, slots: p.slots}
	rt = &userAgentLayer{next: rt, userAgent: p.userAgent}
	if auth != nil {
		rt = &authorizeLayer{next: rt, auth: auth}
	}
	if pacer != nil && !p.unpaced {
		rt = &pacerLayer{next: rt, pacer: pacer}
	}
	rt = &retryLayer{next: rt, provider: provider, metrics: p.metrics, policy: p.retry}
	if p.wrap != nil {
		rt = p.wrap(rt)
	}
	return rt
}

// HTTPClient returns an *http.Client on Transport(provider, auth) that
// never follows a redirect to another origin (scheme, host or port). It
// implements azcore's policy.Transporter.
func (p *Pool) HTTPClient(provider string, auth Authorizer) *http.Client {
	return p.PacedHTTPClient(provider, auth, nil)
}

// PacedHTTPClient is HTTPClient on PacedTransport(provider, auth, pacer).
func (p *Pool) PacedHTTPClient(provider string, auth Authorizer, pacer Pacer) *http.Client {
	return &http.Client{Transport: p.PacedTransport(provider, auth, pacer), CheckRedirect: checkRedirect}
}

// Client returns the request helper of provider on this pool.
func (p *Pool) Client(provider string, auth Authorizer) *Client {
	return &Client{provider: provider, http: p.HTTPClient(provider, auth)}
}

// Close closes the pool's idle connections; requests in flight finish.
func (p *Pool) Close() {
	if t, ok := p.transport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

// MaxConcurrency is the pool's number of request slots.
func (p *Pool) MaxConcurrency() int { return cap(p.slots) }

// Metrics returns the pool's request metrics (may be nil).
func (p *Pool) Metrics() *Metrics { return p.metrics }

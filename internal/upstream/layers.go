package upstream

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/alecthomas/units"
)

// metricsLayer counts every attempt that reached the network, by status
// code ("error" when no response arrived), and times it to the headers.
type metricsLayer struct {
	next     http.RoundTripper
	provider string
	metrics  *Metrics
}

func (l *metricsLayer) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := l.next.RoundTrip(req)
	code := "error"
	if err == nil {
		code = strconv.Itoa(resp.StatusCode)
	}
	l.metrics.observe(l.provider, code, time.Since(start))
	return resp, err
}

// BodyTooLargeError reports a response body over the configured limit.
type BodyTooLargeError struct {
	Limit int64
}

// Error implements error.
func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("response body exceeds the limit of %s", units.Base2Bytes(e.Limit))
}

// bodyLimitLayer refuses a Content-Length over the limit at once and
// makes reads past the limit fail with BodyTooLargeError.
type bodyLimitLayer struct {
	next  http.RoundTripper
	limit int64
}

func (l *bodyLimitLayer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > l.limit {
		resp.Body.Close()
		return nil, &BodyTooLargeError{Limit: l.limit}
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, limit: l.limit}
	return resp, nil
}

type limitedBody struct {
	io.ReadCloser
	limit, read int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.read > b.limit {
		return 0, &BodyTooLargeError{Limit: b.limit}
	}
	if room := b.limit + 1 - b.read; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if b.read > b.limit {
		return n, &BodyTooLargeError{Limit: b.limit}
	}
	return n, err
}

// slotsLayer bounds the requests in flight of one credential: a slot is
// taken before sending and given back when the response body is closed
// (or at once when no response came).
type slotsLayer struct {
	next  http.RoundTripper
	slots chan struct{}
}

func (l *slotsLayer) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case l.slots <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	release := sync.OnceFunc(func() { <-l.slots })
	resp, err := l.next.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	defer b.release()
	return b.ReadCloser.Close()
}

// userAgentLayer names the exporter upstream. The request is the retry
// layer's clone, so it may be modified.
type userAgentLayer struct {
	next      http.RoundTripper
	userAgent string
}

func (l *userAgentLayer) RoundTrip(req *http.Request) (*http.Response, error) {
	if l.userAgent != "" {
		req.Header.Set("User-Agent", l.userAgent)
	}
	return l.next.RoundTrip(req)
}

// authorizeLayer adds credentials to each attempt.
type authorizeLayer struct {
	next http.RoundTripper
	auth Authorizer
}

func (l *authorizeLayer) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := l.auth(req); err != nil {
		return nil, fmt.Errorf("authorize request: %w", err)
	}
	return l.next.RoundTrip(req)
}

// Pacer keeps a client's requests within an upstream's quota (ARM's read
// bucket of a subscription, say): it holds an attempt back while the
// quota is low and learns the quota from the answers.
type Pacer interface {
	// Wait returns when req may be sent, or with the error of req's
	// context. It never waits past that context's deadline.
	Wait(req *http.Request) error
	// Observe is told of the answer to every attempt Wait let through
	// (resp is nil when err is set).
	Observe(req *http.Request, resp *http.Response, err error)
}

// pacerLayer holds each attempt back until its pacer lets it through and
// tells the pacer of the answer.
type pacerLayer struct {
	next  http.RoundTripper
	pacer Pacer
}

func (l *pacerLayer) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := l.pacer.Wait(req); err != nil {
		return nil, err
	}
	resp, err := l.next.RoundTrip(req)
	l.pacer.Observe(req, resp, err)
	return resp, err
}

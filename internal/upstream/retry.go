package upstream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry reasons, the `reason` label of backup_exporter_api_retries_total.
const (
	ReasonThrottled   = "throttled"
	ReasonServerError = "server_error"
	ReasonNetwork     = "network"
)

// RetryPolicy says how often and how patiently a request is retried.
type RetryPolicy struct {
	// MaxAttempts counts the first try.
	MaxAttempts int
	// BaseBackoff is the backoff ceiling of the first retry; it doubles
	// with every retry up to MaxBackoff.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
}

// DefaultRetryPolicy is 4 attempts (3 retries) with full-jitter backoff
// from 250ms to at most 8s: within a 10s scrape a request rides out about
// 2s of trouble, and a background poll never sleeps long on one call.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 4, BaseBackoff: 250 * time.Millisecond, MaxBackoff: 8 * time.Second}

// Reason is the one rule of what is retried, for every provider alike:
// network errors (not a body over the limit, not the caller's own end) and
// HTTP 408, 429, 500, 502, 503 and 504. It returns the
// backup_exporter_api_retries_total reason, or "" for no retry.
func Reason(status int, err error) string {
	if err != nil {
		var (
			tooLarge *BodyTooLargeError
			certErr  *tls.CertificateVerificationError
		)
		if errors.As(err, &tooLarge) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
			errors.As(err, &certErr) {
			// A certificate that does not verify will not verify on the
			// next try either.
			return ""
		}
		return ReasonNetwork
	}
	switch status {
	case http.StatusTooManyRequests:
		return ReasonThrottled
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return ReasonServerError
	}
	return ""
}

// throttleErrorTypes are the AWS error codes of throttling. AWS Backup
// (like most AWS APIs) answers throttling with HTTP 400 and the code in
// X-Amzn-ErrorType ("Common Errors" of its API reference), so the status
// alone does not tell it from a bad request.
var throttleErrorTypes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestThrottledException": true, "TooManyRequestsException": true,
	"RequestLimitExceeded": true, "RequestThrottled": true, "SlowDown": true,
}

// responseReason is Reason for an answer: a 400 whose X-Amzn-ErrorType is
// a throttling code is throttled too.
func responseReason(resp *http.Response, err error) string {
	if err != nil || resp == nil {
		return Reason(0, err)
	}
	if resp.StatusCode == http.StatusBadRequest {
		code, _, _ := strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":")
		if throttleErrorTypes[strings.TrimSpace(code)] {
			return ReasonThrottled
		}
	}
	return Reason(resp.StatusCode, nil)
}

// retryLayer is the one retry engine. Each attempt is a clone of the
// request (with its body rewound), so the layers below may modify it.
type retryLayer struct {
	next     http.RoundTripper
	provider string
	metrics  *Metrics
	policy   RetryPolicy
}

func (l *retryLayer) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	// A body that cannot be rewound is sent once.
	rewindable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	for attempt := 1; ; attempt++ {
		try, err := l.clone(req, attempt)
		if err != nil {
			return nil, err
		}
		resp, err := l.next.RoundTrip(try)
		reason := responseReason(resp, err)
		if reason == "" || !rewindable || attempt >= l.policy.MaxAttempts || ctx.Err() != nil {
			return resp, err
		}
		wait := l.backoff(attempt)
		if resp != nil {
			wait = retryAfter(resp.Header, wait)
		}
		if !fitsDeadline(ctx, wait) {
			if err != nil {
				return nil, fmt.Errorf("%w (%s)", err, gaveUp(ctx, wait))
			}
			resp.Header.Set(gaveUpHeader, gaveUp(ctx, wait))
			return resp, nil
		}
		if resp != nil {
			drain(resp.Body)
		}
		l.metrics.retry(l.provider, reason)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

func (l *retryLayer) clone(req *http.Request, attempt int) (*http.Request, error) {
	try := req.Clone(req.Context())
	if attempt > 1 && req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("rewind request body: %w", err)
		}
		try.Body = body
	}
	return try, nil
}

// backoff is full-jitter exponential backoff for attempt n (1-based).
func (l *retryLayer) backoff(n int) time.Duration {
	ceiling := min(l.policy.BaseBackoff<<(n-1), l.policy.MaxBackoff)
	return ceiling/2 + rand.N(ceiling/2+1)
}

// drain reads a little of a body that is thrown away, so its connection
// can be reused, and closes it.
func drain(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 64<<10)
	body.Close()
}

// maxUndeadlinedWait bounds a wait for a context without a deadline
// (every poll and scrape has one; this is a backstop).
const maxUndeadlinedWait = time.Minute

// fitsDeadline reports whether waiting wait still leaves ctx time to retry.
func fitsDeadline(ctx context.Context, wait time.Duration) bool {
	deadline, ok := ctx.Deadline()
	if !ok {
		return wait <= maxUndeadlinedWait
	}
	return time.Until(deadline) >= wait
}

// maxWait is the longest wait a Retry-After can ask for: the longest
// time.Duration. Longer (or infinite) values saturate to it, so that a
// huge header never overflows into a negative wait.
const maxWait = time.Duration(math.MaxInt64)

// RetryAfter is the wait a Retry-After header of h asks for (seconds or
// an HTTP date), and whether h has one.
func RetryAfter(h http.Header) (time.Duration, bool) {
	const none = -1
	if d := retryAfter(h, none); d != none {
		return d, true
	}
	return 0, false
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), else
// Azure Resource Graph's x-ms-user-quota-resets-after (hh:mm:ss, sent
// with its 429s instead); the wait saturates at maxWait.
func retryAfter(h http.Header, fallback time.Duration) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		if d, ok := QuotaResetsAfter(h); ok {
			return d
		}
		return fallback
	}
	if secs, err := strconv.ParseFloat(v, 64); (err == nil || errors.Is(err, strconv.ErrRange)) && secs >= 0 {
		// float64(maxWait) is 2^63: anything below it converts exactly
		// enough, anything at or above would overflow.
		if d := secs * float64(time.Second); d < float64(maxWait) {
			return time.Duration(d)
		}
		return maxWait
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return fallback
}

// gaveUpHeader marks, on the response itself (SDK pipelines may replace
// its body), a retryable answer returned as it is because the wait it
// asked for would outlast the deadline.
const gaveUpHeader = "X-Backup-Exporter-Retry-Gave-Up"

// GaveUp says why a retryable answer was returned as it is: the wait it
// asked for would not fit the deadline. It returns "" otherwise.
func GaveUp(resp *http.Response) string {
	return resp.Header.Get(gaveUpHeader)
}

// gaveUp says that a retry after wait would not fit ctx's deadline,
// naming that deadline when the caller did (WithDeadlineName).
func gaveUp(ctx context.Context, wait time.Duration) string {
	deadline := "the deadline"
	if name, ok := ctx.Value(deadlineNameKey{}).(string); ok {
		deadline = "the " + name + " deadline"
	}
	return "a retry after " + wait.Round(time.Millisecond).String() + " would not fit " + deadline
}

type deadlineNameKey struct{}

// WithDeadlineName names the deadline of ctx for the errors of upstream
// calls made under it: "scrape" for a poll a scrape waits for (cache_ttl
// 0), "poll" for a background poll (poll_timeout), so that an error says
// "a retry after 2m would not fit the poll deadline" and points at the
// setting to change.
func WithDeadlineName(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, deadlineNameKey{}, name)
}

// QuotaResetsAfter reads Azure Resource Graph's x-ms-user-quota-resets-after
// header, a .NET TimeSpan "hh:mm:ss" (or "d.hh:mm:ss", with fractional
// seconds): how long until the user's query quota is full again. A value
// it cannot read (or a negative one) is not a wait.
func QuotaResetsAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("x-ms-user-quota-resets-after"))
	if v == "" || len(v) > 32 || strings.ContainsAny(v, "+-eE") {
		return 0, false
	}
	var days int64
	if d, rest, ok := strings.Cut(v, "."); ok && !strings.Contains(d, ":") {
		n, err := strconv.ParseInt(d, 10, 32)
		if err != nil || n < 0 {
			return 0, false
		}
		days, v = n, rest
	}
	parts := strings.Split(v, ":")
	if len(parts) != 3 {
		return 0, false
	}
	hours, err1 := strconv.ParseInt(parts[0], 10, 32)
	minutes, err2 := strconv.ParseInt(parts[1], 10, 32)
	seconds, err3 := strconv.ParseFloat(parts[2], 64)
	if err1 != nil || err2 != nil || err3 != nil || hours < 0 || minutes < 0 || minutes > 59 || !(seconds >= 0 && seconds < 60) {
		return 0, false
	}
	return time.Duration(days)*24*time.Hour + time.Duration(hours)*time.Hour + time.Duration(minutes)*time.Minute +
		time.Duration(seconds*float64(time.Second)), true
}

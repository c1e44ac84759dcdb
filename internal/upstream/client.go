package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	json "github.com/segmentio/encoding/json"
)

// Client sends the requests of one provider through its credential's
// Pool.
type Client struct {
	provider string
	http     *http.Client
}

// Request is one upstream request.
type Request struct {
	Method string
	URL    string
	Header http.Header
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

// Do sends req, retried by the pool's retry layer, and returns the
// response of a 2xx answer; any other answer is an *HTTPError.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	var resp *Response
	err := c.do(ctx, req, func(r *Response) error {
		r.Body = bytes.Clone(r.Body)
		resp = r
		return nil
	})
	return resp, err
}

// do sends req and hands a 2xx answer to consume, whose Body is only
// valid during the call (it is a reused buffer).
func (c *Client) do(ctx context.Context, req Request, consume func(*Response) error) error {
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	where := req.Method + " " + RedactURL(req.URL)
	hreq, err := http.NewRequestWithContext(ctx, req.Method, req.URL, nil)
	if err != nil {
		return fmt.Errorf("%s: build request: %w", where, err)
	}
	for k, v := range req.Header {
		hreq.Header[k] = v
	}
	if hreq.Header.Get("Accept") == "" {
		hreq.Header.Set("Accept", "application/json")
	}
	hresp, err := c.http.Do(hreq)
	if err != nil {
		// url.Error repeats the URL with its query; where has the
		// redacted one.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("%s: %w", where, err)
	}
	defer hresp.Body.Close()
	body, release, err := ReadBody(hresp.Body, hresp.ContentLength)
	defer release()
	var tooLarge *BodyTooLargeError
	if errors.As(err, &tooLarge) {
		return fmt.Errorf("%s: %w", where, tooLarge)
	}
	if err != nil {
		return fmt.Errorf("%s: read response body: %w", where, err)
	}
	if hresp.StatusCode >= 200 && hresp.StatusCode < 300 {
		return consume(&Response{StatusCode: hresp.StatusCode, Header: hresp.Header, Body: body})
	}
	var msg string
	if req.DecodeError != nil {
		msg = req.DecodeError(hresp.StatusCode, body)
	}
	if msg == "" {
		msg = Excerpt(body)
	}
	httpErr := &HTTPError{Method: req.Method, URL: RedactURL(req.URL), StatusCode: hresp.StatusCode, Message: msg}
	if why := GaveUp(hresp); why != "" {
		return fmt.Errorf("%w (%s)", httpErr, why)
	}
	return httpErr
}

// GetJSON sends req and decodes the JSON answer into out; the returned
// Response has no Body (it was decoded into out).
func (c *Client) GetJSON(ctx context.Context, req Request, out any) (*Response, error) {
	var resp *Response
	err := c.do(ctx, req, func(r *Response) error {
		if err := json.Unmarshal(r.Body, out); err != nil {
			method := req.Method
			if method == "" {
				method = http.MethodGet
			}
			return fmt.Errorf("%s %s: decode response: %w", method, RedactURL(req.URL), err)
		}
		r.Body = nil
		resp = r
		return nil
	})
	return resp, err
}

// Excerpt keeps an error body short enough for a log line. An HTML page
// (a proxy's or gateway's error page) is told by its title.
func Excerpt(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if lower := strings.ToLower(s); strings.HasPrefix(lower, "<!doctype html") || strings.HasPrefix(lower, "<html") {
		title := ""
		if i := strings.Index(lower, "<title>"); i >= 0 {
			if j := strings.Index(lower[i:], "</title>"); j >= 0 {
				title = strings.TrimSpace(s[i+len("<title>") : i+j])
			}
		}
		s = "an HTML page, not the API's answer"
		if title != "" {
			s += ": " + strconv.Quote(title)
		}
	}
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

// RedactSecrets replaces every secret in msg with <secret>, for error
// texts that quote what an SDK sent or received.
func RedactSecrets(msg string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "<secret>")
		}
	}
	return msg
}

// RedactURL drops the query string, where signed URLs and tokens live.
func RedactURL(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

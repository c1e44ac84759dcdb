package aws

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

var reRequestID = regexp.MustCompile(`,? ?RequestID: [^,]*,?`)

// Describe turns an AWS SDK error into one line: the HTTP status and the
// API's error code and message, without the request ID (which changes on
// every call) or a URL's query.
func Describe(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within the deadline: " + err.Error()
	}
	var apiErr interface {
		ErrorCode() string
		ErrorMessage() string
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &apiErr) && apiErr.ErrorCode() != "" {
		code := ""
		if errors.As(err, &status) {
			code = fmt.Sprintf("HTTP %d ", status.HTTPStatusCode())
		}
		return code + apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	msg := err.Error()
	// The SDK's "operation error Backup: X, ..." prefix says what op says.
	if _, rest, ok := strings.Cut(msg, ", "); ok && strings.HasPrefix(msg, "operation error") {
		msg = rest
	}
	if errors.As(err, &status) {
		// "https response error StatusCode: 502, RequestID: ..., <cause>"
		if i := strings.Index(msg, "StatusCode: "); i >= 0 {
			if j := strings.IndexAny(msg[i+len("StatusCode: "):], ", "); j >= 0 {
				msg = msg[i+len("StatusCode: ")+j:]
			}
		}
		msg = fmt.Sprintf("HTTP %d: %s", status.HTTPStatusCode(), strings.TrimLeft(reRequestID.ReplaceAllString(msg, " "), ", "))
	}
	msg = reRequestID.ReplaceAllString(msg, " ")
	if i := strings.Index(msg, "?"); i >= 0 {
		// A URL's query (a page token): cut up to the closing quote.
		if j := strings.IndexByte(msg[i:], '"'); j >= 0 {
			msg = msg[:i] + msg[i+j:]
		}
	}
	return strings.Join(strings.Fields(msg), " ")
}

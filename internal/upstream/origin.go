package upstream

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Origin is the scheme, host and port of a URL, lower-cased, with the
// scheme's default port written out: "https://example.com:443". Two URLs
// are of the same origin when their Origins are equal (RFC 6454).
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host, port := u.Hostname(), u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(host), port)
}

// SameOrigin reports whether the URL link has the origin of base (both
// absolute URLs); a link that does not parse is of no origin.
func SameOrigin(base, link string) bool {
	b, err := url.Parse(base)
	if err != nil {
		return false
	}
	l, err := url.Parse(link)
	if err != nil || !l.IsAbs() {
		return false
	}
	return Origin(b) == Origin(l)
}

// OriginError refuses a request that would take the credentials of a
// target to another origin: a redirect, or an absolute URL handed over by
// the upstream (ARM's nextLink), that changes scheme, host or port.
type OriginError struct {
	// What is being refused: "redirect", "nextLink".
	What string
	// From and To are the origins (no path, query or user info).
	From, To string
}

// Error implements error.
func (e *OriginError) Error() string {
	return fmt.Sprintf("refusing a %s from %s to another origin, %s: credentials never follow a change of scheme, host or port", e.What, e.From, e.To)
}

// maxRedirects bounds the redirects followed within one origin.
const maxRedirects = 5

// checkRedirect is the http.Client's redirect policy: a redirect is
// followed only within the origin of the first request (as curl and
// Python requests keep credentials to it), since every attempt is
// authorized anew by the layers below.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if from, to := Origin(via[0].URL), Origin(req.URL); from != to {
		return &OriginError{What: "redirect", From: from, To: to}
	}
	return nil
}

// IsOriginError reports whether err refused a change of origin.
func IsOriginError(err error) bool {
	var oe *OriginError
	return errors.As(err, &oe)
}

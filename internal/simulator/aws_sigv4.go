package simulator

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// AWS Signature Version 4 ("AWS4-HMAC-SHA256") verification, written from
// the public specification only: "Create a signed AWS API request" and
// "Elements of an AWS API request signature" in the IAM User Guide, and
// the published SigV4 test suite (aws-sig-v4-test-suite). It imports no
// AWS SDK and shares no code with any signer.
//
//	CanonicalRequest = Method "\n" CanonicalURI "\n" CanonicalQueryString "\n"
//	                   CanonicalHeaders "\n" SignedHeaders "\n" HashedPayload
//	CredentialScope  = yyyymmdd "/" region "/" service "/aws4_request"
//	StringToSign     = "AWS4-HMAC-SHA256\n" X-Amz-Date "\n" CredentialScope "\n"
//	                   hex(sha256(CanonicalRequest))
//	kSigning         = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, yyyymmdd), region), service), "aws4_request")
//	Signature        = hex(HMAC(kSigning, StringToSign))
//	Authorization: AWS4-HMAC-SHA256 Credential=AKID/scope, SignedHeaders=h1;h2, Signature=hex

const (
	sigV4Algorithm       = "AWS4-HMAC-SHA256"
	sigV4TimeFormat      = "20060102T150405Z"
	sigV4DateFormat      = "20060102"
	sigV4Terminator      = "aws4_request"
	sigV4MaxSkew         = 15 * time.Minute
	sigV4MaxBody         = 1 << 20
	sigV4UnsignedPayload = "UNSIGNED-PAYLOAD"
)

// SigV4Failure says why VerifySigV4 refused a request; each API maps it
// to its own error code and status.
type SigV4Failure int

// The SigV4 failures.
const (
	// SigV4Missing: no Authorization header.
	SigV4Missing SigV4Failure = iota + 1
	// SigV4Incomplete: a malformed Authorization header, no X-Amz-Date or
	// Date header, or host or the date header not signed.
	SigV4Incomplete
	// SigV4BadScope: the credential scope's date, region, service or
	// terminator is wrong.
	SigV4BadScope
	// SigV4Skewed: the request time is more than 15 minutes from the
	// server's clock.
	SigV4Skewed
	// SigV4UnknownKey: the access key ID is not known.
	SigV4UnknownKey
	// SigV4BadToken: the session token is missing, wrong, or sent with a
	// key that has none.
	SigV4BadToken
	// SigV4TokenExpired: the temporary credentials have expired.
	SigV4TokenExpired
	// SigV4Mismatch: the signature (or X-Amz-Content-Sha256) does not
	// match the request.
	SigV4Mismatch
)

// SigV4Error is the error VerifySigV4 returns. Message is written as AWS
// words it, e.g. "Signature expired: ...".
type SigV4Error struct {
	Failure SigV4Failure
	Message string
}

func (e *SigV4Error) Error() string { return e.Message }

func sigV4Err(f SigV4Failure, format string, args ...any) *SigV4Error {
	return &SigV4Error{Failure: f, Message: fmt.Sprintf(format, args...)}
}

// SigV4Key is a known access key.
type SigV4Key struct {
	SecretAccessKey string
	// SessionToken, when not empty, must be sent as X-Amz-Security-Token;
	// when empty, no token may be sent.
	SessionToken string
	// Expires, when not zero, is when the key stops being accepted.
	Expires time.Time
}

// SigV4Params are what VerifySigV4 checks a request against.
type SigV4Params struct {
	// Service the credential scope must name, e.g. "backup" or "sts".
	Service string
	// Regions the credential scope may name.
	Regions []string
	// Lookup returns the key of an access key ID.
	Lookup func(accessKeyID string) (SigV4Key, bool)
	// Now is the server's clock.
	Now time.Time
}

// SigV4Auth is a verified request's identity.
type SigV4Auth struct {
	AccessKeyID string
	Region      string
	Service     string
	// Time is the request's X-Amz-Date (or Date).
	Time time.Time
}

// sigV4Header is a parsed Authorization header.
type sigV4Header struct {
	accessKeyID, date, region, service, terminator string
	signedHeaders                                  []string
	signature                                      string
}

func parseSigV4Authorization(auth string) (*sigV4Header, *SigV4Error) {
	rest, ok := strings.CutPrefix(auth, sigV4Algorithm+" ")
	if !ok {
		alg, _, _ := strings.Cut(auth, " ")
		return nil, sigV4Err(SigV4Incomplete, "Unsupported AWS 'algorithm': '%s'", alg)
	}
	params := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, sigV4Err(SigV4Incomplete, "'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", strings.TrimSpace(part), auth)
		}
		params[k] = v
	}
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[k] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", k))
		}
	}
	if len(missing) > 0 {
		return nil, sigV4Err(SigV4Incomplete, "%s Authorization=%s", strings.Join(missing, " "), auth)
	}
	cred := strings.Split(params["Credential"], "/")
	if len(cred) != 5 || cred[0] == "" {
		return nil, sigV4Err(SigV4Incomplete, "Credential should have exactly 5 slash-separated parts (AKID/yyyymmdd/region/service/aws4_request), not '%s'.", params["Credential"])
	}
	h := &sigV4Header{
		accessKeyID: cred[0], date: cred[1], region: cred[2], service: cred[3], terminator: cred[4],
		signedHeaders: strings.Split(params["SignedHeaders"], ";"),
		signature:     params["Signature"],
	}
	for _, n := range h.signedHeaders {
		if n == "" || n != strings.ToLower(n) {
			return nil, sigV4Err(SigV4Incomplete, "SignedHeaders must be lower-case header names separated by ';', not '%s'.", params["SignedHeaders"])
		}
	}
	return h, nil
}

// readSigV4Body reads up to sigV4MaxBody bytes of r's body and puts them
// back, so that the handler can read them again.
func readSigV4Body(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, sigV4MaxBody+1))
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) > sigV4MaxBody {
		return nil, fmt.Errorf("request body larger than %d bytes", sigV4MaxBody)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// VerifySigV4 checks an AWS4-HMAC-SHA256 signed request (Authorization
// header form; presigned URLs are not supported), with body as the
// payload. It checks, in order: the header's form; that an X-Amz-Date
// (or Date) header is present and that it and host are signed; the
// credential scope (its date is the request's, its region one of
// p.Regions, its service p.Service, its terminator aws4_request); the
// request time is within 15 minutes of p.Now either way; the access key
// is known and, for temporary keys, not expired and sent with its
// session token (X-Amz-Security-Token); X-Amz-Content-Sha256, when sent
// as a hash, is the body's; and finally the signature, compared in
// constant time.
func VerifySigV4(r *http.Request, body []byte, p SigV4Params) (*SigV4Auth, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		if r.URL.Query().Get("X-Amz-Algorithm") != "" {
			return nil, sigV4Err(SigV4Incomplete, "Presigned (query string) requests are not supported by the simulator; send an Authorization header.")
		}
		return nil, sigV4Err(SigV4Missing, "Missing Authentication Token")
	}
	h, serr := parseSigV4Authorization(auth)
	if serr != nil {
		return nil, serr
	}

	// The request time: X-Amz-Date, else Date (RFC 1123); that header
	// and host must be signed.
	dateHeader, dateValue := "x-amz-date", r.Header.Get("X-Amz-Date")
	var t time.Time
	var err error
	if dateValue != "" {
		t, err = time.Parse(sigV4TimeFormat, dateValue)
	} else if dateValue = r.Header.Get("Date"); dateValue != "" {
		dateHeader = "date"
		t, err = http.ParseTime(dateValue)
	} else {
		return nil, sigV4Err(SigV4Incomplete, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=%s", auth)
	}
	if err != nil {
		return nil, sigV4Err(SigV4Incomplete, "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", dateValue)
	}
	if !slices.Contains(h.signedHeaders, "host") {
		return nil, sigV4Err(SigV4Incomplete, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if !slices.Contains(h.signedHeaders, dateHeader) {
		return nil, sigV4Err(SigV4Incomplete, "'%s' must be a 'SignedHeader' in the AWS Authorization.", http.CanonicalHeaderKey(dateHeader))
	}
	amzDate := t.UTC().Format(sigV4TimeFormat)

	// The credential scope.
	if h.terminator != sigV4Terminator {
		return nil, sigV4Err(SigV4BadScope, "Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", h.terminator)
	}
	if h.date != t.UTC().Format(sigV4DateFormat) {
		return nil, sigV4Err(SigV4BadScope, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			h.date, t.UTC().Format(sigV4DateFormat), amzDate)
	}
	if !slices.Contains(p.Regions, h.region) {
		return nil, sigV4Err(SigV4BadScope, "Credential should be scoped to a valid region, not '%s'. ", h.region)
	}
	if h.service != p.Service {
		return nil, sigV4Err(SigV4BadScope, "Credential should be scoped to correct service: '%s'. ", p.Service)
	}

	// The clock.
	now := p.Now.UTC()
	if t.Before(now.Add(-sigV4MaxSkew)) {
		return nil, sigV4Err(SigV4Skewed, "Signature expired: %s is now earlier than %s (%s - 15 min.)",
			amzDate, now.Add(-sigV4MaxSkew).Format(sigV4TimeFormat), now.Format(sigV4TimeFormat))
	}
	if t.After(now.Add(sigV4MaxSkew)) {
		return nil, sigV4Err(SigV4Skewed, "Signature not yet current: %s is still later than %s (%s + 15 min.)",
			amzDate, now.Add(sigV4MaxSkew).Format(sigV4TimeFormat), now.Format(sigV4TimeFormat))
	}

	// The key and its session token.
	key, ok := p.Lookup(h.accessKeyID)
	if !ok {
		return nil, sigV4Err(SigV4UnknownKey, "The security token included in the request is invalid.")
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if key.SessionToken != "" || token != "" {
		if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(key.SessionToken)) != 1 {
			return nil, sigV4Err(SigV4BadToken, "The security token included in the request is invalid.")
		}
		if !key.Expires.IsZero() && !now.Before(key.Expires) {
			return nil, sigV4Err(SigV4TokenExpired, "The security token included in the request is expired")
		}
	}

	// The payload hash.
	payloadHash := hex.EncodeToString(sha256Sum(body))
	if v := r.Header.Get("X-Amz-Content-Sha256"); v != "" {
		if v != sigV4UnsignedPayload && !strings.HasPrefix(v, "STREAMING-") && !strings.EqualFold(v, payloadHash) {
			return nil, sigV4Err(SigV4Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		payloadHash = v
	}

	canonical := sigV4CanonicalRequest(r, h.signedHeaders, payloadHash)
	scope := h.date + "/" + h.region + "/" + h.service + "/" + sigV4Terminator
	want := sigV4Signature(sigV4SigningKey(key.SecretAccessKey, h.date, h.region, h.service), sigV4StringToSign(amzDate, scope, canonical))
	got, err := hex.DecodeString(h.signature)
	if err != nil || !hmac.Equal(got, want) {
		return nil, sigV4Err(SigV4Mismatch, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return &SigV4Auth{AccessKeyID: h.accessKeyID, Region: h.region, Service: h.service, Time: t}, nil
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}

// sigV4CanonicalRequest builds the canonical request of r for the given
// signed headers and payload hash.
func sigV4CanonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(sigV4CanonicalURI(sigV4RawPath(r)))
	b.WriteByte('\n')
	b.WriteString(sigV4CanonicalQuery(r.URL.RawQuery))
	b.WriteByte('\n')
	for _, name := range signedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(sigV4HeaderValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// sigV4RawPath is the path as the client sent it (still percent-encoded),
// from the request target.
func sigV4RawPath(r *http.Request) string {
	target := r.RequestURI
	if target == "" || target == "*" {
		return r.URL.EscapedPath()
	}
	if i := strings.Index(target, "://"); i >= 0 { // absolute form
		target = target[i+3:]
		if j := strings.IndexByte(target, '/'); j >= 0 {
			target = target[j:]
		} else {
			target = "/"
		}
	}
	path, _, _ := strings.Cut(target, "?")
	return path
}

// sigV4CanonicalURI normalizes the path (RFC 3986 dot segments removed,
// empty segments dropped, a trailing "/" kept) and URI-encodes each
// segment as sent on the wire. For every service but S3 the path is thus
// encoded twice: a "%20" on the wire becomes "%2520".
func sigV4CanonicalURI(rawPath string) string {
	var segs []string
	trailing := false
	for _, s := range strings.Split(rawPath, "/") {
		switch s {
		case "":
		case ".":
			trailing = true
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
			trailing = true
		default:
			segs = append(segs, s)
			trailing = false
		}
	}
	if strings.HasSuffix(rawPath, "/") {
		trailing = true
	}
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(sigV4Encode(s))
	}
	if len(segs) == 0 || trailing {
		b.WriteByte('/')
	}
	return b.String()
}

// sigV4CanonicalQuery decodes each name=value pair of the raw query (a
// "+" is a space, as in form encoding), encodes both with sigV4Encode,
// sorts the pairs by name and then value, and joins them with "&". A
// name without "=" gets an empty value.
func sigV4CanonicalQuery(rawQuery string) string {
	type pair struct{ k, v string }
	var pairs []pair
	for _, part := range strings.Split(rawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		pairs = append(pairs, pair{sigV4Encode(k), sigV4Encode(v)})
	}
	slices.SortFunc(pairs, func(a, b pair) int { return cmp.Or(cmp.Compare(a.k, b.k), cmp.Compare(a.v, b.v)) })
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// sigV4HeaderValue is the canonical value of a signed header: its values
// in order, each trimmed with inner runs of spaces made one, joined by
// ",". host is the request's Host.
func sigV4HeaderValue(r *http.Request, name string) string {
	var vals []string
	switch name {
	case "host":
		host := r.Host
		if host == "" {
			host = r.URL.Host
		}
		vals = []string{host}
	default:
		vals = r.Header.Values(name)
		if len(vals) == 0 && name == "content-length" && r.ContentLength > 0 {
			vals = []string{fmt.Sprint(r.ContentLength)}
		}
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

// sigV4Unreserved are the characters SigV4 leaves as they are (RFC 3986's
// unreserved set).
const sigV4Unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"

// sigV4Encode URI-encodes s as SigV4 asks: every byte outside
// sigV4Unreserved becomes %XY, upper-case hex.
func sigV4Encode(s string) string {
	out := make([]byte, 0, len(s)*3)
	for _, c := range []byte(s) {
		if strings.IndexByte(sigV4Unreserved, c) >= 0 {
			out = append(out, c)
		} else {
			out = append(out, fmt.Sprintf("%%%02X", c)...)
		}
	}
	return string(out)
}

func sigV4StringToSign(amzDate, scope, canonicalRequest string) string {
	return sigV4Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sha256Sum([]byte(canonicalRequest)))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// sigV4SigningKey derives the signing key of a secret for a day, region
// and service.
func sigV4SigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, sigV4Terminator)
}

func sigV4Signature(signingKey []byte, stringToSign string) []byte {
	return hmacSHA256(signingKey, stringToSign)
}

package simulator

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Huawei Cloud AK/SK request signing ("SDK-HMAC-SHA256"), as described in
// the API Gateway signing guide (support.huaweicloud.com/devg-apisign,
// "API signature authentication mechanism") and implemented by the
// official Go SDK (github.com/huaweicloud/huaweicloud-sdk-go-v3,
// core/auth/signer/signer.go and escape.go). This is an independent
// verifier written from those; it imports no SDK.
//
//	CanonicalRequest = Method "\n" CanonicalURI "\n" CanonicalQueryString "\n"
//	                   CanonicalHeaders "\n" SignedHeaders "\n" PayloadHash
//	StringToSign     = "SDK-HMAC-SHA256\n" X-Sdk-Date "\n" hex(sha256(CanonicalRequest))
//	Signature        = hex(hmac-sha256(SK, StringToSign))
//	Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=h1;h2, Signature=hex

const (
	huaweiSignAlgorithm  = "SDK-HMAC-SHA256"
	huaweiDateFormat     = "20060102T150405Z"
	huaweiHeaderDate     = "X-Sdk-Date"
	huaweiHeaderContent  = "X-Sdk-Content-Sha256"
	huaweiMaxClockSkew   = 15 * time.Minute
	huaweiMaxSignedBody  = 1 << 20
	huaweiSignedDateName = "x-sdk-date"
)

var (
	errHuaweiNoSignature  = errors.New("no SDK-HMAC-SHA256 Authorization header")
	errHuaweiBadAuth      = errors.New("malformed SDK-HMAC-SHA256 Authorization header")
	errHuaweiDateRange    = errors.New("X-Sdk-Date is out of range")
	errHuaweiUnknownAK    = errors.New("unknown access key")
	errHuaweiBadSignature = errors.New("signature mismatch")
)

// VerifyHuaweiSignature checks an SDK-HMAC-SHA256 signed request: the
// Authorization header, the X-Sdk-Date header (at most 15 minutes from
// now, either way), that x-sdk-date is a signed header, and the
// signature over the canonical request, with body as the payload (unless
// the request carries X-Sdk-Content-Sha256, whose value is then used as
// the payload hash, e.g. "UNSIGNED-PAYLOAD"). lookupSK returns the secret
// key of an access key. The headers listed in SignedHeaders are used as
// listed; "host" is taken from r.Host. The official Go SDK signs only the
// headers it sets itself (x-sdk-date, and x-project-id etc. when set, but
// not host), so host is not required.
func VerifyHuaweiSignature(r *http.Request, body []byte, lookupSK func(ak string) (string, bool), now time.Time) error {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, huaweiSignAlgorithm+" ")
	if !ok {
		return errHuaweiNoSignature
	}
	var ak, signed, sig string
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return errHuaweiBadAuth
		}
		switch k {
		case "Access":
			ak = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		default:
			return fmt.Errorf("%w: unknown parameter %q", errHuaweiBadAuth, k)
		}
	}
	if ak == "" || signed == "" || sig == "" {
		return fmt.Errorf("%w: Access, SignedHeaders and Signature are required", errHuaweiBadAuth)
	}
	signedHeaders := strings.Split(signed, ";")
	hasDate := false
	for _, h := range signedHeaders {
		if h == "" || h != strings.ToLower(h) {
			return fmt.Errorf("%w: bad signed header %q", errHuaweiBadAuth, h)
		}
		hasDate = hasDate || h == huaweiSignedDateName
	}
	if !hasDate {
		return fmt.Errorf("%w: x-sdk-date must be a signed header", errHuaweiBadAuth)
	}
	date := r.Header.Get(huaweiHeaderDate)
	t, err := time.Parse(huaweiDateFormat, date)
	if err != nil {
		return fmt.Errorf("%w: X-Sdk-Date %q is not in the format %s", errHuaweiBadAuth, date, huaweiDateFormat)
	}
	if d := now.Sub(t); d > huaweiMaxClockSkew || d < -huaweiMaxClockSkew {
		return fmt.Errorf("%w: %s is %s from the server time %s (at most %s allowed)",
			errHuaweiDateRange, date, d.Round(time.Second), now.UTC().Format(huaweiDateFormat), huaweiMaxClockSkew)
	}
	sk, ok := lookupSK(ak)
	if !ok {
		return fmt.Errorf("%w %q", errHuaweiUnknownAK, ak)
	}
	want := huaweiSignature(sk, huaweiStringToSign(date, huaweiCanonicalRequest(r, body, signedHeaders)))
	got, err := hex.DecodeString(strings.ToLower(sig))
	if err != nil || !hmac.Equal(got, want) {
		return errHuaweiBadSignature
	}
	return nil
}

// huaweiCanonicalRequest builds the canonical request of r as the
// gateway sees it, straight from the signing guide's definition: one
// buffer, written field by field.
func huaweiCanonicalRequest(r *http.Request, body []byte, signedHeaders []string) string {
	var w bytes.Buffer
	w.WriteString(r.Method)
	w.WriteByte('\n')

	// CanonicalURI: each segment of the decoded path URI-encoded (RFC 3986
	// unreserved characters kept), always ending in "/".
	for i, seg := range strings.Split(r.URL.Path, "/") {
		if i > 0 {
			w.WriteByte('/')
		}
		w.WriteString(rfc3986(seg))
	}
	if !bytes.HasSuffix(w.Bytes(), []byte("/")) {
		w.WriteByte('/')
	}
	w.WriteByte('\n')

	// CanonicalQueryString: encoded name=value pairs sorted by name, then
	// by value.
	type pair struct{ k, v string }
	var pairs []pair
	values, _ := url.ParseQuery(r.URL.RawQuery) // an unparsable query fails the signature
	for k, vs := range values {
		for _, v := range vs {
			pairs = append(pairs, pair{k, v})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int { return cmp.Or(cmp.Compare(a.k, b.k), cmp.Compare(a.v, b.v)) })
	for i, p := range pairs {
		if i > 0 {
			w.WriteByte('&')
		}
		fmt.Fprintf(&w, "%s=%s", rfc3986(p.k), rfc3986(p.v))
	}
	w.WriteByte('\n')

	// CanonicalHeaders: "name:value\n" per signed header in the listed
	// order (repeated values sorted), then SignedHeaders.
	lines := 0
	for _, name := range signedHeaders {
		var vals []string
		if name == "host" {
			vals = r.Header.Values("Host")
			if len(vals) == 0 {
				vals = []string{r.Host}
			}
		} else {
			vals = r.Header.Values(name)
		}
		for _, v := range slices.Sorted(slices.Values(vals)) {
			fmt.Fprintf(&w, "%s:%s\n", name, strings.TrimSpace(v))
			lines++
		}
	}
	if lines == 0 {
		w.WriteByte('\n')
	}
	w.WriteByte('\n')
	w.WriteString(strings.Join(signedHeaders, ";"))
	w.WriteByte('\n')

	// Payload: X-Sdk-Content-Sha256 when sent (e.g. UNSIGNED-PAYLOAD),
	// else the hex SHA-256 of the body.
	if v, set := r.Header[http.CanonicalHeaderKey(huaweiHeaderContent)]; set {
		w.WriteString(strings.Join(v, ","))
	} else {
		fmt.Fprintf(&w, "%x", sha256.Sum256(body))
	}
	return w.String()
}

func huaweiStringToSign(date, canonicalRequest string) string {
	return fmt.Sprintf("%s\n%s\n%x", huaweiSignAlgorithm, date, sha256.Sum256([]byte(canonicalRequest)))
}

func huaweiSignature(sk, stringToSign string) []byte {
	m := hmac.New(sha256.New, []byte(sk))
	m.Write([]byte(stringToSign))
	return m.Sum(nil)
}

// rfc3986 URI-encodes s as the signing guide asks: every byte but the
// unreserved A-Z a-z 0-9 - _ . ~ as %XX with upper-case hex. Go's query
// escaping keeps exactly those and writes a space as "+", which the
// guide wants as %20.
func rfc3986(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

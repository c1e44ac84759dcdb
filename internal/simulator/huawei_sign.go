package simulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
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

// huaweiCanonicalRequest builds the canonical request of r as the server
// sees it.
func huaweiCanonicalRequest(r *http.Request, body []byte, signedHeaders []string) string {
	payload := r.Header.Get(huaweiHeaderContent)
	if _, set := r.Header[http.CanonicalHeaderKey(huaweiHeaderContent)]; !set {
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
	}
	return strings.Join([]string{
		r.Method,
		huaweiCanonicalURI(r.URL.Path),
		huaweiCanonicalQuery(r.URL.RawQuery),
		huaweiCanonicalHeaders(r, signedHeaders),
		strings.Join(signedHeaders, ";"),
		payload,
	}, "\n")
}

// huaweiCanonicalURI escapes each "/"-separated segment of the decoded
// path and makes sure the result ends with "/".
func huaweiCanonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = huaweiEscape(s)
	}
	p := strings.Join(segs, "/")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// huaweiCanonicalQuery sorts the decoded parameter names (byte order),
// then each name's decoded values, and joins escape(name)=escape(value)
// with "&". A parameter without a value gives "name=".
func huaweiCanonicalQuery(raw string) string {
	q, _ := url.ParseQuery(raw) // what parses; a bad query fails the signature
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, huaweiEscape(k)+"="+huaweiEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// huaweiCanonicalHeaders gives "name:trimmed value\n" for each signed
// header, in the order listed, each value of a repeated header on its own
// line (values sorted). A signed header the request lacks gives no line.
func huaweiCanonicalHeaders(r *http.Request, signedHeaders []string) string {
	var b strings.Builder
	for _, name := range signedHeaders {
		var vals []string
		if name == "host" {
			vals = []string{r.Host}
			if hv := r.Header.Values("Host"); len(hv) > 0 {
				vals = hv
			}
		} else {
			vals = append(vals, r.Header.Values(name)...)
		}
		sort.Strings(vals)
		for _, v := range vals {
			b.WriteString(name + ":" + strings.TrimSpace(v) + "\n")
		}
	}
	if b.Len() == 0 {
		return "\n"
	}
	return b.String()
}

func huaweiStringToSign(date, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return huaweiSignAlgorithm + "\n" + date + "\n" + hex.EncodeToString(sum[:])
}

func huaweiSignature(sk, stringToSign string) []byte {
	m := hmac.New(sha256.New, []byte(sk))
	m.Write([]byte(stringToSign))
	return m.Sum(nil)
}

// huaweiEscape percent-encodes every byte except A-Z a-z 0-9 - _ . ~, with
// upper-case hex (so a space is %20 and "/" is %2F).
func huaweiEscape(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

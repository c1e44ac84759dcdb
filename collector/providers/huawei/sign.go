package huawei

// Huawei Cloud AK/SK request signing (SDK-HMAC-SHA256).
//
// Why our own signer rather than the official SDK's
// (github.com/huaweicloud/huaweicloud-sdk-go-v3, core/auth/signer): that
// module is the whole SDK of every Huawei Cloud service in one Go module
// (a 47 MB zip that unpacks to several hundred MB, pulling in
// mongo-driver, gmsm, go-yaml and json-iterator), and its signer signs a
// request.DefaultHttpRequest built through its own builder (query values
// as reflect.Value) and returns headers to copy back. Our HTTPClient must
// own deadlines, retries, Retry-After and body limits, and signs in its
// Authorize hook before every attempt; bridging an *http.Request into the
// SDK's request type on every attempt would cost more code than the
// algorithm itself, which is short and stable. The algorithm below
// follows the SDK's signer.go and escape.go; sign_test.go checks it
// against the SDK's own published vectors (core/auth/signer/
// signer_test.go: TestSigner_Sign and TestSigner_canonicalQueryString).
//
//	CanonicalRequest = Method "\n" CanonicalURI "\n" CanonicalQueryString "\n"
//	                   CanonicalHeaders "\n" SignedHeaders "\n" hex(sha256(body))
//	StringToSign     = "SDK-HMAC-SHA256\n" X-Sdk-Date "\n" hex(sha256(CanonicalRequest))
//	Authorization    = "SDK-HMAC-SHA256 Access=AK, SignedHeaders=h1;h2, Signature=" hex(hmac-sha256(SK, StringToSign))

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

const (
	huaweiSignAlgorithm = "SDK-HMAC-SHA256"
	huaweiDateLayout    = "20060102T150405Z"
	huaweiDateHeader    = "X-Sdk-Date"
	projectHeader       = "X-Project-Id"
)

// signedHeaders are the headers signed on every request, lower-case
// and sorted: the host binds the signature to the endpoint, the date
// bounds its lifetime (the gateway rejects more than 15 minutes of skew),
// and the SDK sends and signs X-Project-Id too.
var signedHeaders = []string{"host", "x-project-id", "x-sdk-date"}

// sign sets X-Sdk-Date (from now) and Authorization on r, signing
// the headers named in signed (lower-case, sorted) and body. A signed
// header that r lacks is left out of the signature.
func sign(r *http.Request, body []byte, accessKey, secretKey string, now time.Time, signed []string) {
	date := now.UTC().Format(huaweiDateLayout)
	r.Header.Set(huaweiDateHeader, date)
	present := make([]string, 0, len(signed))
	for _, h := range signed {
		if h == "host" || len(r.Header.Values(h)) > 0 {
			present = append(present, h)
		}
	}
	mac := hmac.New(sha256.New, []byte(secretKey))
	mac.Write([]byte(stringToSign(date, canonicalRequest(r, body, present))))
	r.Header.Set("Authorization", huaweiSignAlgorithm+" Access="+accessKey+
		", SignedHeaders="+strings.Join(present, ";")+
		", Signature="+hex.EncodeToString(mac.Sum(nil)))
}

func stringToSign(date, canonicalRequest string) string {
	return huaweiSignAlgorithm + "\n" + date + "\n" + sHA256Hex([]byte(canonicalRequest))
}

func canonicalRequest(r *http.Request, body []byte, signed []string) string {
	return strings.Join([]string{
		r.Method,
		canonicalURI(r.URL.Path),
		canonicalQuery(r.URL.Query()),
		canonicalHeaders(r, signed),
		strings.Join(signed, ";"),
		sHA256Hex(body),
	}, "\n")
}

// canonicalURI escapes each segment of the decoded path and ends it
// with "/", as the SDK does.
func canonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	p := strings.Join(segs, "/")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// canonicalQuery sorts parameter names, then each name's values,
// and joins escape(name)=escape(value) with "&".
func canonicalQuery(q url.Values) string {
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
			parts = append(parts, escape(k)+"="+escape(v))
		}
	}
	return strings.Join(parts, "&")
}

// canonicalHeaders gives "name:trimmed value" lines for the signed
// headers, each followed by "\n".
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		vals := r.Header.Values(name)
		if name == "host" {
			host := r.Host
			if host == "" {
				host = r.URL.Host
			}
			vals = []string{host}
		}
		vals = append([]string(nil), vals...)
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

// escape percent-encodes every byte but A-Z a-z 0-9 - _ . ~ with
// upper-case hex (a space is %20), like the SDK's escape.go.
func escape(s string) string {
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

func sHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

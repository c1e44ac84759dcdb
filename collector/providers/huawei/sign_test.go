package huawei

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// The vectors below are the official SDK's own: github.com/huaweicloud/
// huaweicloud-sdk-go-v3, core/auth/signer/signer_test.go (TestSigner_Sign,
// TestSigner_canonicalQueryString). There the SDK signs only x-sdk-date
// (its TEST_UNDERSCORE header is left unsigned) and the POST body is its
// JSON encoding of {Name: "test", Id: 1}, with the newline json.Encoder
// adds.
func TestHuaweiSignSDKVectors(t *testing.T) {
	now := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name, method, target, body, contentType, want string
	}{
		{"test1", "GET", "https://example.huaweicloud.com/path?limit=1", "", "",
			"SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"},
		{"test2", "POST", "https://example.huaweicloud.com/path?key=value", "{\"Name\":\"test\",\"Id\":1}\n", "application/json",
			"SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.target, nil)
			r.Header.Set("TEST_UNDERSCORE", "TEST_VALUE")
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			sign(r, []byte(tc.body), "AccessKey", "SecretKey", now, []string{"x-sdk-date"})
			if got := r.Header.Get("Authorization"); got != tc.want {
				t.Errorf("Authorization = %s\nwant            %s", got, tc.want)
			}
			if got := r.Header.Get("X-Sdk-Date"); got != "20060102T150405Z" {
				t.Errorf("X-Sdk-Date = %s", got)
			}
		})
	}
	t.Run("canonical query", func(t *testing.T) {
		q := url.Values{
			"limit": {"1"}, "enable": {"true"}, "test": {"一 (&=?!#%.*)"},
			"path": {"/tmp/123"}, "multi": {"3", "1", "2"},
		}
		const want = "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
		if got := canonicalQuery(q); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
}

// TestHuaweiSignVerifiedBySimulator checks our signer against the
// simulator's independent verifier on the requests this provider sends.
func TestHuaweiSignVerifiedBySimulator(t *testing.T) {
	now := time.Now()
	lookup := func(ak string) (string, bool) { return "sk-of-" + ak, ak == "AK1" }
	for _, target := range []string{
		"https://cbr.cn-north-4.myhuaweicloud.com/v3/" + "4229d7a45436489f8c3dc2b1d35d4987" + "/backups?limit=100&offset=200&sort=created_at%3Aasc&vault_id=v-1",
		"https://cbr.cn-north-4.myhuaweicloud.com/v3/" + "4229d7a45436489f8c3dc2b1d35d4987" + "/backups/" + "6df2b54c-dd62-4059-a07c-1b8f24f2725d",
		"https://127.0.0.1:8443/v3/p/backups?name=db+full%2Fdaily&limit=2",
	} {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.Header.Set("X-Project-Id", "4229d7a45436489f8c3dc2b1d35d4987")
		sign(r, nil, "AK1", "sk-of-AK1", now, signedHeaders)
		if !strings.Contains(r.Header.Get("Authorization"), "SignedHeaders=host;x-project-id;x-sdk-date,") {
			t.Errorf("signed headers: %s", r.Header.Get("Authorization"))
		}
		if err := simulator.VerifyHuaweiSignature(r, nil, lookup, now); err != nil {
			t.Errorf("%s: %v", target, err)
		}
		sign(r, nil, "AK1", "wrong", now, signedHeaders)
		if err := simulator.VerifyHuaweiSignature(r, nil, lookup, now); err == nil {
			t.Errorf("%s: wrong secret key accepted", target)
		}
	}
}

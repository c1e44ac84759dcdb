package healthcheck

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("Healthy\n")) }))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	selfSigned := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer selfSigned.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()

	for _, tc := range []struct {
		name   string
		args   []string
		want   int
		stderr string
	}{
		{"2xx", []string{"--url", ok.URL}, 0, ""},
		{"the default URL", nil, 0, ""},
		{"503", []string{"--url", down.URL}, 1, "503 Service Unavailable"},
		{"nothing listening", []string{"--url", gone.URL}, 1, "connection refused"},
		{"unverified certificate", []string{"--url", selfSigned.URL}, 1, "certificate"},
		{"self-signed, told so", []string{"--url", selfSigned.URL, "--insecure-skip-verify"}, 0, ""},
		{"unknown flag", []string{"--colour"}, 1, "unknown long flag"},
	} {
		var out, errOut bytes.Buffer
		if got := Run("x", tc.args, ok.URL, &out, &errOut); got != tc.want || !strings.Contains(errOut.String(), tc.stderr) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.name, got, errOut.String(), tc.want, tc.stderr)
		}
	}
}

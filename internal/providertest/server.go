// Package providertest holds what the providers' tests share: one fixture
// server (TLS, request log, authentication check, Microsoft Entra for the
// Azure providers), golden exposition files regenerable with -update,
// exporters built from YAML as main builds them, and the simulator's
// estates.
package providertest

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Server is a TLS test server that records request URIs, answers
// Microsoft Entra's token flow when asked to, refuses requests that Auth
// rejects, and hands the rest to its handler.
type Server struct {
	*httptest.Server
	// CAFile holds the server's certificate, for tls_config.ca_file.
	CAFile string

	mu       sync.Mutex
	requests []string
}

// Options configures NewServer.
type Options struct {
	// Auth reports whether a request carries the expected credentials;
	// nil accepts every request.
	Auth func(*http.Request) bool
	// Unauthorized is the body of the 401 answer to a rejected request.
	Unauthorized string
	// Entra makes the server answer azidentity's client secret flow
	// (OpenID configuration and token, the token being ARMToken), so that
	// ARM fixtures are read through the real credential and pipeline.
	Entra bool
}

// ARMToken is the access token the server's Entra issues.
const ARMToken = "fixture-arm-token"

// BearerAuth accepts requests whose Authorization is "Bearer token".
func BearerAuth(token string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+token }
}

// NewServer starts a Server handing authorized requests to handle.
func NewServer(t testing.TB, opts Options, handle http.HandlerFunc) *Server {
	t.Helper()
	s := &Server{}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, r.URL.RequestURI())
		s.mu.Unlock()
		if opts.Entra && serveEntra(w, r) {
			return
		}
		if opts.Auth != nil && !opts.Auth(r) {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, opts.Unauthorized)
			return
		}
		handle(w, r)
	}))
	t.Cleanup(s.Close)
	s.CAFile = filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(s.CAFile, block, 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// Requests returns the request URIs seen so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// ARMServer serves ARM fixture files (routes as Files) to requests with
// the token of its Entra, answering ARM's error bodies otherwise.
func ARMServer(t testing.TB, routes map[string]string) *Server {
	t.Helper()
	return NewServer(t, Options{
		Entra:        true,
		Auth:         BearerAuth(ARMToken),
		Unauthorized: `{"error":{"code":"InvalidAuthenticationToken","message":"The access token is invalid."}}`,
	}, Files(t, routes, `{"error":{"code":"ResourceNotFound","message":"The Resource was not found."}}`))
}

// Files answers requests with files (relative to testdata/, or absolute):
// routes maps "path", or "path?continue=token" ($skiptoken, offset and
// nextToken likewise; then resourceArn), to a file. "{{base}}" in a file becomes the server's URL. An
// unknown route is a 404 with notFound as body.
func Files(t testing.TB, routes map[string]string, notFound string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Path
		for _, page := range []string{"continue", "$skiptoken", "offset", "nextToken", "resourceArn"} {
			if c := r.URL.Query().Get(page); c != "" && c != "0" {
				key += "?" + page + "=" + c
			}
		}
		file, ok := routes[key]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, notFound)
			return
		}
		if !filepath.IsAbs(file) {
			file = filepath.Join("testdata", file)
		}
		body, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("fixture %s: %v", file, err)
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(bytes.ReplaceAll(body, []byte("{{base}}"), []byte("https://"+r.Host)))
	}
}

// AWSAccessKeyID and AWSSecretAccessKey are the static keys of
// AWSConfig; AWSServer checks that requests are SigV4-signed with the key
// ID for its region and the backup service (the simulator verifies the
// signature itself).
const (
	AWSAccessKeyID     = "AKIAFIXTURE000000001"
	AWSSecretAccessKey = "fixture/secret/access/key"
	AWSRegion          = "eu-west-1"
)

// AWSServer serves AWS Backup fixture files (routes as Files) to
// SigV4-signed requests, answering AWS's REST-JSON errors otherwise.
func AWSServer(t testing.TB, routes map[string]string) *Server {
	t.Helper()
	return NewServer(t, Options{
		Auth: func(r *http.Request) bool {
			return strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="+AWSAccessKeyID+"/") &&
				strings.Contains(r.Header.Get("Authorization"), "/"+AWSRegion+"/backup/aws4_request")
		},
		Unauthorized: `{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}`,
	}, Files(t, routes, `{"__type":"ResourceNotFoundException","Message":"Resource not found"}`))
}

// AWSConfig is a configuration of one aws_backup target on s with static
// keys; target is the rest of the target's flow mapping.
func (s *Server) AWSConfig(target string) string {
	return fmt.Sprintf(`
global: {cache_ttl: 0}
credentials:
  - name: aws
    aws: {access_key_id: %s, secret_access_key: %q}
    tls_config: {ca_file: %q}
targets:
  - {credential: aws, type: aws_backup, region: %s, endpoint: %q, %s}
`, AWSAccessKeyID, AWSSecretAccessKey, s.CAFile, AWSRegion, s.URL, target)
}

// serveEntra answers the Microsoft Entra calls of azidentity's client
// secret flow.
func serveEntra(w http.ResponseWriter, r *http.Request) bool {
	base := "https://" + r.Host
	tenant, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration"):
		fmt.Fprintf(w, `{"token_endpoint":"%[1]s/%[2]s/oauth2/v2.0/token","authorization_endpoint":"%[1]s/%[2]s/oauth2/v2.0/authorize","issuer":"%[1]s/%[2]s/v2.0","jwks_uri":"%[1]s/%[2]s/discovery/v2.0/keys","response_types_supported":["code"],"subject_types_supported":["pairwise"],"id_token_signing_alg_values_supported":["RS256"]}`, base, tenant)
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token"):
		fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":%q}`, ARMToken)
	default:
		w.Header().Del("Content-Type")
		return false
	}
	return true
}

// AzureConfig is a one-target configuration whose Azure credential logs in
// to s's Entra (a custom cloud); target is the rest of the target's flow
// mapping.
func (s *Server) AzureConfig(target string) string {
	return fmt.Sprintf(`
global: {cache_ttl: 0}
credentials:
  - name: az
    azure:
      auth: client_secret
      tenant_id: 00000000-0000-0000-0000-00000000000a
      client_id: 00000000-0000-0000-0000-00000000000b
      client_secret: s3cret
      cloud: custom
      authority_host: %s
      resource_manager_endpoint: %s
    tls_config: {ca_file: %q}
targets:
  - {credential: az, %s}
`, s.URL, s.URL, s.CAFile, target)
}

// Indent indents YAML lines for a target's mapping.
func Indent(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}

// WriteSecret writes s to a new file and returns its path.
func WriteSecret(t testing.TB, s string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(f, []byte(s+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// SeedFiles adds the content of every file matching pattern to f's seed
// corpus, and returns how many.
func SeedFiles(f *testing.F, pattern string) int {
	files, _ := filepath.Glob(pattern)
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	return len(files)
}

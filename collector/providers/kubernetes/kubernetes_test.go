package kubernetes

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func listServer(t *testing.T, token *string) *providertest.Server {
	return providertest.NewServer(t, providertest.Options{
		Auth: func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+*token },
	}, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"metadata":{},"items":[{"metadata":{"name":"a"}}]}`))
	})
}

func list(t *testing.T, c *cluster) error {
	t.Helper()
	pool, err := upstream.NewPool(upstream.Options{MaxConcurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	client, err := connect(pool, "trident_protect", c)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.List(context.Background(), "/apis/x/v1/things", ListOptions{Limit: 10})
	return err
}

// TestInClusterTokenIsRereadOnRotation: the in-cluster credential reads
// the service account's CA and token from its directory, and the token
// again on every request.
func TestInClusterTokenIsRereadOnRotation(t *testing.T) {
	token := "first-token"
	srv := listServer(t, &token)
	dir := t.TempDir()
	ca, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "ca.crt", string(ca))
	write(t, dir, "token", token+"\n")
	u, _ := url.Parse(srv.URL)
	c, err := resolve(&config.Credential{Type: "kubernetes", Spec: &Credential{}}, inClusterEnv{dir: dir, host: u.Hostname(), port: u.Port()})
	if err != nil {
		t.Fatal(err)
	}
	if err := list(t, c); err != nil {
		t.Fatalf("first token: %v", err)
	}
	token = "rotated-token"
	if err := list(t, c); err == nil {
		t.Fatal("the old token was accepted after the rotation")
	}
	write(t, dir, "token", token)
	if err := list(t, c); err != nil {
		t.Errorf("the rotated token was not read: %v", err)
	}
}

func TestNotInCluster(t *testing.T) {
	_, err := resolve(&config.Credential{Type: "kubernetes", Spec: &Credential{}}, inClusterEnv{dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "not running in a cluster") {
		t.Errorf("err = %v", err)
	}
}

func TestKubeconfig(t *testing.T) {
	token := "kubeconfig-token"
	srv := listServer(t, &token)
	dir := t.TempDir()
	ca, _ := os.ReadFile(srv.CAFile)
	write(t, dir, "ca.pem", string(ca))
	write(t, dir, "token", token)
	caData := base64.StdEncoding.EncodeToString(ca)
	for _, tc := range []struct {
		name, kubeconfig, context, want string
	}{
		{"token and CA data", `
apiVersion: v1
kind: Config
current-context: prod
clusters: [{name: c, cluster: {server: "` + srv.URL + `", certificate-authority-data: ` + caData + `}}]
users: [{name: u, user: {token: ` + token + `}}]
contexts: [{name: prod, context: {cluster: c, user: u}}]
`, "", ""},
		{"relative CA and token files, a named context", `
clusters: [{name: c, cluster: {server: "` + srv.URL + `", certificate-authority: ca.pem}}]
users: [{name: u, user: {tokenFile: token}}]
contexts: [{name: other, context: {cluster: x, user: y}}, {name: prod, context: {cluster: c, user: u}}]
current-context: other
`, "prod", ""},
		{"exec plugin", `
clusters: [{name: c, cluster: {server: "` + srv.URL + `"}}]
users: [{name: u, user: {exec: {command: aws, args: [eks, get-token]}}}]
contexts: [{name: prod, context: {cluster: c, user: u}}]
current-context: prod
`, "", "exec plugin or auth provider"},
		{"no such context", `
clusters: [{name: c, cluster: {server: "` + srv.URL + `"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: prod, context: {cluster: c, user: u}}]
`, "staging", `context "staging": no such context`},
		{"plain http server", `
clusters: [{name: c, cluster: {server: "http://10.0.0.1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: prod, context: {cluster: c, user: u}}]
current-context: prod
`, "", "server must be an https URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := write(t, dir, "kubeconfig", tc.kubeconfig)
			c, err := resolve(&config.Credential{Type: "kubernetes", Spec: &Credential{Kubeconfig: path, Context: tc.context}}, inClusterEnv{})
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("err = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := list(t, c); err != nil {
				t.Errorf("list: %v", err)
			}
		})
	}
}

func TestKubeconfigClientCertificate(t *testing.T) {
	certPEM, keyPEM, err := simulator.NewClientCertificate()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, dir, "client.crt", string(certPEM))
	path := write(t, dir, "kubeconfig", `
clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {client-certificate: client.crt, client-key-data: `+base64.StdEncoding.EncodeToString(keyPEM)+`}}]
contexts: [{name: prod, context: {cluster: c, user: u}}]
current-context: prod
`)
	c, err := resolve(&config.Credential{Type: "kubernetes", Spec: &Credential{Kubeconfig: path}}, inClusterEnv{})
	if err != nil {
		t.Fatal(err)
	}
	if c.cert == nil || !c.insecure || c.token != nil {
		t.Errorf("cluster %+v: want a client certificate, insecure, no token", c)
	}
	write(t, dir, "client.crt", "not a certificate")
	if _, err := resolve(&config.Credential{Type: "kubernetes", Spec: &Credential{Kubeconfig: path}}, inClusterEnv{}); err == nil || !strings.Contains(err.Error(), "do not load") {
		t.Errorf("a bad certificate: %v", err)
	}
}

// TestListSendsTheSelectorAndTellsNotInstalled: a list carries its label
// selector and page size as query parameters; a 404 to a list (a resource
// type the cluster does not have) is NotInstalled, a 403 is not.
func TestListSendsTheSelectorAndTellsNotInstalled(t *testing.T) {
	var got url.Values
	srv := providertest.NewServer(t, providertest.Options{}, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/apis/x/v1/things":
			got = r.URL.Query()
			_, _ = w.Write([]byte(`{"metadata":{},"items":[]}`))
		case "/apis/x/v1/forbidden":
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"kind":"Status","reason":"Forbidden","code":403,"message":"no"}`))
		default:
			http.NotFound(w, r)
		}
	})
	ca, err := os.ReadFile(srv.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := upstream.NewPool(upstream.Options{MaxConcurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	client, err := connect(pool, "velero", &cluster{server: srv.URL, caPEM: ca, token: func(context.Context) (string, error) { return "t", nil }, desc: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := client.List(ctx, "/apis/x/v1/things", ListOptions{LabelSelector: "velero.io/backup-name=nightly,cluster!=dev"}); err != nil {
		t.Fatal(err)
	}
	if got.Get("labelSelector") != "velero.io/backup-name=nightly,cluster!=dev" || got.Get("limit") != "500" {
		t.Errorf("query %v: want the selector and the default limit 500", got)
	}
	_, err = client.List(ctx, "/apis/absent.example.com/v1/things", ListOptions{})
	if !NotInstalled(err) {
		t.Errorf("404: NotInstalled(%v) = false", err)
	}
	_, err = client.List(ctx, "/apis/x/v1/forbidden", ListOptions{})
	if err == nil || NotInstalled(err) {
		t.Errorf("403: %v, NotInstalled true", err)
	}
}

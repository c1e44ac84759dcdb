// Package kubernetes is a small client of the Kubernetes API for the
// providers that read custom resources: how to reach the API server (the
// in-cluster service account, a kubeconfig file and context, or a server
// and bearer token) and list reads with limit/continue paging. It is not
// client-go: a provider needs authenticated GETs of JSON lists through the
// exporter's transport (request slots, body limit, retries, metrics), and
// client-go's machinery would bring its own transport, retries and rate
// limiter.
package kubernetes

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	json "github.com/segmentio/encoding/json"

	"gopkg.in/yaml.v3"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// The in-cluster service account, as the kubelet mounts it.
const (
	serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"
)

// Client reads one API server.
type Client struct {
	base   string // https://host:port, no trailing slash
	client *upstream.Client
	desc   string // what the errors say the credential is
	// err, when set, is why the API server cannot be reached at all (the
	// in-cluster credential outside a cluster): every read fails with it.
	err error
}

// cluster is what reaching an API server takes.
type cluster struct {
	server   string
	caPEM    []byte
	insecure bool
	sni      string
	cert     *tls.Certificate
	// token returns the bearer token, within the request's ctx (a token
	// file is re-read on every request).
	token func(ctx context.Context) (string, error)
	desc  string
}

// NewClient returns the API client of the target's kubernetes credential
// for provider (the label of its request metrics). Targets of one
// credential share its connections.
func NewClient(env *toolkit.Env, provider string) (*Client, error) {
	return toolkit.SharedValue(env, sharedClient, provider, func() (*Client, error) {
		c, err := resolve(env.Credential, inClusterEnv{dir: serviceAccountDir, host: os.Getenv("KUBERNETES_SERVICE_HOST"), port: os.Getenv("KUBERNETES_SERVICE_PORT")})
		if errors.Is(err, errNotInCluster) {
			// Where the exporter runs is not the file's fault: a
			// configuration check passes, and the target fails at run
			// time, saying why.
			return &Client{desc: "in-cluster service account", err: err}, nil
		}
		if err != nil {
			return nil, err
		}
		return connect(env.Pool, provider, c)
	})
}

// sharedClient is the API client of a kubernetes credential, per
// provider.
var sharedClient = toolkit.NewSharedKey[*Client]("kubernetes-client")

func connect(pool *upstream.Pool, provider string, c *cluster) (*Client, error) {
	derived, err := pool.WithTLS(func(tc *tls.Config) error {
		if len(c.caPEM) > 0 {
			roots := x509.NewCertPool()
			if !roots.AppendCertsFromPEM(c.caPEM) {
				return errors.New("the cluster CA holds no PEM certificate")
			}
			tc.RootCAs = roots
		}
		if c.insecure {
			tc.InsecureSkipVerify = true //nolint:gosec // the kubeconfig asks for it
		}
		if c.sni != "" {
			tc.ServerName = c.sni
		}
		if c.cert != nil {
			tc.Certificates = []tls.Certificate{*c.cert}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("kubernetes (%s): %w", c.desc, err)
	}
	auth := func(r *http.Request) error {
		if c.token == nil {
			return nil
		}
		tok, err := c.token(r.Context())
		if err != nil {
			return err
		}
		r.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}
	return &Client{base: strings.TrimRight(c.server, "/"), client: derived.Client(provider, auth), desc: c.desc}, nil
}

// errNotInCluster is the in-cluster credential's error outside a cluster.
var errNotInCluster = errors.New("kubernetes: not running in a cluster (KUBERNETES_SERVICE_HOST and _PORT are unset): give kubeconfig, or server and bearer_token, in the credential")

// inClusterEnv is where the in-cluster configuration comes from.
type inClusterEnv struct{ dir, host, port string }

// resolve reads what reaching the API server takes; its files (a
// kubeconfig, the certificates it names, the in-cluster CA) within
// config.FileReadTimeout.
func resolve(cred *config.Credential, in inClusterEnv) (*cluster, error) {
	ctx, cancel := context.WithTimeout(context.Background(), config.FileReadTimeout)
	defer cancel()
	k := cred.Spec.(*Credential)
	switch {
	case k.Kubeconfig != "":
		return fromKubeconfig(ctx, k.Kubeconfig, k.Context)
	case k.Server != "":
		secret, file := k.BearerToken, k.BearerTokenFile
		return &cluster{server: k.Server, desc: "server " + upstream.RedactURL(k.Server),
			token: func(ctx context.Context) (string, error) { return config.ResolveSecret(ctx, secret, file) }}, nil
	}
	if in.host == "" || in.port == "" {
		return nil, errNotInCluster
	}
	ca, err := config.ReadFile(ctx, filepath.Join(in.dir, "ca.crt"))
	if err != nil {
		return nil, fmt.Errorf("kubernetes in-cluster: %w", err)
	}
	tokenFile := filepath.Join(in.dir, "token")
	return &cluster{
		server: "https://" + net.JoinHostPort(in.host, in.port),
		caPEM:  ca,
		desc:   "in-cluster service account",
		// Re-read on every request: the kubelet rotates bound tokens.
		token: func(ctx context.Context) (string, error) { return config.ResolveSecret(ctx, "", tokenFile) },
	}, nil
}

// kubeconfig is the part of a kubeconfig file the client reads.
type kubeconfig struct {
	CurrentContext string `yaml:"current-context"`
	Clusters       []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server                   string `yaml:"server"`
			CertificateAuthority     string `yaml:"certificate-authority"`
			CertificateAuthorityData string `yaml:"certificate-authority-data"`
			InsecureSkipTLSVerify    bool   `yaml:"insecure-skip-tls-verify"`
			TLSServerName            string `yaml:"tls-server-name"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			Token                 string    `yaml:"token"`
			TokenFile             string    `yaml:"tokenFile"`
			ClientCertificate     string    `yaml:"client-certificate"`
			ClientCertificateData string    `yaml:"client-certificate-data"`
			ClientKey             string    `yaml:"client-key"`
			ClientKeyData         string    `yaml:"client-key-data"`
			Exec                  yaml.Node `yaml:"exec"`
			AuthProvider          yaml.Node `yaml:"auth-provider"`
			Username              string    `yaml:"username"`
		} `yaml:"user"`
	} `yaml:"users"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
}

// fromKubeconfig reads the cluster and user of context (default: the
// file's current-context). Token, token file and client certificate
// users are supported; exec plugins and auth providers are not (they run
// programs or need client-go's provider machinery): use a service
// account token for the exporter.
func fromKubeconfig(ctx context.Context, path, contextName string) (*cluster, error) {
	raw, err := config.ReadFile(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(raw, &kc); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if contextName == "" {
		contextName = kc.CurrentContext
	}
	if contextName == "" {
		return nil, fmt.Errorf("kubeconfig %s: no context given and no current-context", path)
	}
	dir := filepath.Dir(path)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	desc := fmt.Sprintf("kubeconfig %s, context %q", path, contextName)
	var clusterName, userName string
	found := false
	for _, c := range kc.Contexts {
		if c.Name == contextName {
			clusterName, userName, found = c.Context.Cluster, c.Context.User, true
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no such context", desc)
	}
	out := &cluster{desc: desc}
	found = false
	for _, c := range kc.Clusters {
		if c.Name != clusterName {
			continue
		}
		found = true
		cl := c.Cluster
		if u, err := url.Parse(cl.Server); err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, fmt.Errorf("%s: cluster %q: server must be an https URL", desc, clusterName)
		}
		out.server, out.insecure, out.sni = cl.Server, cl.InsecureSkipTLSVerify, cl.TLSServerName
		if out.caPEM, err = dataOrFile(ctx, cl.CertificateAuthorityData, rel(cl.CertificateAuthority)); err != nil {
			return nil, fmt.Errorf("%s: cluster %q: certificate-authority: %w", desc, clusterName, err)
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no cluster %q", desc, clusterName)
	}
	for _, u := range kc.Users {
		if u.Name != userName {
			continue
		}
		us := u.User
		switch {
		case !us.Exec.IsZero() || !us.AuthProvider.IsZero():
			return nil, fmt.Errorf("%s: user %q uses an exec plugin or auth provider, which the exporter does not run: give it a service account token (token or tokenFile)", desc, userName)
		case us.Username != "":
			return nil, fmt.Errorf("%s: user %q uses basic auth, which Kubernetes no longer supports: give it a service account token", desc, userName)
		}
		if us.Token != "" || us.TokenFile != "" {
			token, file := config.Secret(us.Token), rel(us.TokenFile)
			out.token = func(ctx context.Context) (string, error) { return config.ResolveSecret(ctx, token, file) }
		}
		certPEM, err := dataOrFile(ctx, us.ClientCertificateData, rel(us.ClientCertificate))
		if err != nil {
			return nil, fmt.Errorf("%s: user %q: client-certificate: %w", desc, userName, err)
		}
		keyPEM, err := dataOrFile(ctx, us.ClientKeyData, rel(us.ClientKey))
		if err != nil {
			return nil, fmt.Errorf("%s: user %q: client-key: %w", desc, userName, err)
		}
		if len(certPEM) > 0 || len(keyPEM) > 0 {
			cert, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				return nil, fmt.Errorf("%s: user %q: client certificate and key do not load", desc, userName)
			}
			out.cert = &cert
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: no user %q", desc, userName)
}

func dataOrFile(ctx context.Context, data, file string) ([]byte, error) {
	if data != "" {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(data))
		if err != nil {
			return nil, errors.New("the -data value is not base64")
		}
		return b, nil
	}
	if file == "" {
		return nil, nil
	}
	return config.ReadFile(ctx, file)
}

// listMeta is a list's metadata.
type listMeta struct {
	Continue string `json:"continue"`
}

// status is the Kubernetes Status of an error answer.
type status struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Code    int    `json:"code"`
}

func decodeStatus(_ int, body []byte) string {
	var s status
	if json.Unmarshal(body, &s) != nil || s.Kind != "Status" || s.Message == "" {
		return upstream.Excerpt(body)
	}
	if s.Reason != "" {
		return s.Reason + ": " + s.Message
	}
	return s.Message
}

// ListOptions narrow and page a list.
type ListOptions struct {
	// Limit is the page size (the API server's limit parameter; 0: 500).
	Limit int
	// LabelSelector is a label selector the API server applies
	// (velero.io/backup-name=nightly); "" lists every item.
	LabelSelector string
}

// DefaultPageSize is a list's page size when ListOptions.Limit is 0.
const DefaultPageSize = 500

// List reads every item of the collection at path (an API path such as
// /apis/group/v1/namespaces/ns/things, or /api/v1/namespaces for a
// cluster-scoped one), a page at a time, following metadata.continue. A
// continue token that expired while the list was read (410 Gone)
// restarts the list from the start, once; the items are returned only
// when a whole list was read.
func (c *Client) List(ctx context.Context, path string, opts ListOptions) ([]json.RawMessage, error) {
	var items []json.RawMessage
	err := c.walk(ctx, path, opts, func() { items = nil }, func(page []json.RawMessage) error {
		items = append(items, page...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// walk reads the collection at path as List does, handing each page's
// items to page as it arrives (an error of page ends the walk, as is);
// before a restart after a 410 it calls reset, so that the caller drops
// what it kept of the first attempt.
func (c *Client) walk(ctx context.Context, path string, opts ListOptions, reset func(), page func([]json.RawMessage) error) error {
	if c.err != nil {
		return fmt.Errorf("list %s: %w", path, c.err)
	}
	if opts.Limit <= 0 {
		opts.Limit = DefaultPageSize
	}
	for attempt := 1; ; attempt++ {
		err := c.list(ctx, path, opts, page)
		var httpErr *upstream.HTTPError
		if attempt == 1 && errors.As(err, &httpErr) && httpErr.StatusCode == http.StatusGone {
			reset()
			continue
		}
		return err
	}
}

// NotInstalled reports whether err is the API server's 404 to a list: the
// resource type does not exist in the cluster (its CRD is not installed;
// a list in a namespace that does not exist is empty, not a 404).
func NotInstalled(err error) bool {
	var httpErr *upstream.HTTPError
	return errors.As(err, &httpErr) && httpErr.StatusCode == http.StatusNotFound
}

func (c *Client) list(ctx context.Context, path string, opts ListOptions, page func([]json.RawMessage) error) error {
	cont := ""
	pages := toolkit.NewPager(ctx, "list "+path)
	for n := 1; ; n++ {
		q := url.Values{"limit": {fmt.Sprint(opts.Limit)}}
		if opts.LabelSelector != "" {
			q.Set("labelSelector", opts.LabelSelector)
		}
		if cont != "" {
			q.Set("continue", cont)
		}
		var body struct {
			Metadata listMeta          `json:"metadata"`
			Items    []json.RawMessage `json:"items"`
		}
		if _, err := c.client.GetJSON(ctx, upstream.Request{URL: c.base + path + "?" + q.Encode(), DecodeError: decodeStatus}, &body); err != nil {
			return fmt.Errorf("list %s: page %d: %w", path, n, err)
		}
		if err := page(body.Items); err != nil {
			return err
		}
		if err := pages.Page(len(body.Items), body.Metadata.Continue); err != nil {
			return err
		}
		if body.Metadata.Continue == "" {
			return nil
		}
		cont = body.Metadata.Continue
	}
}

// Describe says which credential the client uses, for errors.
func (c *Client) Describe() string { return c.desc }

// ListOf reads every item of the collection at path (as List), each
// decoded as a T and checked as its page arrives (a page's raw JSON is
// not kept once decoded); errors name the resource and the credential.
func ListOf[T any, PT interface {
	*T
	toolkit.Checked
}](ctx context.Context, c *Client, resource, path string, opts ListOptions) ([]T, error) {
	var out []T
	err := c.walk(ctx, path, opts, func() { out = nil }, func(page []json.RawMessage) error {
		for _, raw := range page {
			v, err := toolkit.Decode[T, PT](raw)
			if err != nil {
				return fmt.Errorf("item %d: %w", len(out), err)
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s (%s): %w", resource, c.Describe(), err)
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

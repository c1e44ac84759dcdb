package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/exporter-toolkit/web"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/net/netutil"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/server"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// a pool that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "backup_exporter test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "web.crt"), filepath.Join(dir, "web.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestWebConfigTLSAndBasicAuth runs the binary with --web.config.file
// (exporter-toolkit: TLS and basic auth) end to end: plain HTTP is
// refused, every endpoint but none asks for the password, the right one
// is served, and the password appears in no output.
func TestWebConfigTLSAndBasicAuth(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	path, _ := setup(t, "a0000000-0000-4000-8000-000000000002")
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	const user, password = "prometheus", "w3b-pa55word-for-the-test"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, []byte(fmt.Sprintf("tls_server_config: {cert_file: %q, key_file: %q}\nbasic_auth_users: {%s: %q}\n",
		certFile, keyFile, user, hash)), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "backup_exporter")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--config.file", path, "--web.listen-address", addr, "--web.config.file", webConfig)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	get := func(path, user, pass string) (int, string, error) {
		req, err := http.NewRequest(http.MethodGet, "https://"+addr+path, nil)
		if err != nil {
			return 0, "", err
		}
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _, err := get("/-/ready", user, password); err == nil && code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready over TLS:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	for _, p := range []string{"/metrics", "/probe?target=first", "/", "/-/ready"} {
		if code, _, err := get(p, "", ""); err != nil || code != http.StatusUnauthorized {
			t.Errorf("%s without credentials: %d %v, want 401", p, code, err)
		}
		if code, _, err := get(p, user, "wrong"); err != nil || code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong password: %d %v, want 401", p, code, err)
		}
	}
	code, body, err := get("/metrics", user, password)
	if err != nil || code != http.StatusOK || !strings.Contains(body, `backup_exporter_target_up{provider="astra",target="first"} 1`) {
		t.Errorf("/metrics with the password: %d %v\n%.2000s", code, err, body)
	}

	// Plain HTTP to the TLS port gets no metrics.
	plain := &http.Client{Timeout: 5 * time.Second}
	if resp, err := plain.Get("http://" + addr + "/metrics"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(b), "backup_") {
			t.Errorf("plain HTTP served: %d %.200s", resp.StatusCode, b)
		}
	}
	// A client that does not trust the certificate is refused.
	if _, err := (&http.Client{Timeout: 5 * time.Second}).Get("https://" + addr + "/metrics"); err == nil {
		t.Error("a client without the CA connected")
	}

	_ = cmd.Process.Signal(os.Interrupt)
	_ = cmd.Wait()
	if out := logs.String(); strings.Contains(out, password) || strings.Contains(out, string(hash)) {
		t.Errorf("the password or its hash is in the log:\n%s", out)
	}
	if !strings.Contains(logs.String(), `"http2":true`) && !strings.Contains(logs.String(), "TLS is enabled") {
		t.Errorf("the log does not say TLS is on:\n%s", logs.String())
	}
}

// TestIdleAndSlowConnectionsAreClosed: the server closes keep-alive
// connections left idle and connections that never finish their
// headers, so that clients which open and abandon connections cannot hold
// every --web.max-connections slot (nor every file descriptor) for ever.
// The product's timeouts are asserted, then shortened to watch them act.
func TestIdleAndSlowConnectionsAreClosed(t *testing.T) {
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }), context.Background(), zap.NewNop())
	if srv.IdleTimeout != 2*time.Minute || srv.ReadHeaderTimeout != 10*time.Second {
		t.Fatalf("IdleTimeout %v, ReadHeaderTimeout %v: want 2m and 10s (README)", srv.IdleTimeout, srv.ReadHeaderTimeout)
	}
	srv.IdleTimeout, srv.ReadHeaderTimeout = 300*time.Millisecond, 300*time.Millisecond
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const limit = 2
	go func() { _ = srv.Serve(netutil.LimitListener(l, limit)) }()
	defer srv.Close()

	// One client idles after a request, the other never sends one: both
	// slots are taken.
	idle, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if _, err := io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := http.ReadResponse(bufio.NewReader(idle), nil); err != nil {
		t.Fatal(err)
	}
	slow, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := io.WriteString(slow, "GET / HTTP/1.1\r\n"); err != nil {
		t.Fatal(err)
	}

	// Both are closed by the server...
	for name, c := range map[string]net.Conn{"idle": idle, "slow": slow} {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Errorf("the %s connection was not closed by the server: %v", name, err)
		}
	}
	// ...so a new client is served.
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + l.Addr().String() + "/")
	if err != nil {
		t.Fatalf("a new client was not served after the idle ones: %v", err)
	}
	resp.Body.Close()
	client.CloseIdleConnections()
}

// TestSlowReadersCannotHoldTheServer fills --web.max-connections with
// clients that ask for /metrics (about 10 MB, more than the socket buffers
// hold) or /-/ready and then read one byte a second or nothing at all, as
// the reproduction did. Before, their answers had no write
// deadline and their idle connections kept their slots: a normal scrape
// and /-/healthy timed out for as long as they stayed. Now a connection
// whose write has not returned for a second, or that idles, gives its slot
// to a new client, a probe can use the reserved connections, and every
// answer has a write deadline.
func TestSlowReadersCannotHoldTheServer(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // runs last
	dir := t.TempDir()
	sc := &simulator.Scenario{Astra: simulator.GenerateAstra("acc", 3000, 1, time.Now())}
	sc.Astra.Token = token
	sim, err := simulator.Start(simulator.Options{Scenario: sc, CAFile: filepath.Join(dir, "ca.pem")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	path := filepath.Join(dir, "backup_exporter.yml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(`global: {cache_ttl: 1h, scrape_timeout: 60s}
credentials: [{name: astra, astra: {api_token: %q}, tls_config: {ca_file: ca.pem}}]
targets: [{name: all, type: astra, credential: astra, endpoint: %q, account_id: acc}]
`, token, sim.URL())), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, providers.All().Config())
	if err != nil {
		t.Fatal(err)
	}
	e, err := collector.New(cfg, collector.Options{Registry: providers.All()})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	srv, err := server.New(server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Swap(e)
	httpServer := newHTTPServer(srv, context.Background(), zap.NewNop())
	addr, noSocket, noWebConfig := freeAddr(t), false, ""
	flags := &web.FlagConfig{WebListenAddresses: &[]string{addr}, WebSystemdSocket: &noSocket, WebConfigFile: &noWebConfig}
	const limit = 4
	served := make(chan error, 1)
	go func() { served <- listenAndServe(httpServer, flags, limit, zap.NewNop()) }()
	defer func() { _ = httpServer.Close(); <-served }()

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) (int, []byte, time.Duration, error) {
		start := time.Now()
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			return 0, nil, time.Since(start), err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, time.Since(start), err
	}
	// The first scrape polls and fills the cache: the slow readers'
	// answers are written at once.
	eventually(t, func() bool { code, _, _, err := get("/-/ready"); return err == nil && code == 200 })
	if code, body, _, err := get("/metrics"); err != nil || code != 200 || len(body) < 5<<20 {
		t.Fatalf("first scrape: %d, %d bytes, %v: want more than 5 MB, more than loopback's socket buffers", code, len(body), err)
	}

	var readers sync.WaitGroup
	var slow []net.Conn
	defer func() {
		for _, c := range slow {
			c.Close()
		}
		readers.Wait()
	}()
	for i := range limit {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		slow = append(slow, c)
		_ = c.(*net.TCPConn).SetReadBuffer(4096)
		path := "/metrics"
		if i == limit-1 {
			path = "/-/ready" // answered at once, then idle
		}
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path); err != nil {
			t.Fatal(err)
		}
		// The first byte of the answer: the connection has its slot.
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			t.Fatalf("slow reader %d got no answer: %v", i, err)
		}
		_ = c.SetReadDeadline(time.Time{})
		if i%2 == 0 {
			readers.Add(1)
			go func() { // one byte a second, until closed
				defer readers.Done()
				for {
					if _, err := c.Read(make([]byte, 1)); err != nil {
						return
					}
					time.Sleep(time.Second)
				}
			}()
		}
	}

	code, body, took, err := get("/-/healthy")
	if err != nil || code != 200 || string(body) != "Healthy\n" || took > 5*time.Second {
		t.Errorf("/-/healthy with the limit full of slow readers: %d %q %v after %v, want 200 within 5s", code, body, err, took)
	}
	code, body, took, err = get("/metrics")
	if err != nil || code != 200 || !bytes.Contains(body, []byte(`backup_exporter_target_up{provider="astra",target="all"} 1`)) || took > 20*time.Second {
		t.Errorf("a scrape with the limit full of slow readers: %d, %d bytes, %v after %v, want 200 within 20s", code, len(body), err, took)
	}
	code, _, took, err = get("/-/healthy")
	if err != nil || code != 200 || took > 5*time.Second {
		t.Errorf("/-/healthy again: %d %v after %v, want 200 within 5s", code, err, took)
	}
}

package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// TestSecretsAppearNowhere configures a secret of every kind and source
// (inline, ${VAR}, *_file), all of them wrong so that every provider's
// error path runs, and one ${VAR} pasted into a non-secret key; then
// greps --config.check, --once, the landing page, /metrics, a failed
// /-/reload's answer and the debug log for each secret value.
func TestSecretsAppearNowhere(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	sc := &simulator.Scenario{
		Astra:  simulator.GenerateAstra("acc", 2, 3, time.Now()),
		Huawei: simulator.GenerateHuawei(simulator.HuaweiDemoProject, 2, 2, time.Now()),
		Azure:  simulator.GenerateAzure(simulator.DefaultAzureSubscriptionID, 1, 2, 1, 2, time.Now()),
		AWS:    simulator.GenerateAWS(simulator.AWSDemoAccountID, 3, 2, time.Now()),
	}
	sim, err := simulator.Start(simulator.Options{Scenario: sc, CAFile: filepath.Join(dir, "ca.pem")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })

	secrets := map[string]string{
		"astra inline token":     "astra-wrong-token-Zq81",
		"azure secret from env":  "azure-wrong-secret-Kp27",
		"huawei sk from a file":  "huawei-wrong-sk-Mx55",
		"pasted into client_id":  "pasted-secret-Wd90",
		"aws secret from a file": "awsWrongSecretAccessKey0000000000000Tq3",
	}
	t.Setenv("BACKUP_EXPORTER_TEST_AZURE_SECRET", secrets["azure secret from env"])
	t.Setenv("BACKUP_EXPORTER_TEST_PASTED", secrets["pasted into client_id"])
	if err := os.WriteFile(filepath.Join(dir, "huawei-sk"), []byte(secrets["huawei sk from a file"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "aws-secret"), []byte(secrets["aws secret from a file"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u := sim.URL()
	good := fmt.Sprintf(`global: {cache_ttl: 0, scrape_timeout: 10s}
credentials:
  - {name: astra, astra: {api_token: %q}, tls_config: {ca_file: ca.pem}}
  - name: azure
    azure: {auth: client_secret, tenant_id: %s, client_id: %s, client_secret: "${BACKUP_EXPORTER_TEST_AZURE_SECRET}", cloud: custom, authority_host: %s, resource_manager_endpoint: %s}
    tls_config: {ca_file: ca.pem}
  - {name: huawei, huawei: {access_key: %s, secret_key_file: huawei-sk}, tls_config: {ca_file: ca.pem}}
  - {name: aws, aws: {access_key_id: %s, secret_access_key_file: aws-secret}, tls_config: {ca_file: ca.pem}}
targets:
  - {name: astra, type: astra, credential: astra, endpoint: %q, account_id: acc}
  - {name: anf, type: azure_netapp_files, credential: azure, subscription_id: %s, resource_group: %s, account: %s}
  - {name: cbr, type: huawei_cbr, credential: huawei, endpoint: %q, project_id: %s}
  - {name: ab, type: azure_backup, credential: azure, subscription_id: %s, resource_group: %s}
  - {name: dp, type: azure_dataprotection, credential: azure, subscription_id: %s, resource_group: %s}
  - {name: aws, type: aws_backup, credential: aws, region: %s, endpoint: %q}
`, secrets["astra inline token"], simulator.DefaultAzureTenantID, simulator.DefaultAzureClientID, u, u,
		simulator.HuaweiDemoAccessKey, simulator.AWSDemoAccessKeyID, u, simulator.DefaultAzureSubscriptionID, simulator.DefaultAzureResourceGroup,
		simulator.DefaultAzureNetAppAccount, u, simulator.HuaweiDemoProject, simulator.DefaultAzureSubscriptionID, simulator.DefaultAzureResourceGroup,
		simulator.DefaultAzureSubscriptionID, simulator.DefaultAzureResourceGroup, simulator.AWSDemoRegion, u)
	// The same file with the pasted value in a key that is not a secret.
	bad := strings.Replace(good, "client_id: "+simulator.DefaultAzureClientID, `client_id: "${BACKUP_EXPORTER_TEST_PASTED}"`, 1)
	path := filepath.Join(dir, "backup_exporter.yml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var outputs []string
	write(bad)
	code, out, errOut := runCmd("--config.check", "--config.file", path)
	outputs = append(outputs, "--config.check (bad): "+out+errOut)
	if code != 1 || !strings.Contains(errOut, "client_id must be a UUID, got a value from the environment (not shown)") {
		t.Errorf("--config.check of the pasted value: code %d, %s", code, errOut)
	}
	write(good)
	code, out, errOut = runCmd("--config.check", "--config.file", path)
	outputs = append(outputs, "--config.check: "+out+errOut)
	if code != 0 {
		t.Fatalf("--config.check: %d %s", code, errOut)
	}
	code, out, errOut = runCmd("--once", "--log.level", "debug", "--config.file", path)
	outputs = append(outputs, "--once: "+out+errOut)
	if code != 1 || !strings.Contains(out, "TARGET DOWN") {
		t.Errorf("--once with wrong secrets: code %d\n%s", code, out)
	}

	bin := filepath.Join(t.TempDir(), "backup_exporter")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	addr := freeAddr(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config.file", path, "--web.listen-address", addr, "--log.level", "debug")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	base := "http://" + addr
	waitReady(t, base+"/-/ready")
	get := func(method, url string) string {
		t.Helper()
		req, _ := http.NewRequest(method, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	metrics := get("GET", base+"/metrics")
	for _, target := range []string{"astra", "anf", "cbr", "ab", "aws"} {
		if !strings.Contains(metrics, `target="`+target+`"} 0`) {
			t.Errorf("target %s is not down with a wrong secret", target)
		}
	}
	outputs = append(outputs, "/metrics: "+metrics, "/: "+get("GET", base+"/"), "/probe: "+get("GET", base+"/probe?target=anf"))
	write(bad)
	outputs = append(outputs, "/-/reload (bad): "+get("POST", base+"/-/reload"))
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	outputs = append(outputs, "log: "+logs.String())

	for what, secret := range secrets {
		for _, o := range outputs {
			if strings.Contains(o, secret) {
				where, _, _ := strings.Cut(o, ":")
				t.Errorf("the %s appears in %s", what, where)
			}
		}
	}
}

// TestHungTokenFileDoesNotHoldShutdown runs the binary with background
// polls and an Astra api_token_file that becomes a FIFO without a writer
// after the start (a token on a hung mount; at load a FIFO is refused).
// Before, the token read blocked the background poll in open(2) for ever,
// and SIGTERM never exited: stopping the polls waited for it. Now the read
// refuses a file that is not regular at once (and one that hangs is
// abandoned at the request's deadline): the target goes down, the log says
// why, and the process exits within a second or two of SIGTERM.
func TestHungTokenFileDoesNotHoldShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	path, sim := setup(t, "a0000000-0000-4000-8000-000000000002")
	// Background polls every second or so.
	yml, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.Replace(yml, []byte("cache_ttl: 0"), []byte("cache_ttl: 1s"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "backup_exporter")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--config.file", path, "--web.listen-address", addr)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()
	waitReady(t, "http://"+addr+"/-/ready")
	eventually(t, func() bool { return sim.Stats().Total > 0 }) // polled with the good token

	tokenFile := filepath.Join(filepath.Dir(path), "token")
	if err := os.Remove(tokenFile); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(tokenFile, 0o600); err != nil {
		t.Fatal(err)
	}
	down := `backup_exporter_target_up{provider="astra",target="first"} 0`
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !strings.Contains(body, down); time.Sleep(100 * time.Millisecond) {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
	}
	if !strings.Contains(body, down) {
		t.Errorf("the target is not down 10s after its token file became a FIFO:\n%.3000s", body)
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("exited %v after SIGTERM, want a second or two", d)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15s after SIGTERM:\n%s", logs.String())
	}
	if want := tokenFile + " is not a regular file but a named pipe (FIFO)"; !strings.Contains(logs.String(), want) {
		t.Errorf("the log does not say %q:\n%s", want, logs.String())
	}
}

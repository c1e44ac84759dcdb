package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

const token = "cmd-test-token-77"

// setup starts a simulator with two apps and writes a configuration with
// one target per app (the second app ID given by app2, so a test can point
// it at an app that does not exist).
func setup(t *testing.T, app2 string) (cfgPath string, sim *simulator.Server) {
	t.Helper()
	dir := t.TempDir()
	sc := &simulator.Scenario{Astra: simulator.GenerateAstra("acc", 2, 3, time.Now())}
	sc.Astra.Token = token
	sim, err := simulator.Start(simulator.Options{Scenario: sc, CAFile: filepath.Join(dir, "ca.pem")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath = filepath.Join(dir, "backup_exporter.yml")
	writeConfig(t, cfgPath, sim.URL(), app2)
	return cfgPath, sim
}

func writeConfig(t *testing.T, path, url, app2 string) {
	t.Helper()
	yml := fmt.Sprintf(`global: {cache_ttl: 0, scrape_timeout: 10s}
credentials:
  - name: astra
    astra: {api_token_file: token}
    tls_config: {ca_file: ca.pem}
targets:
  - {name: first, type: astra, credential: astra, endpoint: %q, account_id: acc, app_id: a0000000-0000-4000-8000-000000000001}
  - {name: second, type: astra, credential: astra, endpoint: %q, account_id: acc, app_id: %s}
`, url, url, app2)
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
}

func runCmd(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestConfigCheck(t *testing.T) {
	path, _ := setup(t, "a0000000-0000-4000-8000-000000000002")
	code, out, errOut := runCmd("--config.check", "--config.file", path)
	if code != 0 || !strings.Contains(out, "configuration OK: 1 credentials, 2 targets") {
		t.Errorf("good config: code %d, out %q, err %q", code, out, errOut)
	}
	bad := filepath.Join(filepath.Dir(path), "bad.yml")
	if err := os.WriteFile(bad, []byte("targets:\n  - name: x\n    colour: blue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCmd("--config.check", "--config.file", bad)
	if want := bad + `:3: unknown key "colour" in targets[0]`; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("bad config: code %d, stderr %q, want %q", code, errOut, want)
	}
}

func TestOnce(t *testing.T) {
	path, _ := setup(t, "a0000000-0000-4000-8000-000000000002")
	code, out, errOut := runCmd("--once", "--config.file", path)
	if code != 0 {
		t.Fatalf("code %d: %s %s", code, out, errOut)
	}
	for _, want := range []string{"TARGET", "LAST SUCCESS AGE", "first", "second", "app-001", "succeeded", "yes"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd("--once", "--target", "first", "--config.file", path)
	if code != 0 || strings.Contains(out, "second") {
		t.Errorf("--target first: code %d\n%s", code, out)
	}
	if code, _, errOut := runCmd("--once", "--target", "nope", "--config.file", path); code != 1 || !strings.Contains(errOut, `unknown target "nope"`) {
		t.Errorf("unknown target: code %d, %q", code, errOut)
	}
}

func TestOnceFailsWhenATargetFails(t *testing.T) {
	path, _ := setup(t, "a0000000-0000-4000-8000-000000000099")
	code, out, _ := runCmd("--once", "--config.file", path)
	if code != 1 || !strings.Contains(out, "TARGET DOWN") || !strings.Contains(out, "404") {
		t.Errorf("code %d, want 1 with the failed target in the table:\n%s", code, out)
	}
}

func TestHelpAndVersion(t *testing.T) {
	if code, out, _ := runCmd("--version"); code != 0 || !strings.Contains(out+"", "backup_exporter") {
		t.Errorf("--version: code %d %q", code, out)
	}
	if code, out, _ := runCmd("--help"); code != 0 || !strings.Contains(out, "--config.file") {
		t.Errorf("--help: code %d", code)
	}
	// Usage errors exit 64, not 2 (which --once gives for a finding):
	// TestExitCodeTable has every code.
	if code, _, errOut := runCmd("--target", "x"); code != 64 || !strings.Contains(errOut, "--target needs --once") {
		t.Errorf("--target without --once: code %d, %q", code, errOut)
	}
	if code, _, _ := runCmd("--no-such-flag"); code != 64 {
		t.Errorf("bad flag: code %d, want 64", code)
	}
}

// TestServeReloadAndShutdown runs the real binary: it serves, reloads on
// SIGHUP and on POST /-/reload, keeps the old config when the new one is
// bad, and exits 0 on SIGTERM.
func TestServeReloadAndShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	path, sim := setup(t, "a0000000-0000-4000-8000-000000000002")
	bin := filepath.Join(t.TempDir(), "backup_exporter")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--config.file", path, "--web.listen-address", addr)
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
	}()
	base := "http://" + addr
	waitReady(t, base+"/-/ready")

	metrics := func() string {
		t.Helper()
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if m := metrics(); !strings.Contains(m, `backup_exporter_target_up{provider="astra",target="second"} 1`) ||
		!strings.Contains(m, "backup_exporter_config_last_reload_successful 1") {
		t.Fatalf("first scrape:\n%s", m)
	}

	// A bad file: the reload fails and the old targets keep being served.
	if err := os.WriteFile(path, []byte("targets: [{name: x, bogus: 1}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return strings.Contains(metrics(), "backup_exporter_config_last_reload_successful 0") })
	if m := metrics(); !strings.Contains(m, `target="second"`) {
		t.Errorf("old configuration dropped after a failed reload:\n%s", m)
	}

	// A good file through POST /-/reload: the second target now fails.
	writeConfig(t, path, sim.URL(), "a0000000-0000-4000-8000-000000000099")
	resp, err := http.Post(base+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("POST /-/reload: %d", resp.StatusCode)
	}
	m := metrics()
	for _, want := range []string{
		"backup_exporter_config_last_reload_successful 1",
		`backup_exporter_target_up{provider="astra",target="second"} 0`,
		`backup_exporter_target_up{provider="astra",target="first"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("after reload: missing %s", want)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the token appears in the logs")
	}
	if n := strings.Count(logs.String(), "\n"); n > 12 {
		t.Errorf("%d log lines for a few scrapes at info level:\n%s", n, logs.String())
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	eventually(t, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

func eventually(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("condition not met within 20s")
}

func TestBadWebConfigFailsBeforeListening(t *testing.T) {
	path, _ := setup(t, "a0000000-0000-4000-8000-000000000002")
	web := filepath.Join(filepath.Dir(path), "web.yml")
	if err := os.WriteFile(web, []byte("tls_server_config:\n  cert_file: /nonexistent.crt\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCmd("--config.file", path, "--web.config.file", web, "--web.listen-address", freeAddr(t))
	if code != 1 || !strings.Contains(errOut, "invalid --web.config.file") {
		t.Errorf("code %d, stderr %q", code, errOut)
	}
}

func TestShardFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    collector.Shard
		wantErr string
	}{
		{nil, collector.Shard{Index: 0, Total: 1}, ""},
		{[]string{"--shard=1", "--total-shards=3"}, collector.Shard{Index: 1, Total: 3}, ""},
		{[]string{"--pod=backup-exporter-2", "--total-shards=3"}, collector.Shard{Index: 2, Total: 3}, ""},
		{[]string{"--pod=backup-exporter-2", "--shard=0", "--total-shards=3"}, collector.Shard{Index: 0, Total: 3}, ""},
		{[]string{"--pod=backup-exporter-1", "--pod-namespace=monitoring", "--total-shards=2"}, collector.Shard{Index: 1, Total: 2}, ""},
		{[]string{"--shard=3", "--total-shards=3"}, collector.Shard{}, "want 0 <= --shard < --total-shards"},
		{[]string{"--pod=backup-exporter", "--total-shards=2"}, collector.Shard{}, "does not end in a StatefulSet ordinal"},
		{[]string{"--total-shards=0"}, collector.Shard{}, "--total-shards must be at least 1"},
	} {
		f, err := parseFlags(tc.args, io.Discard, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.shardOf()
		switch {
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%v: err %v, want %q", tc.args, err, tc.wantErr)
		case tc.wantErr == "" && (err != nil || got != tc.want):
			t.Errorf("%v: %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
}

// TestShutdownDuringHangingScrape: SIGTERM while a scrape waits on an
// upstream that never answers: the scrape is answered (targets down) and
// the process exits 0 within seconds; idle connections beyond
// --web.max-connections wait instead of exhausting descriptors.
func TestShutdownDuringHangingScrape(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	path, sim := setup(t, "a0000000-0000-4000-8000-000000000002")
	if err := sim.AddFault(simulator.Fault{API: simulator.AstraAPI, Path: "/appBackups$", Hang: true}); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "backup_exporter")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--config.file", path, "--web.listen-address", addr, "--web.max-connections", "4")
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()
	waitReady(t, "http://"+addr+"/-/ready")

	answered := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			answered <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answered <- string(b)
	}()
	eventually(t, func() bool { return sim.Stats().Total >= 2 }) // both targets are hanging upstream
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case body := <-answered:
		if !strings.Contains(body, `backup_exporter_target_up{provider="astra",target="first"} 0`) {
			t.Errorf("the waiting scrape got:\n%s", body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting scrape got no answer")
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, logs.String())
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("exited %v after SIGTERM", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5s after SIGTERM:\n%s", logs.String())
	}
}

// TestOnceJSONAndExitCodes: --once.format=json for scripts, and the exit
// code of a run where every target is read but a resource needs
// attention.
func TestOnceJSONAndExitCodes(t *testing.T) {
	path, sim := setup(t, "a0000000-0000-4000-8000-000000000002")
	code, out, errOut := runCmd("--once", "--once.format=json", "--config.file", path)
	if code != 0 {
		t.Fatalf("code %d: %s %s", code, out, errOut)
	}
	var rep struct {
		Targets []struct {
			Name      string `json:"name"`
			Up        bool   `json:"up"`
			Resources []struct {
				Name   string `json:"name"`
				Reason string `json:"reason"`
			} `json:"resources"`
		} `json:"targets"`
		ExitCode int `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(rep.Targets) != 2 || !rep.Targets[0].Up || len(rep.Targets[0].Resources) != 1 || rep.ExitCode != 0 {
		t.Errorf("report %+v", rep)
	}
	// The newest backup of the second app fails: every target is read,
	// a resource needs attention.
	if err := sim.AddFault(simulator.Fault{API: simulator.AstraAPI, Path: "a0000000-0000-4000-8000-000000000002/appBackups$", Body: simulator.BodyRaw,
		Raw: `{"items":[{"type":"application/astra-appBackup","id":"b1","name":"daily","state":"failed","stateUnready":["Volume snapshot timed out"],"metadata":{"creationTimestamp":"2026-11-24T01:00:00Z"}}],"metadata":{}}`}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd("--once", "--config.file", path)
	if code != 2 || !strings.Contains(out, "Volume snapshot timed out") || !strings.Contains(out, "REASON") {
		t.Errorf("a failed backup: code %d, want 2\n%s", code, out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colours written to a pipe:\n%q", out)
	}
}

// TestExitCodeTable runs the command for each row of the README's exit
// code table. A usage error used to exit 2, the code of "a resource needs
// attention" in --once, so a script could read a mistyped flag as a
// finding; it now exits 64 (EX_USAGE), and --help says so.
func TestExitCodeTable(t *testing.T) {
	good, sim := setup(t, "a0000000-0000-4000-8000-000000000002")
	dir := filepath.Dir(good)
	down := filepath.Join(dir, "down.yml")
	writeConfig(t, down, sim.URL(), "a0000000-0000-4000-8000-000000000099")
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("targets:\n  - name: x\n    colour: blue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yml")
	listen := "--web.listen-address=" + freeAddr(t)

	for _, tc := range []struct {
		name string
		args []string
		want int
		// stderr must say this (usage errors say what is wrong).
		stderr string
	}{
		{"help", []string{"--help"}, 0, ""},
		{"version", []string{"--version"}, 0, ""},
		{"config check: valid", []string{"--config.check", "--config.file", good}, 0, ""},
		{"config check: invalid", []string{"--config.check", "--config.file", bad}, 1, `unknown key "colour"`},
		{"config check: missing file", []string{"--config.check", "--config.file", missing}, 1, "no such file"},
		{"once: every resource fine", []string{"--once", "--config.file", good}, 0, ""},
		{"once: a target down", []string{"--once", "--config.file", down}, 1, ""},
		{"once: the configuration cannot be loaded", []string{"--once", "--config.file", missing}, 1, "no such file"},
		{"once: invalid configuration", []string{"--once", "--config.file", bad}, 1, `unknown key "colour"`},
		{"once: unknown target", []string{"--once", "--target", "nope", "--config.file", good}, 1, `unknown target "nope"`},
		{"serve: the configuration cannot be loaded", []string{"--config.file", missing, listen}, 1, "loading the configuration failed"},
		{"usage: unknown flag", []string{"--no-such-flag"}, 64, "unknown long flag"},
		{"usage: bad --once.format", []string{"--once", "--once.format=yaml", "--config.file", good}, 64, "must be one of text,json"},
		{"usage: bad --log.level", []string{"--once", "--log.level=loud", "--config.file", good}, 64, "must be one of debug,info,warn,error"},
		{"usage: --target without --once", []string{"--target", "first", "--config.file", good}, 64, "--target needs --once"},
		// Serving: with a missing file, so that a regression fails
		// rather than serves.
		{"usage: --once.format without --once", []string{"--once.format=json", "--config.file", missing, listen}, 64, "--once.format needs --once"},
		{"usage: --once.dropped without --once", []string{"--once.dropped", "--config.file", missing, listen}, 64, "--once.dropped needs --once"},
		{"usage: --once with --config.check", []string{"--once", "--config.check", "--config.file", good}, 64, "not both"},
		{"usage: --total-shards=0", []string{"--once", "--total-shards=0", "--config.file", good}, 64, "--total-shards must be at least 1"},
		{"usage: --shard out of range", []string{"--once", "--shard=2", "--total-shards=2", "--config.file", good}, 64, "--shard"},
		{"usage: bad --web.telemetry-path", []string{"--web.telemetry-path=metrics", "--config.file", missing, listen}, 64, "--web.telemetry-path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(tc.args...)
			if code != tc.want || !strings.Contains(errOut, tc.stderr) {
				t.Errorf("exit %d, want %d; stderr %q, want it to say %q\n%s", code, tc.want, errOut, tc.stderr, out)
			}
		})
	}

	// A finding: every target read, the newest backup of the second app
	// failed.
	if err := sim.AddFault(simulator.Fault{API: simulator.AstraAPI, Path: "a0000000-0000-4000-8000-000000000002/appBackups$", Body: simulator.BodyRaw,
		Raw: `{"items":[{"type":"application/astra-appBackup","id":"b1","name":"daily","state":"failed","stateUnready":["Volume snapshot timed out"],"metadata":{"creationTimestamp":"2026-11-24T01:00:00Z"}}],"metadata":{}}`}); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCmd("--once", "--config.file", good); code != 2 {
		t.Errorf("once: a resource needs attention: exit %d, want 2\n%s", code, out)
	}

	// --help documents the codes.
	_, out, _ := runCmd("--help")
	for _, want := range []string{"Exit codes: 0 fine", "1 the configuration could not be loaded", "2 --once read every target and a resource needs attention", "64 usage error"} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("--help does not say %q:\n%s", want, out)
		}
	}
}

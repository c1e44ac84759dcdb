package examples

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// demo runs demo.sh with the binaries of bin and the given ports, for at
// most d, and returns its output and exit error.
func demo(t *testing.T, bin string, simPort, exporterPort int, d time.Duration) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "demo.sh")
	// Its files in a directory of the test's, not the .demo of a make demo
	// that may be running.
	cmd.Env = append(os.Environ(), "BIN="+bin, "DEMO_STATE="+t.TempDir(), fmt.Sprintf("SIM_PORT=%d", simPort), fmt.Sprintf("EXPORTER_PORT=%d", exporterPort))
	// Its own process group, so that the processes it starts go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// TestDemoRefusesATakenPort: make demo stops at once, naming the port and
// the variable that moves it, when something listens on a port it needs.
func TestDemoRefusesATakenPort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	start := time.Now()
	// No binaries are needed: the ports are checked first.
	out, errOut, err := demo(t, t.TempDir(), freePort(t), port, 30*time.Second)
	if err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("demo.sh with port %d taken: err %v after %v", port, err, time.Since(start))
	}
	if want := fmt.Sprintf("port %d is taken", port); !strings.Contains(errOut, want) || !strings.Contains(errOut, "EXPORTER_PORT=") {
		t.Errorf("stderr %q, want %q and the variable to change", errOut, want)
	}
	if strings.Contains(out, "serving") {
		t.Errorf("says it is serving:\n%s", out)
	}
}

// TestDemoFailsWhenTheExporterCannotBind: a port bound but not listening
// passes the check, and the exporter cannot bind it: make demo fails with
// the exporter's error instead of saying it serves.
func TestDemoFailsWhenTheExporterCannotBind(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries")
	}
	bin := t.TempDir()
	for _, c := range []string{"backup_exporter", "backup_simulator"} {
		build := exec.Command("go", "build", "-o", filepath.Join(bin, c), "./cmd/"+c)
		build.Dir = ".."
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", c, err, out)
		}
	}
	// A socket bound to the port on every address, without listening.
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*syscall.SockaddrInet4).Port
	out, errOut, err := demo(t, bin, freePort(t), port, time.Minute)
	if err == nil || strings.Contains(out, "serving") {
		t.Errorf("demo.sh: err %v, stdout:\n%s", err, out)
	}
	if !strings.Contains(errOut, "backup_exporter did not start") || !strings.Contains(errOut, "address already in use") {
		t.Errorf("stderr does not say the exporter could not bind:\n%s", errOut)
	}
}

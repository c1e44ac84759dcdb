package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// within runs f and fails the test if it has not returned after 5 s:
// refusing a file takes microseconds, reading /dev/zero or opening a
// FIFO without a writer never ends.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still running after 5s", what)
	}
}

// credentialFiles makes, in a temporary directory, the kinds of file a
// *_file key may name, and returns their paths.
func credentialFiles(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{
		"regular": filepath.Join(dir, "token"),
		"symlink": filepath.Join(dir, "link"), // to regular, as Kubernetes mounts secrets
		"1 MiB":   filepath.Join(dir, "1mib"),
		"2 MiB":   filepath.Join(dir, "2mib"),
		"FIFO":    filepath.Join(dir, "fifo"),
		"dir":     dir,
	}
	for name, content := range map[string][]byte{
		"regular": []byte("s3cr3t-token\n"),
		"1 MiB":   []byte(strings.Repeat("k", MaxFileSize)),
		"2 MiB":   []byte(strings.Repeat("k", 2*MaxFileSize)),
	} {
		if err := os.WriteFile(paths[name], content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(paths["regular"], paths["symlink"]); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(paths["FIFO"], 0o600); err != nil {
		t.Fatal(err)
	}
	return paths
}

// TestSecretFilesAtUse: a secret file is read on every request
// (ResolveSecret in the authorizers). /dev/zero and /dev/urandom were read
// without end (500 MiB a second), a FIFO blocked for ever; they, a
// directory and a file over 1 MiB are refused at once, with an error that
// names the file and not its content. A regular file and a symbolic link
// to one are read.
func TestSecretFilesAtUse(t *testing.T) {
	paths := credentialFiles(t)
	for _, tc := range []struct {
		path, want, err string
	}{
		{paths["regular"], "s3cr3t-token", ""},
		{paths["symlink"], "s3cr3t-token", ""},
		{paths["1 MiB"], strings.Repeat("k", MaxFileSize), ""},
		{"/dev/zero", "", "/dev/zero is not a regular file but a character device"},
		{"/dev/urandom", "", "/dev/urandom is not a regular file but a character device"},
		{paths["FIFO"], "", paths["FIFO"] + " is not a regular file but a named pipe (FIFO)"},
		{paths["dir"], "", paths["dir"] + " is not a regular file but a directory"},
		{paths["2 MiB"], "", paths["2 MiB"] + " is larger than 1 MiB"},
	} {
		within(t, tc.path, func() {
			got, err := ResolveSecret(context.Background(), "", tc.path)
			switch {
			case tc.err == "" && (err != nil || got != tc.want):
				t.Errorf("%s: %.40q, %v; want the content", tc.path, got, err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("%s: %v; want %q", tc.path, err, tc.err)
			case err != nil && strings.Contains(err.Error(), "kkkk"):
				t.Errorf("%s: the error quotes the content: %v", tc.path, err)
			}
		})
	}
}

// TestSecretFilesAtLoad: the same files named by a *_file key, at load
// (and so at every reload and --config.check): /dev/zero was read until
// memory ran out.
func TestSecretFilesAtLoad(t *testing.T) {
	paths := credentialFiles(t)
	for _, tc := range []struct {
		path, err string
	}{
		{paths["regular"], ""},
		{paths["symlink"], ""},
		{"/dev/zero", `credential "astra": api_token_file: /dev/zero is not a regular file but a character device`},
		{"/dev/urandom", `credential "astra": api_token_file: /dev/urandom is not a regular file but a character device`},
		{paths["FIFO"], `credential "astra": api_token_file: ` + paths["FIFO"] + ` is not a regular file but a named pipe (FIFO)`},
		{paths["2 MiB"], `credential "astra": api_token_file: ` + paths["2 MiB"] + ` is larger than 1 MiB`},
	} {
		yml := fmt.Sprintf("credentials: [{name: astra, astra: {api_token_file: %q}}]\ntargets: [{name: a, type: astra, credential: astra, account_id: acc}]\n", tc.path)
		within(t, tc.path, func() {
			_, err := Parse([]byte(yml), "test.yml", testKinds)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("%s: %v", tc.path, err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("%s: %v; want %q", tc.path, err, tc.err)
			}
		})
	}
}

// TestBlockedReadIsAbandoned: a read that does not return (a token file
// on a hung mount; a FIFO stands in before the regular-file check) held
// the poll, and SIGTERM waited for it. ReadFile returns when its context
// ends; the read finishes in the background, and while it is pending no
// other read of that path starts, however many requests ask.
func TestBlockedReadIsAbandoned(t *testing.T) {
	defer goleak.VerifyNone(t)
	unblock := make(chan struct{})
	var reads atomic.Int32
	r := newFileReader(func(string) ([]byte, error) {
		reads.Add(1)
		<-unblock
		return []byte("late"), nil
	})

	var wg sync.WaitGroup
	errs := make(chan error, 10)
	start := time.Now()
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			_, err := r.read(ctx, "/hung/token")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the callers returned after %v, want about 200ms", took)
	}
	for err := range errs {
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "/hung/token: no answer in time") {
			t.Errorf("error %v, want the deadline naming the file", err)
		}
	}
	if n := reads.Load(); n != 1 {
		t.Errorf("%d reads of the hung file at once, want 1", n)
	}
	// A caller whose context has ended does not even wait.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.read(ctx, "/hung/token"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}

	// Once the mount answers, the pending read ends and the next one
	// reads again.
	close(unblock)
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		pending := len(r.inFlight)
		r.mu.Unlock()
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the read is still pending 5s after the mount answered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if b, err := r.read(context.Background(), "/hung/token"); err != nil || string(b) != "late" || reads.Load() != 2 {
		t.Errorf("after the mount answered: %q %v, %d reads", b, err, reads.Load())
	}
}

package config

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"
)

// MaxFileSize bounds the credential files the configuration names
// (secrets, certificates, kubeconfigs, CA bundles): 1 MiB is far more than
// any of them needs, and /dev/zero would otherwise be read until memory
// runs out.
const MaxFileSize = 1 << 20

// FileReadTimeout bounds the reading of a credential file where no
// request's deadline applies: loading and validating the configuration,
// building a credential, fingerprinting it at a reload.
const FileReadTimeout = 2 * time.Second

// ReadFile reads a credential file the configuration names: a regular file
// (or a symbolic link to one, as Kubernetes mounts secrets) of at most
// MaxFileSize bytes, read within ctx. A device, FIFO, socket or directory
// is refused before it is opened. A read that does not return (a hung
// network mount) cannot be interrupted: ReadFile returns when ctx ends and
// leaves it to finish in the background, and while it is pending every
// ReadFile of that path waits for it rather than starting another, so at
// most one read per path is ever blocked. Errors name the path, never the
// content.
func ReadFile(ctx context.Context, path string) ([]byte, error) {
	return files.read(ctx, path)
}

// files are the reads of the process: one in flight per path.
var files = newFileReader(readRegular)

// fileReader runs reads in goroutines that a caller can stop waiting for.
type fileReader struct {
	readFile func(path string) ([]byte, error)

	mu       sync.Mutex
	inFlight map[string]*pendingRead
}

type pendingRead struct {
	done chan struct{}
	data []byte
	err  error
}

func newFileReader(read func(string) ([]byte, error)) *fileReader {
	return &fileReader{readFile: read, inFlight: map[string]*pendingRead{}}
}

func (r *fileReader) read(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	r.mu.Lock()
	p, ok := r.inFlight[path]
	if !ok {
		p = &pendingRead{done: make(chan struct{})}
		r.inFlight[path] = p
		go func() {
			p.data, p.err = r.readFile(path)
			r.mu.Lock()
			delete(r.inFlight, path)
			r.mu.Unlock()
			close(p.done)
		}()
	}
	r.mu.Unlock()
	select {
	case <-p.done:
		// Shared with the other waiters: each gets its own copy.
		return bytes.Clone(p.data), p.err
	case <-ctx.Done():
		return nil, fmt.Errorf("read %s: no answer in time (a hung mount?): %w", path, ctx.Err())
	}
}

// readRegular reads path if it is a regular file of at most MaxFileSize
// bytes.
func readRegular(path string) ([]byte, error) {
	st, err := os.Stat(path) // follows symbolic links
	if err != nil {
		return nil, err
	}
	if err := checkRegular(path, st); err != nil {
		return nil, err
	}
	// O_NONBLOCK: should path have become a FIFO since, opening it does
	// not wait for a writer (it means nothing for a regular file).
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, err
	}
	if err := checkRegular(path, st); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than 1 MiB", path)
	}
	return b, nil
}

func checkRegular(path string, st fs.FileInfo) error {
	m := st.Mode()
	if m.IsRegular() {
		if st.Size() > MaxFileSize {
			return fmt.Errorf("%s is larger than 1 MiB", path)
		}
		return nil
	}
	what := "of another kind"
	switch {
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a block device"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m.IsDir():
		what = "a directory"
	}
	return fmt.Errorf("%s is not a regular file but %s", path, what)
}

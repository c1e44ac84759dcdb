package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// serveLimited serves h on a loopback listener limited to limit
// connections, with the hooks LimitListener needs, until the test ends.
func serveLimited(t *testing.T, h http.Handler, limit int) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ConnState: ConnState, ConnContext: ConnContext, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(LimitListener(l, limit)) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	return l.Addr().String()
}

// request sends a GET (or POST) on a new raw connection and returns it.
func request(t *testing.T, addr, method, path string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.(*net.TCPConn).SetReadBuffer(4096)
	if _, err := fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\n\r\n", method, path); err != nil {
		t.Fatal(err)
	}
	return c
}

// closedByServer reports whether the server closed c: whatever it had
// sent is drained, then EOF (or a reset) comes within 10 s.
func closedByServer(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

// noLeaks checks, when the test and its cleanups are done, that no
// goroutine it started is left.
func noLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

type result struct {
	code   int
	header http.Header
	closed bool // the server said Connection: close
	body   string
	took   time.Duration
	err    error
}

// fetch GETs path on a new keep-alive connection, closed afterwards.
func fetch(addr, path string) result {
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Timeout: 20 * time.Second, Transport: tr}
	start := time.Now()
	resp, err := client.Get("http://" + addr + path)
	if err != nil {
		return result{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{code: resp.StatusCode, header: resp.Header, closed: resp.Close, body: string(b), took: time.Since(start), err: err}
}

// TestLimitTakesBackUnusedSlots: with every slot held by an idle
// keep-alive connection, by a client that does not read a large answer,
// or by one that never sends its request, a new client is served: it
// takes the slot, whose connection is closed. The idle one goes first.
func TestLimitTakesBackUnusedSlots(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 16<<20) // more than the socket buffers hold
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !reserveGate(w, r) {
			return
		}
		if r.URL.Path == "/big" {
			_, _ = w.Write(big)
			return
		}
		io.WriteString(w, "ok")
	})
	idle := func(t *testing.T, addr string) net.Conn {
		c := request(t, addr, "GET", "/small")
		if _, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil {
			t.Fatal(err)
		}
		return c
	}
	stuck := func(t *testing.T, addr string) net.Conn {
		c := request(t, addr, "GET", "/big")
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil { // it has its slot
			t.Fatal(err)
		}
		return c
	}
	silent := func(t *testing.T, addr string) net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	for _, tc := range []struct {
		name    string
		holders []func(*testing.T, string) net.Conn
	}{
		{"idle", []func(*testing.T, string) net.Conn{idle}},
		{"not reading", []func(*testing.T, string) net.Conn{stuck}},
		{"sending nothing", []func(*testing.T, string) net.Conn{silent}},
		// The idle one goes first: it is the one closed.
		{"not reading and idle", []func(*testing.T, string) net.Conn{stuck, idle}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLeaks(t)
			addr := serveLimited(t, handler, len(tc.holders))
			var held []net.Conn
			for _, h := range tc.holders {
				held = append(held, h(t, addr))
			}
			if r := fetch(addr, "/small"); r.err != nil || r.code != 200 || r.body != "ok" || r.took > 10*time.Second {
				t.Fatalf("a new client: %d %q %v after %v", r.code, r.body, r.err, r.took)
			}
			if !closedByServer(held[len(held)-1]) {
				t.Error("the connection whose slot was taken is still open")
			}
		})
	}
}

// TestLimitReserveAnswersProbes: with every slot in real use (a request
// still being handled, writing nothing), /-/healthy and /-/ready are
// answered on a reserved connection, which then closes; another request
// waits a moment for a slot and gets a 503.
func TestLimitReserveAnswersProbes(t *testing.T) {
	noLeaks(t)
	started, release := make(chan struct{}), make(chan struct{})
	s, err := New(Options{Reload: func() error { close(started); <-release; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveLimited(t, s, 1)
	busy := request(t, addr, "POST", "/-/reload")
	<-started // its connection holds the one slot

	for _, path := range []string{"/-/healthy", "/-/ready"} {
		r := fetch(addr, path)
		if r.err != nil || r.took > 5*time.Second || !r.closed {
			t.Errorf("%s with the slot busy: %d %q %v after %v, closed %v: want an answer that closes", path, r.code, r.body, r.err, r.took, r.closed)
		}
	}
	if r := fetch(addr, "/-/healthy"); r.code != 200 || r.body != "Healthy\n" {
		t.Errorf("/-/healthy: %d %q", r.code, r.body)
	}
	r := fetch(addr, "/metrics")
	if r.err != nil || r.code != http.StatusServiceUnavailable || !strings.Contains(r.body, "too many connections") || r.header.Get("Retry-After") == "" || r.took < promoteWait/2 {
		t.Errorf("/metrics with the slot busy: %d %q %v after %v, want a 503 after waiting for a slot", r.code, r.body, r.err, r.took)
	}

	close(release)
	resp, err := http.ReadResponse(bufio.NewReader(busy), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the reload: %v %v", resp, err)
	}
	resp.Body.Close()
	// The reload's connection idles now: a new client takes its slot.
	if r := fetch(addr, "/metrics"); r.err != nil || r.code != http.StatusServiceUnavailable || !strings.Contains(r.body, "no configuration loaded") {
		t.Errorf("/metrics after the reload: %d %q %v, want the handler's own answer", r.code, r.body, r.err)
	}
}

// TestLimitCloseWakesAccept: a listener waiting for a slot returns when
// it is closed (as at shutdown).
func TestLimitCloseWakesAccept(t *testing.T) {
	noLeaks(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := LimitListener(inner, 1)
	l.(*limitListener).reserve = 0
	for range 2 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	// The first connection is active, not idle or stuck: the second waits.
	ConnState(first, http.StateActive)
	accepted := make(chan error, 1)
	go func() { _, err := l.Accept(); accepted <- err }()
	select {
	case err := <-accepted:
		t.Fatalf("accepted beyond the limit: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	l.Close()
	select {
	case err := <-accepted:
		if err == nil {
			t.Error("Accept after Close: no error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still waiting 5s after Close")
	}
}

// TestScrapeAnswerHasAWriteDeadline: a client that asks for /metrics and
// does not read had the handler blocked in its write for as long as it
// stayed (no write deadline). The answer's writing now ends at the
// scrape's deadline plus a second, and the connection is closed.
func TestScrapeAnswerHasAWriteDeadline(t *testing.T) {
	noLeaks(t)
	s, _ := newServer(t, 3000, "cache_ttl: 1h, scrape_timeout: 3m") // the first scrape waits for the first poll of 3,000 apps
	t.Cleanup(func() { s.Exporter().Stop() })                       // its background polls
	if code, body := get(t, s, http.MethodGet, "/metrics"); code != 200 || len(body) < 5<<20 {
		t.Fatalf("first scrape: %d, %d bytes: want more than 5 MB, more than loopback's socket buffers", code, len(body))
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	defer func() { _ = srv.Close(); <-done }()

	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A 1.5 s scrape: the deadline is 1 s away (less the 0.5 s offset),
	// the write deadline 2 s.
	if _, err := io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Prometheus-Scrape-Timeout-Seconds: 1.5\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second)
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, err := io.Copy(io.Discard, c)
	if err != nil {
		t.Fatalf("after %d bytes: %v: the server kept the connection after the write deadline", n, err)
	}
	if n >= 5<<20 {
		t.Errorf("%d bytes: the whole answer was written to a client that did not read for 4 s", n)
	}
}

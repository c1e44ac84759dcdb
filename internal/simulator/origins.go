package simulator

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// A client must never send a credential to another origin than the one
// it was configured with, nor over plain HTTP (issue 18). To judge that,
// the simulator answers plain HTTP on its HTTPS port (telling the two
// apart by the first byte, 0x16 for a TLS handshake) and runs a second
// HTTPS listener, the "other origin"; every request either receives is
// recorded as a StrayRequest with the credentials it carried, and
// answered with an error. Redirect faults and template bodies point
// clients at them.

// StrayRequest is a request that reached the simulator where no client
// should send one: over plain HTTP on its HTTPS port, or at its other
// origin.
type StrayRequest struct {
	// Listener is "plain-http" or "other-origin".
	Listener string `json:"listener"`
	Method   string `json:"method"`
	Path     string `json:"path"`
	// Credentials names what the request carried that is a credential:
	// the Authorization or X-Auth-Token header, an AWS session token,
	// or a client_secret or client_assertion in its form body.
	Credentials []string `json:"credentials,omitempty"`
}

// credentialsOf names the credentials a request carries.
func credentialsOf(r *http.Request) []string {
	var out []string
	for _, h := range []string{"Authorization", "X-Auth-Token", "X-Amz-Security-Token"} {
		if r.Header.Get(h) != "" {
			out = append(out, h)
		}
	}
	if r.Body != nil {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		for _, field := range []string{"client_secret", "client_assertion"} {
			if strings.Contains(string(body), field+"=") {
				out = append(out, "body:"+field)
			}
		}
	}
	return out
}

// strayHandler records every request under listener and refuses it.
func (s *Server) strayHandler(listener string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := StrayRequest{Listener: listener, Method: r.Method, Path: r.URL.Path, Credentials: credentialsOf(r)}
		s.mu.Lock()
		s.stats.Stray = append(s.stats.Stray, rec)
		s.mu.Unlock()
		s.log.Warn("stray request", zap.String("listener", listener), zap.String("method", r.Method), zap.String("path", r.URL.Path), zap.Strings("credentials", rec.Credentials))
		http.Error(w, "the simulator does not serve this origin: "+listener, http.StatusMisdirectedRequest)
	})
}

// OtherOriginURL is the base URL of the simulator's second HTTPS
// listener (another port, same certificate), e.g. "https://127.0.0.1:9444".
func (s *Server) OtherOriginURL() string { return s.otherURL }

// sniffListener splits one TCP listener into a TLS one and a plain one by
// the first byte each connection sends.
type sniffListener struct {
	net.Listener
	tls, plain *chanListener
	wg         sync.WaitGroup
	mu         sync.Mutex
	pending    map[net.Conn]bool
	closed     bool
}

func newSniffListener(ln net.Listener) *sniffListener {
	l := &sniffListener{Listener: ln, pending: map[net.Conn]bool{}}
	l.tls = newChanListener(ln.Addr())
	l.plain = newChanListener(ln.Addr())
	l.wg.Add(1)
	go l.accept()
	return l
}

func (l *sniffListener) accept() {
	defer l.wg.Done()
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			l.tls.close(err)
			l.plain.close(err)
			return
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.pending[c] = true
		l.wg.Add(1)
		l.mu.Unlock()
		go l.sniff(c)
	}
}

// sniff reads the first byte of c (within 10 s) and hands c on.
func (l *sniffListener) sniff(c net.Conn) {
	defer l.wg.Done()
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	first, err := br.Peek(1)
	_ = c.SetReadDeadline(time.Time{})
	l.mu.Lock()
	delete(l.pending, c)
	l.mu.Unlock()
	if err != nil {
		c.Close()
		return
	}
	pc := &peekedConn{Conn: c, r: br}
	if first[0] == 0x16 { // a TLS handshake record
		l.tls.give(pc)
	} else {
		l.plain.give(pc)
	}
}

// Close stops accepting and closes the connections not yet handed on.
func (l *sniffListener) Close() error {
	l.mu.Lock()
	l.closed = true
	for c := range l.pending {
		c.Close()
	}
	l.mu.Unlock()
	err := l.Listener.Close()
	l.wg.Wait()
	return err
}

type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// chanListener is a net.Listener fed connections by a sniffListener.
type chanListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	err   error
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) give(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *chanListener) close(err error) {
	l.once.Do(func() { l.err = err; close(l.done) })
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error   { l.close(net.ErrClosed); return nil }
func (l *chanListener) Addr() net.Addr { return l.addr }

// startOrigins serves ln (HTTPS, and plain HTTP recorded as stray) and a
// second HTTPS listener on another port of the same host (recorded as
// stray), with cert.
func (s *Server) startOrigins(ln net.Listener, cert tls.Certificate, host string) error {
	sniff := newSniffListener(ln)
	s.sniff = sniff
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.srv.TLSConfig = tlsConfig
	s.plainSrv = s.newStrayServer("plain-http", nil)
	other, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		sniff.Close()
		return err
	}
	s.otherURL = "https://" + urlHost(other.Addr())
	// Its own copy: serving HTTP/2 writes to a server's TLS configuration.
	s.otherSrv = s.newStrayServer("other-origin", tlsConfig.Clone())
	serve := func(name string, run func() error) {
		s.serving.Add(1)
		go func() {
			defer s.serving.Done()
			if err := run(); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
				s.log.Error("serve", zap.String("listener", name), zap.Error(err))
			}
		}()
	}
	serve("https", func() error { return s.srv.ServeTLS(sniff.tls, "", "") })
	serve("plain-http", func() error { return s.plainSrv.Serve(sniff.plain) })
	serve("other-origin", func() error { return s.otherSrv.ServeTLS(other, "", "") })
	return nil
}

func (s *Server) newStrayServer(listener string, tc *tls.Config) *http.Server {
	return &http.Server{
		Handler:           s.strayHandler(listener),
		TLSConfig:         tc,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(s.log.Named(listener)),
		BaseContext:       func(net.Listener) context.Context { return context.Background() },
	}
}

// Package simulator serves fake backup-vendor APIs (NetApp Astra Control,
// and later others) over HTTPS, with fault injection and request counting,
// so that the exporter can be tested and demonstrated without the real
// services.
//
// The core (this file) knows nothing about any one API. Each API lives in
// one file that registers its routes with s.handle(api, pattern, handler)
// from a registerXxx method called by Start, and an error writer with
// s.registerAPI so that injected faults answer in that API's error format.
package simulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Options configure Start.
type Options struct {
	// Addr to listen on; default "127.0.0.1:0" (a free port).
	Addr string
	// CertFile and KeyFile name a PEM certificate and key to serve. When
	// empty, a self-signed ECDSA certificate for 127.0.0.1, ::1 and
	// localhost is generated.
	CertFile, KeyFile string
	// CAFile, when set, is where the PEM of the served certificate is
	// written, so that clients can trust it.
	CAFile string
	// Scenario is the initial data and faults; nil means empty.
	Scenario *Scenario
	// Logger; nil means zap.NewNop().
	Logger *zap.Logger
}

// Stats counts API requests (not /_sim/ ones).
type Stats struct {
	// Total is the number of API requests.
	Total int `json:"total"`
	// Requests is keyed "METHOD /path", e.g. "GET /accounts/x/k8s/v1/apps".
	Requests map[string]int `json:"requests"`
	// APIs is keyed by API name, e.g. "astra".
	APIs map[string]int `json:"apis"`
	// Codes counts the answers by API and status, keyed "api status",
	// e.g. "azure 429".
	Codes map[string]int `json:"codes"`
	// Secrets counts the requests for Kubernetes Secrets, each refused
	// with 403 whatever the account may read (kubernetes_secrets.go): a
	// backup exporter has no business reading them.
	Secrets int `json:"secrets"`
	// Stray are the requests that reached the simulator over plain HTTP
	// or at its other origin (OtherOriginURL): a client that sent one
	// followed a redirect or link it should have refused.
	Stray []StrayRequest `json:"stray,omitempty"`
}

// ErrorWriter writes an API's error response with the given status.
type ErrorWriter func(w http.ResponseWriter, status int, title, detail string)

// Server is a running simulator.
type Server struct {
	log   *zap.Logger
	ln    net.Listener
	srv   *http.Server
	mux   *http.ServeMux
	url   string
	caPEM []byte

	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	// The other listeners (origins.go): plain HTTP on the HTTPS port, and
	// another origin.
	sniff    *sniffListener
	plainSrv *http.Server
	otherSrv *http.Server
	otherURL string
	serving  sync.WaitGroup

	mu        sync.Mutex
	stats     Stats
	faults    []*activeFault
	errWriter map[string]ErrorWriter
	astra     *AstraScenario
	astraIdx  *astraIndex
	huawei    *HuaweiScenario
	hwIndex   *huaweiIndex
	azureOnce sync.Once
	azure     *azureState
	aws       *awsState
	k8s       *k8sState
}

// Start listens on opts.Addr and serves HTTPS in the background.
func Start(opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	s := &Server{
		log:       log,
		mux:       http.NewServeMux(),
		done:      make(chan struct{}),
		errWriter: map[string]ErrorWriter{},
	}
	s.resetStatsLocked()

	var cert tls.Certificate
	var err error
	if opts.CertFile != "" || opts.KeyFile != "" {
		if opts.CertFile == "" || opts.KeyFile == "" {
			return nil, errors.New("simulator: CertFile and KeyFile go together")
		}
		cert, err = tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
		if s.caPEM, err = os.ReadFile(opts.CertFile); err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
	} else {
		cert, s.caPEM, err = selfSignedCert()
		if err != nil {
			return nil, fmt.Errorf("simulator: generating certificate: %w", err)
		}
	}
	if opts.CAFile != "" {
		if err := os.WriteFile(opts.CAFile, s.caPEM, 0o644); err != nil {
			return nil, fmt.Errorf("simulator: writing CA file: %w", err)
		}
	}

	sc := opts.Scenario
	if sc == nil {
		sc = &Scenario{}
	}
	for i, f := range sc.Faults {
		if err := s.AddFault(f); err != nil {
			return nil, fmt.Errorf("simulator: faults[%d]: %w", i, err)
		}
	}

	s.registerSim()
	s.registerAstra(sc.Astra)
	s.registerHuawei(sc.Huawei)
	if err := s.registerAzure(sc.Azure); err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	if err := s.registerAWS(sc.AWS); err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	if err := s.registerKubernetes(sc.Kubernetes); err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	s.ln = ln
	s.url = "https://" + urlHost(ln.Addr())
	s.srv = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
		BaseContext:       func(net.Listener) context.Context { return context.Background() },
	}
	host, _, _ := net.SplitHostPort(urlHost(ln.Addr()))
	if err := s.startOrigins(ln, cert, host); err != nil {
		ln.Close()
		return nil, fmt.Errorf("simulator: %w", err)
	}
	log.Debug("simulator listening", zap.String("url", s.url))
	return s, nil
}

func urlHost(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(ta.Port))
	}
	return a.String()
}

// URL is the base URL, e.g. "https://127.0.0.1:9443".
func (s *Server) URL() string { return s.url }

// CAPEM is the PEM of the served certificate, for clients to trust.
func (s *Server) CAPEM() []byte { return append([]byte(nil), s.caPEM...) }

// Client returns an http.Client that trusts the server's certificate.
func (s *Server) Client() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.caPEM)
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}
}

// Close stops the server, ending hanging and streaming handlers.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for _, srv := range []*http.Server{s.srv, s.plainSrv, s.otherSrv} {
			if err := srv.Shutdown(ctx); err != nil {
				if cerr := srv.Close(); s.closeErr == nil {
					s.closeErr = cerr
				}
			}
		}
		s.sniff.Close()
		s.serving.Wait()
	})
	return s.closeErr
}

// Stats returns a copy of the request counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Stats{Total: s.stats.Total, Requests: map[string]int{}, APIs: map[string]int{}, Codes: map[string]int{}, Secrets: s.stats.Secrets, Stray: append([]StrayRequest(nil), s.stats.Stray...)}
	for k, v := range s.stats.Codes {
		out.Codes[k] = v
	}
	for k, v := range s.stats.Requests {
		out.Requests[k] = v
	}
	for k, v := range s.stats.APIs {
		out.APIs[k] = v
	}
	return out
}

// ResetStats zeroes the request counters.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetStatsLocked()
}

func (s *Server) resetStatsLocked() {
	s.stats = Stats{Requests: map[string]int{}, APIs: map[string]int{}, Codes: map[string]int{}}
}

// registerAPI sets the error writer of an API, used for injected faults.
func (s *Server) registerAPI(api string, ew ErrorWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errWriter[api] = ew
}

// handle registers an API route: the request is counted, matched against
// the faults, logged, and then given to h.
func (s *Server) handle(api, pattern string, h http.HandlerFunc) {
	s.handleBy(pattern, func(*http.Request) (string, http.HandlerFunc) { return api, h })
}

// handleBy registers a route that several APIs share (AWS's "POST /":
// STS's query protocol, and the JSON protocols' X-Amz-Target): pick says
// which API a request is for, and its handler; the request is then
// counted and matched against the faults as that API's.
func (s *Server) handleBy(pattern string, pick func(*http.Request) (string, http.HandlerFunc)) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		api, h := pick(r)
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		s.count(api, r)
		if !s.applyFaults(api, rec, r) {
			h(rec, r)
		}
		s.mu.Lock()
		s.stats.Codes[api+" "+strconv.Itoa(rec.status)]++
		s.mu.Unlock()
		s.log.Debug("request",
			zap.String("api", api), zap.String("method", r.Method),
			zap.String("uri", r.URL.RequestURI()), zap.Int("status", rec.status),
			zap.Int64("bytes", rec.bytes), zap.Duration("duration", time.Since(start)))
	})
}

func (s *Server) count(api string, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Total++
	s.stats.APIs[api]++
	s.stats.Requests[r.Method+" "+r.URL.Path]++
}

func orDefault(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

func genericError(w http.ResponseWriter, status int, title, detail string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "title": title, "message": detail}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"gopkg.in/yaml.v3"
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

// Scenario is the YAML file given to the simulator. Unknown keys are
// errors. Each API adds one field.
type Scenario struct {
	// Now is the time the scenario's timestamps were written for (RFC
	// 3339). The simulator command rebases them to the real now (see
	// Rebase), so that ages stay as written; empty keeps them as they are.
	Now    string          `yaml:"now"`
	Faults []Fault         `yaml:"faults"`
	Astra  *AstraScenario  `yaml:"astra"`
	Huawei *HuaweiScenario `yaml:"huawei"`
	Azure  *AzureScenario  `yaml:"azure"`
}

// LoadScenario reads a scenario YAML file, strictly.
func LoadScenario(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc, err := ParseScenario(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sc, nil
}

// ParseScenario decodes a scenario from YAML, strictly (unknown keys are
// errors). An empty document is an empty scenario.
func ParseScenario(r io.Reader) (*Scenario, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var sc Scenario
	if err := dec.Decode(&sc); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	for i, f := range sc.Faults {
		if _, err := compileFault(f); err != nil {
			return nil, fmt.Errorf("faults[%d]: %w", i, err)
		}
	}
	return &sc, nil
}

// Duration is a time.Duration written in YAML and JSON as a string such
// as "2s" or "150ms" (JSON also accepts a number of nanoseconds).
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	return d.parse(s)
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: want a string such as \"2s\": %w", err)
		}
		*d = Duration(n)
		return nil
	}
	return d.parse(s)
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *Duration) parse(s string) error {
	if s == "" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Body values of a Fault.
const (
	// BodyMalformed answers truncated, invalid JSON.
	BodyMalformed = "malformed"
	// BodyHuge streams a valid-looking JSON body of HugeBodySize bytes.
	BodyHuge = "huge"
)

// HugeBodySize is the least number of bytes a "huge" fault body has.
const HugeBodySize = 50 << 20

// Fault is an injected misbehaviour. Faults are checked in order before
// the API's handler; every matching fault uses up one of its Times. A
// fault's Latency is waited; if it also sets Status, Body or Hang, it
// answers the request, else the next faults and then the handler run.
type Fault struct {
	// API is the API name ("astra"), or "" for any.
	API string `yaml:"api" json:"api,omitempty"`
	// Path is a Go regexp matched against the URL path; "" matches any.
	Path string `yaml:"path" json:"path,omitempty"`
	// Method such as "GET"; "" matches any.
	Method string `yaml:"method" json:"method,omitempty"`
	// Latency to add before answering, e.g. "2s".
	Latency Duration `yaml:"latency" json:"latency,omitempty"`
	// Status to answer with, with the API's error body unless Body is set.
	Status int `yaml:"status" json:"status,omitempty"`
	// RetryAfter is the value of a Retry-After header to send.
	RetryAfter string `yaml:"retry_after" json:"retry_after,omitempty"`
	// Body is "malformed" or "huge" (see BodyMalformed, BodyHuge); its
	// status is Status, or 200.
	Body string `yaml:"body" json:"body,omitempty"`
	// Hang blocks until the client goes away or the server closes.
	Hang bool `yaml:"hang" json:"hang,omitempty"`
	// Times is how many matching requests the fault applies to; 0 means
	// forever.
	Times int `yaml:"times" json:"times,omitempty"`
}

func (f Fault) terminal() bool { return f.Status != 0 || f.Body != "" || f.Hang }

type activeFault struct {
	Fault
	re   *regexp.Regexp
	left int // remaining uses when Times > 0
}

func compileFault(f Fault) (*activeFault, error) {
	af := &activeFault{Fault: f, left: f.Times}
	if f.Path != "" {
		re, err := regexp.Compile(f.Path)
		if err != nil {
			return nil, fmt.Errorf("path: %w", err)
		}
		af.re = re
	}
	switch f.Body {
	case "", BodyMalformed, BodyHuge:
	default:
		return nil, fmt.Errorf("body %q: want %q or %q", f.Body, BodyMalformed, BodyHuge)
	}
	if f.Status != 0 && (f.Status < 100 || f.Status > 599) {
		return nil, fmt.Errorf("status %d out of range", f.Status)
	}
	if f.Times < 0 {
		return nil, fmt.Errorf("times %d is negative", f.Times)
	}
	return af, nil
}

func (af *activeFault) matches(api string, r *http.Request) bool {
	if af.API != "" && af.API != api {
		return false
	}
	if af.Method != "" && !strings.EqualFold(af.Method, r.Method) {
		return false
	}
	if af.re != nil && !af.re.MatchString(r.URL.Path) {
		return false
	}
	return true
}

// Stats counts API requests (not /_sim/ ones).
type Stats struct {
	// Total is the number of API requests.
	Total int `json:"total"`
	// Requests is keyed "METHOD /path", e.g. "GET /accounts/x/k8s/v1/apps".
	Requests map[string]int `json:"requests"`
	// APIs is keyed by API name, e.g. "astra".
	APIs map[string]int `json:"apis"`
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

	mu        sync.Mutex
	stats     Stats
	faults    []*activeFault
	errWriter map[string]ErrorWriter
	astra     *AstraScenario
	huawei    *HuaweiScenario
	azureOnce sync.Once
	azure     *azureState
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

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	s.ln = ln
	s.url = "https://" + urlHost(ln.Addr())
	s.srv = &http.Server{
		Handler:           s.mux,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(log.Named("http")),
		BaseContext:       func(net.Listener) context.Context { return context.Background() },
	}
	go func() {
		if err := s.srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serve", zap.Error(err))
		}
	}()
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
		if err := s.srv.Shutdown(ctx); err != nil {
			s.closeErr = s.srv.Close()
		}
	})
	return s.closeErr
}

// Stats returns a copy of the request counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Stats{Total: s.stats.Total, Requests: map[string]int{}, APIs: map[string]int{}}
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
	s.stats = Stats{Requests: map[string]int{}, APIs: map[string]int{}}
}

// AddFault appends a fault.
func (s *Server) AddFault(f Fault) error {
	af, err := compileFault(f)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, af)
	return nil
}

// ClearFaults removes all faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
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
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		s.count(api, r)
		if !s.applyFaults(api, rec, r) {
			h(rec, r)
		}
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

// nextFaults returns the faults that apply to this request, up to and
// including the first terminal one, using up their Times.
func (s *Server) nextFaults(api string, r *http.Request) ([]Fault, ErrorWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Fault
	kept := s.faults[:0:0]
	stop := false
	for _, af := range s.faults {
		if !stop && af.matches(api, r) {
			out = append(out, af.Fault)
			stop = af.terminal()
			if af.Times > 0 {
				af.left--
				if af.left <= 0 {
					continue // expired
				}
			}
		}
		kept = append(kept, af)
	}
	s.faults = kept
	ew := s.errWriter[api]
	if ew == nil {
		ew = genericError
	}
	return out, ew
}

// applyFaults runs the matching faults; it reports whether the request
// was answered.
func (s *Server) applyFaults(api string, w http.ResponseWriter, r *http.Request) bool {
	faults, ew := s.nextFaults(api, r)
	for _, f := range faults {
		if f.Latency > 0 && !s.wait(r.Context(), time.Duration(f.Latency)) {
			return true
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		if !f.terminal() {
			continue
		}
		switch {
		case f.Hang:
			s.wait(r.Context(), -1)
		case f.Body == BodyMalformed:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(orDefault(f.Status, http.StatusOK))
			io.WriteString(w, `{"items":[{"type":"application/astra-appBackup","id":"7f1c`)
		case f.Body == BodyHuge:
			s.writeHuge(w, r, orDefault(f.Status, http.StatusOK))
		default:
			ew(w, f.Status, http.StatusText(f.Status), "Injected fault: the simulator was told to answer this request with status "+fmt.Sprint(f.Status)+".")
		}
		return true
	}
	return false
}

// wait sleeps d (forever when d < 0) or until the request or the server
// ends; it reports whether the full time passed.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	var timer <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// writeHuge streams a JSON list of at least HugeBodySize bytes in chunks.
func (s *Server) writeHuge(w http.ResponseWriter, r *http.Request, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	const item = `{"type":"application/astra-appBackup","version":"1.2","id":"00000000-0000-4000-8000-000000000000","name":"filler","state":"completed","stateUnready":[]},`
	chunk := []byte(strings.Repeat(item, (64<<10)/len(item)))
	n, err := io.WriteString(w, `{"items":[`)
	written := int64(n)
	for err == nil && written < HugeBodySize {
		select {
		case <-s.done:
			return
		case <-r.Context().Done():
			return
		default:
		}
		n, err = w.Write(chunk)
		written += int64(n)
	}
	if err == nil {
		io.WriteString(w, `{"id":"end"}],"metadata":{}}`)
	}
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

// registerSim registers the /_sim/ control endpoints.
func (s *Server) registerSim() {
	s.mux.HandleFunc("GET /_sim/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	s.mux.HandleFunc("DELETE /_sim/stats", func(w http.ResponseWriter, r *http.Request) {
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("GET /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		out := make([]Fault, 0, len(s.faults))
		for _, af := range s.faults {
			f := af.Fault
			if f.Times > 0 {
				f.Times = af.left
			}
			out = append(out, f)
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, out)
	})
	s.mux.HandleFunc("POST /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var faults []Fault
		if t := strings.TrimSpace(string(body)); strings.HasPrefix(t, "[") {
			err = strictJSON(body, &faults)
		} else {
			var f Fault
			err = strictJSON(body, &f)
			faults = []Fault{f}
		}
		if err != nil {
			http.Error(w, "fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		for _, f := range faults {
			if _, err := compileFault(f); err != nil {
				http.Error(w, "fault: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		for _, f := range faults {
			s.AddFault(f)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
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

func selfSignedCert() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "backup_simulator", Organization: []string{"backup_exporter simulator"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	return cert, certPEM, err
}

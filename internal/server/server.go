// Package server serves the exporter's HTTP endpoints: /metrics, /probe,
// /-/healthy, /-/ready, /-/reload and the landing page.
package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// Options configures a Server.
type Options struct {
	// TelemetryPath is where all targets are served (default /metrics).
	TelemetryPath string
	// TimeoutOffset is taken off Prometheus' scrape timeout header so the
	// answer arrives before Prometheus gives up.
	TimeoutOffset time.Duration
	// Static holds the process-wide metrics (go_*, process_*, build info,
	// upstream counters, reload status), served on TelemetryPath.
	Static prometheus.Gatherer
	// Reload reloads the configuration; nil disables /-/reload.
	Reload func() error
	// Registry are the providers this build knows, listed on the landing
	// page.
	Registry toolkit.Registry
	Logger   *zap.Logger
	// Pprof serves Go's profiles under /debug/pprof/ (--debug.pprof: off
	// by default, as they show the process's internals).
	Pprof bool
}

// Server holds the running Exporter and serves it.
type Server struct {
	opts     Options
	exporter atomic.Pointer[collector.Exporter]
	mux      *http.ServeMux
}

// New returns a Server; it is not ready until Swap gives it an Exporter.
func New(opts Options) (*Server, error) {
	if opts.TelemetryPath == "" {
		opts.TelemetryPath = "/metrics"
	}
	if err := CheckTelemetryPath(opts.TelemetryPath); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Static == nil {
		opts.Static = prometheus.NewRegistry()
	}
	s := &Server{opts: opts, mux: http.NewServeMux()}
	s.mux.HandleFunc(opts.TelemetryPath, s.serveMetrics)
	s.mux.HandleFunc("/probe", s.serveProbe)
	s.mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	s.mux.HandleFunc("/-/ready", s.serveReady)
	s.mux.HandleFunc("/-/reload", s.serveReload)
	if opts.Pprof {
		s.mux.HandleFunc("/debug/pprof/", pprof.Index)
		s.mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		s.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		s.mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		s.mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	if opts.TelemetryPath != "/" {
		s.mux.HandleFunc("/", s.serveLanding)
	}
	return s, nil
}

// CheckTelemetryPath refuses a --web.telemetry-path that is not a path or
// is taken by another endpoint.
func CheckTelemetryPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/") || p == "/" || strings.ContainsAny(p, " ?#{}"):
		return fmt.Errorf("--web.telemetry-path %q: want a path such as /metrics", p)
	case p == "/probe" || strings.HasPrefix(p, "/-/"):
		return fmt.Errorf("--web.telemetry-path %q: taken by another endpoint", p)
	}
	return nil
}

// Swap makes e the Exporter served from now on.
func (s *Server) Swap(e *collector.Exporter) { s.exporter.Store(e) }

// Exporter returns the Exporter being served (nil before the first Swap).
func (s *Server) Exporter() *collector.Exporter { return s.exporter.Load() }

// answerWriteTimeout bounds the writing of the answers other than a
// scrape's (a few hundred bytes), so that a client that does not read
// cannot hold a handler.
const answerWriteTimeout = 10 * time.Second

// writeMargin is how long after its deadline a scrape's answer may still be
// written: Prometheus has given up by then (the deadline is its timeout
// less --web.timeout-offset).
const writeMargin = time.Second

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !reserveGate(w, r) {
		return
	}
	// Every answer has a write deadline (a scrape's is set from its own).
	setWriteDeadline(w, time.Now().Add(answerWriteTimeout))
	s.mux.ServeHTTP(w, r)
}

// setWriteDeadline bounds the writing of w's answer: a client that reads
// slowly or not at all has its connection closed then, rather than holding
// a handler and a connection slot. (A writer without deadlines, as
// httptest's recorder, is left as it is.)
func setWriteDeadline(w http.ResponseWriter, t time.Time) {
	_ = http.NewResponseController(w).SetWriteDeadline(t)
}

// readOnly answers 405 to anything but GET and HEAD: a scrape reads, and
// a POST must not start upstream polls.
func readOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "only GET and HEAD", http.StatusMethodNotAllowed)
	return false
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if !readOnly(w, r) {
		return
	}
	e := s.exporter.Load()
	if e == nil {
		http.Error(w, "no configuration loaded", http.StatusServiceUnavailable)
		return
	}
	s.serveTargets(w, r, e, e.Targets(), true)
}

func (s *Server) serveProbe(w http.ResponseWriter, r *http.Request) {
	if !readOnly(w, r) {
		return
	}
	e := s.exporter.Load()
	if e == nil {
		http.Error(w, "no configuration loaded", http.StatusServiceUnavailable)
		return
	}
	name := r.URL.Query().Get("target")
	if name == "" {
		http.Error(w, "the target parameter is missing", http.StatusBadRequest)
		return
	}
	t := e.Target(name)
	if t == nil {
		http.Error(w, fmt.Sprintf("unknown target %q", name), http.StatusBadRequest)
		return
	}
	s.serveTargets(w, r, e, []*collector.Target{t}, false)
}

// serveTargets collects targets under a deadline derived from the scrape
// and writes the exposition; withStatic adds the process-wide metrics.
func (s *Server) serveTargets(w http.ResponseWriter, r *http.Request, e *collector.Exporter, targets []*collector.Target, withStatic bool) {
	ctx, cancel := context.WithTimeout(r.Context(), s.scrapeTimeout(r, e.ScrapeTimeout()))
	defer cancel()
	if deadline, ok := ctx.Deadline(); ok {
		setWriteDeadline(w, deadline.Add(writeMargin))
	}
	var static prometheus.Gatherer
	if withStatic {
		// Gathered after the targets: the static counters (upstream
		// requests, cache hits) then include this very scrape.
		static = s.opts.Static
	}
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	w.Header().Set("Content-Type", collector.ContentType)
	w.Header().Add("Vary", "Accept-Encoding")
	if gz {
		w.Header().Set("Content-Encoding", "gzip")
	}
	err := e.WriteExposition(ctx, targets, static, w, gz, func(err error) {
		s.opts.Logger.Error("gathering the process metrics failed; serving the rest", zap.Error(err))
	})
	if err != nil {
		s.opts.Logger.Debug("writing the exposition failed", zap.Error(err))
	}
}

// acceptsGzip reports whether an Accept-Encoding header accepts gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

// scrapeTimeout is the configured budget, shortened to Prometheus' own
// timeout (minus the offset) when the scrape says it is shorter.
func (s *Server) scrapeTimeout(r *http.Request, configured time.Duration) time.Duration {
	v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds")
	if v == "" {
		return configured
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 {
		return configured
	}
	header := time.Duration(secs*float64(time.Second)) - s.opts.TimeoutOffset
	if header <= 0 {
		// An offset larger than the timeout leaves nothing; use half the
		// timeout rather than failing every target at once.
		header = time.Duration(secs * float64(time.Second) / 2)
	}
	return min(configured, header)
}

func (s *Server) serveReady(w http.ResponseWriter, _ *http.Request) {
	if s.exporter.Load() == nil {
		http.Error(w, "not ready: no configuration loaded", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "Ready")
}

func (s *Server) serveReload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "reload needs POST", http.StatusMethodNotAllowed)
		return
	}
	if s.opts.Reload == nil {
		http.Error(w, "reload is not available", http.StatusNotFound)
		return
	}
	err := s.opts.Reload()
	// The reload may have taken a while: the answer gets its own time.
	setWriteDeadline(w, time.Now().Add(answerWriteTimeout))
	if err != nil {
		http.Error(w, "reload failed, keeping the running configuration: "+err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "configuration reloaded")
}

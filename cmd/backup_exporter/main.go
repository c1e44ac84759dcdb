// Command backup_exporter exposes the health of backups across clouds as
// Prometheus metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
	"go.uber.org/zap"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/buildinfo"
	"github.com/backup-exporter/backup_exporter/internal/healthcheck"
	"github.com/backup-exporter/backup_exporter/internal/logging"
	"github.com/backup-exporter/backup_exporter/internal/once"
	"github.com/backup-exporter/backup_exporter/internal/server"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

const name = "backup_exporter"

// Exit codes (README: Exit codes). A usage error has a code of its own, so
// that a script running --once never reads a mistyped flag as a finding.
const (
	// exitOK: served and stopped cleanly, the configuration is valid, or
	// --once found every resource fine.
	exitOK = once.ExitOK
	// exitFailed: the configuration could not be loaded (or is invalid,
	// for --config.check), --once could not read a target or does not
	// know the --target, or the server failed.
	exitFailed = once.ExitTargetFailed
	// exitAttention: --once read every target and a resource needs
	// attention.
	exitAttention = once.ExitNeedsAttention
	// exitUsage: an unknown flag, a bad flag value or flags that do not go
	// together (sysexits.h EX_USAGE).
	exitUsage = 64
)

// help is the --help text above the flags.
var help = fmt.Sprintf(`Prometheus exporter for backup health across clouds.

Exit codes: %d fine (served and stopped, configuration valid, or --once found every resource fine); %d the configuration could not be loaded or is invalid, --once could not read a target, or the server failed; %d --once read every target and a resource needs attention; %d usage error (unknown flag, bad flag value, flags that do not go together).`,
	exitOK, exitFailed, exitAttention, exitUsage)

func main() {
	// Before anything reads the version: go install builds carry no
	// -ldflags, only the module build information.
	buildinfo.Apply()
	defaultGC()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// gcPercent is the garbage collector's target when GOGC is not set: the
// heap grows 75% over the live data between collections instead of Go's
// 100%. A large poll's pages are short-lived garbage, so the peak falls by
// about a fifth at a few percent more CPU (docs/benchmarks.md); Prometheus
// chose the same default for the same reason. GOGC in the environment wins.
const gcPercent = 75

func defaultGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}

type flags struct {
	configFile    string
	configCheck   bool
	once          bool
	onceFormat    string
	onceFormatSet bool
	onceDropped   bool
	pprof         bool
	target        string
	telemetryPath string
	timeoutOffset time.Duration
	logLevel      string
	logFormat     string
	web           *web.FlagConfig

	maxConnections int

	shard        int
	shardSet     bool
	totalShards  int
	pod          string
	podNamespace string
}

func parseFlags(args []string, stdout, stderr io.Writer) (*flags, error) {
	app := kingpin.New(name, help)
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	app.Terminate(nil)
	app.Version(version.Print(name))
	app.HelpFlag.Short('h')
	f := &flags{}
	app.Flag("config.file", "Configuration file.").Default("backup_exporter.yml").StringVar(&f.configFile)
	app.Flag("config.check", "Validate the configuration file, print every error in it (sorted by line) and exit 0 (valid) or 1.").BoolVar(&f.configCheck)
	app.Flag("once", "Poll the targets once, print what was found and exit: 0 all fine, 1 a target failed, 2 a resource needs attention (the REASON column).").BoolVar(&f.once)
	app.Flag("debug.pprof", "Serve Go's runtime profiles under /debug/pprof/ (they show the process's internals: keep the port private).").BoolVar(&f.pprof)
	app.Flag("once.dropped", "With --once: also list the items of each target's listings that were left out, and why (another shard's, a duplicate, a part of another resource's backup, the target's filters).").BoolVar(&f.onceDropped)
	app.Flag("once.format", "With --once: text (a table; coloured on a terminal unless NO_COLOR is set) or json.").Default(once.FormatText).IsSetByUser(&f.onceFormatSet).EnumVar(&f.onceFormat, once.FormatText, once.FormatJSON)
	app.Flag("target", "With --once: only this target.").StringVar(&f.target)
	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&f.telemetryPath)
	app.Flag("web.timeout-offset", "Taken off Prometheus' X-Prometheus-Scrape-Timeout-Seconds so the answer arrives in time.").Default("500ms").DurationVar(&f.timeoutOffset)
	app.Flag("log.level", "Only log messages with the given severity or above: "+fmt.Sprint(logging.Levels)).Default("info").EnumVar(&f.logLevel, logging.Levels...)
	app.Flag("log.format", "Output format of log messages: "+fmt.Sprint(logging.Formats)).Default("logfmt").EnumVar(&f.logFormat, logging.Formats...)
	app.Flag("shard", "The shard of the estate this replica serves, 0 to --total-shards minus 1 (default: the ordinal of --pod).").IsSetByUser(&f.shardSet).IntVar(&f.shard)
	app.Flag("total-shards", "How many replicas share the estate; each keeps the resources whose stable hash falls in its --shard.").Default("1").IntVar(&f.totalShards)
	app.Flag("pod", "The StatefulSet pod name, whose ordinal is the --shard when --shard is not given.").Envar("POD_NAME").StringVar(&f.pod)
	app.Flag("pod-namespace", "The pod's namespace (kube-state-metrics' flag): logged with the shard; the shard itself comes from --pod's ordinal, no Kubernetes API is asked.").Envar("POD_NAMESPACE").StringVar(&f.podNamespace)
	app.Flag("web.max-connections", "Maximum number of simultaneous connections per listen address, plus 4 that answer /-/healthy and /-/ready only; at the limit a new connection takes the slot of an idle or stuck one (0: no limit).").Default("512").IntVar(&f.maxConnections)
	f.web = kingpinflag.AddFlags(app, ":9871")
	if _, err := app.Parse(args); err != nil {
		return nil, err
	}
	return f, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "healthcheck" {
		// The image's HEALTHCHECK: distroless has no shell nor curl.
		return healthcheck.Run(name, args[1:], "http://127.0.0.1:9871/-/healthy", stdout, stderr)
	}
	f, err := parseFlags(args, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v (see --help)\n", name, err)
		return exitUsage
	}
	if f == nil || isHelpOrVersion(args) {
		return exitOK
	}
	shard, err := f.check()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v (see --help)\n", name, err)
		return exitUsage
	}
	logger, err := logging.New(stderr, f.logLevel, f.logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitUsage
	}
	defer func() { _ = logger.Sync() }()

	switch {
	case f.configCheck:
		return checkConfig(f.configFile, stdout, stderr)
	case f.once:
		return runOnce(f, shard, logger, stdout, stderr)
	}
	return serve(f, shard, logger)
}

// check refuses flags that do not go together or values kingpin cannot
// check itself, and returns the shard the flags ask for.
func (f *flags) check() (collector.Shard, error) {
	switch {
	case f.target != "" && !f.once:
		return collector.Shard{}, errors.New("--target needs --once (Prometheus selects one target with /probe?target=NAME)")
	case f.onceFormatSet && !f.once:
		return collector.Shard{}, errors.New("--once.format needs --once")
	case f.onceDropped && !f.once:
		return collector.Shard{}, errors.New("--once.dropped needs --once")
	case f.once && f.configCheck:
		return collector.Shard{}, errors.New("give --config.check or --once, not both")
	}
	if err := server.CheckTelemetryPath(f.telemetryPath); err != nil {
		return collector.Shard{}, err
	}
	return f.shardOf()
}

// shardOf is the shard the flags ask for: --shard, else the ordinal of
// --pod when the estate is split.
func (f *flags) shardOf() (collector.Shard, error) {
	s := collector.Shard{Index: f.shard, Total: f.totalShards}
	if !f.shardSet && f.pod != "" && f.totalShards > 1 {
		i, err := collector.ShardFromPod(f.pod)
		if err != nil {
			return s, fmt.Errorf("--pod: %w", err)
		}
		s.Index = i
	}
	if f.totalShards < 1 {
		return s, fmt.Errorf("--total-shards must be at least 1, got %d", f.totalShards)
	}
	return s, s.Validate()
}

// isHelpOrVersion reports whether kingpin has already answered.
func isHelpOrVersion(args []string) bool {
	for _, a := range args {
		switch a {
		case "--help", "-h", "--version", "--help-long", "--help-man":
			return true
		}
	}
	return false
}

func checkConfig(path string, stdout, stderr io.Writer) int {
	cfg, err := config.Load(path, providers.All().Config())
	if err == nil {
		_, err = collector.New(cfg, collector.Options{Registry: providers.All()})
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s: configuration OK: %d credentials, %d targets\n", path, len(cfg.Credentials), len(cfg.Targets))
	return exitOK
}

func userAgent() string { return name + "/" + version.Version }

func runOnce(f *flags, shard collector.Shard, logger *zap.Logger, stdout, stderr io.Writer) int {
	cfg, err := config.Load(f.configFile, providers.All().Config())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailed
	}
	e, err := collector.New(cfg, collector.Options{Registry: providers.All(), Logger: logger, UserAgent: userAgent(), Shard: shard, RecordDropped: f.onceDropped})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailed
	}
	defer e.Stop()
	targets := e.Targets()
	if f.target != "" {
		t := e.Target(f.target)
		if t == nil {
			fmt.Fprintf(stderr, "unknown target %q\n", f.target)
			return exitFailed
		}
		targets = []*collector.Target{t}
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.ScrapeTimeout())
	defer cancel()
	return once.Run(ctx, e, targets, stdout, once.Options{Format: f.onceFormat, Color: colorTerminal(stdout), Now: time.Now(), Dropped: f.onceDropped})
}

// colorTerminal reports whether w is a terminal that may get colours
// (https://no-color.org: not when NO_COLOR is set).
func colorTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func serve(f *flags, shard collector.Shard, logger *zap.Logger) int {
	if path := *f.web.WebConfigFile; path != "" {
		if err := web.Validate(path); err != nil {
			logger.Error("invalid --web.config.file", zap.String("file", path), zap.Error(err))
			return exitFailed
		}
	}
	static := prometheus.NewRegistry()
	static.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collector.NewBuildInfo(),
	)
	if info := collector.NewShardInfo(shard); info != nil {
		static.MustRegister(info)
		logger.Info("serving one shard of the estate", zap.Int("shard", shard.Index), zap.Int("total_shards", shard.Total), zap.String("pod", f.pod), zap.String("pod_namespace", f.podNamespace))
	}
	registry := providers.All()
	opts := collector.Options{
		Shard:        shard,
		Registry:     registry,
		Logger:       logger,
		APIMetrics:   upstream.NewMetrics(static),
		CacheMetrics: collector.NewCacheMetrics(static),
		UserAgent:    userAgent(),
	}

	var live *config.Live
	srv, err := server.New(server.Options{
		TelemetryPath: f.telemetryPath,
		TimeoutOffset: f.timeoutOffset,
		Static:        static,
		Registry:      registry,
		Pprof:         f.pprof,
		Reload: func() error {
			err := live.Reload()
			if err != nil {
				logger.Error("reloading the configuration failed; keeping the running one", zap.String("trigger", "/-/reload"), zap.Error(err))
			}
			return err
		},
		Logger: logger,
	})
	if err != nil {
		logger.Error("building the HTTP server failed", zap.Error(err))
		return exitFailed
	}
	live = config.NewLive(f.configFile, registry.Config(), func(cfg *config.Config) error {
		prev := srv.Exporter()
		o := opts
		o.Previous = prev
		e, err := collector.New(cfg, o)
		if err != nil {
			return err
		}
		srv.Swap(e)
		e.Start(prev)
		logger.Info("configuration loaded", zap.String("file", f.configFile), zap.Int("targets", len(cfg.Targets)))
		return nil
	}, static)
	if err := live.Reload(); err != nil {
		logger.Error("loading the configuration failed", zap.String("file", f.configFile), zap.Error(err))
		return exitFailed
	}

	logger.Info("starting "+name, zap.String("version", version.Info()), zap.String("build_context", version.BuildContext()))
	// Every request's context ends at shutdown: scrapes waiting on an
	// upstream are answered at once (their targets down).
	root, cancelRequests := context.WithCancel(context.Background())
	defer cancelRequests()
	httpServer := newHTTPServer(srv, root, logger)
	served := make(chan error, 1)
	go func() { served <- listenAndServe(httpServer, f.web, f.maxConnections, logger) }()

	// Reloads run here, one at a time, so that the signal loop always
	// answers; a SIGHUP during a reload asks for one more.
	reloads := make(chan struct{}, 1)
	go func() {
		for range reloads {
			if err := live.Reload(); err != nil {
				logger.Error("reloading the configuration failed; keeping the running one", zap.Error(err))
			}
		}
	}()
	// Not waited for: a reload in progress does not hold up an exit.
	defer close(reloads)

	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGHUP, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(signals)
	for {
		select {
		case err := <-served:
			if !errors.Is(err, http.ErrServerClosed) {
				logger.Error("HTTP server failed", zap.Error(err))
				return exitFailed
			}
			return exitOK
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				select {
				case reloads <- struct{}{}:
				default: // one is pending already
				}
				continue
			}
			logger.Info("shutting down", zap.String("signal", sig.String()))
			return shutdown(httpServer, cancelRequests, srv, signals, logger)
		}
	}
}

// shutdown stops serving: the scrapes in flight are cancelled and
// answered, the background polls stop. A second signal exits at once.
func shutdown(httpServer *http.Server, cancelRequests context.CancelFunc, srv *server.Server, signals <-chan os.Signal, logger *zap.Logger) int {
	done := make(chan error, 1)
	go func() {
		cancelRequests()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := httpServer.Shutdown(ctx)
		if e := srv.Exporter(); e != nil {
			e.Stop()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			logger.Error("graceful shutdown failed", zap.Error(err))
			return exitFailed
		}
		return exitOK
	case sig := <-signals:
		logger.Warn("second signal: exiting at once", zap.String("signal", sig.String()))
		return exitFailed
	}
}

// newHTTPServer is the exporter's HTTP server; every request's context
// derives from root.
func newHTTPServer(h http.Handler, root context.Context, logger *zap.Logger) *http.Server {
	return &http.Server{
		Handler: h,
		// A slow client cannot hold a connection before sending its
		// request, and an idle keep-alive connection is closed after
		// twice the usual 1m scrape interval.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return root },
		// The connection limit (server.LimitListener) needs to know which
		// connections are idle and which requests came on its reserve.
		ConnState:   server.ConnState,
		ConnContext: server.ConnContext,
		ErrorLog:    zap.NewStdLog(logger.With(zap.String("component", "http"))),
	}
}

// listenAndServe serves on the --web.listen-address TCP addresses, each
// accepting at most maxConnections connections at a time (as Prometheus'
// --web.max-connections) plus a few reserved for the health endpoints;
// at the limit, a connection that holds its slot without use gives it to
// a new one (server.LimitListener). Systemd socket activation and vsock
// addresses are served by exporter-toolkit as they are, without the limit.
func listenAndServe(srv *http.Server, flags *web.FlagConfig, maxConnections int, logger *zap.Logger) error {
	slogger := logging.Slog(logger)
	if (flags.WebSystemdSocket != nil && *flags.WebSystemdSocket) || maxConnections <= 0 {
		return web.ListenAndServe(srv, flags, slogger)
	}
	var listeners []net.Listener
	for _, address := range *flags.WebListenAddresses {
		if strings.HasPrefix(address, "vsock://") {
			return web.ListenAndServe(srv, flags, slogger)
		}
	}
	for _, address := range *flags.WebListenAddresses {
		l, err := net.Listen("tcp", address)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return err
		}
		listeners = append(listeners, server.LimitListener(l, maxConnections))
	}
	return web.ServeMultiple(listeners, srv, flags, slogger)
}

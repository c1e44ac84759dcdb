package providers_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// fault is one case of the fault matrix: what the upstream does, and
// whether the target rides it out.
type fault struct {
	name string
	// apply injects the fault into sim, or rewrites the configuration
	// (TLS, DNS), and returns the configuration to use.
	apply func(t *testing.T, sim *simulator.Server, st simTarget, yml string) string
	up    bool
	// check asserts more of the faulted target's result (nil: nothing).
	check func(t *testing.T, sim *simulator.Server, faulted collector.Result)
	// options adds to the exporter's options (nil: none).
	options func(st simTarget, sim *simulator.Server) collector.Options
}

func inject(f simulator.Fault) func(*testing.T, *simulator.Server, simTarget, string) string {
	return func(t *testing.T, sim *simulator.Server, st simTarget, yml string) string {
		t.Helper()
		f := f // the matrix's columns run in parallel
		f.API, f.Path = st.api, st.path
		if f.Body == simulator.BodyRaw {
			f.Raw = st.incomplete
		}
		if err := sim.AddFault(f); err != nil {
			t.Fatal(err)
		}
		return yml
	}
}

var faultMatrix = []fault{
	{name: "429 with Retry-After", apply: inject(simulator.Fault{Status: 429, RetryAfter: "1", Times: 1}), up: true},
	{name: "429 without Retry-After", apply: inject(simulator.Fault{Status: 429, Times: 1}), up: true},
	{name: "408", apply: inject(simulator.Fault{Status: 408, Times: 1}), up: true},
	{name: "500", apply: inject(simulator.Fault{Status: 500, Times: 1}), up: true},
	{name: "502", apply: inject(simulator.Fault{Status: 502, Times: 1}), up: true},
	{name: "503", apply: inject(simulator.Fault{Status: 503, Times: 1}), up: true},
	{name: "504", apply: inject(simulator.Fault{Status: 504, Times: 1}), up: true},
	{name: "connection reset once", apply: inject(simulator.Fault{Body: simulator.BodyReset, Times: 1}), up: true},
	{name: "connection reset always", apply: inject(simulator.Fault{Body: simulator.BodyReset}), up: false},
	{name: "timeout (hang)", apply: inject(simulator.Fault{Hang: true}), up: false},
	{name: "slow-drip body", apply: inject(simulator.Fault{Body: simulator.BodyDrip}), up: false},
	{name: "truncated JSON", apply: inject(simulator.Fault{Body: simulator.BodyMalformed}), up: false},
	{name: "HTML error page", apply: inject(simulator.Fault{Body: simulator.BodyHTML, Status: 502}), up: false},
	{name: "empty 200", apply: inject(simulator.Fault{Body: simulator.BodyEmpty}), up: false},
	{name: "huge body", apply: inject(simulator.Fault{Body: simulator.BodyHuge}), up: false},
	{name: "items lacking required fields", apply: inject(simulator.Fault{Body: simulator.BodyRaw}), up: false},
	{name: "DNS failure (no such host)", apply: func(t *testing.T, sim *simulator.Server, _ simTarget, yml string) string {
		// A 64-character label is no domain name: the resolver answers
		// "no such host" without sending a query anywhere.
		u, err := url.Parse(sim.URL())
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(yml, u.Host, strings.Repeat("x", 64)+".invalid:"+u.Port())
	}, up: false},
	{name: "TLS failure (wrong CA)", apply: func(t *testing.T, sim *simulator.Server, _ simTarget, yml string) string {
		other := filepath.Join(t.TempDir(), "other-ca.pem")
		cert, _, err := simulator.NewClientCertificate()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(other, cert, 0o600); err != nil {
			t.Fatal(err)
		}
		return replaceCA(yml, other)
	}, up: false},
}

// replaceCA points the faulted target's credentials (not the control's)
// at another CA.
func replaceCA(yml, ca string) string {
	lines := strings.Split(yml, "\n")
	for i, l := range lines {
		if strings.Contains(l, "ca_file") && !strings.Contains(l, "name: control") {
			start := strings.Index(l, "ca_file: ")
			end := strings.IndexAny(l[start:], "}")
			if end < 0 {
				lines[i] = l[:start] + fmt.Sprintf("ca_file: %q", ca)
			} else {
				lines[i] = l[:start] + fmt.Sprintf("ca_file: %q", ca) + l[start+end:]
			}
		}
	}
	return strings.Join(lines, "\n")
}

// TestFaultMatrix: for every provider and every fault, the scrape answers
// within its timeout, only the faulted target is affected (a control
// target on another upstream keeps its series), the log says why once,
// memory stays bounded (body_size_limit) and no goroutine is left.
func TestFaultMatrix(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	// Cleanup runs after the parallel subtests end.
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	const timeout = 3 * time.Second
	for _, st := range simTargets() {
		t.Run(st.provider, func(t *testing.T) {
			// One provider's column runs beside the others'.
			t.Parallel()
			for _, f := range append(faultMatrix, hostileRows()...) {
				t.Run(f.name, func(t *testing.T) {
					if why := hostile[st.provider].notApplicable[f.name]; why != "" {
						t.Logf("observed\t%s\t%s\t%s", st.provider, f.name, why)
						return
					}
					sim, yml := st.start(t)
					control, ca := providertest.StartAstra(t, 1)
					yml = strings.Replace(yml, "scrape_timeout: 10s", "scrape_timeout: 3s, body_size_limit: 1MiB, max_pages_per_list: 20", 1)
					yml = strings.Replace(yml, "credentials:\n", fmt.Sprintf("credentials:\n  - {name: control, astra: {api_token: %q}, tls_config: {ca_file: %q}}\n", providertest.AstraToken, ca), 1)
					yml = strings.Replace(yml, "targets:\n", fmt.Sprintf("targets:\n  - {name: control, type: astra, credential: control, endpoint: %q, account_id: %s, app_id: %s}\n",
						control.URL(), providertest.AstraAccount, providertest.SimulatedAppID(1)), 1)
					yml = f.apply(t, sim, st, yml)

					core, logs := observer.New(zapcore.WarnLevel)
					opts := collector.Options{}
					if f.options != nil {
						opts = f.options(st, sim)
					}
					opts.Logger = zap.New(core)
					e := providertest.NewExporter(t, yml, providers.All(), opts)
					ctx, cancel := context.WithTimeout(context.Background(), timeout)
					defer cancel()
					start := time.Now()
					results := e.Collect(ctx, e.Targets())
					took := time.Since(start)
					// The margin is for a loaded CI machine (every provider's
					// column runs at once); an unbounded poll would run to
					// its 10s scrape_timeout and over.
					if took > timeout+2*time.Second {
						t.Errorf("answered after %v, over the %v timeout", took, timeout)
					}
					var faulted, ctl collector.Result
					for _, r := range results {
						if r.Target.Name == "control" {
							ctl = r
						} else {
							faulted = r
						}
					}
					if ctl.Err != nil || len(ctl.Resources) != 1 {
						t.Errorf("the control target was affected: %v, %d resources", ctl.Err, len(ctl.Resources))
					}
					if up := faulted.Err == nil; up != f.up {
						t.Errorf("%s up = %v (%v), want %v", faulted.Target.Name, up, faulted.Err, f.up)
					}
					if f.check != nil {
						f.check(t, sim, faulted)
					}
					// Whatever the fault, no request went to another origin
					// or over plain HTTP.
					if stray := sim.Stats().Stray; len(stray) > 0 {
						t.Errorf("requests reached another origin or plain HTTP: %+v", stray)
					}
					// A poll cut by the scrape's deadline ends, and logs, just after.
					warnings := func() int {
						return logs.FilterField(zap.String("target", faulted.Target.Name)).FilterMessage("polling target failed").Len()
					}
					for deadline := time.Now().Add(2 * time.Second); !f.up && warnings() == 0 && time.Now().Before(deadline); {
						time.Sleep(20 * time.Millisecond)
					}
					warned := warnings()
					if want := map[bool]int{true: 0, false: 1}[f.up]; warned != want {
						t.Errorf("%d warnings for the target, want %d: %s", warned, want, providertest.LogText(logs))
					}
					t.Logf("observed\t%s\t%s\tup=%v\t%v\t%v", st.provider, f.name, faulted.Err == nil, took.Round(10*time.Millisecond), faulted.Err)
				})
			}
		})
	}
}

// TestTagLookupFaultMatrix: every fault of the matrix, on the tag
// look-ups alone (Resource Graph, the tagging API), never takes the
// target down: the scrape answers in time, a transient fault is ridden
// out, a lasting one fails the look-up (counted, logged once) while the
// target stays up, and no request leaves the upstream's origin.
func TestTagLookupFaultMatrix(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	const timeout = 3 * time.Second
	for _, lt := range lookupTargets() {
		t.Run(lt.provider, func(t *testing.T) {
			t.Parallel()
			for _, f := range faultMatrix {
				if strings.HasPrefix(f.name, "DNS") || strings.HasPrefix(f.name, "TLS") {
					// Faults of the whole upstream, not of one API.
					continue
				}
				t.Run(f.name, func(t *testing.T) {
					sim, yml := lt.start(t, 3, "cache_ttl: 0, scrape_timeout: 3s, body_size_limit: 1MiB, max_pages_per_list: 20", "")
					st := simTarget{provider: lt.provider, api: lt.api, path: lt.path, incomplete: lt.incomplete}
					yml = f.apply(t, sim, st, yml)
					core, logs := observer.New(zapcore.WarnLevel)
					e := providertest.NewExporter(t, yml, providers.All(), collector.Options{Logger: zap.New(core)})
					ctx, cancel := context.WithTimeout(context.Background(), timeout)
					defer cancel()
					start := time.Now()
					res := e.Collect(ctx, e.Targets())[0]
					took := time.Since(start)
					if took > timeout+500*time.Millisecond {
						t.Errorf("answered after %v, over the %v timeout", took, timeout)
					}
					if res.Err != nil {
						t.Fatalf("a fault of the tag look-up took the target down: %v", res.Err)
					}
					fails := !f.up
					if f.name == "items lacking required fields" {
						fails = lt.incompleteFails
					}
					if got := res.TagLookupErrors > 0; got != fails {
						t.Errorf("tag look-up errors %d, want failed = %v", res.TagLookupErrors, fails)
					}
					if sim.Stats().APIs[lt.api] == 0 {
						t.Error("no look-up was made: the row tests nothing")
					}
					if stray := sim.Stats().Stray; len(stray) > 0 {
						t.Errorf("requests reached another origin or plain HTTP: %+v", stray)
					}
					warned := logs.FilterMessageSnippet("tag look-up failed").Len()
					if want := map[bool]int{true: 1, false: 0}[fails]; warned != want {
						t.Errorf("%d warnings, want %d: %s", warned, want, providertest.LogText(logs))
					}
					if logs.FilterMessageSnippet("polling target failed").Len() != 0 {
						t.Errorf("the target was reported failed: %s", providertest.LogText(logs))
					}
					t.Logf("observed\t%s look-up\t%s\terrors=%d\t%v", lt.provider, f.name, res.TagLookupErrors, took.Round(10*time.Millisecond))
				})
			}
		})
	}
}

package providertest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// KubernetesToken is the bearer token of KubernetesServer.
const KubernetesToken = "fixture-k8s-token"

// KubernetesServer is a fixture Kubernetes API server: handle answers the
// requests that bear KubernetesToken, the others get the API server's 401
// Status.
func KubernetesServer(t testing.TB, handle http.HandlerFunc) *Server {
	return NewServer(t, Options{
		Auth:         BearerAuth(KubernetesToken),
		Unauthorized: `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`,
	}, handle)
}

// KubernetesConfig is a configuration of one target named name, of type
// typ, reading s (a KubernetesServer) with KubernetesToken; rest is the
// rest of the target's flow mapping (from its comma).
func (s *Server) KubernetesConfig(name, typ, rest string) string {
	return fmt.Sprintf(`
global: {cache_ttl: 0}
credentials:
  - name: k8s
    kubernetes: {server: %q, bearer_token: %s}
    tls_config: {ca_file: %q}
targets:
  - {name: %s, type: %s, credential: k8s%s}
`, s.URL, KubernetesToken, s.CAFile, name, typ, rest)
}

// ExpiredContinue is a test of a Kubernetes provider's paging: a 410
// Gone (reason Expired) for a continue token restarts that list from the
// start, once; a second 410 is the target's error.
type ExpiredContinue struct {
	// Routes and NotFound are the fixture's (Files) on a KubernetesServer;
	// Config is the configuration of a target reading it, of Kinds.
	Routes   map[string]string
	NotFound string
	Config   func(*Server) string
	Kinds    toolkit.Registry
	// Continue is the token answered 410; FirstPage the suffix of the
	// requests for that list's first page.
	Continue, FirstPage string
	// Resources is how many resources the target reads after one 410;
	// What names them in a failure.
	Resources int
	What      string
}

// Run runs the test: with one 410 the target reads x.Resources resources
// and asks for the first page twice; with two its error says Expired.
func (x ExpiredContinue) Run(t *testing.T) {
	t.Helper()
	for _, gone := range []int32{1, 2} {
		var served atomic.Int32
		files := Files(t, x.Routes, x.NotFound)
		srv := KubernetesServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("continue") == x.Continue && served.Add(1) <= gone {
				w.WriteHeader(http.StatusGone)
				fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The provided continue parameter is too old to display a consistent list result.","reason":"Expired","code":410}`)
				return
			}
			files(w, r)
		})
		e := NewExporter(t, x.Config(srv), x.Kinds, collector.Options{})
		res := e.Collect(context.Background(), e.Targets())[0]
		switch {
		case gone == 1 && res.Err != nil:
			t.Errorf("one 410: %v", res.Err)
		case gone == 1 && len(res.Resources) != x.Resources:
			t.Errorf("one 410: %d %s", len(res.Resources), x.What)
		case gone == 2 && (res.Err == nil || !strings.Contains(res.Err.Error(), "Expired")):
			t.Errorf("two 410s: %v", res.Err)
		}
		if gone == 1 {
			firsts := 0
			for _, r := range srv.Requests() {
				if strings.HasSuffix(r, x.FirstPage) {
					firsts++
				}
			}
			if firsts != 2 {
				t.Errorf("backups listed from the start %d times, want 2", firsts)
			}
		}
	}
}

// SimulatorExpiredContinue tests a Kubernetes provider on sim: a continue
// token that expires in the middle of a list restarts it, and the poll
// still reads want resources (what names them). config is the
// configuration of a target of reg reading sim through the kubeconfig
// file it is given.
func SimulatorExpiredContinue(t *testing.T, sim *simulator.Server, config func(kubeconfig string) string, reg toolkit.Registry, want int, what string) {
	t.Helper()
	sim.ExpireNextContinue(1)
	e := NewExporter(t, config(KubeconfigFile(t, sim, simulator.KubernetesDemoToken)), reg, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if n := len(res.Resources); n != want {
		t.Errorf("%d %s after a restarted list, want %d", n, what, want)
	}
}

// SimulatorWrongToken tests a Kubernetes provider on sim (config as
// SimulatorExpiredContinue's): a token the API server does not know makes
// the target's error Unauthorized, and the error does not show it.
func SimulatorWrongToken(t *testing.T, sim *simulator.Server, config func(kubeconfig string) string, reg toolkit.Registry) {
	t.Helper()
	e := NewExporter(t, config(KubeconfigFile(t, sim, "not-the-token-4242")), reg, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), "Unauthorized") || strings.Contains(res.Err.Error(), "not-the-token-4242") {
		t.Errorf("err = %v", res.Err)
	}
}

package providers_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// lookupTarget is a provider whose tags take look-ups, on the simulator,
// with resource_labels (extra is more of the target's keys and global
// the global ones).
type lookupTarget struct {
	provider string
	// api and path are the look-up's, as the simulator's faults name them.
	api, path string
	// incomplete is a look-up answer whose rows lack required fields;
	// incompleteFails says whether the look-up fails on it.
	incomplete      string
	incompleteFails bool
	start           func(t testing.TB, n int, global, extra string) (*simulator.Server, string)
	// named is the lookup ID of the resource called name.
	named func(rs []toolkit.Resource, name string) *toolkit.Resource
}

func byName(rs []toolkit.Resource, name string) *toolkit.Resource {
	for i := range rs {
		if rs[i].Name == name {
			return &rs[i]
		}
	}
	return nil
}

func lookupTargets() []lookupTarget {
	return []lookupTarget{
		{provider: "azure_backup", api: simulator.AzureResourceGraphAPI, path: "/providers/Microsoft.ResourceGraph/resources$",
			incomplete: `{"totalRecords":1,"count":1,"resultTruncated":"false","data":[{"tags":{"team":"x"}}]}`, incompleteFails: true,
			start: func(t testing.TB, n int, global, extra string) (*simulator.Server, string) {
				sim, ca := providertest.StartAzureBackup(t, 1, n, 0)
				return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, global,
					"name: ab, type: azure_backup, vault: rsv-01, resource_labels: [team]"+extra)
			}, named: byName},
		{provider: "azure_dataprotection", api: simulator.AzureResourceGraphAPI, path: "/providers/Microsoft.ResourceGraph/resources$",
			incomplete: `{"totalRecords":1,"count":1,"resultTruncated":"false","data":[{"tags":{"team":"x"}}]}`, incompleteFails: true,
			start: func(t testing.TB, n int, global, extra string) (*simulator.Server, string) {
				sim, ca := providertest.StartDataProtection(t, 1, n, 0)
				return sim, providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, global,
					"name: dp, type: azure_dataprotection, vault: bv-01, resource_labels: [team]"+extra)
			}, named: byName},
		{provider: "aws_backup", api: simulator.AWSTaggingAPI, path: "^/$",
			incomplete: `{"ResourceTagMappingList":[{"Tags":[{"Key":"team","Value":"x"}]}]}`, incompleteFails: false,
			start: func(t testing.TB, n int, global, extra string) (*simulator.Server, string) {
				sim, ca := providertest.StartAWS(t, n, 2, 0)
				return sim, providertest.AWSSimConfig(sim, ca, global, false, "name: aws, resource_labels: [team]"+extra)
			}, named: byName},
	}
}

// lookupTargetOf is lookupTargets' target of provider.
func lookupTargetOf(provider string) lookupTarget {
	for _, lt := range lookupTargets() {
		if lt.provider == provider {
			return lt
		}
	}
	panic("no look-up target " + provider)
}

func collectOne(t *testing.T, e *collector.Exporter) collector.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := e.Collect(ctx, e.Targets())[0]
	if res.Err != nil {
		t.Fatalf("target down: %v", res.Err)
	}
	return res
}

// distinctLookups counts the distinct IDs a poll's resources look up.
func distinctLookups(rs []toolkit.Resource) int {
	seen := map[string]bool{}
	for _, r := range rs {
		if r.Tags.Lookup != "" {
			seen[strings.ToLower(r.Tags.Lookup)] = true
		}
	}
	return len(seen)
}

// TestTagLookupsFillTheOwnersTags: azure_backup's VMs, storage accounts
// and unprotected VMs get their tags from Resource Graph, aws_backup's
// resources from the tagging API; a resource that is gone upstream (its
// VM deleted, its ARN unknown) gets none and is no error; the look-ups
// are counted per API, ⌈N/100⌉ of them.
func TestTagLookupsFillTheOwnersTags(t *testing.T) {
	want := map[string]map[string]string{
		"azure_backup": {"vm-0001": "search", "vm-0002": "platform", "vm-0004": "", "vm-0012": "", "share-0003": "storage", "new-vm-01": "platform", "db-0006": "dba"},
		// The resources Backup vaults protect, in another resource group.
		"azure_dataprotection": {"disk-00001": "search", "disk-00004": "", "disk-00006": "payments", "sablob00008": "", "aks-00009": "payments"},
		"aws_backup":           {"vol-001": "search", "ec2-002": "platform", "db-003": "payments", "ec2-008": "", "vol-013": ""},
	}
	for _, lt := range lookupTargets() {
		t.Run(lt.provider, func(t *testing.T) {
			_, yml := lt.start(t, 20, "cache_ttl: 0", "")
			reg := prometheus.NewRegistry()
			e := providertest.NewExporter(t, yml, providers.All(), collector.Options{APIMetrics: upstream.NewMetrics(reg)})
			res := collectOne(t, e)
			for name, team := range want[lt.provider] {
				r := lt.named(res.Resources, name)
				if r == nil {
					t.Errorf("no resource %s", name)
					continue
				}
				if r.Tags.Kind != toolkit.CloudTags || r.Tags.Lookup == "" {
					t.Errorf("%s: tags %+v: not looked up", name, r.Tags)
				}
				if got := r.Tags.Values["team"]; got != team {
					t.Errorf("%s: team %q, want %q (tags %v)", name, got, team, r.Tags.Values)
				}
			}
			if !res.LooksUpTags || res.TagLookupErrors != 0 {
				t.Errorf("looks up %v, errors %d", res.LooksUpTags, res.TagLookupErrors)
			}
			n := distinctLookups(res.Resources)
			if got, _ := providertest.Value(t, reg, "backup_exporter_api_requests_total", map[string]string{"provider": lt.api, "code": "200"}); got != float64((n+99)/100) {
				t.Errorf("%v look-ups for %d IDs, want %d", got, n, (n+99)/100)
			}
			if out := providertest.ScrapeText(t, e, "backup_exporter_target_tag_lookup_errors"); !strings.Contains(out, "backup_exporter_target_tag_lookup_errors{provider=\""+lt.provider+"\"") {
				t.Errorf("no tag look-up errors gauge: %s", out)
			}
		})
	}
}

// TestTagLookupsOnlyWithAnAllowlist: without resource_labels nothing is
// looked up (no tag could be shown).
func TestTagLookupsOnlyWithAnAllowlist(t *testing.T) {
	for _, lt := range lookupTargets() {
		t.Run(lt.provider, func(t *testing.T) {
			sim, yml := lt.start(t, 5, "cache_ttl: 0", "")
			yml = strings.Replace(yml, ", resource_labels: [team]", "", 1)
			e := providertest.NewExporter(t, yml, providers.All(), collector.Options{})
			res := collectOne(t, e)
			if res.LooksUpTags || sim.Stats().APIs[lt.api] != 0 {
				t.Errorf("looked up tags without resource_labels: %d requests", sim.Stats().APIs[lt.api])
			}
			if out := providertest.ScrapeText(t, e, "backup_exporter_target_tag_lookup_errors"); strings.Contains(out, "backup_exporter_target_tag_lookup_errors{") {
				t.Errorf("gauge for a target that looks nothing up: %s", out)
			}
		})
	}
}

// TestAWS250ResourcesAre3TaggingCalls: 250 protected resources, 3
// GetResources calls of at most 100 ARNs, in JSON 1.1 (the simulator
// serves no other protocol).
func TestAWS250ResourcesAre3TaggingCalls(t *testing.T) {
	sim, yml := lookupTargetOf("aws_backup").start(t, 250, "cache_ttl: 0", "")
	reg := prometheus.NewRegistry()
	e := providertest.NewExporter(t, yml, providers.All(), collector.Options{APIMetrics: upstream.NewMetrics(reg)})
	res := collectOne(t, e)
	n := distinctLookups(res.Resources)
	if n <= 200 || n > 300 {
		t.Fatalf("%d resources to look up, want 201 to 300", n)
	}
	if got, _ := providertest.Value(t, reg, "backup_exporter_api_requests_total", map[string]string{"provider": "aws_tagging", "code": "200"}); got != 3 {
		t.Errorf("%v GetResources calls for %d ARNs, want 3", got, n)
	}
	if got := sim.Stats().Requests["POST /"]; got != 3 {
		t.Errorf("%d POST / at the simulator, want 3 (JSON 1.1 with X-Amz-Target)", got)
	}
	if res.TagLookupErrors != 0 {
		t.Errorf("%d errors", res.TagLookupErrors)
	}
}

// TestFailedTagLookupKeepsTheLastTags: once tags are known, a look-up
// that fails (a 503 that never ends) keeps them and the target up, says
// so once in the log and in backup_exporter_target_tag_lookup_errors.
func TestFailedTagLookupKeepsTheLastTags(t *testing.T) {
	for _, lt := range lookupTargets() {
		t.Run(lt.provider, func(t *testing.T) {
			sim, yml := lt.start(t, 10, "cache_ttl: 0, max_staleness: 1h", ", resource_labels_refresh: 1s")
			core, logs := observer.New(zapcore.WarnLevel)
			e := providertest.NewExporter(t, yml, providers.All(), collector.Options{Logger: zap.New(core)})
			before := collectOne(t, e)
			first := lt.named(before.Resources, map[string]string{"azure_backup": "vm-0001", "azure_dataprotection": "disk-00001", "aws_backup": "vol-001"}[lt.provider])
			if first == nil || first.Tags.Values["team"] != "search" {
				t.Fatalf("no tags to keep: %+v", first)
			}
			if err := sim.AddFault(simulator.Fault{API: lt.api, Path: lt.path, Status: 503}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond)
			for range 2 {
				res := collectOne(t, e)
				r := lt.named(res.Resources, first.Name)
				if r == nil || r.Tags.Values["team"] != "search" {
					t.Errorf("the last tags were not kept: %+v", r)
				}
				if res.TagLookupErrors != distinctResources(res.Resources) {
					t.Errorf("tag look-up errors %d, want every resource's (%d)", res.TagLookupErrors, len(res.Resources))
				}
			}
			if n := logs.FilterMessageSnippet("tag look-up failed").Len(); n != 1 {
				t.Errorf("%d warnings, want 1: %s", n, providertest.LogText(logs))
			}
			if logs.FilterMessageSnippet("polling target failed").Len() != 0 {
				t.Error("the target was reported failed")
			}
			out := providertest.ScrapeText(t, e, "backup_exporter_target_up", "backup_exporter_target_tag_lookup_errors")
			if !strings.Contains(out, `backup_exporter_target_up{provider="`+lt.provider+`"`) || strings.Contains(out, "} 0\nbackup_exporter_target_tag") {
				t.Errorf("exposition %s", out)
			}
		})
	}
}

// distinctResources counts the resources that look tags up.
func distinctResources(rs []toolkit.Resource) int {
	n := 0
	for _, r := range rs {
		if r.Tags.Lookup != "" {
			n++
		}
	}
	return n
}

// TestHostileTagLookupAnswers: a look-up answer is untrusted: rows not
// asked for are ignored, a repeated row counts once (the first), a
// resource's tags are bounded, values that are not strings are left out,
// and nothing of it takes the target down.
func TestHostileTagLookupAnswers(t *testing.T) {
	bodies := map[string]func(id string, tags string) string{
		"azure_backup": func(id, tags string) string {
			return `{"totalRecords":3,"count":3,"resultTruncated":false,"data":[` +
				`{"id":"` + strings.ToUpper(id) + `","tags":{` + tags + `,"n":1,"o":{"x":"y"},"team":"first"}},` +
				`{"id":"` + id + `","tags":{"team":"second"}},` +
				`{"id":"/subscriptions/00000000-0000-0000-0000-000000000000/x","tags":null}]}`
		},
		"aws_backup": func(id, tags string) string {
			var list []string
			for _, kv := range strings.Split(tags, ",") {
				k, v, _ := strings.Cut(kv, ":")
				list = append(list, `{"Key":`+k+`,"Value":`+v+`}`)
			}
			return `{"ResourceTagMappingList":[` +
				`{"ResourceARN":" ` + id + `","Tags":[` + strings.Join(list, ",") + `,{"Key":"team","Value":"first"},{"Key":"nil","Value":null},{"Key":"","Value":"x"}]},` +
				`{"ResourceARN":"` + id + `","Tags":[{"Key":"team","Value":"second"}]},` +
				`{"ResourceARN":"arn:aws:ec2:eu-west-1:123456789012:volume/vol-notasked","Tags":[{"Key":"team","Value":"not asked"}]},` +
				`{"Tags":[]}]}`
		},
	}
	bodies["azure_dataprotection"] = bodies["azure_backup"] // one Resource Graph look-up
	var many []string
	for i := range 1000 {
		many = append(many, fmt.Sprintf(`"k%04d":"v"`, i))
	}
	for _, lt := range lookupTargets() {
		t.Run(lt.provider, func(t *testing.T) {
			sim, yml := lt.start(t, 1, "cache_ttl: 0, max_staleness: 1h", ", resource_labels_refresh: 1s")
			e := providertest.NewExporter(t, yml, providers.All(), collector.Options{})
			first := collectOne(t, e).Resources
			var id string
			for _, r := range first {
				if r.Tags.Lookup != "" && id == "" {
					id = r.Tags.Lookup
				}
			}
			if err := sim.AddFault(simulator.Fault{API: lt.api, Path: lt.path, Body: simulator.BodyRaw, Raw: bodies[lt.provider](id, strings.Join(many, ","))}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond)
			res := collectOne(t, e)
			if res.TagLookupErrors != 0 {
				t.Errorf("%d look-up errors", res.TagLookupErrors)
			}
			found := false
			for _, r := range res.Resources {
				if r.Tags.Lookup != id {
					if r.Tags.Values["team"] == "not asked" {
						t.Errorf("%s got a row not asked for", r.Name)
					}
					continue
				}
				found = true
				v := r.Tags.Values
				if len(v) != toolkit.MaxTagsPerResource || v["k0000"] != "v" {
					t.Errorf("%d tags kept, want %d", len(v), toolkit.MaxTagsPerResource)
				}
				if _, ok := v["team"]; ok {
					t.Errorf("team kept past the bound: %v", v["team"])
				}
				if _, ok := v["o"]; ok {
					t.Error("a value that is not a string was kept")
				}
			}
			if !found {
				t.Fatalf("no resource looked up %s", id)
			}
		})
	}
}

// TestHostileTagLookupFirstRowWins: of two rows of one resource, the
// first is taken (its team), whatever the second says.
func TestHostileTagLookupFirstRowWins(t *testing.T) {
	for _, lt := range lookupTargets() {
		t.Run(lt.provider, func(t *testing.T) {
			sim, yml := lt.start(t, 1, "cache_ttl: 0, max_staleness: 1h", ", resource_labels_refresh: 1s")
			e := providertest.NewExporter(t, yml, providers.All(), collector.Options{})
			var id string
			for _, r := range collectOne(t, e).Resources {
				if r.Tags.Lookup != "" && id == "" {
					id = r.Tags.Lookup
				}
			}
			graph := `{"totalRecords":2,"count":2,"resultTruncated":"false","data":[{"id":"` + id + `","tags":{"team":"first"}},{"id":"` + strings.ToLower(id) + `","tags":{"team":"second"}}]}`
			raw := map[string]string{
				"azure_backup":         graph,
				"azure_dataprotection": graph,
				"aws_backup":           `{"ResourceTagMappingList":[{"ResourceARN":"` + id + `","Tags":[{"Key":"team","Value":"first"}]},{"ResourceARN":"` + id + `","Tags":[{"Key":"team","Value":"second"}]}]}`,
			}[lt.provider]
			if err := sim.AddFault(simulator.Fault{API: lt.api, Path: lt.path, Body: simulator.BodyRaw, Raw: raw}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond)
			for _, r := range collectOne(t, e).Resources {
				if r.Tags.Lookup == id && r.Tags.Values["team"] != "first" {
					t.Errorf("team %q, want the first row's", r.Tags.Values["team"])
				}
			}
		})
	}
}

// BenchmarkTagLookups10k measures a cold poll of 10,000 resources with
// and without resource_labels against the simulator: the difference is
// the look-ups' time; their calls are counted per API.
//
//	go test -run '^$' -bench TagLookups10k -benchtime 1x ./collector/providers/
func BenchmarkTagLookups10k(b *testing.B) {
	for _, lt := range lookupTargets() {
		b.Run(lt.provider, func(b *testing.B) {
			// azure_backup: 10 vaults of 1,000 items; aws_backup: 10,000 resources.
			// azure_dataprotection: a vault of 10,000 instances.
			n := map[string]int{"azure_backup": 1000, "azure_dataprotection": 10000, "aws_backup": 10000}[lt.provider]
			var yml string
			if lt.provider == "azure_backup" {
				az := simulator.GenerateAzureBackup(providertest.AzureSubscription, 10, n, 2, time.Now())
				az.ResourceGraph = &simulator.AzureResourceGraph{Quota: -1}
				az.Tenants = []simulator.AzureTenant{{ID: providertest.AzureTenant, Clients: []simulator.AzureClient{{ClientID: providertest.AzureClient, ClientSecret: providertest.AzureSecret}}}}
				sim, ca := providertest.Start(b, &simulator.Scenario{Azure: az})
				yml = providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, "cache_ttl: 0, scrape_timeout: 10m", "name: ab, type: azure_backup, resource_labels: [team]")
			} else {
				_, yml = lt.start(b, n, "cache_ttl: 0, scrape_timeout: 10m", "")
			}
			for _, labels := range []bool{false, true} {
				y := yml
				if !labels {
					y = strings.Replace(y, ", resource_labels: [team]", "", 1)
				}
				reg := prometheus.NewRegistry()
				metrics := upstream.NewMetrics(reg)
				var took time.Duration
				var res collector.Result
				for range b.N {
					e := providertest.NewExporter(b, y, providers.All(), collector.Options{APIMetrics: metrics})
					start := time.Now()
					res = e.Collect(context.Background(), e.Targets())[0]
					took += time.Since(start)
					if res.Err != nil {
						b.Fatal(res.Err)
					}
					e.Stop()
				}
				calls, _ := providertest.Value(b, reg, "backup_exporter_api_requests_total", map[string]string{"provider": lt.api, "code": "200"})
				b.Logf("%s resource_labels=%v: %d resources, %d distinct look-up IDs, %.0f look-up calls, poll %v",
					lt.provider, labels, len(res.Resources), distinctLookups(res.Resources), calls/float64(b.N), (took / time.Duration(b.N)).Round(time.Millisecond))
			}
		})
	}
}

// BenchmarkAWSTaggingLookups10k: the tags of 10,000 ARNs of the
// simulator's estate, looked up as the orchestrator does (100 calls of 100
// ARNs, one after the other), on the exporter's client stack.
//
//	go test -run '^$' -bench AWSTaggingLookups10k -benchtime 3x ./collector/providers/
func BenchmarkAWSTaggingLookups10k(b *testing.B) {
	sc := simulator.GenerateAWS(simulator.AWSDemoAccountID, 10000, 1, time.Now())
	sim, ca := providertest.Start(b, &simulator.Scenario{AWS: sc})
	var arns []string
	for _, r := range sc.Accounts[0].Resources {
		arns = append(arns, r.ARN)
	}
	arns = arns[:10000]
	cfg := providertest.Parse(b, providertest.AWSSimConfig(sim, ca, "cache_ttl: 0", false, "name: aws, resource_labels: [team]"), providers.All())
	pem, err := os.ReadFile(ca)
	if err != nil {
		b.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	reg := prometheus.NewRegistry()
	pool, err := upstream.NewPool(upstream.Options{TLS: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, MaxConcurrency: 16, Metrics: upstream.NewMetrics(reg)})
	if err != nil {
		b.Fatal(err)
	}
	kind, _ := providers.All().Lookup("aws_backup")
	lookup, err := kind.Tags(&cfg.Targets[0], toolkit.NewEnv(&cfg.Credentials[0], pool, zap.NewNop(), nil, nil))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	tagged := 0
	for range b.N {
		tagged = 0
		for i := 0; i < len(arns); i += toolkit.TagBatch {
			found, err := lookup.Lookup(context.Background(), arns[i:i+toolkit.TagBatch])
			if err != nil {
				b.Fatal(err)
			}
			for _, tags := range found {
				if tags["team"] != "" {
					tagged++
				}
			}
		}
	}
	b.StopTimer()
	calls, _ := providertest.Value(b, reg, "backup_exporter_api_requests_total", map[string]string{"provider": "aws_tagging", "code": "200"})
	b.ReportMetric(calls/float64(b.N), "calls/op")
	b.ReportMetric(float64(tagged), "tagged")
}

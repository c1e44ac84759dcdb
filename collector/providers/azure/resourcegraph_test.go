package azure_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/providers/azure"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/upstream"
)

// probeSpec is a test target whose resources are the given ARM IDs, each
// to be looked up by itself: Resource Graph's tag look-up on its own.
type probeSpec struct {
	azure.TargetSpec `yaml:",inline"`
	IDs              []string `yaml:"ids"`
}

func (s *probeSpec) Validate(*config.Validator) error { return nil }

type probe struct{ ids []string }

func (p probe) Collect(context.Context) ([]toolkit.Resource, error) {
	rs := make([]toolkit.Resource, len(p.ids))
	for i, id := range p.ids {
		rs[i] = toolkit.Resource{ID: fmt.Sprint("r", i), Protected: true, Healthy: true, Tags: toolkit.Tags{Kind: toolkit.CloudTags, Lookup: id}}
	}
	return rs, nil
}

var probeType = toolkit.Type{
	TargetType: config.TargetType{Name: "arg_probe", Credential: azure.CredentialType, NewSpec: func() config.TargetSpec { return &probeSpec{} }},
	Title:      "Resource Graph probe",
	New: func(t *config.Target, _ *toolkit.Env) (toolkit.Provider, error) {
		return probe{ids: t.Spec.(*probeSpec).IDs}, nil
	},
	Tags: azure.ResourceGraphTags,
}

const vmType = "Microsoft.Compute/virtualMachines"

func vmID(name string) string {
	return simulator.AzureResourceID(providertest.AzureSubscription, "demo-rg", vmType, name)
}

// startGraph serves n VMs vm-000..., those with an even number tagged
// team=payments, with Resource Graph's page size and quota.
func startGraph(t testing.TB, n, pageSize, quota int, window time.Duration) (*simulator.Server, string) {
	t.Helper()
	var rs []simulator.AzureResource
	for i := range n {
		r := simulator.AzureResource{Type: vmType, Name: fmt.Sprintf("vm-%03d", i)}
		if i%2 == 0 {
			r.Tags = map[string]string{"team": "payments", "cost-center": fmt.Sprint("cc-", i)}
		}
		rs = append(rs, r)
	}
	return providertest.Start(t, &simulator.Scenario{Azure: &simulator.AzureScenario{
		ResourceGraph: &simulator.AzureResourceGraph{PageSize: pageSize, Quota: quota, QuotaWindow: simulator.Duration(window)},
		Tenants:       []simulator.AzureTenant{{ID: providertest.AzureTenant, Clients: []simulator.AzureClient{{ClientID: providertest.AzureClient, ClientSecret: providertest.AzureSecret}}}},
		Subscriptions: []simulator.AzureSubscription{{ID: providertest.AzureSubscription, ResourceGroups: []simulator.AzureResourceGroup{{Name: "demo-rg", Resources: rs}}}},
	}})
}

func probeConfig(sim *simulator.Server, ca, global string, ids []string) string {
	b, _ := json.Marshal(ids)
	return providertest.AzureConfig(sim.URL(), ca, providertest.AzureSecret, global,
		"name: probe, type: arg_probe, resource_labels: [team], ids: "+string(b))
}

// collectTags collects the probe once and returns its resources' tags by
// the ID looked up.
func collectTags(t *testing.T, e *collector.Exporter) (map[string]map[string]string, collector.Result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := e.Collect(ctx, e.Targets())[0]
	if res.Err != nil {
		t.Fatalf("target down: %v", res.Err)
	}
	out := map[string]map[string]string{}
	for _, r := range res.Resources {
		out[r.Tags.Lookup] = r.Tags.Values
	}
	return out, res
}

// TestResourceGraphTagsAreLookedUpWithoutCase: the IDs of a batch go in
// one query, found whatever their case; an ID with a quote stays a
// literal (no row, no error), and so does one that is not an ARM ID.
func TestResourceGraphTagsAreLookedUpWithoutCase(t *testing.T) {
	sim, ca := startGraph(t, 4, 0, -1, 0)
	reg := prometheus.NewRegistry()
	injection := vmID("vm-000") + "') or id !in~ ('"
	ids := []string{vmID("vm-000"), strings.ToUpper(vmID("vm-002")), vmID("vm-001"), vmID("vm-gone"), injection,
		vmID(`vm-\'x`), "/subscriptions/not-a-subscription/x", "vm-000"}
	e := providertest.NewExporter(t, probeConfig(sim, ca, "cache_ttl: 0", ids), toolkit.Registry{probeType}, collector.Options{APIMetrics: upstream.NewMetrics(reg)})
	tags, res := collectTags(t, e)
	if tags[ids[0]]["team"] != "payments" || tags[ids[1]]["team"] != "payments" || tags[ids[1]]["cost-center"] != "cc-2" {
		t.Errorf("tags %v / %v", tags[ids[0]], tags[ids[1]])
	}
	for _, id := range ids[2:] {
		if len(tags[id]) != 0 {
			t.Errorf("%q got tags %v", id, tags[id])
		}
	}
	if !res.LooksUpTags || res.TagLookupErrors != 0 {
		t.Errorf("looks up %v, errors %d", res.LooksUpTags, res.TagLookupErrors)
	}
	if n, _ := providertest.Value(t, reg, "backup_exporter_api_requests_total", map[string]string{"provider": "azure_resourcegraph", "code": "200"}); n != 1 {
		t.Errorf("%v Resource Graph queries for one batch, want 1", n)
	}
	if n := sim.Stats().Requests["POST /providers/Microsoft.ResourceGraph/resources"]; n != 1 {
		t.Errorf("%d queries reached the simulator, want 1", n)
	}
	// The quota gauge says what the answer said (no limit: MaxInt32).
	if v, ok := providertest.Value(t, reg, "backup_exporter_azure_resourcegraph_quota_remaining", map[string]string{"credential": "az"}); !ok || v != 2147483647 {
		t.Errorf("quota gauge %v %v", v, ok)
	}
}

// TestResourceGraph250IDsAre3Queries: 250 resources → 3 queries of at
// most 100 IDs, each paged (page size 40: 2 pages of the 50 rows of a
// tagged 100), counted per API; the quota gauge follows the answers.
func TestResourceGraph250IDsAre3Queries(t *testing.T) {
	sim, ca := startGraph(t, 250, 40, 100, time.Minute)
	reg := prometheus.NewRegistry()
	var ids []string
	for i := range 250 {
		ids = append(ids, vmID(fmt.Sprintf("vm-%03d", i)))
	}
	e := providertest.NewExporter(t, probeConfig(sim, ca, "cache_ttl: 0", ids), toolkit.Registry{probeType}, collector.Options{APIMetrics: upstream.NewMetrics(reg)})
	tags, _ := collectTags(t, e)
	tagged := 0
	for _, v := range tags {
		if v["team"] == "payments" {
			tagged++
		}
	}
	if tagged != 125 {
		t.Errorf("%d resources tagged, want 125", tagged)
	}
	// 3 batches of 100, 100 and 50 IDs; 100 rows are 3 pages of 40.
	if n, _ := providertest.Value(t, reg, "backup_exporter_api_requests_total", map[string]string{"provider": "azure_resourcegraph", "code": "200"}); n != 3+3+2 {
		t.Errorf("%v Resource Graph requests, want 8 (3 queries: 3, 3 and 2 pages)", n)
	}
	if v, _ := providertest.Value(t, reg, "backup_exporter_azure_resourcegraph_quota_remaining", map[string]string{"credential": "az"}); v != 100-8 {
		t.Errorf("quota gauge %v, want 92", v)
	}
}

// TestResourceGraphSpentQuotaWaitsForItsReset: an answer that says the
// quota is spent makes the next query wait resets-after (a throttled
// retry), instead of drawing a 429.
func TestResourceGraphSpentQuotaWaitsForItsReset(t *testing.T) {
	sim, ca := startGraph(t, 150, 0, 1, 2*time.Second)
	reg := prometheus.NewRegistry()
	var ids []string
	for i := range 150 {
		ids = append(ids, vmID(fmt.Sprintf("vm-%03d", i)))
	}
	e := providertest.NewExporter(t, probeConfig(sim, ca, "cache_ttl: 0", ids), toolkit.Registry{probeType}, collector.Options{APIMetrics: upstream.NewMetrics(reg)})
	start := time.Now()
	tags, res := collectTags(t, e)
	if res.TagLookupErrors != 0 || tags[ids[148]]["team"] != "payments" {
		t.Fatalf("errors %d, tags %v", res.TagLookupErrors, tags[ids[148]])
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("took %v: the second query did not wait for the quota", took)
	}
	if n, _ := providertest.Value(t, reg, "backup_exporter_api_requests_total", map[string]string{"provider": "azure_resourcegraph", "code": "429"}); n != 0 {
		t.Errorf("%v answers 429", n)
	}
	if n, _ := providertest.Value(t, reg, "backup_exporter_api_retries_total", map[string]string{"provider": "azure_resourcegraph", "reason": "throttled"}); n != 1 {
		t.Errorf("%v throttled retries, want 1 (the wait)", n)
	}
}

// TestResourceGraphTokenNeverChangesOrigin: a $skipToken is sent back in
// the body to the resource manager, whatever it looks like, and a
// redirect to another origin is refused: the look-up fails, the target
// stays up, and nothing reaches the other origin.
func TestResourceGraphTokenNeverChangesOrigin(t *testing.T) {
	for _, f := range []simulator.Fault{
		{API: simulator.AzureResourceGraphAPI, Body: simulator.BodyTemplate, Times: 1,
			Raw: `{"totalRecords":2,"count":1,"resultTruncated":"false","$skipToken":"{{other}}/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01","data":[{"id":"x","tags":{}}]}`},
		{API: simulator.AzureResourceGraphAPI, Redirect: simulator.RedirectOtherOrigin},
		{API: simulator.AzureResourceGraphAPI, Redirect: simulator.RedirectHTTP},
	} {
		t.Run(f.Redirect+f.Body, func(t *testing.T) {
			sim, ca := startGraph(t, 2, 0, -1, 0)
			if err := sim.AddFault(f); err != nil {
				t.Fatal(err)
			}
			core, logs := observer.New(zapcore.WarnLevel)
			e := providertest.NewExporter(t, probeConfig(sim, ca, "cache_ttl: 0", []string{vmID("vm-000")}), toolkit.Registry{probeType}, collector.Options{Logger: zap.New(core)})
			_, res := collectTags(t, e)
			if res.TagLookupErrors != 1 {
				t.Errorf("tag look-up errors %d, want 1", res.TagLookupErrors)
			}
			if stray := sim.Stats().Stray; len(stray) > 0 {
				t.Errorf("requests reached another origin or plain HTTP: %+v", stray)
			}
			if n := sim.Stats().Requests["POST /providers/Microsoft.ResourceGraph/resources"]; f.Body != "" && n != 2 {
				t.Errorf("%d queries at the resource manager, want 2 (the second with the token in its body)", n)
			}
			if logs.FilterMessageSnippet("tag look-up failed").Len() != 1 {
				t.Errorf("no warning: %s", providertest.LogText(logs))
			}
		})
	}
}

// TestResourceGraphParseErrorIsTheLookupsError: a query Resource Graph
// cannot parse fails the look-up with its error details, not the target.
func TestResourceGraphErrorNamesItsDetails(t *testing.T) {
	sim, ca := startGraph(t, 1, 0, -1, 0)
	if err := sim.AddFault(simulator.Fault{API: simulator.AzureResourceGraphAPI, Status: 400, Body: simulator.BodyRaw,
		Raw: `{"error":{"code":"BadRequest","message":"Please provide below info when asking for support: timestamp = 2026-12-01T00:00:00Z, correlationId = 0.","details":[{"code":"InvalidQuery","message":"Query is invalid."},{"code":"ParserFailure","message":"ParserFailure","line":1,"characterPositionInLine":30,"token":"or"}]}}`}); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.WarnLevel)
	e := providertest.NewExporter(t, probeConfig(sim, ca, "cache_ttl: 0", []string{vmID("vm-000")}), toolkit.Registry{probeType}, collector.Options{Logger: zap.New(core)})
	collectTags(t, e)
	if txt := providertest.LogText(logs); !strings.Contains(txt, "BadRequest: InvalidQuery: Query is invalid.; ParserFailure") {
		t.Errorf("log %s", txt)
	}
}

// BenchmarkResourceGraphTags10k: the tags of 10,000 VMs (half tagged), in
// 100 queries of 100 IDs, against the simulator without a quota and with
// the documented example quota (15 queries per 5 s): a cold poll of a
// target whose records only name the resources to look up.
//
//	go test -run '^$' -bench ResourceGraphTags10k -benchtime 1x ./collector/providers/azure/
func BenchmarkResourceGraphTags10k(b *testing.B) {
	for _, quota := range []int{-1, 0} {
		b.Run(map[int]string{-1: "no_quota", 0: "quota_15_per_5s"}[quota], func(b *testing.B) {
			sim, ca := startGraph(b, 10000, 0, quota, 0)
			var ids []string
			for i := range 10000 {
				ids = append(ids, vmID(fmt.Sprintf("vm-%03d", i)))
			}
			yml := probeConfig(sim, ca, "cache_ttl: 0, scrape_timeout: 10m", ids)
			reg := prometheus.NewRegistry()
			metrics := upstream.NewMetrics(reg)
			b.ResetTimer()
			for range b.N {
				e := providertest.NewExporter(b, yml, toolkit.Registry{probeType}, collector.Options{APIMetrics: metrics})
				res := e.Collect(context.Background(), e.Targets())[0]
				if res.Err != nil || res.TagLookupErrors != 0 {
					b.Fatal(res.Err, res.TagLookupErrors)
				}
				e.Stop()
			}
			b.StopTimer()
			queries, _ := providertest.Value(b, reg, "backup_exporter_api_requests_total", map[string]string{"provider": "azure_resourcegraph", "code": "200"})
			waits, _ := providertest.Value(b, reg, "backup_exporter_api_retries_total", map[string]string{"provider": "azure_resourcegraph", "reason": "throttled"})
			b.ReportMetric(queries/float64(b.N), "queries/op")
			b.ReportMetric(waits/float64(b.N), "quota-waits/op")
		})
	}
}

package collector

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

// ownerKind serves each target the resources of its name.
func ownerKind(byTarget map[string][]toolkit.Resource) toolkit.Type {
	k := testKind(nil)
	k.New = func(t *config.Target, _ *toolkit.Env) (toolkit.Provider, error) {
		name := t.Name
		return pollFunc(func(context.Context) ([]toolkit.Resource, error) {
			// A copy: the orchestrator keeps what a poll returns.
			return append([]toolkit.Resource(nil), byTarget[name]...), nil
		}), nil
	}
	return k
}

func kube(labels map[string]string) toolkit.Tags {
	return toolkit.Tags{Kind: toolkit.KubernetesLabels, Values: labels}
}

// ownerEstate is a target of each kind of owner rules.
var ownerEstate = map[string][]toolkit.Resource{
	// Kubernetes labels through an allowlist with a wildcard, and static
	// labels: a conflict, an unprotected resource with its owner, one
	// without labels, one whose team label is empty.
	"kube": {
		{ID: "ns/shop", Name: "shop", Protected: true, Healthy: true, Tags: kube(map[string]string{
			"team": "payments", "app.kubernetes.io/name": "shop", "app.kubernetes.io-name": "conflict", "tier": "not allowlisted"})},
		{ID: "ns/unprotected", Name: "unprotected", Tags: kube(map[string]string{"team": "search"})},
		{ID: "ns/nolabels", Name: "nolabels", Protected: true, Healthy: true},
		{ID: "ns/empty", Name: "empty", Protected: true, Healthy: true, Tags: kube(map[string]string{"team": ""})},
	},
	// Every Azure tag ("*"): keys as returned.
	"azure": {
		{ID: "/subscriptions/s/vol-1", Name: "vol-1", Protected: true, Healthy: true, Tags: toolkit.Tags{Kind: toolkit.CloudTags, CaseInsensitive: true,
			Values: map[string]string{"Owner": "alice", "cost-center": "cc-7"}}},
	},
	// Azure tag names without case: the label is the entry's.
	"azure-owner": {
		{ID: "/subscriptions/s/vol-2", Name: "vol-2", Protected: true, Healthy: true, Tags: toolkit.Tags{Kind: toolkit.CloudTags, CaseInsensitive: true,
			Values: map[string]string{"OWNER": "bob"}}},
		{ID: "/subscriptions/s/vol-3", Name: "vol-3", Protected: true, Healthy: true, Tags: toolkit.Tags{Kind: toolkit.CloudTags, CaseInsensitive: true,
			Values: map[string]string{"owner": "carol"}}},
	},
	// Static labels only: no tag is read.
	"static": {
		{ID: "r1", Name: "r1", Protected: true, Healthy: true, Tags: toolkit.Tags{Kind: toolkit.VaultTags, Values: map[string]string{"owner": "x"}}},
	},
	// No owner keys: no backup_resource_info.
	"none": {
		{ID: "r2", Name: "r2", Protected: true, Healthy: true, Tags: toolkit.Tags{Kind: toolkit.VaultTags, Values: map[string]string{"owner": "x"}}},
	},
}

var ownerTargets = []string{
	`name: kube, resource_labels: ["app.kubernetes.io*", team], static_labels: {environment: prod, business_unit: payments}`,
	`name: azure, resource_labels: ["*"]`,
	`name: azure-owner, resource_labels: [owner]`,
	`name: static, static_labels: {environment: "quote \" and \\ backslash"}`,
	`name: none`,
}

// TestResourceInfoGolden: backup_resource_info as docs/metrics.md "Who
// owns it" says, for every kind of rules (testdata/owners.prom).
func TestResourceInfoGolden(t *testing.T) {
	e := testExporter(t, ownerKind(ownerEstate), "cache_ttl: 1h", ownerTargets...)
	var out bytes.Buffer
	if err := e.WriteExposition(context.Background(), e.Targets(), nil, &out, false, nil); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, "backup_resource_info") {
			lines = append(lines, l)
		}
	}
	got := strings.Join(lines, "\n") + "\n"
	golden := filepath.Join("testdata", "owners.prom")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("backup_resource_info differs from %s:\n%s", golden, got)
	}
	mfs := parseExposition(t, bytes.NewReader(out.Bytes()))
	if dup := duplicateSeries(mfs); dup != "" {
		t.Errorf("duplicate series %s", dup)
	}
	// One series per resource of the targets that set owner keys, the
	// unprotected one included, and none of the target that sets none.
	if n := len(mfs["backup_resource_info"].GetMetric()); n != 8 {
		t.Errorf("%d backup_resource_info series, want 8", n)
	}
	if strings.Contains(got, `target="none"`) {
		t.Error("a target without resource_labels or static_labels has backup_resource_info")
	}
}

// TestResourceInfoFollowsTheTags: the series is replaced when a
// resource's tags change, never two at once.
func TestResourceInfoFollowsTheTags(t *testing.T) {
	team := "payments"
	kind := testKind(func() []toolkit.Resource {
		return []toolkit.Resource{{ID: "a", Name: "a", Protected: true, Healthy: true, Tags: kube(map[string]string{"team": team})}}
	})
	e := testExporter(t, kind, "cache_ttl: 0", "name: t, resource_labels: [team]")
	scrape := func() string {
		var out bytes.Buffer
		if err := e.WriteExposition(context.Background(), e.Targets(), nil, &out, false, nil); err != nil {
			t.Fatal(err)
		}
		mfs := parseExposition(t, bytes.NewReader(out.Bytes()))
		if n := len(mfs["backup_resource_info"].GetMetric()); n != 1 {
			t.Fatalf("%d series of one resource", n)
		}
		return out.String()
	}
	if s := scrape(); !strings.Contains(s, `label_team="payments"`) {
		t.Fatalf("no owner:\n%s", s)
	}
	team = "search"
	if s := scrape(); !strings.Contains(s, `label_team="search"`) || strings.Contains(s, "payments") {
		t.Errorf("the series was not replaced:\n%s", s)
	}
}

// TestEveryKeyIsWarnedAtLoad: resource_labels ["*"] is allowed, with a
// warning in the log when the configuration loads.
func TestEveryKeyIsWarnedAtLoad(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	reg := toolkit.Registry{testKind(func() []toolkit.Resource { return nil })}
	yml := "credentials: [{name: c, astra: {api_token: x}}]\ntargets:\n" +
		"  - {name: all, type: test, credential: c, resource_labels: [\"*\"]}\n" +
		"  - {name: some, type: test, credential: c, resource_labels: [owner, \"team/*\"]}\n"
	cfg, err := config.Parse([]byte(yml), "test.yml", reg.Config())
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg, Options{Registry: reg, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	warned := logs.FilterMessageSnippet(`resource_labels admits every key`).All()
	if len(warned) != 1 || warned[0].ContextMap()["target"] != "all" {
		t.Errorf("warnings %v, want one, for target all", logs.All())
	}
}

// TestResultOwnerLabels: what --once shows of a resource's owners.
func TestResultOwnerLabels(t *testing.T) {
	e := testExporter(t, ownerKind(ownerEstate), "cache_ttl: 0", ownerTargets...)
	res := e.Collect(context.Background(), e.Targets())
	got := map[string]string{}
	for _, r := range res {
		for i := range r.Resources {
			var parts []string
			for _, l := range r.OwnerLabels(i) {
				parts = append(parts, l.Name+"="+l.Value)
			}
			got[r.Target.Name+"/"+r.Resources[i].ID] = strings.Join(parts, ",")
		}
	}
	for k, want := range map[string]string{
		"kube/ns/unprotected":                "business_unit=payments,environment=prod,label_team=search",
		"azure-owner//subscriptions/s/vol-2": "tag_owner=bob",
		"none/r2":                            "",
	} {
		if got[k] != want {
			t.Errorf("%s: %q, want %q", k, got[k], want)
		}
	}
}

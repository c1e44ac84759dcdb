package huaweicbr

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// ownersScenario: resource r1 backed up into the tagged vault v1 then
// (newest) into v2, r2 into v1, r3 into a vault the list does not
// declare; v2's "flag" tag has no value.
func ownersScenario() *simulator.HuaweiScenario {
	str := func(s string) *string { return &s }
	b := func(id, res, vault, day string) simulator.HuaweiBackup {
		return simulator.HuaweiBackup{ID: id, Name: id, ResourceID: res, ResourceName: res, VaultID: vault, CreatedAt: "2026-11-" + day + "T02:00:00.000000"}
	}
	return &simulator.HuaweiScenario{
		Tokens: []string{cbrToken},
		Projects: []simulator.HuaweiProject{{
			ID:      cbrProject,
			Backups: []simulator.HuaweiBackup{b("b1", "r1", "v1", "20"), b("b2", "r1", "v2", "21"), b("b3", "r2", "v1", "21"), b("b4", "r3", "v9", "21")},
			Vaults: []simulator.HuaweiVault{
				{ID: "v1", Tags: []simulator.HuaweiTag{{Key: "team", Value: str("payments")}, {Key: "cost-center", Value: str("cc-1")}}},
				{ID: "v2", Tags: []simulator.HuaweiTag{{Key: "team", Value: str("search")}, {Key: "flag"}}},
			},
		}},
	}
}

func ownerInfo(t *testing.T, e *collector.Exporter) string {
	t.Helper()
	return providertest.ScrapeText(t, e, "backup_resource_info")
}

// TestHuaweiCBRVaultTags: a resource's owners are the tags of the vault
// of its newest backup, as vault_tag_*; a tag without value is an empty
// label; a resource of an untagged (or unknown) vault has the static
// labels only. A target that names one backup reads its vault's tags too.
func TestHuaweiCBRVaultTags(t *testing.T) {
	sim, ca := providertest.Start(t, &simulator.Scenario{Huawei: ownersScenario()})
	e := newTestExporter(t, cbrConfig(sim.URL(), ca, cbrTokenCred(cbrToken), `resource_labels: [team, flag]`, "static_labels: {region: cn}"), collector.Options{})
	got := ownerInfo(t, e)
	for _, want := range []string{
		`backup_resource_info{provider="huawei_cbr",region="cn",resource_id="r1",resource_name="r1",target="cbr-test",vault_tag_flag="",vault_tag_team="search"} 1`,
		`backup_resource_info{provider="huawei_cbr",region="cn",resource_id="r2",resource_name="r2",target="cbr-test",vault_tag_team="payments"} 1`,
		`backup_resource_info{provider="huawei_cbr",region="cn",resource_id="r3",resource_name="r3",target="cbr-test"} 1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
	if strings.Contains(got, "cost") {
		t.Errorf("a tag the allowlist does not admit:\n%s", got)
	}

	one := newTestExporter(t, cbrConfig(sim.URL(), ca, cbrTokenCred(cbrToken), "backup_id: b3", `resource_labels: ["*"]`), collector.Options{})
	want := `backup_resource_info{provider="huawei_cbr",resource_id="r2",resource_name="r2",target="cbr-test",vault_tag_cost_center="cc-1",vault_tag_team="payments"} 1`
	if got := ownerInfo(t, one); !strings.Contains(got, want) {
		t.Errorf("backup_id target:\n%s\nwant %s", got, want)
	}
}

// TestHuaweiCBRVaultListOnlyWhenWanted: the vault list is read only for a
// target whose backup_resource_info carries tags (resource_labels), once
// per poll.
func TestHuaweiCBRVaultListOnlyWhenWanted(t *testing.T) {
	for _, tc := range []struct {
		extra  []string
		vaults int
	}{
		{nil, 0},
		{[]string{"static_labels: {region: cn}"}, 0},
		{[]string{"resource_labels: [team]"}, 2},
	} {
		sim, ca := providertest.Start(t, &simulator.Scenario{Huawei: ownersScenario()})
		e := newTestExporter(t, cbrConfig(sim.URL(), ca, cbrTokenCred(cbrToken), tc.extra...), collector.Options{})
		for range 2 {
			if res := e.Collect(context.Background(), e.Targets())[0]; res.Err != nil {
				t.Fatal(res.Err)
			}
		}
		if n := sim.Stats().Requests["GET /v3/"+cbrProject+"/vaults"]; n != tc.vaults {
			t.Errorf("%v: %d vault lists in two polls, want %d", tc.extra, n, tc.vaults)
		}
	}
}

// TestHuaweiCBRVaultListFailureKeepsTags: a vault list that fails does
// not take the target down: the vault tags last read stay for
// max_staleness (the log says so once), then go.
func TestHuaweiCBRVaultListFailureKeepsTags(t *testing.T) {
	sim, ca := providertest.Start(t, &simulator.Scenario{Huawei: ownersScenario()})
	core, logs := observer.New(zapcore.InfoLevel)
	cfg := strings.Replace(cbrConfig(sim.URL(), ca, cbrTokenCred(cbrToken), "resource_labels: [team]"), "cache_ttl: 0", "cache_ttl: 0, max_staleness: 2s", 1)
	e := newTestExporter(t, cfg, collector.Options{Logger: zap.New(core)})
	const tagged = `resource_id="r2",resource_name="r2",target="cbr-test",vault_tag_team="payments"}`
	if got := ownerInfo(t, e); !strings.Contains(got, tagged) {
		t.Fatalf("no vault tags before the failure:\n%s", got)
	}
	if err := sim.AddFault(simulator.Fault{API: simulator.HuaweiAPI, Path: "/vaults$", Status: 403}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		res := e.Collect(context.Background(), e.Targets())[0]
		if res.Err != nil {
			t.Fatalf("the target is down for its vault list: %v", res.Err)
		}
		if got := ownerInfo(t, e); !strings.Contains(got, tagged) {
			t.Errorf("the vault tags are not kept:\n%s", got)
		}
	}
	if n := logs.FilterMessageSnippet("cannot list the CBR vaults").Len(); n != 1 {
		t.Errorf("the failure logged %d times, want once:\n%s", n, providertest.LogText(logs))
	}
	time.Sleep(2100 * time.Millisecond)
	if got := ownerInfo(t, e); strings.Contains(got, `vault_tag_team="`) || !strings.Contains(got, `resource_id="r2"`) {
		t.Errorf("past max_staleness, the vault tags are still served, or the series is gone:\n%s", got)
	}
	sim.ClearFaults()
	if got := ownerInfo(t, e); !strings.Contains(got, tagged) {
		t.Errorf("the vault tags are not back:\n%s", got)
	}
	if n := logs.FilterMessageSnippet("listed again").Len(); n != 1 {
		t.Errorf("the recovery logged %d times, want once", n)
	}
}

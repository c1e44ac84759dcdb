package azuredataprotection

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/backup-exporter/backup_exporter/collector"
	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
	"github.com/backup-exporter/backup_exporter/internal/providertest"
)

// fixedNow is the instant the fixtures of testdata/ are written against:
// their job window (2 days) starts on 2026-12-01 06:00 UTC.
var fixedNow = time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)

// kindsAt is the provider with its clock at now.
func kindsAt(now time.Time) toolkit.Registry {
	return kindsClock(func() time.Time { return now })
}

// kindsClock is the provider with its clock read from now.
func kindsClock(now func() time.Time) toolkit.Registry {
	t := Type
	t.New = func(tg *config.Target, env *toolkit.Env) (toolkit.Provider, error) {
		p, err := newProvider(tg, env)
		if err == nil {
			p.(*provider).now = now
		}
		return p, err
	}
	return toolkit.Registry{t}
}

var kinds = kindsAt(fixedNow)

const (
	sub    = "ffffffff-ffff-ffff-ffff-ffffffffffff"
	vaults = "/subscriptions/" + sub + "/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults"
	disks  = "/subscriptions/" + sub + "/resourceGroups/rg-app/providers/Microsoft.Compute/disks/"
	target = `name: dp, type: azure_dataprotection, subscription_id: ` + sub
	inRG   = target + `, resource_group: rg-backup`
)

// routes are the fixtures' routes (testdata/routes.json): two vaults,
// bv-prod (instances and jobs over two pages each, policies, running jobs'
// details, recovery points where needed) and bv-dr.
func routes(t testing.TB) map[string]string {
	t.Helper()
	b, err := os.ReadFile("testdata/routes.json")
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]string
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAzureDataProtectionGolden: every job status of docs/metrics.md's
// table (Started and InProgress with and without bytes moved, Cancelling,
// Paused, the six succeeded spellings, Failed with error details,
// Cancelled, an unknown one), every protection state (NotProtected,
// ProtectionError with its error details, ConfiguringProtectionFailed,
// ProtectionStopped, BackupSchedulesSuspended, RetentionSchedulesSuspended,
// SoftDeleting, SoftDeleted; protectionStatus ConfiguringProtectionFailed),
// every policy interval (P1D, PT4H, P1W, P1M, two rules, an unparsable
// schedule, a policy that cannot be read, a continuous policy without a
// scheduled rule and an ad hoc one), the latest backup from recovery
// points when no job is in the window (Completed, Partial, none), and the
// several-instances rule: disk-shared is protected in both vaults (its ID
// spelt in capitals in bv-dr), whose newest job failed; disk-shared-ok in
// both, healthy. Jobs outside the window, restores and jobs of no listed
// instance are ignored.
func TestAzureDataProtectionGolden(t *testing.T) {
	for _, tc := range []struct {
		name, golden, target string
	}{
		{"vault", "vault.prom", inRG + ", vault: bv-prod"},
		{"resource group", "discovery.prom", inRG},
		{"subscription", "discovery.prom", target},
		{"vault without its resource group", "vault.prom", target + ", vault: BV-PROD"},
		{"recovery points", "recovery_points.prom", inRG + ", vault: bv-dr, read_recovery_points: true"},
		{"datasource types", "datasource_types.prom", inRG + ", vault: bv-prod, datasource_types: [microsoft.dbforpostgresql/FLEXIBLESERVERS]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := providertest.ARMServer(t, routes(t))
			e := providertest.NewExporter(t, srv.AzureConfig(tc.target), kinds, collector.Options{})
			providertest.Golden(t, e, kinds, tc.golden)
		})
	}
}

// TestAzureDataProtectionExpectedIntervalWins: a target's
// expected_interval is every resource's, whatever its policy says; the
// policies are still read (a continuous one gives no last-success
// sample), and the job window is twice the interval.
func TestAzureDataProtectionExpectedIntervalWins(t *testing.T) {
	srv := providertest.ARMServer(t, routes(t))
	e := providertest.NewExporter(t, srv.AzureConfig(inRG+", vault: bv-prod, expected_interval: 4d"), kinds, collector.Options{})
	got := providertest.ScrapeText(t, e, "backup_expected_interval_seconds", "backup_last_success_timestamp_seconds")
	intervals := 0
	for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
		if strings.HasPrefix(line, "backup_expected_interval_seconds{") {
			intervals++
			if !strings.HasSuffix(line, " 345600") {
				t.Errorf("not the target's 4d: %s", line)
			}
		}
		if strings.HasPrefix(line, "backup_last_success_timestamp_seconds{") && strings.Contains(line, "sablob01") {
			t.Errorf("a continuous policy's instance has a last success: %s", line)
		}
	}
	if intervals != 33 {
		t.Errorf("%d intervals, want one per protected resource (33)", intervals)
	}
	// A window of 8 days reaches the weekly server's job of 2026-11-28:
	// its recovery points are no longer read.
	for _, r := range srv.Requests() {
		if strings.Contains(r, "bi-pg-weekly/recoveryPoints") {
			t.Errorf("recovery points of bi-pg-weekly read although a job of the window succeeded: %s", r)
		}
	}
}

// TestAzureDataProtectionCalls: what one poll of a vault asks for. The
// jobs are listed without a filter (Jobs_List takes none), every page;
// only the running latest jobs are read one by one; each policy is read
// once however many instances name it; recovery points only for the
// instances without a succeeded job of the window (the continuous blob
// policy's too: its points would still say the state); nothing for an
// instance that protects nothing.
func TestAzureDataProtectionCalls(t *testing.T) {
	srv := providertest.ARMServer(t, routes(t))
	e := providertest.NewExporter(t, srv.AzureConfig(inRG+", vault: bv-prod"), kinds, collector.Options{})
	providertest.Gather(t, e)
	var jobs, details, points []string
	policies := map[string]int{}
	for _, r := range srv.Requests() {
		u, err := url.Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(u.Path, "/backupJobs"):
			if f := u.Query().Get("$filter"); f != "" {
				t.Errorf("Jobs_List sent a $filter %q: the API takes none", f)
			}
			jobs = append(jobs, u.Query().Get("$skiptoken"))
		case strings.Contains(u.Path, "/backupJobs/"):
			details = append(details, filepath.Base(u.Path))
		case strings.Contains(u.Path, "/backupPolicies/"):
			policies[filepath.Base(u.Path)]++
		case strings.HasSuffix(u.Path, "/recoveryPoints"):
			points = append(points, filepath.Base(filepath.Dir(u.Path)))
		}
		if got := u.Query().Get("api-version"); strings.HasPrefix(u.Path, "/subscriptions/") && got != DefaultAPIVersion {
			t.Errorf("%s: api-version %q", r, got)
		}
	}
	if !slices.Equal(jobs, []string{"", "j2"}) {
		t.Errorf("job pages read: %q, want both", jobs)
	}
	if len(details) != 3 {
		t.Errorf("%d job details read (%v), want 3 (Started, InProgress, Cancelling)", len(details), details)
	}
	for name, n := range policies {
		if n != 1 {
			t.Errorf("policy %s read %d times, want once", name, n)
		}
	}
	if len(policies) != 9 {
		t.Errorf("%d policies read (%v), want the 9 the instances name", len(policies), policies)
	}
	slices.Sort(points)
	want := []string{"bi-blob", "bi-cancelling", "bi-config-failed", "bi-never", "bi-pg-partial", "bi-pg-weekly"}
	if !slices.Equal(points, want) {
		t.Errorf("recovery points read for %v, want %v", points, want)
	}
}

// TestAzureDataProtectionPoliciesKept: a policy read is kept for the
// target's expected_interval (1h here): the next polls within it read
// none, the first poll after it reads each again; a policy that could
// not be read (404) is tried at every poll. What a kept policy says
// still applies (the continuous one gives no last success).
func TestAzureDataProtectionPoliciesKept(t *testing.T) {
	var clock atomic.Int64
	clock.Store(fixedNow.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	srv := providertest.ARMServer(t, routes(t))
	e := providertest.NewExporter(t, srv.AzureConfig(inRG+", vault: bv-prod, expected_interval: 1h"), kindsClock(now), collector.Options{})
	reads := func() (kept, missing int) {
		for _, r := range srv.Requests() {
			switch {
			case strings.Contains(r, "/backupPolicies/pol-deleted"):
				missing++
			case strings.Contains(r, "/backupPolicies/"):
				kept++
			}
		}
		return kept, missing
	}
	for i, step := range []struct {
		advance             time.Duration
		wantKept, wantTried int
	}{
		{0, 8, 1},                 // the first poll reads every policy once
		{30 * time.Minute, 8, 2},  // within the hour: none again, but the missing one
		{30 * time.Minute, 16, 3}, // an hour after the first read: all again
		{20 * time.Minute, 16, 4},
	} {
		clock.Add(int64(step.advance))
		res := e.Collect(context.Background(), e.Targets())[0]
		if res.Err != nil || res.ResourceErrors != 0 {
			t.Fatalf("poll %d: %v, %d resource errors", i, res.Err, res.ResourceErrors)
		}
		if kept, missing := reads(); kept != step.wantKept || missing != step.wantTried {
			t.Errorf("after poll %d: %d policy reads, %d of the missing one; want %d, %d", i, kept, missing, step.wantKept, step.wantTried)
		}
		for _, r := range res.Resources {
			if r.Name == "sablob01" && (!r.LastSuccess.IsZero() || r.NoSuccessListed) {
				t.Errorf("poll %d: the continuous policy's resource has a last success", i)
			}
		}
	}
}

// TestAzureDataProtectionPolicyUnreadable: a policy that cannot be read
// (404) is said once, at warn, whatever the number of polls; its
// instances are due every 24h.
func TestAzureDataProtectionPolicyUnreadable(t *testing.T) {
	srv := providertest.ARMServer(t, routes(t))
	core, logs := observer.New(zapcore.WarnLevel)
	e := providertest.NewExporter(t, srv.AzureConfig(inRG+", vault: bv-prod"), kinds, collector.Options{Logger: zap.New(core)})
	for range 2 {
		res := e.Collect(context.Background(), e.Targets())[0]
		if res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	if n := logs.FilterMessageSnippet("cannot read a backup policy").Len(); n != 1 {
		t.Errorf("%d warnings, want 1: %s", n, providertest.LogText(logs))
	}
	v, ok := providertest.ResourceValue(t, e, "backup_expected_interval_seconds", map[string]string{"resource_name": "disk-no-policy"})
	if !ok || v != 86400 {
		t.Errorf("interval of disk-no-policy = %v (%v), want 86400", v, ok)
	}
}

// TestAzureDataProtectionResourceErrors: a resource whose own calls fail
// (a running job's details answer 404) is a resource error, not the
// target's: the others are read, and the log names the failed ones once.
func TestAzureDataProtectionResourceErrors(t *testing.T) {
	r := routes(t)
	for k := range r {
		if strings.Contains(k, "/backupJobs/") {
			delete(r, k)
		}
	}
	t.Cleanup(func() { goleak.VerifyNone(t) }) // runs last, after the server has closed
	srv := providertest.ARMServer(t, r)
	core, logs := observer.New(zapcore.WarnLevel)
	e := providertest.NewExporter(t, srv.AzureConfig(inRG+", vault: bv-prod"), kinds, collector.Options{Logger: zap.New(core)})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.ResourceErrors != 3 || len(res.Resources) != 34-3 {
		t.Errorf("%d resource errors, %d resources; want 3 (the running jobs' resources) and 31", res.ResourceErrors, len(res.Resources))
	}
	text := providertest.LogText(logs)
	for _, d := range []string{"disk-cancelling", "disk-inprogress", "disk-started"} {
		if !strings.Contains(text, disks+d) {
			t.Errorf("%s not named in the log: %s", d, text)
		}
	}
	if !strings.Contains(text, "get job") || !strings.Contains(text, "404") {
		t.Errorf("the log does not say why: %s", text)
	}
}

// TestAzureDataProtectionListFails: a vault whose jobs cannot be listed
// takes the target down, naming the vault and the list, whatever the
// other vault's reads were doing; no goroutine is left.
func TestAzureDataProtectionListFails(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	r := routes(t)
	delete(r, vaults+"/bv-dr/backupJobs")
	srv := providertest.ARMServer(t, r)
	e := providertest.NewExporter(t, srv.AzureConfig(inRG), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), `list jobs of vault "bv-dr"`) || !strings.Contains(res.Err.Error(), "404") {
		t.Errorf("error %v", res.Err)
	}
}

func TestAzureDataProtectionConfigErrors(t *testing.T) {
	for _, tc := range []struct{ target, want string }{
		{`name: dp, type: azure_dataprotection, resource_group: rg`, "subscription_id is required"},
		{`name: dp, type: azure_dataprotection, subscription_id: not-a-uuid`, "subscription_id must be a UUID"},
		{target + `, vault: "1bad"`, "vault"},
		{target + `, vault: "a"`, "vault"},
		{target + `, vault: "has_underscore"`, "vault"},
		{target + `, resource_group: "bad/group"`, "resource_group"},
		{target + `, datasource_types: [Microsoft.Compute/disks, "bad type"]`, `datasource_types entry 2 "bad type" is not a datasource type`},
		{target + `, datasource_types: [OssDB, ossdb]`, `datasource_types entry 2 "ossdb" is listed twice`},
		{target + `, source: rest`, `source "rest" must be arm or resource_graph`},
		{target + `, source: resource_graph`, "subscription_id does not go with source: resource_graph"},
		{target + `, coverage_resource_types: [Microsoft.Compute/disks]`, "coverage_resource_types applies only with source: resource_graph"},
		{`name: dp, type: azure_dataprotection, source: resource_graph, coverage_resource_types: [disks]`, "coverage_resource_types entry 1"},
		{target + `, progress_from_arm: false`, "progress_from_arm applies only with source: resource_graph"},
		{target + `, api_version: "2025"`, "api_version"},
		{target + `, read_recovery_points: maybe`, "read_recovery_points"},
		{target + `, recovery_points: true`, "recovery_points"},
	} {
		srv := providertest.ARMServer(t, nil)
		_, err := config.Parse([]byte(srv.AzureConfig(tc.target)), "test.yml", kinds.Config())
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "test.yml:") {
			t.Errorf("%s: error %v, want one at test.yml:LINE naming %q", tc.target, err, tc.want)
		}
	}
	for _, ok := range []string{target, target + ", source: arm", inRG + ", vault: bv-prod, datasource_types: [OssDB, Microsoft.Compute/disks]",
		"name: dp, type: azure_dataprotection, source: resource_graph, management_groups: [mg-prod], coverage_resource_types: [Microsoft.Compute/disks], progress_from_arm: false"} {
		srv := providertest.ARMServer(t, nil)
		if _, err := config.Parse([]byte(srv.AzureConfig(ok)), "test.yml", kinds.Config()); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// TestAzureDataProtectionNoVaultOfThatName: a vault named without its
// resource group that the subscription does not hold is the target's
// error.
func TestAzureDataProtectionNoVaultOfThatName(t *testing.T) {
	srv := providertest.ARMServer(t, routes(t))
	e := providertest.NewExporter(t, srv.AzureConfig(target+", vault: bv-other"), kinds, collector.Options{})
	res := e.Collect(context.Background(), e.Targets())[0]
	if res.Err == nil || !strings.Contains(res.Err.Error(), `no Backup vault named "bv-other"`) {
		t.Errorf("error %v", res.Err)
	}
}

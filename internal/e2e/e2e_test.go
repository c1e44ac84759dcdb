package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/backup-exporter/backup_exporter/internal/simulator"
	"github.com/backup-exporter/backup_exporter/internal/tooltest"
	"github.com/backup-exporter/backup_exporter/mixin"
)

// repoRoot is the module root, two levels up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs a process until the test ends; its output goes to a log file
// shown when the test fails.
func start(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	logPath := filepath.Join(dir, filepath.Base(name)+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("--- %s log ---\n%s", filepath.Base(name), tail(string(b), 4000))
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		done, state := ok()
		if done {
			return
		}
		last = state
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v; last seen: %s", what, timeout, last)
}

func httpGet(u string) ([]byte, int, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}

// scenario is the simulator's data, relative to now, so that freshness is
// deterministic: one Astra app for each condition an alert watches, and an
// ANF account whose generated volumes include a broken mirror.
func scenario(now time.Time) *simulator.Scenario {
	ts := func(ago time.Duration) string { return now.Add(-ago).UTC().Format(time.RFC3339) }
	ok := func(id string, ago time.Duration) simulator.AstraBackup {
		return simulator.AstraBackup{ID: id, Name: "daily-" + id, State: "completed", HookState: "success",
			CreationTimestamp: ts(ago), BackupCreationTimestamp: ts(ago - 10*time.Minute)}
	}
	failed := func(id string, ago time.Duration) simulator.AstraBackup {
		return simulator.AstraBackup{ID: id, Name: "daily-" + id, State: "failed", HookState: "success",
			StateUnready: []string{"Volume snapshot timed out"}, CreationTimestamp: ts(ago)}
	}
	astra := &simulator.AstraScenario{
		Token: "e2e-astra-token",
		Accounts: []simulator.AstraAccount{{ID: "e2e", Apps: []simulator.AstraApp{
			{ID: "app-healthy", Name: "healthy", Backups: []simulator.AstraBackup{ok("h1", 26*time.Hour), ok("h2", 2*time.Hour)}},
			{ID: "app-failed", Name: "failed", Backups: []simulator.AstraBackup{ok("f1", 26*time.Hour), failed("f2", time.Hour)}},
			{ID: "app-stale", Name: "stale", Backups: []simulator.AstraBackup{ok("s1", 50*time.Hour)}},
			{ID: "app-never", Name: "never", Backups: []simulator.AstraBackup{failed("n1", 3*time.Hour)}},
			{ID: "app-hooks", Name: "hooks", Backups: []simulator.AstraBackup{{ID: "k1", Name: "daily-k1", State: "completed",
				HookState: "failed", HookStateDetails: []simulator.AstraHookDetail{{Title: "Hook failed", Detail: "pre-snapshot hook exited 1"}},
				CreationTimestamp: ts(3 * time.Hour), BackupCreationTimestamp: ts(170 * time.Minute)}}},
			{ID: "app-running", Name: "running", Backups: []simulator.AstraBackup{ok("r1", 20*time.Hour),
				{ID: "r2", Name: "daily-r2", State: "running", CreationTimestamp: ts(30 * time.Minute),
					TotalBytes: ptr[int64](1 << 30), BytesDone: ptr[int64](1 << 28), PercentDone: ptr(25.0)}}},
			{ID: "app-unprotected", Name: "unprotected"},
		}}},
	}
	az := simulator.GenerateAzure(simulator.DefaultAzureSubscriptionID, 1, 8, 0, 0, now)
	az.Tenants = []simulator.AzureTenant{{ID: simulator.DefaultAzureTenantID,
		Clients: []simulator.AzureClient{{ClientID: simulator.DefaultAzureClientID, ClientSecret: simulator.DefaultAzureClientSecret}}}}
	// Azure Backup: a healthy VM, one whose newest job failed, one whose
	// last good backup (50h ago) is older than the job window, and a VM
	// nobody protects.
	job := func(item, status string, ago time.Duration) simulator.RSJob {
		j := simulator.RSJob{Item: item, Operation: "Backup", Status: status, StartTime: ts(ago), EndTime: ts(ago - 20*time.Minute)}
		if status == "Failed" {
			j.Errors = []simulator.RSJobError{{Code: 400239, Title: "UserErrorGuestAgentStatusUnavailable", Message: "VM agent is unable to communicate with the Azure Backup Service."}}
		}
		return j
	}
	rg := &az.Subscriptions[0].ResourceGroups[0]
	rg.RecoveryServicesVaults = append(rg.RecoveryServicesVaults, simulator.RSVault{
		Name: "e2e-rsv", Location: simulator.DefaultAzureLocation,
		ProtectedItems: []simulator.RSProtectedItem{
			{Kind: simulator.RSKindVM, Name: "ab-healthy", LastBackupStatus: "Completed", LastRecoveryPointTime: ts(2 * time.Hour)},
			{Kind: simulator.RSKindVM, Name: "ab-failed", LastBackupStatus: "Failed", LastRecoveryPointTime: ts(26 * time.Hour)},
			{Kind: simulator.RSKindVM, Name: "ab-stale", LastBackupStatus: "Completed", LastRecoveryPointTime: ts(50 * time.Hour)},
		},
		ProtectableItems: []simulator.RSProtectableItem{{Kind: simulator.RSKindVM, Name: "ab-unprotected", ProtectionState: "NotProtected"}},
		Jobs: []simulator.RSJob{
			job("ab-healthy", "Completed", 2*time.Hour+20*time.Minute), job("ab-healthy", "Completed", 26*time.Hour),
			job("ab-failed", "Failed", time.Hour), job("ab-failed", "Completed", 26*time.Hour+20*time.Minute),
			job("ab-stale", "Completed", 50*time.Hour+20*time.Minute),
		},
	})
	// Azure Backup vaults: a healthy disk, one whose newest job failed, one
	// whose last good backup (50h ago) is older than the job window (its
	// recovery point says when), and one whose instance protects nothing.
	disk := func(name string) string {
		return "/subscriptions/" + simulator.DefaultAzureSubscriptionID + "/resourceGroups/rg-app/providers/Microsoft.Compute/disks/" + name
	}
	dpJob := func(instance, status string, ago time.Duration) simulator.DPJob {
		j := simulator.DPJob{Instance: instance, Status: status, StartTime: ts(ago), EndTime: ts(ago - 5*time.Minute)}
		if status == "Failed" {
			j.Errors = []simulator.DPError{{Code: "UserErrorMissingDiskBackupReaderRole", Message: "The Backup vault's managed identity lacks the Disk Backup Reader role on the disk."}}
		}
		return j
	}
	rg.DataProtectionVaults = append(rg.DataProtectionVaults, simulator.DPVault{
		Name: "e2e-bv", Location: simulator.DefaultAzureLocation,
		Policies: []simulator.DPPolicy{{Name: "daily", Schedules: []string{"R/2026-01-01T02:00:00+00:00/P1D"}}},
		Instances: []simulator.DPInstance{
			{Name: "dp-healthy", ResourceID: disk("dp-healthy"), Policy: "daily"},
			{Name: "dp-failed", ResourceID: disk("dp-failed"), Policy: "daily"},
			{Name: "dp-stale", ResourceID: disk("dp-stale"), Policy: "daily",
				RecoveryPoints: []simulator.DPRecoveryPoint{{RecoveryPointTime: ts(50 * time.Hour), ExpiryTime: ts(-5 * 24 * time.Hour)}}},
			{Name: "dp-unprotected", ResourceID: disk("dp-unprotected"), Policy: "daily", ProtectionState: "NotProtected"},
		},
		Jobs: []simulator.DPJob{
			dpJob("dp-healthy", "Completed", 2*time.Hour+20*time.Minute), dpJob("dp-healthy", "Completed", 26*time.Hour),
			dpJob("dp-failed", "Failed", time.Hour), dpJob("dp-failed", "Completed", 26*time.Hour+20*time.Minute),
			dpJob("dp-stale", "Completed", 50*time.Hour+5*time.Minute),
		},
	})
	// AWS Backup: a healthy volume, a database whose newest job failed,
	// and a table whose last recovery point (50h old) is older than the
	// job window.
	vol := "arn:aws:ec2:eu-west-1:" + simulator.AWSDemoAccountID + ":volume/vol-0e2e0000000000001"
	db := "arn:aws:rds:eu-west-1:" + simulator.AWSDemoAccountID + ":db:aws-failed"
	table := "arn:aws:dynamodb:eu-west-1:" + simulator.AWSDemoAccountID + ":table/aws-stale"
	point := func(arn, typ string, ago time.Duration) simulator.AWSRecoveryPoint {
		return simulator.AWSRecoveryPoint{ResourceArn: arn, ResourceType: typ, Status: "COMPLETED", CreationDate: ts(ago), CompletionDate: ts(ago - 10*time.Minute)}
	}
	awsJob := func(arn, typ, name, state string, ago time.Duration) simulator.AWSBackupJob {
		j := simulator.AWSBackupJob{BackupVaultName: "Default", ResourceArn: arn, ResourceType: typ, ResourceName: name, State: state, CreationDate: ts(ago), CompletionDate: ts(ago - 10*time.Minute)}
		if state == "FAILED" {
			j.MessageCategory, j.StatusMessage = "ACCESS_DENIED", "Insufficient privileges to perform this action."
		}
		return j
	}
	aws := simulator.DefaultAWSScenario()
	acct := &aws.Accounts[0]
	acct.Resources = []simulator.AWSResource{{ARN: vol, Type: "EBS", Name: "aws-healthy"}, {ARN: db, Type: "RDS", Name: "aws-failed"}, {ARN: table, Type: "DynamoDB", Name: "aws-stale"}}
	acct.Vaults = []simulator.AWSVault{{Name: "Default", RecoveryPoints: []simulator.AWSRecoveryPoint{
		point(vol, "EBS", 2*time.Hour), point(db, "RDS", 26*time.Hour), point(table, "DynamoDB", 50*time.Hour)}}}
	acct.BackupJobs = []simulator.AWSBackupJob{
		awsJob(vol, "EBS", "aws-healthy", "COMPLETED", 2*time.Hour), awsJob(db, "RDS", "aws-failed", "FAILED", time.Hour),
		awsJob(db, "RDS", "aws-failed", "COMPLETED", 26*time.Hour),
	}
	// Trident protect: in namespace e2e, a healthy daily app, one whose
	// newest backup failed, one whose last backup (50h ago) is stale for
	// its daily schedule, and one with neither backups nor schedules.
	tpBackup := func(name, app, state string, ago time.Duration) simulator.TridentBackup {
		b := simulator.TridentBackup{KubernetesMeta: simulator.KubernetesMeta{Name: name, CreationTimestamp: ts(ago)},
			ApplicationRef: app, AppVaultRef: "e2e-vault", State: state, CompletionTimestamp: ts(ago - 5*time.Minute)}
		if state == "Failed" {
			b.Error = "volume snapshot failed: snapshot timed out"
		}
		return b
	}
	daily := func(app string) simulator.TridentSchedule {
		return simulator.TridentSchedule{KubernetesMeta: simulator.KubernetesMeta{Name: app + "-daily", CreationTimestamp: ts(30 * 24 * time.Hour)},
			ApplicationRef: app, AppVaultRef: "e2e-vault", Granularity: "Daily", Hour: "1", Minute: "0", BackupRetention: "7", SnapshotRetention: "2"}
	}
	app := func(name string) simulator.TridentApplication {
		return simulator.TridentApplication{KubernetesMeta: simulator.KubernetesMeta{Name: name, CreationTimestamp: ts(30 * 24 * time.Hour),
			Labels: map[string]string{"team": "platform"}},
			IncludedNamespaces: []simulator.TridentNamespaceSelector{{Namespace: "e2e"}}}
	}
	k8s := &simulator.KubernetesScenario{
		ServiceAccounts: []simulator.KubernetesServiceAccount{simulator.DefaultKubernetesServiceAccount()},
		Namespaces: []simulator.KubernetesNamespace{{Name: "e2e",
			Applications: []simulator.TridentApplication{app("tp-healthy"), app("tp-failed"), app("tp-stale"), app("tp-unprotected")},
			Backups: []simulator.TridentBackup{
				tpBackup("tp-healthy-1", "tp-healthy", "Completed", 2*time.Hour),
				tpBackup("tp-failed-1", "tp-failed", "Failed", time.Hour), tpBackup("tp-failed-0", "tp-failed", "Completed", 25*time.Hour),
				tpBackup("tp-stale-0", "tp-stale", "Completed", 50*time.Hour),
			},
			Schedules: []simulator.TridentSchedule{daily("tp-healthy"), daily("tp-failed"), daily("tp-stale")},
		}, {Name: simulator.LonghornDefaultNamespace}},
		CRDs: simulator.KubernetesCRDs{simulator.LonghornCRDSet: longhornScenario(ts)},
	}
	// Velero: namespaces ve-* (the e2e one is excluded by the target), one
	// freshly backed up by its daily Schedule, one whose newest Backup
	// failed, one whose last good backup (50h ago) is stale for its daily
	// Schedule, and one no Schedule or Backup covers.
	veBackup := func(name, ns, phase string, ago time.Duration) simulator.VeleroBackup {
		b := simulator.VeleroBackup{KubernetesMeta: simulator.KubernetesMeta{Name: name, CreationTimestamp: ts(ago)},
			VeleroBackupSpec: simulator.VeleroBackupSpec{IncludedNamespaces: []string{ns}}, ScheduleName: ns,
			Phase: phase, StartTimestamp: ts(ago), CompletionTimestamp: ts(ago - 5*time.Minute), ExpiresAt: ts(ago - 30*24*time.Hour)}
		if phase == "Failed" {
			b.FailureReason = "rpc error: code = Unknown desc = error putting object: NoSuchBucket"
		}
		return b
	}
	veSchedule := func(ns string) simulator.VeleroSchedule {
		return simulator.VeleroSchedule{KubernetesMeta: simulator.KubernetesMeta{Name: ns, CreationTimestamp: ts(30 * 24 * time.Hour)},
			Schedule: "0 1 * * *", Phase: "Enabled", Template: simulator.VeleroBackupSpec{IncludedNamespaces: []string{ns}}}
	}
	k8s.ServiceAccounts = append(k8s.ServiceAccounts, simulator.VeleroServiceAccount())
	for _, ns := range []string{simulator.VeleroNamespace, "ve-healthy", "ve-failed", "ve-stale", "ve-unprotected"} {
		k8s.Namespaces = append(k8s.Namespaces, simulator.KubernetesNamespace{Name: ns, CreationTimestamp: ts(30 * 24 * time.Hour)})
	}
	k8s.CRDs["velero"] = &simulator.VeleroCRDs{
		Schedules: []simulator.VeleroSchedule{veSchedule("ve-healthy"), veSchedule("ve-failed"), veSchedule("ve-stale")},
		Backups: []simulator.VeleroBackup{
			veBackup("ve-healthy-1", "ve-healthy", "Completed", 2*time.Hour),
			veBackup("ve-failed-1", "ve-failed", "Failed", time.Hour), veBackup("ve-failed-0", "ve-failed", "Completed", 25*time.Hour),
			veBackup("ve-stale-0", "ve-stale", "Completed", 50*time.Hour),
		},
		StorageLocations: []simulator.VeleroStorageLocation{{KubernetesMeta: simulator.KubernetesMeta{Name: "default"}, Default: true, Phase: "Available"}},
	}
	// CloudNativePG: in namespace e2e, a healthy Cluster with a daily
	// ScheduledBackup, one whose newest Backup failed, one whose last
	// completed Backup (50h ago) is stale for its daily schedule, and one
	// with neither backups nor a WAL archive.
	pgBackup := func(name, cluster, phase string, ago time.Duration) simulator.CNPGBackup {
		b := simulator.CNPGBackup{KubernetesMeta: simulator.KubernetesMeta{Name: name, CreationTimestamp: ts(ago)}, Namespace: "e2e",
			Cluster: cluster, Phase: phase, StartedAt: ts(ago), StoppedAt: ts(ago - 5*time.Minute)}
		if phase == "failed" {
			b.Error = "can't execute backup: exit status 4"
		}
		return b
	}
	pgCluster := func(name string, archive bool) simulator.CNPGCluster {
		c := simulator.CNPGCluster{KubernetesMeta: simulator.KubernetesMeta{Name: name, CreationTimestamp: ts(30 * 24 * time.Hour)}, Namespace: "e2e"}
		if archive {
			c.BarmanObjectStore = &simulator.CNPGStoreConfig{DestinationPath: "s3://e2e/" + name + "/"}
		}
		return c
	}
	pgDaily := func(cluster string) simulator.CNPGScheduledBackup {
		return simulator.CNPGScheduledBackup{KubernetesMeta: simulator.KubernetesMeta{Name: cluster + "-daily", CreationTimestamp: ts(30 * 24 * time.Hour)},
			Namespace: "e2e", Cluster: cluster, Schedule: "0 0 1 * * *"}
	}
	k8s.CRDs["cloudnative_pg"] = &simulator.CNPGData{
		Clusters: []simulator.CNPGCluster{pgCluster("pg-healthy", true), pgCluster("pg-failed", true), pgCluster("pg-stale", true), pgCluster("pg-unprotected", false)},
		Backups: []simulator.CNPGBackup{
			pgBackup("pg-healthy-1", "pg-healthy", "completed", 2*time.Hour),
			pgBackup("pg-failed-1", "pg-failed", "failed", time.Hour), pgBackup("pg-failed-0", "pg-failed", "completed", 25*time.Hour),
			pgBackup("pg-stale-0", "pg-stale", "completed", 50*time.Hour),
		},
		ScheduledBackups: []simulator.CNPGScheduledBackup{pgDaily("pg-healthy"), pgDaily("pg-failed"), pgDaily("pg-stale")},
	}
	return &simulator.Scenario{Astra: astra, Azure: az, AWS: aws, Kubernetes: k8s}
}

// longhornScenario: Longhorn volumes in the default group (a daily backup
// job): a healthy one, one whose newest backup is in Error, one whose last
// backup (50h ago) is stale, and one with only a snapshot job
// (unprotected).
func longhornScenario(ts func(time.Duration) string) *simulator.LonghornData {
	backup := func(name, volume, state string, ago time.Duration) simulator.LonghornBackup {
		b := simulator.LonghornBackup{KubernetesMeta: simulator.KubernetesMeta{Name: name, CreationTimestamp: ts(ago)},
			Volume: volume, State: state, SnapshotCreatedAt: ts(ago), SizeBytes: ptr(int64(1 << 30))}
		if state == "Error" {
			b.Error, b.SizeBytes = "failed to upload backup block: i/o timeout", nil
		}
		return b
	}
	volume := func(name string, labels map[string]string) simulator.LonghornVolume {
		return simulator.LonghornVolume{KubernetesMeta: simulator.KubernetesMeta{Name: name, Labels: labels, CreationTimestamp: ts(30 * 24 * time.Hour)}}
	}
	return &simulator.LonghornData{
		Volumes: []simulator.LonghornVolume{volume("lh-healthy", nil), volume("lh-failed", nil), volume("lh-stale", nil),
			volume("lh-unprotected", map[string]string{"recurring-job-group.longhorn.io/snapshots": "enabled"})},
		Backups: []simulator.LonghornBackup{
			backup("lh-healthy-1", "lh-healthy", "Completed", 2*time.Hour),
			backup("lh-failed-1", "lh-failed", "Error", time.Hour), backup("lh-failed-0", "lh-failed", "Completed", 25*time.Hour),
			backup("lh-stale-0", "lh-stale", "Completed", 50*time.Hour),
		},
		RecurringJobs: []simulator.LonghornRecurringJob{
			{KubernetesMeta: simulator.KubernetesMeta{Name: "backup-daily"}, Task: "backup", Cron: "0 1 * * *", Groups: []string{"default"}},
			{KubernetesMeta: simulator.KubernetesMeta{Name: "snapshot-6h"}, Task: "snapshot", Cron: "0 */6 * * *", Groups: []string{"snapshots"}},
		},
		BackupTargets: []simulator.LonghornBackupTarget{{KubernetesMeta: simulator.KubernetesMeta{Name: "default"}, URL: "s3://e2e@us-east-1/"}},
	}
}

const exporterConfig = `global:
  scrape_timeout: 20s
  cache_ttl: 5s
credentials:
  - name: astra
    astra: {api_token: e2e-astra-token}
    tls_config: {ca_file: ca.pem}
  - name: aws
    aws: {access_key_id: %[6]s, secret_access_key: %[7]s}
    tls_config: {ca_file: ca.pem}
  - name: k8s
    kubernetes: {server: %[1]q, bearer_token: %[8]s}
    tls_config: {ca_file: ca.pem}
  - name: k8s-velero
    kubernetes: {server: %[1]q, bearer_token: %[9]s}
    tls_config: {ca_file: ca.pem}
  - name: azure
    azure:
      auth: client_secret
      tenant_id: %[2]s
      client_id: %[3]s
      client_secret: %[4]s
      cloud: custom
      authority_host: %[1]s
      resource_manager_endpoint: %[1]s
    tls_config: {ca_file: ca.pem}
targets:
  - {name: astra-e2e, type: astra, credential: astra, endpoint: %[1]q, account_id: e2e}
  - {name: astra-broken, type: astra, credential: astra, endpoint: %[1]q, account_id: no-such-account}
  - {name: anf-e2e, type: azure_netapp_files, credential: azure, subscription_id: %[5]s, resource_group: demo-rg, account: demo-account,
     resource_labels: [team], static_labels: {environment: e2e}}
  - {name: azure-backup-e2e, type: azure_backup, credential: azure, subscription_id: %[5]s, resource_group: demo-rg, vault: e2e-rsv}
  - {name: azure-dp-e2e, type: azure_dataprotection, credential: azure, subscription_id: %[5]s, resource_group: demo-rg, vault: e2e-bv}
  - {name: aws-backup-e2e, type: aws_backup, credential: aws, region: eu-west-1, endpoint: %[1]q}
  - {name: trident-e2e, type: trident_protect, credential: k8s, namespaces: [e2e], resource_labels: [team]}
  - {name: velero-e2e, type: velero, credential: k8s-velero, exclude_namespaces: [e2e]}
  - {name: cnpg-e2e, type: cloudnative_pg, credential: k8s, namespaces: [e2e]}
  - {name: longhorn-e2e, type: longhorn, credential: k8s}
`

// ownersOverlay renders the mixin's rules with owner labels: every backup
// alert carries the resource's team (tags and Kubernetes labels), which
// Alertmanager routes on.
const ownersOverlay = `{ _config+:: { ownerLabels: ['tag_team', 'label_team'] } }`

// alertmanagerConfig routes the alerts of the payments team (the ANF
// volumes 1, 4 and 7 of the generated account: vol-007's mirror is
// broken) to their own receiver.
const alertmanagerConfig = `route:
  receiver: blackhole
  routes:
    - receiver: payments
      matchers: ['tag_team="payments"']
receivers: [{name: blackhole}, {name: payments}]
`

// TestE2E runs the simulator, the exporter binary, a real Prometheus with
// the mixin's rules (with owner labels: without an owner, an alert is the
// shipped one) and a real Alertmanager, and checks what an operator would
// see: every dashboard query has data, the right alerts fire and reach
// Alertmanager, an alert is routed by its resource's owner, healthy
// resources raise none, and /metrics passes promtool's lint.
func TestE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	// .ci/run installs them (Debian's prometheus and prometheus-alertmanager).
	tools := tooltest.Require(t, tooltest.Prometheus, tooltest.Promtool, tooltest.Alertmanager)
	prometheus, promtool, alertmanager := tools[0], tools[1], tools[2]
	root := repoRoot(t)
	dir := t.TempDir()

	sim, err := simulator.Start(simulator.Options{Scenario: scenario(time.Now()), CAFile: filepath.Join(dir, "ca.pem")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	// One throttled answer, so that the retry panels and series exist.
	if err := sim.AddFault(simulator.Fault{API: "astra", Path: "app-healthy", Status: 429, RetryAfter: "0", Times: 1}); err != nil {
		t.Fatal(err)
	}

	exporterBin := filepath.Join(dir, "backup_exporter")
	build := exec.Command("go", "build", "-o", exporterBin, "./cmd/backup_exporter")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cfg := fmt.Sprintf(exporterConfig, sim.URL(), simulator.DefaultAzureTenantID, simulator.DefaultAzureClientID,
		simulator.DefaultAzureClientSecret, simulator.DefaultAzureSubscriptionID, simulator.AWSDemoAccessKeyID, simulator.AWSDemoSecretAccessKey, simulator.KubernetesDemoToken, simulator.VeleroDemoToken)
	writeFile(t, filepath.Join(dir, "backup_exporter.yml"), cfg)
	exporterAddr := freePort(t)
	start(t, dir, exporterBin, "--config.file=backup_exporter.yml", "--web.listen-address="+exporterAddr)

	amAddr := freePort(t)
	writeFile(t, filepath.Join(dir, "alertmanager.yml"), alertmanagerConfig)
	start(t, dir, alertmanager, "--config.file=alertmanager.yml", "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=")

	out, err := mixin.Evaluate(filepath.Join(root, "mixin"), ownersOverlay)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := mixin.RenderRules(out.Header, out.Groups)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "rules.yml"), rulesWithoutFor(t, rules))
	promAddr := freePort(t)
	writeFile(t, filepath.Join(dir, "prometheus.yml"), fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [rules.yml]
alerting:
  alertmanagers: [{static_configs: [{targets: [%q]}]}]
scrape_configs:
  - job_name: backup_exporter
    static_configs: [{targets: [%q]}]
`, amAddr, exporterAddr))
	start(t, dir, prometheus, "--config.file=prometheus.yml", "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr)

	promURL := "http://" + promAddr
	waitFor(t, "Prometheus scrapes the exporter", 60*time.Second, func() (bool, string) {
		v, err := query(promURL, `up{job="backup_exporter"} == 1 and on() count(backup_healthy) > 5`)
		return err == nil && len(v) == 1, fmt.Sprint(v, err)
	})

	// A second throttled answer once Prometheus has seen the retry counter,
	// so that its rate is above zero (a series born at 1 has no rate).
	if err := sim.AddFault(simulator.Fault{API: "astra", Path: "app-healthy", Status: 429, RetryAfter: "0", Times: 1}); err != nil {
		t.Fatal(err)
	}

	t.Run("promtool check metrics", func(t *testing.T) {
		body, _, err := httpGet("http://" + exporterAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(body)
		out, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	})

	t.Run("alerts", func(t *testing.T) {
		want := map[string][]string{ // alertname → resource names (or targets) it must name
			"BackupFailed":             {"failed", "never", "ab-failed", "aws-failed", "tp-failed", "ve-failed", "pg-failed", "lh-failed", "dp-failed"},
			"BackupUnhealthy":          {"hooks"},
			"BackupStale":              {"stale", "never", "ab-stale", "aws-stale", "tp-stale", "ve-stale", "pg-stale", "lh-stale", "dp-stale"},
			"BackupUnprotected":        {"unprotected", "vol-008", "ab-unprotected", "tp-unprotected", "ve-unprotected", "pg-unprotected", "lh-unprotected", "dp-unprotected"},
			"BackupMirrorBroken":       {"vol-007"},
			"BackupExporterTargetDown": {"astra-broken"},
			"BackupExporterThrottled":  {"astra"}, // the 429s injected above
		}
		// AWS Backup lists no unprotected resources (docs/metrics.md), so
		// BackupUnprotected has nothing to fire on for aws_backup.
		healthy := []string{"healthy", "running", "vol-001", "ab-healthy", "aws-healthy", "tp-healthy", "ve-healthy", "pg-healthy", "lh-healthy", "dp-healthy"}
		amURL := "http://" + amAddr
		waitFor(t, "alerts firing in Prometheus and received by Alertmanager", 90*time.Second, func() (bool, string) {
			got, err := amAlerts(amURL)
			if err != nil {
				return false, err.Error()
			}
			for name, subjects := range want {
				for _, s := range subjects {
					if !got[name][s] {
						return false, fmt.Sprintf("%s for %s not in Alertmanager; have %v", name, s, got)
					}
				}
			}
			return true, ""
		})
		got, err := amAlerts(amURL)
		if err != nil {
			t.Fatal(err)
		}
		for name, subjects := range got {
			for _, h := range healthy {
				if subjects[h] {
					t.Errorf("%s fires for healthy resource %s", name, h)
				}
			}
		}
		firing, err := query(promURL, `ALERTS{alertstate="firing"}`)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d alerts firing in Prometheus", len(firing))
	})

	t.Run("alerts routed by owner", func(t *testing.T) {
		amURL := "http://" + amAddr
		// vol-007 (tagged team=payments) has a broken mirror: its alert
		// carries the team and Alertmanager routes it to payments.
		waitFor(t, "BackupMirrorBroken of vol-007 routed to the payments receiver", 90*time.Second, func() (bool, string) {
			alerts, err := amAlertsOf(amURL, "payments")
			if err != nil {
				return false, err.Error()
			}
			for _, a := range alerts {
				if a.Labels["alertname"] == "BackupMirrorBroken" && a.Labels["resource_name"] == "vol-007" && a.Labels["tag_team"] == "payments" {
					return true, ""
				}
			}
			return false, fmt.Sprint(alerts)
		})
		payments, err := amAlertsOf(amURL, "payments")
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range payments {
			if a.Labels["tag_team"] != "payments" {
				t.Errorf("an alert of another owner reached the payments receiver: %v", a.Labels)
			}
		}
		// The others keep the default route: an owner of Kubernetes labels,
		// and an alert without owner (its target sets no resource_labels).
		others, err := amAlertsOf(amURL, "blackhole")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, a := range others {
			if a.Labels["alertname"] != "BackupFailed" {
				continue
			}
			switch a.Labels["resource_name"] {
			case "tp-failed":
				seen["tp-failed"] = a.Labels["label_team"] == "platform"
			case "failed":
				_, owned := a.Labels["tag_team"]
				seen["failed"] = !owned && a.Labels["label_team"] == ""
			}
		}
		if !seen["tp-failed"] || !seen["failed"] {
			t.Errorf("BackupFailed of tp-failed (label_team platform) and of failed (no owner) not on the default route: %v", seen)
		}
	})

	t.Run("every dashboard query returns data", func(t *testing.T) {
		exprs := dashboardExprs(t, filepath.Join(root, "dashboards"))
		if len(exprs) < 10 {
			t.Fatalf("only %d dashboard queries found", len(exprs))
		}
		for _, e := range exprs {
			var res []json.RawMessage
			var err error
			waitFor(t, "data for "+e.panel, 30*time.Second, func() (bool, string) {
				res, err = query(promURL, e.expr)
				return err == nil && len(res) > 0, fmt.Sprintf("%s: %v", e.expr, err)
			})
		}
	})
}

func ptr[T any](v T) *T { return &v }

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// rulesWithoutFor returns the rules file b with every `for` removed, so
// that the test sees alerts fire at the first evaluation; the `for`
// durations themselves are covered by promtool test rules.
func rulesWithoutFor(t *testing.T, b []byte) string {
	t.Helper()
	var doc struct {
		Groups []struct {
			Name  string           `yaml:"name"`
			Rules []map[string]any `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			delete(r, "for")
		}
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// query runs an instant query and returns its result vector.
func query(promURL, expr string) ([]json.RawMessage, error) {
	body, code, err := httpGet(promURL + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("status %d: %s", code, body)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s", r.Error)
	}
	if r.Data.ResultType == "scalar" {
		return []json.RawMessage{r.Data.Result}, nil
	}
	var v []json.RawMessage
	if err := json.Unmarshal(r.Data.Result, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// amAlerts returns, per alert name, the resource names, targets and
// providers named by the alerts Alertmanager holds.
func amAlerts(amURL string) (map[string]map[string]bool, error) {
	body, code, err := httpGet(amURL + "/api/v2/alerts")
	if err != nil {
		return nil, err
	}
	var alerts []struct {
		Labels map[string]string `json:"labels"`
	}
	if err := json.Unmarshal(body, &alerts); err != nil {
		return nil, fmt.Errorf("status %d: %s", code, body)
	}
	out := map[string]map[string]bool{}
	for _, a := range alerts {
		name := a.Labels["alertname"]
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		for _, l := range []string{"resource_name", "target", "provider"} {
			if v := a.Labels[l]; v != "" {
				out[name][v] = true
			}
		}
	}
	return out, nil
}

// amAlert is an alert as Alertmanager's API returns it.
type amAlert struct {
	Labels    map[string]string `json:"labels"`
	Receivers []struct {
		Name string `json:"name"`
	} `json:"receivers"`
}

// amAlertsOf returns the alerts Alertmanager routed to receiver.
func amAlertsOf(amURL, receiver string) ([]amAlert, error) {
	body, code, err := httpGet(amURL + "/api/v2/alerts?receiver=" + url.QueryEscape("^"+receiver+"$"))
	if err != nil {
		return nil, err
	}
	var alerts []amAlert
	if err := json.Unmarshal(body, &alerts); err != nil {
		return nil, fmt.Errorf("status %d: %s", code, body)
	}
	for _, a := range alerts {
		routed := false
		for _, r := range a.Receivers {
			routed = routed || r.Name == receiver
		}
		if !routed {
			return nil, fmt.Errorf("alert %v listed for receiver %s routed to %v", a.Labels, receiver, a.Receivers)
		}
	}
	return alerts, nil
}

type dashboardExpr struct{ panel, expr string }

// grafanaVars are the dashboards' variables and Grafana's built-ins,
// replaced as Grafana would with "All" selected.
var grafanaVars = regexp.MustCompile(`\$\{?(__rate_interval|__interval|__range|provider|target|resource_name|datasource)(:[a-z]+)?\}?`)

// dashboardExprs returns every PromQL expression of every dashboard panel.
func dashboardExprs(t *testing.T, dir string) []dashboardExpr {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no dashboards in %s: %v", dir, err)
	}
	var out []dashboardExpr
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Panels []json.RawMessage `json:"panels"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, panelExprs(t, filepath.Base(f), d.Panels)...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].panel < out[j].panel })
	return out
}

func panelExprs(t *testing.T, file string, panels []json.RawMessage) []dashboardExpr {
	var out []dashboardExpr
	for _, raw := range panels {
		var p struct {
			Title   string            `json:"title"`
			Panels  []json.RawMessage `json:"panels"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, panelExprs(t, file, p.Panels)...)
		for _, target := range p.Targets {
			if target.Expr == "" {
				continue
			}
			expr := grafanaVars.ReplaceAllStringFunc(target.Expr, func(m string) string {
				switch {
				case strings.Contains(m, "rate_interval"), strings.Contains(m, "__interval"):
					return "1m"
				case strings.Contains(m, "__range"):
					return "1h"
				default:
					return ".*"
				}
			})
			out = append(out, dashboardExpr{panel: file + ": " + p.Title, expr: expr})
		}
	}
	return out
}

package providertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backup-exporter/backup_exporter/internal/simulator"
)

// The simulator estates' credentials and names.
const (
	AstraToken   = "astra-test-token-5f2e"
	AstraAccount = "sim-account"

	AzureTenant       = simulator.DefaultAzureTenantID
	AzureClient       = simulator.DefaultAzureClientID
	AzureSecret       = "az-test-secret-6b1f"
	AzureSubscription = simulator.DefaultAzureSubscriptionID
)

// generated is the instant the generated estates are relative to.
var generated = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// Start starts the simulator with sc over TLS and returns it with the path
// of its CA file.
func Start(t testing.TB, sc *simulator.Scenario) (*simulator.Server, string) {
	t.Helper()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	sim, err := simulator.Start(simulator.Options{Scenario: sc, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	return sim, caFile
}

// StartAstra serves a generated Astra account of apps apps with 5 backups
// each, behind AstraToken.
func StartAstra(t testing.TB, apps int) (*simulator.Server, string) {
	t.Helper()
	sc := &simulator.Scenario{Astra: simulator.GenerateAstra(AstraAccount, apps, 5, generated)}
	sc.Astra.Token = AstraToken
	return Start(t, sc)
}

// StartAstraV1Only is StartAstra as an Astra Control Center before
// App 2.0: apps at k8s/v1/apps only.
func StartAstraV1Only(t testing.TB, apps int) (*simulator.Server, string) {
	t.Helper()
	sc := &simulator.Scenario{Astra: simulator.GenerateAstra(AstraAccount, apps, 5, generated)}
	sc.Astra.Token = AstraToken
	sc.Astra.AppsV1Only = true
	return Start(t, sc)
}

// AstraConfig is a configuration with one Astra target per app index given
// (app_id set), or one discovering target named "all" when none is given.
func AstraConfig(sim *simulator.Server, caFile, global string, apps ...int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global: {%s}\ncredentials:\n  - name: astra\n    astra: {api_token: %q}\n    tls_config: {ca_file: %q}\ntargets:\n", global, AstraToken, caFile)
	if len(apps) == 0 {
		fmt.Fprintf(&b, "  - {name: all, type: astra, credential: astra, endpoint: %q, account_id: %s}\n", sim.URL(), AstraAccount)
	}
	for _, i := range apps {
		fmt.Fprintf(&b, "  - {name: app%d, type: astra, credential: astra, endpoint: %q, account_id: %s, app_id: %s}\n",
			i, sim.URL(), AstraAccount, SimulatedAppID(i))
	}
	return b.String()
}

// SimulatedAppID is the ID GenerateAstra gives app i (1-based).
func SimulatedAppID(i int) string { return fmt.Sprintf("a0000000-0000-4000-8000-%012d", i) }

// SimulatedAppName is the name GenerateAstra gives app i (1-based).
func SimulatedAppName(i int) string { return fmt.Sprintf("app-%03d", i) }

// StartAzure serves a generated estate of pools×volumes NetApp volumes and
// servers PostgreSQL servers, with the test tenant and client, its ARM
// lists paged by pageSize (0: the simulator's default).
func StartAzure(t testing.TB, pools, volumes, servers, pageSize int) (*simulator.Server, string) {
	t.Helper()
	az := simulator.GenerateAzure(AzureSubscription, pools, volumes, servers, 4, generated)
	az.PageSize = pageSize
	az.Tenants = []simulator.AzureTenant{{ID: AzureTenant, Clients: []simulator.AzureClient{{ClientID: AzureClient, ClientSecret: AzureSecret}}}}
	return Start(t, &simulator.Scenario{Azure: az})
}

// AzureConfig is a configuration whose Azure credential logs in to the
// simulator (a custom cloud) with a client secret, and whose targets are
// given as YAML flow mappings without credential, subscription and
// resource group.
func AzureConfig(url, caFile, secret, global string, targets ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global: {%s}
credentials:
  - name: az
    azure:
      auth: client_secret
      tenant_id: %s
      client_id: %s
      client_secret: %q
      cloud: custom
      authority_host: %s
      resource_manager_endpoint: %s
    tls_config: {ca_file: %q}
targets:
`, global, AzureTenant, AzureClient, secret, url, url, caFile)
	for _, t := range targets {
		fmt.Fprintf(&b, "  - {credential: az, subscription_id: %s, resource_group: %s, %s}\n", AzureSubscription, simulator.DefaultAzureResourceGroup, t)
	}
	return b.String()
}

// StartHuawei serves GenerateHuawei's project of resources resources with
// 5 backups each.
func StartHuawei(t testing.TB, resources int) (*simulator.Server, string) {
	t.Helper()
	return Start(t, &simulator.Scenario{Huawei: simulator.GenerateHuawei(simulator.HuaweiDemoProject, resources, 5, time.Now())})
}

// StartAzureBackup serves GenerateAzureBackup's vaults×items protected
// items with 7 days of jobs up to now, with the test tenant and client,
// its ARM lists paged by pageSize (0: the simulator's default).
func StartAzureBackup(t testing.TB, vaults, items, pageSize int) (*simulator.Server, string) {
	t.Helper()
	az := simulator.GenerateAzureBackup(AzureSubscription, vaults, items, 7, time.Now())
	az.PageSize = pageSize
	az.Tenants = []simulator.AzureTenant{{ID: AzureTenant, Clients: []simulator.AzureClient{{ClientID: AzureClient, ClientSecret: AzureSecret}}}}
	return Start(t, &simulator.Scenario{Azure: az})
}

// StartDataProtection serves GenerateDataProtection's vaults×instances
// backup instances with 7 days of jobs up to now, with the test tenant and
// client, its ARM lists paged by pageSize (0: the simulator's default).
func StartDataProtection(t testing.TB, vaults, instances, pageSize int) (*simulator.Server, string) {
	t.Helper()
	az := simulator.GenerateDataProtection(AzureSubscription, vaults, instances, 7, time.Now())
	az.PageSize = pageSize
	az.Tenants = []simulator.AzureTenant{{ID: AzureTenant, Clients: []simulator.AzureClient{{ClientID: AzureClient, ClientSecret: AzureSecret}}}}
	return Start(t, &simulator.Scenario{Azure: az})
}

// StartAWS serves GenerateAWS's resources (with jobsPerResource daily jobs
// up to now) in the demo account and region, with the demo key and role,
// lists paged by pageSize (0: the simulator's default).
func StartAWS(t testing.TB, resources, jobsPerResource, pageSize int) (*simulator.Server, string) {
	t.Helper()
	sc := simulator.GenerateAWS(simulator.AWSDemoAccountID, resources, jobsPerResource, time.Now())
	sc.PageSize = pageSize
	return Start(t, &simulator.Scenario{AWS: sc})
}

// AWSSimConfig is a configuration of aws_backup targets (flow mappings
// without credential, type, region and endpoint) on sim with the demo
// static keys; with role set, the keys assume the demo role through the
// simulator's STS.
func AWSSimConfig(sim *simulator.Server, caFile, global string, role bool, targets ...string) string {
	var b strings.Builder
	extra := ""
	if role {
		extra = fmt.Sprintf(", role_arn: %q, sts_endpoint: %q", simulator.AWSDemoRoleARN, sim.URL())
	}
	fmt.Fprintf(&b, `global: {%s}
credentials:
  - name: aws
    aws: {access_key_id: %s, secret_access_key: %q%s}
    tls_config: {ca_file: %q}
targets:
`, global, simulator.AWSDemoAccessKeyID, simulator.AWSDemoSecretAccessKey, extra, caFile)
	for _, t := range targets {
		fmt.Fprintf(&b, "  - {credential: aws, type: aws_backup, region: %s, endpoint: %q, %s}\n", simulator.AWSDemoRegion, sim.URL(), t)
	}
	return b.String()
}

// StartTridentProtect serves GenerateTridentProtect's namespaces×apps
// Applications with backupsPerApp Backups each, up to now.
func StartTridentProtect(t testing.TB, namespaces, apps, backupsPerApp int) (*simulator.Server, string) {
	t.Helper()
	return Start(t, &simulator.Scenario{Kubernetes: simulator.GenerateTridentProtect(namespaces, apps, backupsPerApp, time.Now())})
}

// StartVelero serves GenerateVelero's cluster of namespaces namespaces
// and about backups Velero Backups, up to now.
func StartVelero(t testing.TB, namespaces, backups int) (*simulator.Server, string) {
	t.Helper()
	return Start(t, &simulator.Scenario{Kubernetes: simulator.GenerateVelero(namespaces, backups, time.Now())})
}

// VeleroConfig is a configuration of velero targets (flow mappings
// without credential and type) reading the simulator with Velero's
// service account (its token, the simulator's CA).
func VeleroConfig(sim *simulator.Server, caFile, global string, targets ...string) string {
	return kubernetesConfig(fmt.Sprintf("kubernetes: {server: %q, bearer_token: %s}, tls_config: {ca_file: %q}", sim.URL(), simulator.VeleroDemoToken, caFile),
		"velero", global, targets)
}

// kubernetesConfig is a configuration of typ targets (flow mappings
// without credential and type) reading with the credential k8s, whose
// flow mapping holds cred after its name.
func kubernetesConfig(cred, typ, global string, targets []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global: {%s}\ncredentials:\n  - {name: k8s, %s}\ntargets:\n", global, cred)
	for _, t := range targets {
		fmt.Fprintf(&b, "  - {credential: k8s, type: %s, %s}\n", typ, t)
	}
	return b.String()
}

// kubeconfigConfig is kubernetesConfig with a credential that reads the
// kubeconfig file kubeconfig.
func kubeconfigConfig(kubeconfig, typ, global string, targets []string) string {
	return kubernetesConfig(fmt.Sprintf("kubernetes: {kubeconfig: %q}", kubeconfig), typ, global, targets)
}

// KubeconfigFile writes the simulator's kubeconfig for token (its cluster
// CA inline) and returns its path.
func KubeconfigFile(t testing.TB, sim *simulator.Server, token string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, sim.KubernetesKubeconfig(token), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TridentConfig is a configuration of trident_protect targets (flow
// mappings without credential and type) reading the simulator through a
// kubeconfig file.
func TridentConfig(kubeconfig, global string, targets ...string) string {
	return kubeconfigConfig(kubeconfig, "trident_protect", global, targets)
}

// StartCloudNativePG serves GenerateCloudNativePG's namespaces×clusters
// Clusters with backupsPerCluster Backups each, up to now.
func StartCloudNativePG(t testing.TB, namespaces, clusters, backupsPerCluster int) (*simulator.Server, string) {
	t.Helper()
	return Start(t, &simulator.Scenario{Kubernetes: simulator.GenerateCloudNativePG(namespaces, clusters, backupsPerCluster, time.Now())})
}

// CloudNativePGConfig is a configuration of cloudnative_pg targets (flow
// mappings without credential and type) reading the simulator through a
// kubeconfig file.
func CloudNativePGConfig(kubeconfig, global string, targets ...string) string {
	return kubeconfigConfig(kubeconfig, "cloudnative_pg", global, targets)
}

// StartLonghorn serves GenerateLonghorn's volumes Longhorn Volumes with
// backupsPerVolume Backups each, up to now.
func StartLonghorn(t testing.TB, volumes, backupsPerVolume int) (*simulator.Server, string) {
	t.Helper()
	return Start(t, &simulator.Scenario{Kubernetes: simulator.GenerateLonghorn(volumes, backupsPerVolume, time.Now())})
}

// LonghornConfig is a configuration of longhorn targets (flow mappings
// without credential and type) reading the simulator through a kubeconfig
// file.
func LonghornConfig(kubeconfig, global string, targets ...string) string {
	return kubeconfigConfig(kubeconfig, "longhorn", global, targets)
}

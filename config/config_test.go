package config_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/backup-exporter/backup_exporter/collector/providers"
	"github.com/backup-exporter/backup_exporter/collector/providers/astra"
	awscred "github.com/backup-exporter/backup_exporter/collector/providers/aws"
	"github.com/backup-exporter/backup_exporter/collector/providers/azurebackup"
	"github.com/backup-exporter/backup_exporter/collector/providers/azurenetappfiles"
	"github.com/backup-exporter/backup_exporter/collector/providers/azurepostgresqlltr"
	"github.com/backup-exporter/backup_exporter/collector/providers/huawei"
	"github.com/backup-exporter/backup_exporter/collector/providers/huaweicbr"
	. "github.com/backup-exporter/backup_exporter/config"
)

// kinds are the real providers' kinds: these tests load the files users
// write.
var kinds = providers.All().Config()

func fmtAll(v any) string {
	return fmt.Sprintf("%v %+v %#v %s %q", v, v, v, v, v)
}

func TestLoadGood(t *testing.T) {
	t.Setenv("BACKUP_EXPORTER_TEST_TOKEN", "token-from-env")
	cfg, err := Load("testdata/good.yml", kinds)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Global.CacheTTL; got != 0 {
		t.Errorf("explicit cache_ttl 0 became %v", got)
	}
	if got := cfg.Global.PollTimeout; got != model.Duration(2*time.Minute) {
		t.Errorf("poll_timeout = %v", got)
	}
	if got := cfg.Global.MaxStaleness; got != model.Duration(10*time.Minute) {
		t.Errorf("max_staleness = %v", got)
	}
	if got := cfg.Targets[1].PollTimeout; got != model.Duration(10*time.Minute) {
		t.Errorf("target poll_timeout = %v", got)
	}
	if got := cfg.Targets[0].PollTimeout; got != model.Duration(2*time.Minute) {
		t.Errorf("target poll_timeout default = %v, want global.poll_timeout", got)
	}
	if got := cfg.Global.MaxConcurrency; got != 4 {
		t.Errorf("max_concurrency = %d", got)
	}
	if got := cfg.Global.BodySizeLimit; got != 8<<20 {
		t.Errorf("body_size_limit = %d", got)
	}
	if got := cfg.Credentials[2].Spec.(*huawei.Credential).AuthToken; string(got) != "token-from-env" {
		t.Errorf("${ENV} not expanded: %q", string(got))
	}
	if got := cfg.Credentials[3].Spec.(*astra.Credential).APITokenFile; got != filepath.Join("testdata", "astra-token") {
		t.Errorf("relative api_token_file not resolved against the config dir: %q", got)
	}
	anf, pg, cbr := cfg.Targets[0], cfg.Targets[1], cfg.Targets[2]
	anfSpec, pgSpec, cbrSpec := anf.Spec.(*azurenetappfiles.Spec), pg.Spec.(*azurepostgresqlltr.Spec), cbr.Spec.(*huaweicbr.Spec)
	if anfSpec.APIVersion != azurenetappfiles.DefaultAPIVersion || pgSpec.APIVersion != azurepostgresqlltr.DefaultAPIVersion {
		t.Errorf("api_version defaults: %q %q", anfSpec.APIVersion, pgSpec.APIVersion)
	}
	if anf.ExpectedInterval != DefaultExpectedInterval || pg.ExpectedInterval != DefaultExpectedInterval*7 {
		t.Errorf("expected_interval: %v %v", anf.ExpectedInterval, pg.ExpectedInterval)
	}
	if got := cfg.Targets[4].Spec.(*huaweicbr.Spec).Endpoint; got != "https://cbr.ap-southeast-1.myhuaweicloud.com" {
		t.Errorf("endpoint from region = %q", got)
	}
	if cbrSpec.Endpoint != "https://cbr.cn-north-4.myhuaweicloud.com" {
		t.Errorf("endpoint trailing slash kept: %q", cbrSpec.Endpoint)
	}
	// Resource Graph mode: the source defaults to arm; progress_from_arm
	// to true (false when written), resource_graph_api_version and
	// api_version to their defaults.
	byName := map[string]*Target{}
	for i := range cfg.Targets {
		byName[cfg.Targets[i].Name] = &cfg.Targets[i]
	}
	arm, estate, groups := byName["azure-backup"].Spec.(*azurebackup.Spec), byName["azure-backup-estate"].Spec.(*azurebackup.Spec), byName["azure-backup-groups"].Spec.(*azurebackup.Spec)
	if arm.Source != "arm" || estate.Source != "resource_graph" || estate.ProgressFromARM || !groups.ProgressFromARM ||
		groups.ResourceGraphAPIVersion != "2024-04-01" || groups.APIVersion != azurebackup.DefaultAPIVersion || len(estate.Subscriptions) != 2 {
		t.Errorf("Resource Graph keys: arm %+v, estate %+v, groups %+v", arm.GraphSpec, estate.GraphSpec, groups.GraphSpec)
	}
	if pg.ResourceLabelsRefresh != model.Duration(2*time.Hour) || anf.ResourceLabelsRefresh != DefaultResourceLabelsRefresh || DefaultResourceLabelsRefresh != model.Duration(time.Hour) {
		t.Errorf("resource_labels_refresh: %v, default %v", pg.ResourceLabelsRefresh, anf.ResourceLabelsRefresh)
	}
	if fmt.Sprint(pg.ResourceLabels, pg.StaticLabels) != "[owner cost-center team.example.com/*] map[business_unit:payments]" {
		t.Errorf("owners' keys: %v %v", pg.ResourceLabels, pg.StaticLabels)
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse([]byte(`
credentials: [{name: a, astra: {api_token: t}}]
targets: [{name: a, type: astra, credential: a, endpoint: "https://x.example", account_id: acc}]
`), "", kinds)
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Global
	if g.ScrapeTimeout != DefaultScrapeTimeout || g.CacheTTL != DefaultCacheTTL ||
		g.MaxConcurrency != DefaultMaxConcurrency || g.BodySizeLimit != DefaultBodySizeLimit ||
		g.PollTimeout != DefaultPollTimeout || g.MaxStaleness != 3*DefaultCacheTTL {
		t.Errorf("defaults not applied: %+v", g)
	}
	if got := cfg.Targets[0].PollTimeout; got != DefaultPollTimeout {
		t.Errorf("target poll_timeout = %v", got)
	}
	if g.MaxPagesPerList != DefaultMaxPagesPerList || g.MaxItemsPerPoll != DefaultMaxItemsPerPoll ||
		cfg.Targets[0].MaxPagesPerList != DefaultMaxPagesPerList || cfg.Targets[0].MaxItemsPerPoll != DefaultMaxItemsPerPoll {
		t.Errorf("poll bounds not defaulted: %+v, target %d/%d", g, cfg.Targets[0].MaxPagesPerList, cfg.Targets[0].MaxItemsPerPoll)
	}
	// A target's own bound wins over the global one.
	cfg, err = Parse([]byte(`
global: {max_pages_per_list: 50}
credentials: [{name: a, astra: {api_token: t}}]
targets:
  - {name: a, type: astra, credential: a, endpoint: "https://x.example", account_id: acc}
  - {name: b, type: astra, credential: a, endpoint: "https://x.example", account_id: acc, max_pages_per_list: 7, max_items_per_poll: 9}
`), "", kinds)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := cfg.Targets[0], cfg.Targets[1]; a.MaxPagesPerList != 50 || b.MaxPagesPerList != 7 || b.MaxItemsPerPoll != 9 {
		t.Errorf("bounds: a %d, b %d/%d", a.MaxPagesPerList, b.MaxPagesPerList, b.MaxItemsPerPoll)
	}
}

func TestLoadInvalid(t *testing.T) {
	tests := map[string]string{
		"unknown-key":              `testdata/invalid-unknown-key.yml:11: unknown key "app_idd" in targets[0]`,
		"unknown-global":           `testdata/invalid-unknown-global.yml:2: unknown key "scrape_timout" in global`,
		"bad-duration":             `testdata/invalid-bad-duration.yml:2: global.scrape_timeout: unknown unit " seconds" in duration "10 seconds"`,
		"duplicate-target":         `testdata/invalid-duplicate-target.yml:6: targets[1]: duplicate target name "a"`,
		"undefined-credential":     `testdata/invalid-undefined-credential.yml:7: target "a": credential "nope" is not defined under credentials`,
		"wrong-credential-kind":    `testdata/invalid-wrong-credential-kind.yml:7: target "anf": type azure_netapp_files needs a azure: credential; "astra" is not one`,
		"bad-volume":               `testdata/invalid-bad-volume.yml:12: target "anf": volume "1volume" must match ^[a-zA-Z][a-zA-Z0-9\-_]{0,63}$`,
		"bad-subscription":         `testdata/invalid-bad-subscription.yml:8: target "pg": subscription_id must be a UUID, got "not-a-uuid"`,
		"bad-server":               `testdata/invalid-bad-server.yml:10: target "pg": server "ab" must be 3 to 63 characters matching ^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$`,
		"key-wrong-type":           `testdata/invalid-key-wrong-type.yml:10: target "a": key "volume" does not apply to type astra`,
		"missing-required":         `testdata/invalid-missing-required.yml:5: target "cbr": project_id is required for type huawei_cbr`,
		"cbr-no-endpoint":          `testdata/invalid-cbr-no-endpoint.yml:5: target "cbr": endpoint or region is required for type huawei_cbr`,
		"cbr-bad-region":           `testdata/invalid-cbr-bad-region.yml:9: target "cbr": region "North 4" must look like cn-north-4`,
		"unknown-type":             `testdata/invalid-unknown-type.yml:6: target "a": unknown type "veeam" (want azure_netapp_files, azure_postgresql_ltr, azure_backup, azure_dataprotection, huawei_cbr, astra, aws_backup, trident_protect, velero, cloudnative_pg or longhorn)`,
		"missing-secret-file":      `testdata/invalid-missing-secret-file.yml:4: credential "astra": api_token_file: testdata/does-not-exist: no such file or directory`,
		"unset-env":                `testdata/invalid-unset-env.yml:4: environment variable "BACKUP_EXPORTER_TEST_UNSET" is not set`,
		"zero-scrape-timeout":      `testdata/invalid-zero-scrape-timeout.yml:2: global.scrape_timeout must be greater than 0`,
		"fraction-max-concurrency": `testdata/invalid-fraction-max-concurrency.yml:2: global.max_concurrency must be a whole number`,
		"size-without-unit":        `testdata/invalid-size-without-unit.yml:2: global.body_size_limit: a size needs a unit, such as 32MiB or 512KiB`,
		"bad-target-name":          `testdata/invalid-bad-target-name.yml:5: targets[0]: name holds the unprintable character U+000A; use printable characters only`,
		"zero-poll-timeout":        `testdata/invalid-zero-poll-timeout.yml:9: target "a": poll_timeout must be greater than 0`,
		"zero-max-pages":           `testdata/invalid-zero-max-pages.yml:2: global.max_pages_per_list must be at least 1, got 0`,
		"target-max-items":         `testdata/invalid-target-max-items.yml:10: target "a": max_items_per_poll must be at least 1, got -1`,
		"negative-max-staleness":   `testdata/invalid-negative-max-staleness.yml:2: global.max_staleness: not a valid duration string: "-1m"`,
		"no-targets":               `testdata/invalid-no-targets.yml: no targets: the file needs at least one entry under targets`,
		"custom-cloud-no-endpoint": `testdata/invalid-custom-cloud-no-endpoint.yml:3: credential "az": resource_manager_endpoint is required`,
		"bad-endpoint":             `testdata/invalid-bad-endpoint.yml:5: target "a": endpoint must be an http(s) URL, got "astra.example"`,
		"two-secret-sources":       `testdata/invalid-two-secret-sources.yml:4: credential "astra": give api_token or api_token_file, not both`,
		"bad-ca-file":              `testdata/invalid-bad-ca-file.yml:5: credential "astra": tls_config.ca_file testdata/astra-token holds no PEM certificate`,
		"duplicate-key":            `testdata/invalid-duplicate-key.yml:5: mapping key "api_token" already defined at line 4`,
		"empty-secret-file":        `testdata/invalid-empty-secret-file.yml:4: credential "astra": api_token_file testdata/empty-token is empty`,
		"device-secret-file":       `testdata/invalid-device-secret-file.yml:5: credential "huawei": secret_key_file: /dev/zero is not a regular file but a character device`,
		"empty-credential":         `testdata/invalid-empty-credential.yml:3: credential "astra": astra: is empty; see the configuration reference for its keys`,
		"unterminated-env":         `testdata/invalid-unterminated-env.yml:4: unterminated ${ (the value is not shown: it may be a secret)`,
		"syntax":                   `testdata/invalid-syntax.yml:1: did not find expected '-' indicator`,
		"aws-bad-role":             `testdata/invalid-aws-bad-role.yml:4: credential "aws": role_arn "arn:aws:iam::12:role/backup-exporter" is not an IAM role ARN (arn:aws:iam::123456789012:role/name)`,
		"aws-secret-without-key":   `testdata/invalid-aws-secret-without-key.yml:3: credential "aws": secret_access_key(_file) needs access_key_id`,
		"aws-profile-and-keys":     `testdata/invalid-aws-profile-and-keys.yml:4: credential "aws": give profile or static keys (access_key_id), not both`,
		"graph-subscription-id":    `testdata/invalid-graph-subscription-id.yml:9: target "estate": subscription_id does not go with source: resource_graph; list the subscriptions under subscriptions`,
		"graph-scope-both":         `testdata/invalid-graph-scope-both.yml:10: target "estate": give subscriptions or management_groups, not both`,
		// backup_resource_info's keys: the entry or label name and its line,
		// never a static label's value.
		"owner-static-prefix":       `testdata/invalid-owner-static-prefix.yml:12: target "a": static_labels: tag_team must not start with tag_ (tag_, vault_tag_ and label_ are the resources' own tags and labels, __ is Prometheus')`,
		"owner-static-name":         `testdata/invalid-owner-static-name.yml:10: target "a": static_labels: "business-unit" is not a label name (^[a-zA-Z_][a-zA-Z0-9_]*$)`,
		"owner-static-identity":     `testdata/invalid-owner-static-identity.yml:12: target "a": static_labels: resource_name is an identity label of every series; choose another name`,
		"owner-allowlist-wildcards": `testdata/invalid-owner-allowlist-wildcards.yml:12: target "a": resource_labels[1] holds 2 *: at most one is allowed (team.example.com/*)`,
		"owner-allowlist-empty":     `testdata/invalid-owner-allowlist-empty.yml:5: target "a": resource_labels[1] is empty: give a tag or label key, or a key with one *`,
		"owner-refresh-zero":        `testdata/invalid-owner-refresh-zero.yml:11: target "a": resource_labels_refresh must be greater than 0`,
		// Every error of the file, sorted by line, whatever check found it.
		"several-errors": `testdata/invalid-several-errors.yml:2: global.scrape_timeout must be greater than 0
testdata/invalid-several-errors.yml:12: unknown key "app_idd" in targets[0]
testdata/invalid-several-errors.yml:15: target "b": credential "nope" is not defined under credentials
testdata/invalid-several-errors.yml:20: target "c": type azure_netapp_files needs a azure: credential; "astra" is not one`,
	}
	files, _ := filepath.Glob("testdata/invalid-*.yml")
	if len(files) != len(tests) {
		t.Errorf("%d invalid-*.yml files but %d cases", len(files), len(tests))
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Load("testdata/invalid-"+name+".yml", kinds)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != want {
				t.Errorf("error\n got: %s\nwant: %s", err, want)
			}
			if strings.Contains(err.Error(), "value-never-shown") {
				t.Errorf("a static label's value is shown: %s", err)
			}
		})
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	t.Setenv("BACKUP_EXPORTER_TEST_TOKEN", "token-from-env")
	cfg, err := Load("testdata/good.yml", kinds)
	if err != nil {
		t.Fatal(err)
	}
	s := Secret("hunter2")
	for _, out := range []string{cfg.String(), s.String(), fmtAll(s), fmtAll(cfg.Credentials[2].Spec)} {
		if strings.Contains(out, "hunter2") || strings.Contains(out, "token-from-env") {
			t.Errorf("secret printed: %s", out)
		}
	}
	if !strings.Contains(cfg.String(), "auth_token: <secret>") {
		t.Errorf("config dump does not show <secret>:\n%s", cfg)
	}
}

func TestResolveSecretRereadsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "token")
	for _, v := range []string{"one\n", "two"} {
		if err := os.WriteFile(f, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ResolveSecret(context.Background(), "", f)
		if err != nil || got != strings.TrimSpace(v) {
			t.Errorf("ResolveSecret = %q, %v; want %q", got, err, strings.TrimSpace(v))
		}
	}
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolveSecret(context.Background(), "", f); err == nil {
		t.Error("empty secret file accepted")
	}
}

// TestValuesFromEnvironmentNotEchoed: a value from ${VAR} in a key that
// is not a secret is described in errors, never quoted (people paste
// secrets into the wrong key); a literal value still is.
func TestValuesFromEnvironmentNotEchoed(t *testing.T) {
	const secret = "s3cr3t+pasted/in-the-wrong-key"
	t.Setenv("BACKUP_EXPORTER_TEST_PASTED", secret)
	for name, yml := range map[string]string{
		"client_id": `
credentials:
  - {name: az, azure: {auth: managed_identity, client_id: "${BACKUP_EXPORTER_TEST_PASTED}"}}
targets: [{name: a, type: azure_netapp_files, credential: az, subscription_id: 00000000-0000-0000-0000-000000000001, resource_group: rg, account: acc}]`,
		"subscription_id": `
credentials: [{name: az, azure: {auth: managed_identity}}]
targets: [{name: a, type: azure_netapp_files, credential: az, subscription_id: "${BACKUP_EXPORTER_TEST_PASTED}", resource_group: rg, account: acc}]`,
		"endpoint": `
credentials: [{name: a, astra: {api_token: t}}]
targets: [{name: a, type: astra, credential: a, endpoint: "${BACKUP_EXPORTER_TEST_PASTED}", account_id: acc}]`,
		"volume pattern": `
credentials: [{name: az, azure: {auth: managed_identity}}]
targets: [{name: a, type: azure_netapp_files, credential: az, subscription_id: 00000000-0000-0000-0000-000000000001, resource_group: rg, account: acc, pool: p, volume: "${BACKUP_EXPORTER_TEST_PASTED}"}]`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(yml), "test.yml", kinds)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "from the environment (not shown)") {
				t.Errorf("error = %v", err)
			}
		})
	}
}

// TestEndpointWithUserinfoRefused: credentials belong under credentials,
// and the password is not shown.
func TestEndpointWithUserinfoRefused(t *testing.T) {
	_, err := Parse([]byte(`
credentials: [{name: a, astra: {api_token: t}}]
targets: [{name: a, type: astra, credential: a, endpoint: "https://user:hunter2@astra.example", account_id: acc}]`), "test.yml", kinds)
	if err == nil || !strings.Contains(err.Error(), "must not carry a user name or password") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v", err)
	}
}

// TestAWSEmptyBlockIsTheDefaultChain: `aws:` and `aws: {}` both mean the
// AWS SDK's default credential chain; static keys load with the secret
// hidden.
func TestAWSEmptyBlockIsTheDefaultChain(t *testing.T) {
	cfg, err := Parse([]byte(`
credentials:
  - name: null-block
    aws:
  - name: empty-block
    aws: {}
  - name: static
    aws: {access_key_id: AKIAIOSFODNN7EXAMPLE, secret_access_key: wJalrXUtnFEMI/K7MDENG, role_arn: "arn:aws:iam::123456789012:role/backup-exporter", external_id: ext-1}
  - name: astra
    astra: {api_token: t}
targets:
  - {name: a, type: astra, credential: astra, endpoint: "https://astra.example", account_id: 00000000-0000-4000-8000-000000000001}
`), "aws.yml", kinds)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"aws", "aws", "aws", "astra"} {
		if got := cfg.Credentials[i].Type; got != want {
			t.Errorf("credential %d: type %q, want %q", i, got, want)
		}
	}
	if s := cfg.Credentials[2].Spec.(*awscred.Credential).SecretAccessKey; fmt.Sprint(s) != "<secret>" || string(s) != "wJalrXUtnFEMI/K7MDENG" {
		t.Errorf("secret prints as %v", s)
	}
}

func TestKubernetesCredential(t *testing.T) {
	dir := t.TempDir()
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := "\ntargets:\n  - {name: a, type: astra, credential: astra, endpoint: \"https://astra.example\", account_id: x}\n"
	for _, tc := range []struct{ creds, want string }{
		{"  - {name: k, kubernetes: }\n", ""},
		{"  - {name: k, kubernetes: {}}\n", ""},
		{"  - {name: k, kubernetes: {kubeconfig: " + kubeconfig + ", context: prod}}\n", ""},
		{"  - {name: k, kubernetes: {server: \"https://10.0.0.1:6443\", bearer_token: s3cr3t-k8s}}\n", ""},
		{"  - {name: k, kubernetes: {context: prod}}\n", `credential "k": context needs kubeconfig`},
		{"  - {name: k, kubernetes: {bearer_token: s3cr3t-k8s}}\n", `credential "k": bearer_token(_file) needs server`},
		{"  - {name: k, kubernetes: {server: \"https://10.0.0.1:6443\"}}\n", `credential "k": bearer_token or bearer_token_file is required`},
		{"  - {name: k, kubernetes: {kubeconfig: " + kubeconfig + ", server: \"https://x\"}}\n", `give kubeconfig, or server with bearer_token(_file), not both`},
		{"  - {name: k, kubernetes: {kubeconfig: " + filepath.Join(dir, "missing") + "}}\n", "no such file"},
	} {
		yml := "credentials:\n  - {name: astra, astra: {api_token: t}}\n" + tc.creds + base
		cfg, err := Parse([]byte(yml), "k.yml", kinds)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.creds, err)
		case tc.want == "" && cfg.Credentials[1].Type != "kubernetes":
			t.Errorf("%s: type %q", tc.creds, cfg.Credentials[1].Type)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.creds, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t-k8s") {
			t.Errorf("secret in the error: %v", err)
		}
	}
}

func TestExpectedRetention(t *testing.T) {
	base := "credentials:\n  - {name: astra, astra: {api_token: t}}\ntargets:\n  - {name: a, type: astra, credential: astra, endpoint: \"https://astra.example\", account_id: x%s}\n"
	cfg, err := Parse([]byte(fmt.Sprintf(base, ", expected_retention: 30d")), "r.yml", kinds)
	if err != nil || time.Duration(cfg.Targets[0].ExpectedRetention) != 30*24*time.Hour {
		t.Fatalf("expected_retention 30d: %v %v", err, cfg)
	}
	if _, err := Parse([]byte(fmt.Sprintf(base, ", expected_retention: 0s")), "r.yml", kinds); err == nil || !strings.Contains(err.Error(), "expected_retention must be greater than 0") {
		t.Errorf("expected_retention 0s: %v", err)
	}
}

package config

import (
	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
)

// Defaults applied by Load when a key is absent.
const (
	DefaultScrapeTimeout    = model.Duration(30e9)
	DefaultCacheTTL         = model.Duration(5 * 60e9)
	DefaultPollTimeout      = model.Duration(5 * 60e9)
	DefaultMaxConcurrency   = 16
	DefaultBodySizeLimit    = 32 * units.MiB
	DefaultExpectedInterval = model.Duration(24 * 3600e9)
	// DefaultMaxPagesPerList and DefaultMaxItemsPerPoll bound what one
	// poll of a target reads: far above any real estate, low enough to
	// stop an upstream whose lists never end.
	DefaultMaxPagesPerList = 10_000
	DefaultMaxItemsPerPoll = 1_000_000
)

// Config is the whole configuration file. Obtain one through Load or Parse,
// which decode strictly, apply defaults and validate: a *Config that exists
// has passed validation.
type Config struct {
	Global      Global       `yaml:"global"`
	Credentials []Credential `yaml:"credentials"`
	Targets     []Target     `yaml:"targets"`

	// File is the path the configuration was read from ("" when parsed from
	// bytes). It is not a YAML key.
	File string `yaml:"-"`
}

// Global holds the settings shared by every target.
type Global struct {
	// ScrapeTimeout is the budget for one collection of all targets. A
	// shorter X-Prometheus-Scrape-Timeout-Seconds header wins.
	ScrapeTimeout model.Duration `yaml:"scrape_timeout"`
	// CacheTTL is how long a poll's answer is served. Above 0, targets
	// are refreshed in the background before it expires and scrapes never
	// wait for a refresh; 0 polls on every scrape, under the scrape's
	// deadline (concurrent scrapes still share one poll).
	CacheTTL model.Duration `yaml:"cache_ttl"`
	// PollTimeout is the budget of one background poll, independent of
	// the scrape timeout (default 5m; a target may set its own).
	PollTimeout model.Duration `yaml:"poll_timeout"`
	// MaxStaleness is how long the last good poll's backup_* series stay
	// served after polls fail (target_up 0 meanwhile); default 3 ×
	// cache_ttl, 0 drops them at once.
	MaxStaleness model.Duration `yaml:"max_staleness"`
	// MaxConcurrency bounds upstream requests in flight per credential.
	MaxConcurrency int `yaml:"max_concurrency"`
	// BodySizeLimit bounds every upstream response body (e.g. "32MiB").
	BodySizeLimit units.Base2Bytes `yaml:"body_size_limit"`
	// MaxPagesPerList bounds the pages of one list walk of a poll
	// (default 10,000; a target may set its own).
	MaxPagesPerList int `yaml:"max_pages_per_list"`
	// MaxItemsPerPoll bounds the items of all lists of one poll of a
	// target together (default 1,000,000; a target may set its own).
	MaxItemsPerPoll int `yaml:"max_items_per_poll"`
}

// Credential kinds, the key of a credential's block and what a Kind names
// in its Credential field.
const (
	CredentialAzure  = "azure"
	CredentialHuawei = "huawei"
	CredentialAstra  = "astra"
	CredentialAWS    = "aws"
	// CredentialKubernetes is a Kubernetes API server's credential.
	CredentialKubernetes = "kubernetes"
)

// Credential is one named set of upstream credentials. Exactly one of
// Azure, Huawei, Astra and AWS is set.
type Credential struct {
	Name   string  `yaml:"name"`
	Azure  *Azure  `yaml:"azure,omitempty"`
	Huawei *Huawei `yaml:"huawei,omitempty"`
	Astra  *Astra  `yaml:"astra,omitempty"`
	AWS    *AWS    `yaml:"aws,omitempty"`
	// Kubernetes is a Kubernetes API server.
	Kubernetes *Kubernetes `yaml:"kubernetes,omitempty"`
	TLSConfig  TLSConfig   `yaml:"tls_config,omitempty"`
}

// TLSConfig configures how upstream servers are verified.
type TLSConfig struct {
	// CAFile is a PEM bundle of CAs to trust in addition to none: when set,
	// only these CAs are trusted.
	CAFile             string `yaml:"ca_file,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
}

// Azure authentication modes.
const (
	AzureAuthClientSecret      = "client_secret"
	AzureAuthClientCertificate = "client_certificate"
	AzureAuthManagedIdentity   = "managed_identity"
	AzureAuthWorkloadIdentity  = "workload_identity"
	AzureAuthCLI               = "azure_cli"
	AzureAuthDefault           = "default"
)

// Azure clouds.
const (
	AzureCloudPublic       = "public"
	AzureCloudChina        = "china"
	AzureCloudUSGovernment = "usgovernment"
	AzureCloudCustom       = "custom"
)

// Azure is a Microsoft Entra credential for ARM.
type Azure struct {
	Auth     string `yaml:"auth"`
	TenantID string `yaml:"tenant_id,omitempty"`
	ClientID string `yaml:"client_id,omitempty"`
	// ClientSecret is used by auth client_secret.
	ClientSecret Secret `yaml:"client_secret,omitempty"`
	// ClientSecretFile holds the secret instead of ClientSecret; it is
	// read when the configuration is (re)loaded, so reload after rotating
	// it (the Astra and Huawei *_file secrets are read on every request).
	ClientSecretFile string `yaml:"client_secret_file,omitempty"`
	// CertificateFile is a PEM (or PKCS#12) file with the certificate and
	// its private key, used by auth client_certificate.
	CertificateFile string `yaml:"certificate_file,omitempty"`
	// CertificatePassword decrypts CertificateFile when it is encrypted.
	CertificatePassword Secret `yaml:"certificate_password,omitempty"`
	// TokenFile is the federated token for workload_identity (default: the
	// AZURE_FEDERATED_TOKEN_FILE environment variable).
	TokenFile string `yaml:"token_file,omitempty"`
	Cloud     string `yaml:"cloud,omitempty"`
	// AuthorityHost and ResourceManagerEndpoint are required with cloud
	// custom and rejected otherwise.
	AuthorityHost           string `yaml:"authority_host,omitempty"`
	ResourceManagerEndpoint string `yaml:"resource_manager_endpoint,omitempty"`
}

// Huawei is a Huawei Cloud credential: an AK/SK pair, or a ready IAM token.
type Huawei struct {
	AccessKey     string `yaml:"access_key,omitempty"`
	SecretKey     Secret `yaml:"secret_key,omitempty"`
	SecretKeyFile string `yaml:"secret_key_file,omitempty"`
	AuthToken     Secret `yaml:"auth_token,omitempty"`
	AuthTokenFile string `yaml:"auth_token_file,omitempty"`
}

// Astra is a NetApp Astra Control API token, sent as a Bearer token.
type Astra struct {
	APIToken     Secret `yaml:"api_token,omitempty"`
	APITokenFile string `yaml:"api_token_file,omitempty"`
}

// AWS is an AWS credential. Empty, the AWS SDK's default chain is used
// (environment, shared config and credentials files, IRSA web identity,
// EKS Pod Identity and ECS, EC2 instance metadata).
type AWS struct {
	// Profile is a profile of the shared config and credentials files.
	Profile string `yaml:"profile,omitempty"`
	// RoleARN is a role assumed (STS AssumeRole) with the credentials
	// found otherwise.
	RoleARN string `yaml:"role_arn,omitempty"`
	// ExternalID is the sts:ExternalId the role's trust policy asks for.
	ExternalID string `yaml:"external_id,omitempty"`
	// AccessKeyID and SecretAccessKey(File) are static keys.
	AccessKeyID         string `yaml:"access_key_id,omitempty"`
	SecretAccessKey     Secret `yaml:"secret_access_key,omitempty"`
	SecretAccessKeyFile string `yaml:"secret_access_key_file,omitempty"`
	// STSEndpoint overrides the STS endpoint used for role_arn (a VPC or
	// FIPS endpoint, or the simulator).
	STSEndpoint string `yaml:"sts_endpoint,omitempty"`
}

// Kubernetes is how the exporter reaches a Kubernetes API server. Empty,
// the in-cluster service account (its token re-read on every request, as
// the kubelet rotates it, and the cluster CA); or a kubeconfig file and
// context; or a server URL and a bearer token (with tls_config.ca_file).
type Kubernetes struct {
	Kubeconfig      string `yaml:"kubeconfig,omitempty"`
	Context         string `yaml:"context,omitempty"`
	Server          string `yaml:"server,omitempty"`
	BearerToken     Secret `yaml:"bearer_token,omitempty"`
	BearerTokenFile string `yaml:"bearer_token_file,omitempty"`
}

// Target is one configured backup target: the keys every type has, and
// the provider's own keys decoded by its Kind into Spec.
type Target struct {
	Name       string `yaml:"name"`
	Type       string `yaml:"type"`
	Credential string `yaml:"credential"`
	// ExpectedInterval is how often a good backup is due (default 24h).
	ExpectedInterval model.Duration `yaml:"expected_interval,omitempty"`
	// ExpectedIntervalSet says whether the file set expected_interval
	// (else it is the default, and a provider may know better: a
	// backup schedule it reads).
	ExpectedIntervalSet bool `yaml:"-"`
	// ExpectedRetention is how long backups should be kept (optional):
	// backup_expected_retention_seconds, against which the recovery
	// window (backup_oldest_success_timestamp_seconds) is checked.
	ExpectedRetention model.Duration `yaml:"expected_retention,omitempty"`
	// PollTimeout is the target's own budget of one background poll
	// (default global.poll_timeout).
	PollTimeout model.Duration `yaml:"poll_timeout,omitempty"`
	// MaxPagesPerList and MaxItemsPerPoll are the target's own bounds of
	// a poll (default: the global ones).
	MaxPagesPerList int `yaml:"max_pages_per_list,omitempty"`
	MaxItemsPerPoll int `yaml:"max_items_per_poll,omitempty"`

	// Spec holds the provider's keys: the value its Kind's NewSpec
	// returned, decoded and validated.
	Spec TargetSpec `yaml:"-"`
}

// Kind returns the credential's kind (CredentialAzure, ...), "" when no
// block is set.
func (c *Credential) Kind() string {
	switch {
	case c.Azure != nil:
		return CredentialAzure
	case c.Huawei != nil:
		return CredentialHuawei
	case c.Astra != nil:
		return CredentialAstra
	case c.AWS != nil:
		return CredentialAWS
	case c.Kubernetes != nil:
		return CredentialKubernetes
	}
	return ""
}

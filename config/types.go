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
	// DefaultResourceLabelsRefresh is how often tags are looked up where
	// that takes extra calls.
	DefaultResourceLabelsRefresh = model.Duration(3600e9)
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

// Credential is one named set of upstream credentials: the common keys
// (name, tls_config) and one block whose key is a registered credential
// type (azure:, aws:, ...), decoded by that type's spec.
type Credential struct {
	Name      string    `yaml:"name"`
	TLSConfig TLSConfig `yaml:"tls_config,omitempty"`

	// Type is the key of its block: a CredentialType's Name.
	Type string `yaml:"-"`
	// Spec holds the block's keys: the value its type's NewSpec
	// returned, decoded and validated.
	Spec CredentialSpec `yaml:"-"`
}

// TLSConfig configures how upstream servers are verified.
type TLSConfig struct {
	// CAFile is a PEM bundle of CAs to trust in addition to none: when set,
	// only these CAs are trusted.
	CAFile             string `yaml:"ca_file,omitempty"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify,omitempty"`
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

	// ResourceLabels is the allowlist of the resources' own tag or label
	// keys copied to backup_resource_info (one * per key; a lone * first
	// admits every key). StaticLabels are constant labels of that
	// family. backup_resource_info is exposed only when either is set.
	ResourceLabels []string          `yaml:"resource_labels,omitempty"`
	StaticLabels   map[string]string `yaml:"static_labels,omitempty"`
	// ResourceLabelsRefresh is how often tags are looked up where that
	// takes extra calls (default 1h).
	ResourceLabelsRefresh model.Duration `yaml:"resource_labels_refresh,omitempty"`

	// Spec holds the provider's keys: the value its Kind's NewSpec
	// returned, decoded and validated.
	Spec TargetSpec `yaml:"-"`
}

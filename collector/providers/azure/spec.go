package azure

import (
	"net/url"
	"regexp"

	"github.com/backup-exporter/backup_exporter/config"
)

// Path-parameter patterns of ARM, from the API documents.
var (
	reResourceGroup = regexp.MustCompile(`^[-\w._()]{1,90}$`)
	reAPIVersion    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(-preview)?$`)
)

// TargetSpec holds the keys every ARM target has. Providers embed it
// with `yaml:",inline"`.
type TargetSpec struct {
	SubscriptionID string `yaml:"subscription_id,omitempty"`
	ResourceGroup  string `yaml:"resource_group,omitempty"`
	// APIVersion is the ARM api-version of the provider's resource type.
	APIVersion string `yaml:"api_version,omitempty"`
}

// Required checks that the required ARM keys are set.
func (s *TargetSpec) Required(v *config.Validator) error {
	return config.First(
		v.Required("subscription_id", s.SubscriptionID),
		v.Required("resource_group", s.ResourceGroup),
	)
}

// Check checks the ARM keys' forms, then runs checks (the provider's
// own, in the order the errors should be found), and defaults
// api_version to defaultAPIVersion.
func (s *TargetSpec) Check(v *config.Validator, defaultAPIVersion string, checks ...func() error) error {
	if err := v.UUID("subscription_id", s.SubscriptionID); err != nil {
		return err
	}
	return s.CheckGraph(v, defaultAPIVersion, checks...)
}

// CheckGraph is Check for a target of Resource Graph mode, which names no
// subscription_id (GraphSpec.Validate refuses one): resource_group is an
// optional filter there.
func (s *TargetSpec) CheckGraph(v *config.Validator, defaultAPIVersion string, checks ...func() error) error {
	if s.APIVersion == "" {
		s.APIVersion = defaultAPIVersion
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return config.First(
		v.Match("resource_group", s.ResourceGroup, reResourceGroup),
		v.Match("api_version", s.APIVersion, reAPIVersion),
	)
}

// ResourceGroupPath is the ARM path of the spec's resource group.
func (s *TargetSpec) ResourceGroupPath() string {
	return "/subscriptions/" + url.PathEscape(s.SubscriptionID) + "/resourceGroups/" + url.PathEscape(s.ResourceGroup)
}

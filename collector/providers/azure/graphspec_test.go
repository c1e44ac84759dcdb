package azure

import (
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/config"
)

// graphTestSpec is a provider spec of Resource Graph mode with coverage,
// as azure_dataprotection's, for the rules' tests.
type graphTestSpec struct {
	TargetSpec            `yaml:",inline"`
	GraphSpec             `yaml:",inline"`
	CoverageResourceTypes []string `yaml:"coverage_resource_types,omitempty"`
}

func (s *graphTestSpec) Validate(v *config.Validator) error {
	if err := s.GraphSpec.Validate(v); err != nil {
		return err
	}
	if err := ValidateCoverage(v, &s.GraphSpec, s.CoverageResourceTypes); err != nil {
		return err
	}
	if s.FromGraph() {
		return s.CheckGraph(v, "2025-01-01")
	}
	return config.First(s.Required(v), s.Check(v, "2025-01-01"))
}

var graphTestKinds = []config.TargetType{{Name: "graph_test", Credential: CredentialType, NewSpec: func() config.TargetSpec { return &graphTestSpec{} }}}

func parseGraphTarget(t *testing.T, keys string) (*graphTestSpec, error) {
	t.Helper()
	yml := `credentials:
  - name: az
    azure: {auth: managed_identity}
targets:
  - name: estate
    type: graph_test
    credential: az
` + keys
	cfg, err := config.Parse([]byte(yml), "test.yml", graphTestKinds)
	if err != nil {
		return nil, err
	}
	return cfg.Targets[0].Spec.(*graphTestSpec), nil
}

// TestGraphSpecDefaults: arm is the default source; with resource_graph,
// progress_from_arm defaults to true (false when written), the API
// version to 2024-04-01, and resource_group becomes an optional filter;
// coverage types are kept in lower case.
func TestGraphSpecDefaults(t *testing.T) {
	s, err := parseGraphTarget(t, "    subscription_id: 00000000-0000-0000-0000-000000000001\n    resource_group: rg\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.Source != SourceARM || s.FromGraph() || s.ProgressFromARM {
		t.Errorf("arm target: source %q, progress_from_arm %v", s.Source, s.ProgressFromARM)
	}
	s, err = parseGraphTarget(t, "    source: resource_graph\n    coverage_resource_types: [Microsoft.Compute/disks, microsoft.storage/storageAccounts]\n")
	if err != nil {
		t.Fatal(err)
	}
	if !s.FromGraph() || !s.ProgressFromARM || s.ResourceGraphAPIVersion != DefaultResourceGraphAPIVersion || s.APIVersion != "2025-01-01" {
		t.Errorf("resource_graph target: %+v", s.GraphSpec)
	}
	if got := strings.Join(s.CoverageResourceTypes, ","); got != "microsoft.compute/disks,microsoft.storage/storageaccounts" {
		t.Errorf("coverage types %s", got)
	}
	s, err = parseGraphTarget(t, "    source: resource_graph\n    progress_from_arm: false\n    management_groups: [mg-prod]\n    resource_group: rg\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.ProgressFromARM || s.ManagementGroups[0] != "mg-prod" || s.ResourceGroup != "rg" {
		t.Errorf("progress_from_arm false: %+v", s)
	}
}

// TestGraphSpecRules: config.md's validation rules of Resource Graph
// mode, each reported at its line and key.
func TestGraphSpecRules(t *testing.T) {
	const sub = "00000000-0000-0000-0000-000000000001"
	for name, tc := range map[string]struct{ keys, want string }{
		"unknown source": {"    source: rest\n    subscription_id: " + sub + "\n    resource_group: rg\n",
			`test.yml:8: target "estate": source "rest" must be arm or resource_graph`},
		"subscription_id with resource_graph": {"    source: resource_graph\n    subscription_id: " + sub + "\n",
			`test.yml:9: target "estate": subscription_id does not go with source: resource_graph; list the subscriptions under subscriptions`},
		"subscriptions and management groups": {"    source: resource_graph\n    subscriptions: [" + sub + "]\n    management_groups: [mg]\n",
			`test.yml:10: target "estate": give subscriptions or management_groups, not both`},
		"subscriptions with arm": {"    subscription_id: " + sub + "\n    resource_group: rg\n    subscriptions: [" + sub + "]\n",
			`test.yml:10: target "estate": subscriptions applies only with source: resource_graph`},
		"progress_from_arm with arm": {"    source: arm\n    subscription_id: " + sub + "\n    resource_group: rg\n    progress_from_arm: true\n",
			`test.yml:11: target "estate": progress_from_arm applies only with source: resource_graph`},
		"coverage with arm": {"    subscription_id: " + sub + "\n    resource_group: rg\n    coverage_resource_types: [microsoft.compute/disks]\n",
			`test.yml:10: target "estate": coverage_resource_types applies only with source: resource_graph (Resource Graph lists the resources no instance protects)`},
		"subscription not a UUID": {"    source: resource_graph\n    subscriptions:\n      - " + sub + "\n      - not-a-uuid\n",
			`test.yml:11: target "estate": subscriptions[1] must be a UUID, got "not-a-uuid"`},
		"subscription twice": {"    source: resource_graph\n    subscriptions:\n      - " + sub + "\n      - " + strings.ToUpper(sub) + "\n",
			`test.yml:11: target "estate": subscriptions entry 2 "` + strings.ToUpper(sub) + `" is listed twice`},
		"empty subscription": {"    source: resource_graph\n    subscriptions: [\"\"]\n",
			`test.yml:9: target "estate": subscriptions entry 1 is empty`},
		"bad management group": {"    source: resource_graph\n    management_groups: [\"mg.\"]\n",
			`test.yml:9: target "estate": management_groups[0] "mg." must match ^[-\w.()]{0,89}[-\w()]$`},
		"bad coverage type": {"    source: resource_graph\n    coverage_resource_types: [disks]\n",
			`test.yml:9: target "estate": coverage_resource_types entry 1 "disks" is not an ARM resource type (microsoft.compute/disks, microsoft.storage/storageaccounts, ...)`},
		"coverage type twice": {"    source: resource_graph\n    coverage_resource_types: [microsoft.compute/disks, Microsoft.Compute/Disks]\n",
			`test.yml:9: target "estate": coverage_resource_types entry 2 "Microsoft.Compute/Disks" is listed twice`},
		"bad API version": {"    source: resource_graph\n    resource_graph_api_version: latest\n",
			`test.yml:9: target "estate": resource_graph_api_version "latest" must match ^\d{4}-\d{2}-\d{2}(-preview)?$`},
		"bad resource group filter": {"    source: resource_graph\n    resource_group: \"rg/x\"\n",
			`test.yml:9: target "estate": resource_group "rg/x" must match ^[-\w._()]{1,90}$`},
		"arm still needs subscription_id": {"    resource_group: rg\n",
			`test.yml:5: target "estate": subscription_id is required for type graph_test`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseGraphTarget(t, tc.keys)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

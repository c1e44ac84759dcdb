package simulator

import (
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// Scenario is the YAML file given to the simulator. Unknown keys are
// errors. Each API adds one field.
type Scenario struct {
	// Now is the time the scenario's timestamps were written for (RFC
	// 3339). The simulator command rebases them to the real now (see
	// Rebase), so that ages stay as written; empty keeps them as they are.
	Now    string          `yaml:"now"`
	Faults []Fault         `yaml:"faults"`
	Astra  *AstraScenario  `yaml:"astra"`
	Huawei *HuaweiScenario `yaml:"huawei"`
	Azure  *AzureScenario  `yaml:"azure"`
	AWS    *AWSScenario    `yaml:"aws"`
	// Kubernetes is the Kubernetes API server and its custom resources
	// (kubernetes_server.go).
	Kubernetes *KubernetesScenario `yaml:"kubernetes"`
}

// LoadScenario reads a scenario YAML file, strictly.
func LoadScenario(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc, err := ParseScenario(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sc, nil
}

// ParseScenario decodes a scenario from YAML, strictly (unknown keys are
// errors). An empty document is an empty scenario.
func ParseScenario(r io.Reader) (*Scenario, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var sc Scenario
	if err := dec.Decode(&sc); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	for i, f := range sc.Faults {
		if _, err := compileFault(f); err != nil {
			return nil, fmt.Errorf("faults[%d]: %w", i, err)
		}
	}
	return &sc, nil
}

// Command genrules copies the Prometheus rules of deploy/prometheus/rules.yml
// into the Kubernetes manifests that cannot read that file themselves:
//
//   - deploy/kubernetes/base/prometheusrule.yaml, a PrometheusRule whose
//     spec is the rules file (kustomize cannot wrap a file into an object);
//   - deploy/helm/backup-exporter/files/rules.yml, a verbatim copy (a Helm
//     chart cannot read files outside itself).
//
// rules.yml is itself generated from the monitoring mixin (mixin/), and
// `go generate ./mixin/...` runs this command after writing it; it can also
// run alone from the deploy directory with `go generate` (see doc.go), or as
// deploy/kubernetes/gen-prometheusrule.sh. deploy_test.go fails when the
// outputs are out of date.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

func main() {
	dir := flag.String("dir", ".", "the deploy directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "genrules:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	src := filepath.Join(dir, "prometheus", "rules.yml")
	rules, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	pr, err := PrometheusRule(rules)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kubernetes", "base", "prometheusrule.yaml"), pr, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "helm", "backup-exporter", "files", "rules.yml"), rules, 0o644)
}

const header = `# GENERATED from deploy/prometheus/rules.yml by deploy/internal/genrules,
# which go generate ./mixin/... runs after generating rules.yml from the
# mixin (mixin/); DO NOT EDIT: change the mixin and regenerate.
# deploy/deploy_test.go checks that both agree.
#
# The Prometheus Operator only loads PrometheusRules that its ruleSelector
# matches: kube-prometheus-stack, for one, wants the label
# "release: <its Helm release name>"; add it in an overlay.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: backup-exporter
  labels:
    app.kubernetes.io/component: exporter
spec:
`

// PrometheusRule returns the PrometheusRule manifest whose spec is the rules
// file: the file's text indented under "spec:", comments and all. The file
// must be a mapping with the single key "groups".
func PrometheusRule(rules []byte) ([]byte, error) {
	var top map[string]any
	if err := yaml.Unmarshal(rules, &top); err != nil {
		return nil, err
	}
	if _, ok := top["groups"]; !ok || len(top) != 1 {
		return nil, fmt.Errorf("want a mapping with the single key \"groups\"")
	}
	var b bytes.Buffer
	b.WriteString(header)
	text := strings.TrimPrefix(string(rules), "---\n")
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) == "" {
			b.WriteString("\n")
			continue
		}
		if strings.HasPrefix(line, "---") || strings.HasPrefix(line, "...") {
			return nil, fmt.Errorf("want a single YAML document")
		}
		b.WriteString("  ")
		b.WriteString(line)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}

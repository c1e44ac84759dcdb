package velero

import (
	"strings"
	"testing"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
	"github.com/backup-exporter/backup_exporter/config"
)

var kinds = toolkit.Registry{Type}

// TestSpecValidation: the keys of config.md's velero target, each
// refused with its file, line and key when it is not what the contract
// allows (namespace names DNS-1123, exclude_namespaces globs without
// Velero's refused characters, a Kubernetes label selector, one of the
// coverage modes), every error of the file at once.
func TestSpecValidation(t *testing.T) {
	const head = "credentials: [{name: k8s, kubernetes: {}}]\ntargets:\n"
	good := []string{
		"{name: v, type: velero, credential: k8s}",
		"{name: v, type: velero, credential: k8s, namespace: openshift-adp, exclude_namespaces: [kube-system, 'kube-*', 'tmp-?', 'ns-[abc]', 'ns-[a-z0-9]x'], label_selector_coverage: none, backup_label_selector: 'cluster=prod', storage_locations: false, volume_bytes: true}",
		"{name: v, type: velero, credential: k8s, label_selector_coverage: all, backup_label_selector: 'env in (a,b),!legacy'}",
	}
	for _, g := range good {
		if _, err := config.Parse([]byte(head+"  - "+g+"\n"), "velero.yml", kinds.Config()); err != nil {
			t.Errorf("%s: %v", g, err)
		}
	}
	bad := []struct{ target, want string }{
		{"namespace: Velero", `velero.yml:3: target "v": namespace "Velero" is not a namespace name (lower-case letters, digits and '-', at most 63)`},
		{"namespace: ''", `velero.yml:3: target "v": namespace "" is not a namespace name (lower-case letters, digits and '-', at most 63)`},
		{"namespace: " + strings.Repeat("a", 64), `velero.yml:3: target "v": namespace "` + strings.Repeat("a", 64) + `" is not a namespace name (lower-case letters, digits and '-', at most 63)`},
		{"exclude_namespaces: ['kube-**']", `velero.yml:3: target "v": exclude_namespaces entry 1 "kube-**" holds **, which Velero refuses`},
		{"exclude_namespaces: [a, '{a,b}']", `velero.yml:3: target "v": exclude_namespaces entry 2 "{a,b}" is not a namespace name (lower-case letters, digits and '-', at most 63) or a glob of one (*, ?, [abc])`},
		{"exclude_namespaces: ['[!a]*']", `velero.yml:3: target "v": exclude_namespaces entry 1 "[!a]*" is not a glob of namespace names: lower-case letters, digits, '-' and the glob characters *, ? and [abc] only, at most 63`},
		{"exclude_namespaces: ['a[]*']", `velero.yml:3: target "v": exclude_namespaces entry 1 "a[]*" has an empty [] class`},
		{"exclude_namespaces: ['a[b*']", `velero.yml:3: target "v": exclude_namespaces entry 1 "a[b*" has an unclosed [`},
		{"exclude_namespaces: ['a]b*']", `velero.yml:3: target "v": exclude_namespaces entry 1 "a]b*" has unbalanced brackets`},
		{"exclude_namespaces: ['a|b*']", `velero.yml:3: target "v": exclude_namespaces entry 1 "a|b*" is not a glob of namespace names: lower-case letters, digits, '-' and the glob characters *, ? and [abc] only, at most 63`},
		{"exclude_namespaces: [a, a]", `velero.yml:3: target "v": exclude_namespaces lists "a" twice`},
		{"label_selector_coverage: some", `velero.yml:3: target "v": label_selector_coverage "some": want named, all or none`},
		{"backup_label_selector: 'cluster=prod,'", `velero.yml:3: target "v": backup_label_selector is not a Kubernetes label selector: found "", expected: identifier after ','`},
		{"backup_label_selector: 'cluster in prod'", `velero.yml:3: target "v": backup_label_selector is not a Kubernetes label selector: found "prod", expected: '('`},
		{"storage_locations: maybe", `velero.yml:3: targets[0].storage_locations: cannot unmarshal !!str ` + "`maybe`" + ` into bool`},
	}
	for _, tc := range bad {
		_, err := config.Parse([]byte(head+"  - {name: v, type: velero, credential: k8s, "+tc.target+"}\n"), "velero.yml", kinds.Config())
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got: %v\nwant: %s", tc.target, err, tc.want)
		}
	}
}
